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
 * With `--functions`, fleetsim's instructions per event are also split by the JavaScript
 * function V8 compiled them into (its optimized code inlines callees, so a name stands for
 * everything inlined into it), from `node --perf-basic-prof`'s map of code addresses: where a
 * change to the hot path moved its cost. With `--cache` too, its data read misses are split so.
 *
 *   npm run bench:instructions                  (about three minutes; needs valgrind)
 *   npm run bench:instructions -- --cache       (about eight)
 *   npm run bench:instructions -- --functions   (about five)
 *   npm run bench:instructions -- --cache --functions   (data read misses by function; about fifteen)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  return parseRun(
    callgrind(loop, rounds, [...(cache ? SMALL_CACHES : []), '--callgrind-out-file=/dev/null']),
  );
}

function callgrind(
  loop: Loop,
  rounds: number,
  valgrindArgs: string[],
  nodeArgs: string[] = [],
  cwd = process.cwd(),
) {
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      ...valgrindArgs,
      process.execPath,
      '--single-threaded',
      ...nodeArgs,
      fileURLToPath(import.meta.url),
      loop,
      String(rounds),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, cwd },
  );
  if (run.error)
    throw new Error(`cannot run valgrind (${run.error.message}); install it to count instructions`);
  return run;
}

function parseRun(run: ReturnType<typeof callgrind>): { counts: Counts; events: number } {
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

/**
 * fleetsim's instructions (and with `cache`, first-level data read misses) of one run of `rounds`
 * rounds by the function whose machine code they are in: callgrind's per-instruction counts
 * (`--dump-instr`) placed with the perf map that `--perf-basic-prof` writes (start, size, name per
 * compiled function). Not in a JavaScript function: `<native>` (V8 itself, compilation, the
 * collector).
 */
function byFunction(rounds: number, cache: boolean): { perFunction: Map<string, Counts>; events: number } {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-callgrind-'));
  try {
    const out = join(dir, 'callgrind.out');
    const run = callgrind(
      'fleetsim',
      rounds,
      [
        ...(cache ? SMALL_CACHES : []),
        '--dump-instr=yes',
        '--compress-pos=no',
        '--compress-strings=no',
        `--callgrind-out-file=${out}`,
      ],
      ['--perf-basic-prof'],
      // --perf-basic-prof also writes V8's isolate-*.log into the working folder: this one, deleted below.
      dir,
    );
    const { events } = parseRun(run);
    const mapPath = `/tmp/perf-${run.pid}.map`;
    const code = readFileSync(mapPath, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [start, size, ...name] = line.split(' ');
        return {
          start: Number.parseInt(start, 16),
          end: Number.parseInt(start, 16) + Number.parseInt(size, 16),
          name: name.join(' ').split(' ')[0],
        };
      })
      .sort((a, b) => a.start - b.start);
    rmSync(mapPath, { force: true });
    const perFunction = new Map<string, Counts>();
    // A cost line is the positions (`positions:`, instruction and line) and then the counts (`events:`).
    let positions = 1;
    let counters: string[] = [];
    let afterCall = false;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (line.startsWith('positions:')) positions = line.split(' ').length - 1;
      else if (line.startsWith('events:')) counters = line.split(' ').slice(1);
      // The cost line after `calls=` is the callee's inclusive cost, counted again at its own lines.
      else if (line.startsWith('calls=')) afterCall = true;
      else if (line.startsWith('0x')) {
        if (afterCall) afterCall = false;
        else {
          const fields = line.split(' ');
          const address = Number.parseInt(fields[0], 16);
          let low = 0;
          let high = code.length;
          while (low < high) {
            const middle = (low + high) >> 1;
            if (code[middle].start <= address) low = middle + 1;
            else high = middle;
          }
          const holder = low > 0 && address < code[low - 1].end ? code[low - 1].name : '<native>';
          const counts = perFunction.get(holder) ?? {};
          counters.forEach((counter, i) => {
            counts[counter] = (counts[counter] ?? 0) + Number(fields[positions + i] ?? 0);
          });
          perFunction.set(holder, counts);
        }
      } else afterCall = false;
    }
    return { perFunction, events };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Per event, by compiled function: instructions, or with `cache` data read misses. */
function printByFunction(cache: boolean): void {
  const counter = cache ? 'D1mr' : 'Ir';
  const two = byFunction(2, cache);
  const four = byFunction(4, cache);
  const events = 2 * four.events;
  const rows = [...four.perFunction]
    .map(
      ([name, counts]) =>
        [name, ((counts[counter] ?? 0) - (two.perFunction.get(name)?.[counter] ?? 0)) / events] as const,
    )
    .sort((a, b) => b[1] - a[1]);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  const what = cache ? 'first-level data read misses' : 'instructions';
  console.log(
    `fleetsim, ${total.toFixed(cache ? 1 : 0)} ${what} per event, by compiled function (JS:* is optimized code):`,
  );
  for (const [name, n] of rows.slice(0, 14)) console.log(`  ${n.toFixed(1).padStart(7)}  ${name}`);
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
  if (process.argv.includes('--functions')) printByFunction(cache);
}
