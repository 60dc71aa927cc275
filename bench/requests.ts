/**
 * Memory and time of `run --requests` against run length: the same fleet serves 100,000 to
 * 3,000,000 Poisson arrivals, each size in a fresh process, once without requests.jsonl and once
 * writing it as the CLI does (`RequestsFileWriter` as the `onRequest` callback). Printed per run:
 * the wall and CPU seconds of the run (the heap samples' collections left out), the peak live
 * heap (sampled after a full collection, every quarter second), the peak resident set and the
 * file's size. Lines go through a fixed buffer to the file as requests finish, so neither memory
 * figure should move with the number of requests, nor differ much between the two modes; the
 * time with the file over the time without is what writing it costs. Token counts are
 * fractional, the costliest numbers to write.
 *
 *   npm run bench:requests            (BENCH_SIZES=100000,1000000 to choose the sizes)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RequestsFileWriter } from '../src/report/index.js';
import { loadScenarioFile } from '../src/scenario/index.js';
import { runMeasuringMemory } from './peak-memory.js';

const SIZES = (process.env.BENCH_SIZES ?? '100000,1000000,3000000').split(',').map(Number);
const RATE = 100;

interface ChildReport {
  requests: number;
  lines: number;
  seconds: number;
  cpuSeconds: number;
  peakLiveHeapMB: number;
  maxRssMB: number;
}

/** The child: run one scenario, with or without the requests file, sampling the heap between progress steps. */
async function child(scenarioPath: string, requestsPath: string | undefined): Promise<void> {
  const loaded = await loadScenarioFile(scenarioPath);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const writer = requestsPath === undefined ? undefined : new RequestsFileWriter(requestsPath);
  const run = runMeasuringMemory(loaded.value, writer?.write);
  writer?.commit();
  const report: ChildReport = {
    requests: run.results[0].requests.arrived,
    lines: writer?.count ?? 0,
    seconds: run.seconds,
    cpuSeconds: run.cpuSeconds,
    peakLiveHeapMB: run.peakLiveHeapMB,
    maxRssMB: run.maxRssMB,
  };
  console.log(JSON.stringify(report));
}

function scenarioYaml(requests: number): string {
  return `name: requests-memory
seed: 1
duration: ${requests / RATE}
workload:
  arrivals: { poisson: { rate: ${RATE} } }
  input_tokens: { lognormal: { median: 500, sigma: 0.8 } }
  output_tokens: { uniform: { min: 20, max: 400 } }
fleets:
  - name: gpu
    replicas: 4
    concurrency: 8
    price_per_hour: 1.2
    service_time: { exponential: { mean: 200ms } }
    queue: { capacity: 50, timeout: 5s }
`;
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-requests-'));
  const self = fileURLToPath(import.meta.url);
  try {
    console.log(`Poisson arrivals at ${RATE}/s on 4 x 8 slots; each run in a fresh process`);
    console.log(
      'requests     requests.jsonl   lines        seconds   CPU seconds   live heap MB   peak RSS MB',
    );
    for (const size of SIZES) {
      const scenario = join(dir, `scenario-${size}.yaml`);
      writeFileSync(scenario, scenarioYaml(size));
      for (const withFile of [false, true]) {
        const file = join(dir, `requests-${size}.jsonl`);
        const args = ['--expose-gc', self, 'child', scenario, ...(withFile ? [file] : [])];
        const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
        if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
        const r = JSON.parse(run.stdout.trim()) as ChildReport;
        const fileColumn = withFile ? `${(statSync(file).size / 2 ** 20).toFixed(1)} MB` : 'not written';
        console.log(
          `${String(r.requests).padEnd(12)} ${fileColumn.padStart(14)}   ${String(r.lines).padEnd(10)} ${r.seconds.toFixed(2).padStart(9)}   ${r.cpuSeconds.toFixed(2).padStart(11)}   ${r.peakLiveHeapMB.toFixed(1).padStart(12)}   ${r.maxRssMB.toFixed(1).padStart(11)}`,
        );
        rmSync(file, { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3], process.argv[4]);
else await parent();
