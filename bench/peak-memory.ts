import type { VariantResult } from '../src/metrics/index.js';
import { runLoadedScenario } from '../src/run.js';
import type { LoadedScenario } from '../src/scenario/types.js';
import type { RequestRecord } from '../src/workload/index.js';

/** Wall time between heap samples: each costs a full collection. */
const SAMPLE_EVERY_MS = 250;

export interface PeakMemory {
  results: VariantResult[];
  /** Wall time of the run, the heap samples' collections left out. */
  seconds: number;
  /** User and system time of the process over the run, samples left out: on a busy host, closer to the work done than `seconds`. */
  cpuSeconds: number;
  peakLiveHeapMB: number;
  maxRssMB: number;
}

/**
 * Runs `scenario` (in a process started with --expose-gc) and samples the live heap between
 * progress steps. Live heap: collected first, so garbage awaiting collection (a trace's text)
 * is not counted. Samples are taken by the clock, so a run slowed by a busy host takes more of
 * them: their time is not counted in the run's.
 */
export function runMeasuringMemory(
  scenario: LoadedScenario,
  onRequest?: (record: RequestRecord) => void,
): PeakMemory {
  const collect = (globalThis as { gc?: () => void }).gc as () => void;
  const liveHeap = () => {
    collect();
    return process.memoryUsage().heapUsed;
  };
  let peakHeap = liveHeap();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let sampledAt = performance.now();
  let samplingMs = 0;
  let samplingCpuUs = 0;
  const { results } = runLoadedScenario(
    scenario,
    scenario.seed,
    () => {
      const now = performance.now();
      if (now - sampledAt < SAMPLE_EVERY_MS) return;
      const cpuBefore = process.cpuUsage();
      peakHeap = Math.max(peakHeap, liveHeap());
      const cpu = process.cpuUsage(cpuBefore);
      sampledAt = performance.now();
      samplingMs += sampledAt - now;
      samplingCpuUs += cpu.user + cpu.system;
    },
    onRequest,
  );
  const seconds = (performance.now() - started - samplingMs) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  peakHeap = Math.max(peakHeap, liveHeap());
  return {
    results,
    seconds,
    cpuSeconds: (cpu.user + cpu.system - samplingCpuUs) / 1e6,
    peakLiveHeapMB: peakHeap / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
