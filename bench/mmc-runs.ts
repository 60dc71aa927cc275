import seedrandom from 'seedrandom';
import { runScenario } from '../src/index.js';

/**
 * CPU time of this process, not wall time: on a shared machine the scheduler hands whole slices
 * to other processes, which wall time would charge to whichever loop was running. (Both loops
 * are single-threaded; GC helper threads count against the library, which allocates more.)
 */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export interface Measurement {
  events: number;
  seconds: number;
  meanWaitS: number;
}

export interface MmcModel {
  servers: number;
  arrivalRate: number;
  serviceMeanS: number;
  customers: number;
}

/** The reference: arrivals and departures in a binary heap of parallel typed arrays, one FIFO of waiting arrival times. */
export function handWrittenMmc(model: MmcModel): Measurement {
  const { servers, arrivalRate, serviceMeanS, customers } = model;
  const started = cpuSeconds();
  const uniform = seedrandom.tychei('bench');
  const exp = (mean: number) => -mean * Math.log(1 - uniform());
  const capacity = servers + 2;
  const heapTime = new Float64Array(capacity);
  const heapKind = new Int8Array(capacity);
  let heapSize = 0;
  const push = (time: number, kind: number) => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapTime[parent] <= time) break;
      heapTime[i] = heapTime[parent];
      heapKind[i] = heapKind[parent];
      i = parent;
    }
    heapTime[i] = time;
    heapKind[i] = kind;
  };
  let poppedTime = 0;
  let poppedKind = 0;
  const pop = () => {
    poppedTime = heapTime[0];
    poppedKind = heapKind[0];
    const time = heapTime[--heapSize];
    const kind = heapKind[heapSize];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heapTime[child + 1] < heapTime[child]) child++;
      if (time <= heapTime[child]) break;
      heapTime[i] = heapTime[child];
      heapKind[i] = heapKind[child];
      i = child;
    }
    heapTime[i] = time;
    heapKind[i] = kind;
  };
  let fifo = new Float64Array(1024);
  let head = 0;
  let tail = 0;
  let busy = 0;
  let arrivals = 0;
  let served = 0;
  let waitSum = 0;
  let events = 0;
  push(exp(1 / arrivalRate), 0);
  while (heapSize > 0) {
    pop();
    events++;
    const now = poppedTime;
    if (poppedKind === 0) {
      arrivals++;
      if (arrivals < customers) push(now + exp(1 / arrivalRate), 0);
      if (busy < servers) {
        busy++;
        served++;
        push(now + exp(serviceMeanS), 1);
      } else {
        if (tail === fifo.length) {
          const grown = new Float64Array(Math.max(1024, 2 * (tail - head)));
          grown.set(fifo.subarray(head, tail));
          fifo = grown;
          tail -= head;
          head = 0;
        }
        fifo[tail++] = now;
      }
    } else if (head < tail) {
      waitSum += now - fifo[head++];
      served++;
      push(now + exp(serviceMeanS), 1);
    } else {
      busy--;
    }
  }
  const seconds = cpuSeconds() - started;
  return { events, seconds, meanWaitS: waitSum / served };
}

/**
 * The same model through the public library API: `runScenario` from the scenario object on;
 * `run` is another build's `runScenario` when two versions are compared (bench/ab.ts).
 */
export async function viaRunScenario(model: MmcModel, run = runScenario): Promise<Measurement> {
  const started = cpuSeconds();
  const { results } = await run({
    name: 'bench-mmc',
    seed: 1,
    duration: model.customers / model.arrivalRate,
    workload: { arrivals: { poisson: { rate: model.arrivalRate } } },
    fleets: [
      {
        name: 'servers',
        replicas: 1,
        concurrency: model.servers,
        price_per_hour: 1,
        service_time: { exponential: { mean: model.serviceMeanS } },
      },
    ],
  });
  const seconds = cpuSeconds() - started;
  return { events: results[0].events, seconds, meanWaitS: results[0].queue_wait_s.mean ?? Number.NaN };
}
