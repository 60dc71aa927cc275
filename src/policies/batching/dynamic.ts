import type { BatchingPolicy } from './types.js';

/**
 * Triton's dynamic batcher: a full batch at once; else the largest preferred size the queue has
 * reached; else, once the oldest request has waited `maxQueueDelayUs`, everything waiting.
 */
export function dynamicBatching(
  maxBatch: number,
  maxQueueDelayUs: number,
  preferredBatchSizes: readonly number[],
): BatchingPolicy {
  const preferred = [...preferredBatchSizes].sort((a, b) => b - a);
  return {
    batchSize(waiting, oldestWaitUs) {
      if (waiting >= maxBatch) return maxBatch;
      for (const size of preferred) if (size <= waiting) return size;
      return oldestWaitUs >= maxQueueDelayUs ? waiting : 0;
    },
    recheckAfterUs: maxQueueDelayUs,
  };
}
