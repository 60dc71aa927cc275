/**
 * Memory and time against run length, as a user runs it: whole `fleetsim run --no-charts`
 * processes of 10 thousand, 1 million and 10 million requests, synthetic (an M/M/c queue: 1,000
 * requests/s on 16 servers of 10 ms) and LLM (Poisson chat on 16 replicas of Llama-3.1-8B on one
 * NVIDIA L40S each, continuous batching). Peak resident set (GNU time) and CPU seconds of each.
 *
 * Targets: peak RSS under 400 MB at 10 million requests; time linear in requests. The process's
 * fixed cost (starting, loading, writing) is about a second whatever the length, so linearity is
 * read from what each further request costs: the CPU seconds between the two largest sizes per
 * request, over those between the two smallest (1 is linear; above 1, a request costs more the
 * longer the run).
 *
 *   npm run bench:scale            (BENCH_SCALE=10000,1000000,10000000 by default; needs /usr/bin/time)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZES = (process.env.BENCH_SCALE ?? '10000,1000000,10000000').split(',').map(Number);
const TARGET_RSS_MB = 400;
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const GNU_TIME = '/usr/bin/time';

const SYNTHETIC_RATE = 1000;
const LLM_RATE = 60;

const MODELS = {
  synthetic: (requests: number) => `name: synthetic
seed: 1
duration: ${Math.round(requests / SYNTHETIC_RATE)}s
workload:
  arrivals: { poisson: { rate: ${SYNTHETIC_RATE} } }
fleets:
  - name: web
    replicas: 16
    concurrency: 1
    price_per_hour: 1
    service_time: { exponential: { mean: 10ms } }
`,
  llm: (requests: number) => `name: llm
seed: 1
duration: ${Math.round(requests / LLM_RATE)}s
workload:
  arrivals: { poisson: { rate: ${LLM_RATE} } }
  input_tokens: { lognormal: { median: 800, sigma: 0.8 } }
  output_tokens: { lognormal: { median: 150, sigma: 0.7 } }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 16
    instance: aws/g6e.xlarge
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
    queue: { capacity: 200, timeout: 60s }
routing: { policy: least-outstanding }
`,
};

interface Figures {
  requests: number;
  events: number;
  wallS: number;
  cpuS: number;
  maxRssMB: number;
}

function runOnce(dir: string, kind: keyof typeof MODELS, requests: number): Figures {
  const scenario = join(dir, `${kind}-${requests}.yaml`);
  writeFileSync(scenario, MODELS[kind](requests));
  const out = join(dir, `out-${kind}-${requests}`);
  const timeFile = join(dir, 'time.txt');
  const args = ['-o', timeFile, '-f', '%e %U %S %M', process.execPath, CLI, 'run', scenario];
  const run = spawnSync(GNU_TIME, [...args, '--out', out, '--quiet', '--no-charts'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`fleetsim run failed (${run.status}): ${run.stderr}`);
  const [wallS, user, system, rssKb] = readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const variant = summary.variants[0];
  rmSync(out, { recursive: true, force: true });
  return {
    requests: variant.requests.arrived,
    events: variant.events,
    wallS,
    cpuS: user + system,
    maxRssMB: rssKb / 1024,
  };
}

function main(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first`);
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is needed for the peak resident set`);
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-scale-'));
  try {
    console.log('Whole-process fleetsim run --no-charts against run length');
    console.log('model       requests     events        wall s    CPU s   peak RSS MB   RSS / 400 MB');
    for (const kind of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
      const figures = SIZES.map((size) => runOnce(dir, kind, size));
      for (const f of figures) {
        console.log(
          `${kind.padEnd(11)} ${String(f.requests).padStart(9)}  ${String(f.events).padStart(11)}  ${f.wallS.toFixed(2).padStart(9)}  ${f.cpuS.toFixed(2).padStart(7)}  ${f.maxRssMB.toFixed(0).padStart(12)}   ${(f.maxRssMB / TARGET_RSS_MB).toFixed(2).padStart(12)}`,
        );
      }
      if (figures.length >= 3) {
        const perRequest = (a: Figures, b: Figures) => (b.cpuS - a.cpuS) / (b.requests - a.requests);
        const [first, second] = [figures[0], figures[1]];
        const [last, beforeLast] = [figures[figures.length - 1], figures[figures.length - 2]];
        const early = perRequest(first, second);
        const late = perRequest(beforeLast, last);
        console.log(
          `  ${kind}: CPU per further request ${(early * 1e6).toFixed(2)} us (${first.requests} -> ${second.requests}), ${(late * 1e6).toFixed(2)} us (${beforeLast.requests} -> ${last.requests}): ratio ${(late / early).toFixed(2)} (1 = linear)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
