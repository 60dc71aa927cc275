/**
 * Machine instructions per event of bench/mmc.ts's two loops, counted by valgrind's callgrind:
 * a figure that, unlike events per second, does not move with whatever else the host is doing,
 * so two versions of the code can be compared to a fraction of a percent.
 *
 * Each loop runs in a child `node --single-threaded` (no compiler or collector threads, whose
 * work would otherwise land in the count in a different order each time) for two rounds and for
 * four; the difference, divided by the events of two rounds, leaves out start-up and the first
 * rounds' compilation. Instructions are not time: a load that misses the cache counts one.
 *
 * With `--cache`, callgrind also simulates first-level caches of 16 KiB (4-way), a third of this
 * machine's, and counts their misses per event: roughly what a loop meets when a neighbour on
 * the same core takes the rest. It is the figure behind fleetsim's larger slowdown on a busy
 * host (README, `npm run bench`). Misses depend on where the heap lands (the same build run from
 * another directory can miss half as much again), so they measure the gap between the two loops,
 * not small differences between two versions of one.
 *
 *   npm run bench:instructions                (about three minutes; needs valgrind)
 *   npm run bench:instructions -- --cache     (about eight)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { handWrittenMmc, viaRunScenario } from './mmc-runs.js';

const MODEL = { servers: 8, arrivalRate: 6.4, serviceMeanS: 1, customers: 200_000 };
const SMALL_CACHES = ['--cache-sim=yes', '--I1=16384,4,64', '--D1=16384,4,64'];
type Loop = 'hand-written' | 'fleetsim';

/** Callgrind's counters, in its order: instructions, then (with --cache) I1 and D1 misses among others. */
type Counts = Record<string, number>;

/** The child: `rounds` runs of one loop; prints the events of one run. */
async function child(loop: Loop, rounds: number): Promise<void> {
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    events = loop === 'hand-written' ? handWrittenMmc(MODEL).events : (await viaRunScenario(MODEL)).events;
  }
  console.log(events);
}

function count(loop: Loop, rounds: number, cache: boolean): { counts: Counts; events: number } {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      ...(cache ? SMALL_CACHES : []),
      process.execPath,
      '--single-threaded',
      fileURLToPath(import.meta.url),
      loop,
      String(rounds),
    ],
    { encoding: 'utf8' },
  );
  if (run.error)
    throw new Error(`cannot run valgrind (${run.error.message}); install it to count instructions`);
  const names = /Events\s*: ([\w ]+)/.exec(run.stderr);
  const collected = /Collected : ([\d ]+)/.exec(run.stderr);
  if (run.status !== 0 || names === null || collected === null)
    throw new Error(`callgrind failed:\n${run.stderr}`);
  const values = collected[1].trim().split(/\s+/).map(Number);
  const counts = Object.fromEntries(
    names[1]
      .trim()
      .split(/\s+/)
      .map((name, i) => [name, values[i]]),
  );
  return { counts, events: Number(run.stdout.trim()) };
}

function perEvent(loop: Loop, cache: boolean): Counts {
  const two = count(loop, 2, cache);
  const four = count(loop, 4, cache);
  const events = 2 * four.events;
  return Object.fromEntries(
    Object.entries(four.counts).map(([name, n]) => [name, (n - two.counts[name]) / events]),
  );
}

const [loopArg, roundsArg] = process.argv.slice(2);
if (loopArg === 'hand-written' || loopArg === 'fleetsim') {
  await child(loopArg, Number(roundsArg));
} else {
  const cache = process.argv.includes('--cache');
  console.log(
    `M/M/c: c=${MODEL.servers}, rho=0.8, ${MODEL.customers} customers; per event, by callgrind` +
      (cache ? ' with 16 KiB first-level caches' : ''),
  );
  const hand = perEvent('hand-written', cache);
  const fleetsim = perEvent('fleetsim', cache);
  const row = (name: string, c: Counts) =>
    `  ${name}  ${c.Ir.toFixed(0)} instructions` +
    (cache ? `, ${c.I1mr.toFixed(2)} instruction and ${c.D1mr.toFixed(2)} data read misses` : '');
  console.log(row('hand-written typed-array loop', hand));
  console.log(row('fleetsim runScenario         ', fleetsim));
  console.log(`  instructions, hand-written / fleetsim: ${(hand.Ir / fleetsim.Ir).toFixed(2)}`);
}
