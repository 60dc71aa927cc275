import type { VariantResult } from '../src/metrics/index.js';
import { runLoadedScenario } from '../src/run.js';
import type { LoadedScenario } from '../src/scenario/types.js';
import type { RequestRecord } from '../src/workload/index.js';

/** Wall time between heap samples: each costs a full collection. */
const SAMPLE_EVERY_MS = 250;

export interface PeakMemory {
  results: VariantResult[];
  seconds: number;
  peakLiveHeapMB: number;
  maxRssMB: number;
}

/**
 * Runs `scenario` (in a process started with --expose-gc) and samples the live heap between
 * progress steps. Live heap: collected first, so garbage awaiting collection (a trace's text)
 * is not counted.
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
  let sampledAt = performance.now();
  const { results } = runLoadedScenario(
    scenario,
    scenario.seed,
    () => {
      if (performance.now() - sampledAt < SAMPLE_EVERY_MS) return;
      peakHeap = Math.max(peakHeap, liveHeap());
      sampledAt = performance.now();
    },
    onRequest,
  );
  const seconds = (performance.now() - started) / 1000;
  peakHeap = Math.max(peakHeap, liveHeap());
  return {
    results,
    seconds,
    peakLiveHeapMB: peakHeap / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
