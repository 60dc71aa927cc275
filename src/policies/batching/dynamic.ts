import * as z from 'zod';
import { Duration, expected, SlotCount } from '../../core/schema-values.js';
import { secondsToUs } from '../../core/units.js';
import { defineBatching } from './definition.js';
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

const schema = z
  .object({
    policy: z.literal('dynamic').describe("Triton's dynamic batcher."),
    max_batch: SlotCount.describe('Largest batch.'),
    max_queue_delay: Duration.prefault(0).describe(
      'How long the oldest request may wait for a batch to fill before what is there runs. Default 0 (Triton).',
    ),
    preferred_batch_sizes: z
      .array(SlotCount, expected('a list of batch sizes'))
      .prefault([])
      .describe('Sizes that run as soon as that many requests wait, without waiting for `max_batch`.'),
  })
  .strict()
  .transform((batching) => ({
    policy: batching.policy,
    maxBatch: batching.max_batch,
    maxQueueDelay: batching.max_queue_delay,
    preferredBatchSizes: batching.preferred_batch_sizes,
  }));

/**
 * Triton's dynamic batcher: runs `maxBatch` at once when that many wait, the largest preferred
 * size that is reached, or whatever waits once the oldest request has waited `maxQueueDelay`
 * seconds.
 */
export type DynamicBatching = z.output<typeof schema>;

export const dynamic = defineBatching({
  name: 'dynamic',
  schema,
  defaults: { max_queue_delay: 0, preferred_batch_sizes: [] },
  create: (config) =>
    dynamicBatching(config.maxBatch, secondsToUs(config.maxQueueDelay), config.preferredBatchSizes),
  example: { policy: 'dynamic', max_batch: 32, max_queue_delay: '5ms', preferred_batch_sizes: [8, 16] },
});
