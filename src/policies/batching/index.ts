import type { Batching } from '../../scenario/types.js';
import { dynamicBatching } from './dynamic.js';
import { staticBatching } from './static.js';
import type { BatchingPolicy } from './types.js';

export type { BatchingPolicy } from './types.js';

const US_PER_S = 1e6;

/**
 * The policy a fleet's `batching:` names; null for `none` (one request per slot, no batches) and
 * for `continuous`, whose iteration-level scheduler is `ContinuousScheduler`.
 */
export function createBatchingPolicy(batching: Batching): BatchingPolicy | null {
  switch (batching.policy) {
    case 'none':
    case 'continuous':
      return null;
    case 'static':
      return staticBatching(
        batching.maxBatch,
        batching.maxWait === null ? Number.POSITIVE_INFINITY : Math.round(batching.maxWait * US_PER_S),
      );
    case 'dynamic':
      return dynamicBatching(
        batching.maxBatch,
        Math.round(batching.maxQueueDelay * US_PER_S),
        batching.preferredBatchSizes,
      );
  }
}
