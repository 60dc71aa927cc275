import type { BatchingPolicy } from './types.js';

/** Exactly `maxBatch` requests per batch; with a `maxWaitUs`, a partial batch once the oldest has waited that long. */
export function staticBatching(maxBatch: number, maxWaitUs: number): BatchingPolicy {
  return {
    batchSize(waiting, oldestWaitUs) {
      if (waiting >= maxBatch) return maxBatch;
      return oldestWaitUs >= maxWaitUs ? waiting : 0;
    },
    recheckAfterUs: maxWaitUs,
  };
}
