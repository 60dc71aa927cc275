/**
 * Where the M/M/c run's time goes (bench/mmc.ts): fleetsim's own Engine driven by a minimal
 * handler, then the same handler with one piece of the simulation's bookkeeping each (the
 * request table and its queues, the latency and wait sketches, the time series), all of them,
 * `runScenario` itself, and the hand-written loop bench/mmc.ts compares with. Each is timed back to back with the minimal handler, in CPU time,
 * and the median of the rounds' ratios is printed: the speed each keeps of the minimal one.
 *
 *   npm run bench:breakdown
 */
import { createStreams, Engine, type EventHandler, sampleExponential } from '../src/engine/index.js';
import { LatencyStats } from '../src/metrics/latency-stats.js';
import { Count, TimeSeries } from '../src/metrics/time-series.js';
import { ReplicaQueues } from '../src/sim/replica-queues.js';
import { RequestTable } from '../src/sim/request-table.js';
import { cpuSeconds, handWrittenMmc, type Measurement, viaRunScenario } from './mmc-runs.js';

const SERVERS = 8;
const ARRIVAL_RATE = 0.8 * SERVERS;
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 500_000);
const ROUNDS = 7;
const ARRIVAL = 0;
const DONE = 1;

interface Pieces {
  table: boolean;
  sketches: boolean;
  timeSeries: boolean;
}

/**
 * M/M/c on fleetsim's Engine; `pieces` adds the simulation's bookkeeping piece by piece. State
 * lives in fields, as in the simulation (variables captured by closures are slower to reach).
 */
class MmcHandler implements EventHandler {
  readonly engine = new Engine(this, [0, 0]);
  private readonly streams = createStreams(1);
  private readonly arrivals = this.streams.stream('arrivals');
  private readonly service = this.streams.stream('service');
  private readonly table = new RequestTable();
  private readonly queues = new ReplicaQueues(1);
  private readonly latency = new LatencyStats();
  private readonly wait = new LatencyStats();
  private readonly series = new TimeSeries(60e6, 1);
  // Without the request table: arrival, start and service time by slot, a stack of free slots, a FIFO.
  private readonly arrivalUs = new Float64Array(1 << 16);
  private readonly startUs = new Float64Array(1 << 16);
  private readonly serviceUs = new Float64Array(1 << 16);
  private readonly freeSlots = Int32Array.from({ length: 1 << 16 }, (_, i) => i);
  private free = 1 << 16;
  private readonly fifo = new Int32Array(1 << 16);
  private head = 0;
  private tail = 0;
  private busy = 0;
  private arrived = 0;

  constructor(private readonly pieces: Pieces) {
    this.engine.atLane(Math.round(sampleExponential(this.arrivals, 1e6 / ARRIVAL_RATE)), ARRIVAL, 0);
  }

  handle(kind: number, slot: number, _gen: number, now: number): void {
    if (kind === ARRIVAL) this.arrive(now);
    else this.finish(slot, now);
  }

  private arrive(now: number): void {
    const { pieces, table } = this;
    this.arrived++;
    if (this.arrived < CUSTOMERS) {
      this.engine.atLane(now + Math.round(sampleExponential(this.arrivals, 1e6 / ARRIVAL_RATE)), ARRIVAL, 0);
    }
    if (pieces.timeSeries) this.series.count(Count.arrivals, now);
    const drawnUs = Math.round(sampleExponential(this.service, 1e6));
    const id = pieces.table ? table.allocate() : this.freeSlots[--this.free];
    if (pieces.table) {
      table.arrivalUs[id] = now;
      table.serviceUs[id] = drawnUs;
    } else {
      this.arrivalUs[id] = now;
      this.serviceUs[id] = drawnUs;
    }
    if (this.busy < SERVERS) this.start(id, now);
    else if (pieces.table) this.queues.push(0, id, table.gen[id]);
    else this.fifo[this.tail++ & 0xffff] = id;
  }

  private start(slot: number, now: number): void {
    const { pieces, table } = this;
    this.busy++;
    const arrivedUs = pieces.table ? table.arrivalUs[slot] : this.arrivalUs[slot];
    if (pieces.table) table.startUs[slot] = now;
    else this.startUs[slot] = now;
    if (pieces.timeSeries && now > arrivedUs) this.series.addWait(arrivedUs, now);
    this.engine.at(now + (pieces.table ? table.serviceUs[slot] : this.serviceUs[slot]), DONE, slot);
  }

  private finish(slot: number, now: number): void {
    const { pieces, table } = this;
    const arrivedUs = pieces.table ? table.arrivalUs[slot] : this.arrivalUs[slot];
    const startedUs = pieces.table ? table.startUs[slot] : this.startUs[slot];
    if (pieces.sketches) {
      this.latency.acceptMicros(now - arrivedUs);
      this.wait.acceptMicros(startedUs - arrivedUs);
    }
    if (pieces.timeSeries) {
      this.series.count(Count.completed, now);
      this.series.addBusy(0, startedUs, now);
    }
    this.busy--;
    if (pieces.table) {
      table.release(slot);
      const next = this.queues.shift(0);
      if (next >= 0) this.start(next, now);
    } else {
      this.freeSlots[this.free++] = slot;
      if (this.head < this.tail) this.start(this.fifo[this.head++ & 0xffff], now);
    }
  }
}

function viaEngine(pieces: Pieces): number {
  const started = cpuSeconds();
  const { events } = new MmcHandler(pieces).engine.run();
  return events / (cpuSeconds() - started);
}

const NONE: Pieces = { table: false, sketches: false, timeSeries: false };
const MODEL = { servers: SERVERS, arrivalRate: ARRIVAL_RATE, serviceMeanS: 1, customers: CUSTOMERS };
const eventsPerSecond = (m: Measurement) => m.events / m.seconds;
const CASES: [string, () => number | Promise<number>][] = [
  ['hand-written loop (bench/mmc.ts)', () => eventsPerSecond(handWrittenMmc(MODEL))],
  ['+ request table and queues', () => viaEngine({ ...NONE, table: true })],
  ['+ latency and wait sketches', () => viaEngine({ ...NONE, sketches: true })],
  ['+ time series', () => viaEngine({ ...NONE, timeSeries: true })],
  ['+ all three', () => viaEngine({ table: true, sketches: true, timeSeries: true })],
  ['runScenario', async () => eventsPerSecond(await viaRunScenario(MODEL))],
];

async function main() {
  const ratios = CASES.map((): number[] => []);
  const minimal: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [c, [, run]] of CASES.entries()) {
      const base = viaEngine(NONE);
      const rate = await run();
      if (round > 0) {
        ratios[c].push(rate / base);
        minimal.push(base);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(
    `M/M/c, c=${SERVERS}, rho=0.8, ${CUSTOMERS} customers; minimal handler on fleetsim's Engine: ${(median(minimal) / 1e6).toFixed(2)} M events/s (median)`,
  );
  console.log('speed kept of the minimal handler (median of back-to-back rounds):');
  for (const [c, [name]] of CASES.entries())
    console.log(`  ${name.padEnd(30)} ${median(ratios[c]).toFixed(2)}`);
}

await main();
