import * as z from 'zod';
import { PositiveDuration, SlotCount } from '../../core/schema-values.js';
import { secondsToUs } from '../../core/units.js';
import { defineBatching } from './definition.js';
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

const schema = z
  .object({
    policy: z.literal('static').describe('Batches of exactly `max_batch`.'),
    max_batch: SlotCount.describe('Requests per batch.'),
    max_wait: PositiveDuration.nullable()
      .prefault(null)
      .describe(
        'Run a partial batch once its oldest request has waited this long. null: always wait for a full one (then `queue.timeout` or `max_drain` must end the wait of a last batch that never fills).',
      ),
  })
  .strict()
  .transform((batching) => ({
    policy: batching.policy,
    maxBatch: batching.max_batch,
    maxWait: batching.max_wait,
  }));

/** Waits for exactly `maxBatch` requests; with `maxWait` (seconds), runs what is there once the oldest has waited that long. */
export type StaticBatching = z.output<typeof schema>;

export const staticPolicy = defineBatching({
  name: 'static',
  schema,
  defaults: { max_wait: null },
  create: (config) =>
    staticBatching(
      config.maxBatch,
      config.maxWait === null ? Number.POSITIVE_INFINITY : secondsToUs(config.maxWait),
    ),
  example: { policy: 'static', max_batch: 8, max_wait: '50ms' },
});
