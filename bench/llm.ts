/**
 * Speed of the LLM continuous-batching simulation: six hours of Poisson chat traffic (about 1.3
 * million requests) on 16 replicas of Llama-3.1-8B on one NVIDIA L40S each, vLLM-style
 * continuous batching. Printed per run: simulated requests and iterations per CPU second.
 *
 * With two builds (dist-bench folders) it times them in one process, each round both back to
 * back, alternating which goes first, and prints the median of the rounds' ratios B/A (the host
 * is shared: single runs mostly measure how busy it was).
 *
 *   npm run bench:llm                                    (this build, BENCH_ROUNDS runs)
 *   npm run bench:llm -- /tmp/before/dist-bench dist-bench
 *   (BENCH_HOURS, default 6; BENCH_ROUNDS, default 3, or 5 for two builds)
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScenario } from '../src/index.js';
import { linkCatalog } from './catalog-link.js';
import { cpuSeconds } from './mmc-runs.js';

const HOURS = Number(process.env.BENCH_HOURS ?? 6);
const RATE = 60;

type Run = typeof runScenario;

interface Measurement {
  requests: number;
  iterations: number;
  seconds: number;
}

async function measure(run: Run): Promise<Measurement> {
  const started = cpuSeconds();
  const { results } = await run({
    name: 'bench-llm',
    seed: 1,
    duration: HOURS * 3600,
    warmup: 300,
    workload: {
      arrivals: { poisson: { rate: RATE } },
      input_tokens: { lognormal: { median: 800, sigma: 0.8 } },
      output_tokens: { lognormal: { median: 150, sigma: 0.7 } },
    },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 16,
        instance: 'aws/g6e.xlarge',
        batching: { policy: 'continuous', max_num_seqs: 64, max_num_batched_tokens: 2048 },
        queue: { capacity: 200, timeout: 60 },
      },
    ],
    routing: { policy: 'least-outstanding' },
  } as Parameters<Run>[0]);
  const seconds = cpuSeconds() - started;
  const result = results[0];
  const iterations = Object.values(result.llm?.fleets ?? {}).reduce((sum, f) => sum + f.iterations, 0);
  return { requests: result.requests.arrived, iterations, seconds };
}

async function loadBuild(dir: string): Promise<Run> {
  linkCatalog(dir);
  const module = await import(pathToFileURL(resolve(dir, 'src/index.js')).href);
  return module.runScenario;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const line = (m: Measurement) =>
  `${m.requests} requests, ${m.iterations} iterations in ${m.seconds.toFixed(2)} CPU s: ` +
  `${Math.round(m.requests / m.seconds)} requests/s, ${Math.round(m.iterations / m.seconds)} iterations/s`;

async function main() {
  const dirs = process.argv.slice(2);
  if (dirs.length !== 0 && dirs.length !== 2) {
    console.error('usage: npm run bench:llm [-- <build A (a dist-bench folder)> <build B>]');
    process.exitCode = 2;
    return;
  }
  if (dirs.length === 0) {
    linkCatalog(fileURLToPath(new URL('../', import.meta.url)));
    const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
    const rates: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const m = await measure(runScenario);
      rates.push(m.requests / m.seconds);
      console.log(line(m));
    }
    console.log(`median ${Math.round(median(rates))} requests/s`);
    return;
  }
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const [a, b] = [await loadBuild(dirs[0]), await loadBuild(dirs[1])];
  const ratios: number[] = [];
  const ratesA: number[] = [];
  const ratesB: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const first = round % 2 === 0;
    const one = await measure(first ? a : b);
    const other = await measure(first ? b : a);
    const [ma, mb] = first ? [one, other] : [other, one];
    if (ma.requests !== mb.requests) throw new Error(`A ran ${ma.requests} requests, B ${mb.requests}`);
    ratesA.push(ma.requests / ma.seconds);
    ratesB.push(mb.requests / mb.seconds);
    ratios.push(mb.requests / mb.seconds / (ma.requests / ma.seconds));
    console.log(`A ${line(ma)}\nB ${line(mb)}`);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `A median ${Math.round(median(ratesA))} requests/s, B median ${Math.round(median(ratesB))} requests/s; ` +
      `B/A ${median(ratios).toFixed(3)} (median of ${rounds} rounds; range ${sorted[0].toFixed(3)}-${sorted[sorted.length - 1].toFixed(3)})`,
  );
}

await main();
