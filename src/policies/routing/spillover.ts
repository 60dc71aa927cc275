import * as z from 'zod';
import { expected, NonNegativeInteger } from '../../core/schema-values.js';
import { defineFleetRouting } from './definition.js';
import { withinSchema } from './replica-policy.js';
import type { ReplicaLoadView, ReplicaPicker } from './types.js';

/**
 * Sends each request to the first fleet, in preference order, whose chosen replica has room:
 * fewer outstanding than its concurrency plus `maxQueuePerReplica`. When every fleet is full the
 * request goes to the least loaded of the chosen replicas, where it waits or is dropped. A fleet
 * with no ready replica has no room; with none anywhere, the pick is -1.
 */
export function spillover(
  fleetPickers: readonly ReplicaPicker[],
  load: ReplicaLoadView,
  maxQueuePerReplica: number,
): ReplicaPicker {
  return {
    pick() {
      let fallback = -1;
      for (const picker of fleetPickers) {
        const replica = picker.pick();
        if (replica < 0) continue;
        if (load.outstanding[replica] < load.concurrency[replica] + maxQueuePerReplica) return replica;
        if (
          fallback < 0 ||
          load.outstanding[replica] * load.concurrency[fallback] <
            load.outstanding[fallback] * load.concurrency[replica]
        ) {
          fallback = replica;
        }
      }
      return fallback;
    },
  };
}

const schema = z
  .object({
    policy: z.literal('spillover').describe('Send to the first fleet in `order` with room.'),
    order: z
      .array(z.string(expected('a fleet name')), expected('a list of fleet names'))
      .min(1, expected('a list of fleet names'))
      .optional()
      .describe('Fleet names, most preferred first. Default: the order of `fleets`.'),
    within: withinSchema,
    max_queue_per_replica: NonNegativeInteger.prefault(0).describe(
      'A fleet has room while its chosen replica has fewer than concurrency + this many requests.',
    ),
  })
  .strict();

export const spilloverPolicy = defineFleetRouting({
  name: 'spillover',
  schema,
  defaults: { within: 'least-outstanding', max_queue_per_replica: 0 },
  resolve: (spec, fleetNames) => ({
    policy: spec.policy,
    order: spec.order ?? [...fleetNames],
    within: spec.within,
    maxQueuePerReplica: spec.max_queue_per_replica,
  }),
  fleetReferences: (block) =>
    Array.isArray(block.order)
      ? block.order.flatMap((name, i) => (typeof name === 'string' ? [{ path: ['order', i], name }] : []))
      : [],
  createRouter(config, { fleets, indexOf, load, picker, setReady }) {
    const order = config.order.map(indexOf);
    const router = spillover(
      order.map((f) => picker(config.within, f)),
      load,
      config.maxQueuePerReplica,
    );
    const holding = order.find((f) => fleets[f].elastic) ?? order[0];
    return { pick: router.pick, setReady, holdingFleet: () => holding, offloadCounts: null };
  },
  example: {
    policy: 'spillover',
    order: ['reserved', 'on-demand'],
    within: 'least-outstanding',
    max_queue_per_replica: 2,
  },
});

/**
 * Sends each request to the first fleet in `order` whose chosen replica (by `within`) has room:
 * fewer outstanding than concurrency + `maxQueuePerReplica`.
 */
export type SpilloverRouting = ReturnType<(typeof spilloverPolicy)['resolve']>;
