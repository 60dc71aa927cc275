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
 *   npm run bench:instructions      (about four minutes; needs valgrind)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { handWrittenMmc, viaRunScenario } from './mmc-runs.js';

const MODEL = { servers: 8, arrivalRate: 6.4, serviceMeanS: 1, customers: 200_000 };
type Loop = 'hand-written' | 'fleetsim';

/** The child: `rounds` runs of one loop; prints the events of one run. */
async function child(loop: Loop, rounds: number): Promise<void> {
  let events = 0;
  for (let round = 0; round < rounds; round++) {
    events = loop === 'hand-written' ? handWrittenMmc(MODEL).events : (await viaRunScenario(MODEL)).events;
  }
  console.log(events);
}

function countInstructions(loop: Loop, rounds: number): { instructions: number; events: number } {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
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
  const collected = /Collected : (\d+)/.exec(run.stderr);
  if (run.status !== 0 || collected === null) throw new Error(`callgrind failed:\n${run.stderr}`);
  return { instructions: Number(collected[1]), events: Number(run.stdout.trim()) };
}

function perEvent(loop: Loop): number {
  const two = countInstructions(loop, 2);
  const four = countInstructions(loop, 4);
  return (four.instructions - two.instructions) / (2 * four.events);
}

const [loopArg, roundsArg] = process.argv.slice(2);
if (loopArg === 'hand-written' || loopArg === 'fleetsim') {
  await child(loopArg, Number(roundsArg));
} else {
  console.log(
    `M/M/c: c=${MODEL.servers}, rho=0.8, ${MODEL.customers} customers; machine instructions per event (callgrind)`,
  );
  const hand = perEvent('hand-written');
  console.log(`  hand-written typed-array loop  ${hand.toFixed(0)}`);
  const fleetsim = perEvent('fleetsim');
  console.log(`  fleetsim runScenario           ${fleetsim.toFixed(0)}`);
  console.log(`  ratio hand-written / fleetsim  ${(hand / fleetsim).toFixed(2)}`);
}
