/**
 * Paired timing of two builds of fleetsim on bench/mmc.ts's M/M/c model, in one process: the
 * figure to decide whether a change to the hot path is faster, where `npm run bench` run once
 * per version would mostly measure how busy the host was at each moment.
 *
 * Each round runs both builds back to back, alternating which goes first, and keeps the ratio
 * B/A; the median over the rounds is printed with their range, and the hand-written loop's
 * median speed says how quiet the host was. The build loaded first can come out a percent or two
 * ahead (where its code and heap land), so a close result is checked with `--swap`, which loads B
 * first. Instruction counts (bench:instructions) are steadier but are not time.
 *
 *   git worktree add /tmp/before HEAD~1 && (cd /tmp/before && npm ci && npx tsc -p tsconfig.bench.json)
 *   npm run bench:ab -- /tmp/before/dist-bench dist-bench [--swap]
 *   (BENCH_CUSTOMERS, default 1,000,000; BENCH_ROUNDS, default 10)
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { runScenario } from '../src/index.js';
import { handWrittenMmc, type Measurement, viaRunScenario } from './mmc-runs.js';

const MODEL = {
  servers: 8,
  arrivalRate: 6.4,
  serviceMeanS: 1,
  customers: Number(process.env.BENCH_CUSTOMERS ?? 1_000_000),
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const rate = (m: Measurement) => m.events / m.seconds;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function loadBuild(dir: string): Promise<typeof runScenario> {
  const module = await import(pathToFileURL(resolve(dir, 'src/index.js')).href);
  return module.runScenario;
}

async function main() {
  const dirs = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  if (dirs.length !== 2) {
    console.error('usage: npm run bench:ab -- <build A (a dist-bench folder)> <build B> [--swap]');
    process.exitCode = 2;
    return;
  }
  const swap = process.argv.includes('--swap');
  const [first, second] = swap ? [dirs[1], dirs[0]] : dirs;
  const loaded = [await loadBuild(first), await loadBuild(second)];
  const [a, b] = swap ? [loaded[1], loaded[0]] : loaded;
  // Two unmeasured rounds each: the first runs of a build compile and recompile its handlers.
  for (let round = 0; round < 2; round++) {
    await viaRunScenario(MODEL, a);
    await viaRunScenario(MODEL, b);
  }
  const ratios: number[] = [];
  const hand: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const [firstRun, secondRun] = round % 2 === 0 ? [a, b] : [b, a];
    const one = rate(await viaRunScenario(MODEL, firstRun));
    const other = rate(await viaRunScenario(MODEL, secondRun));
    ratios.push(round % 2 === 0 ? other / one : one / other);
    hand.push(rate(handWrittenMmc(MODEL)));
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(
    `B/A ${median(ratios).toFixed(3)} (median of ${ROUNDS} rounds; range ${sorted[0].toFixed(3)}-${sorted[sorted.length - 1].toFixed(3)}); ` +
      `hand-written loop ${(median(hand) / 1e6).toFixed(1)} M events/s (host: about 11-13 quiet, 6-8 busy); ${swap ? 'B' : 'A'} loaded first`,
  );
}

await main();
