import * as z from 'zod';
import { NonNegativeNumber } from '../../core/schema-values.js';
import type { Uniform } from '../../engine/index.js';
import { defineFleetRouting } from './definition.js';
import { withinSchema } from './replica-policy.js';
import type { ReplicaPicker } from './types.js';

/** Picks a fleet at random in proportion to its weight, then a replica inside it. */
export function weighted(
  fleetPickers: readonly ReplicaPicker[],
  weights: readonly number[],
  uniform: Uniform,
): ReplicaPicker {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w / total));
  const last = fleetPickers.length - 1;
  return {
    pick() {
      const u = uniform();
      let fleet = 0;
      while (fleet < last && u >= cumulative[fleet]) fleet++;
      return fleetPickers[fleet].pick();
    },
  };
}

const schema = z
  .object({
    policy: z.literal('weighted').describe('Pick a fleet at random by weight, then a replica in it.'),
    weights: z
      .record(z.string(), NonNegativeNumber)
      .check((ctx) => {
        if (!Object.values(ctx.value).some((weight) => weight > 0)) {
          ctx.issues.push({
            code: 'custom',
            message: 'expected at least one positive weight',
            input: ctx.value,
          });
        }
      })
      .describe('Fleet name -> relative weight (non-negative; they need not sum to 1).'),
    within: withinSchema,
  })
  .strict();

/** Picks a fleet at random by weight (fleet name -> weight), then a replica inside it with `within`. */
export type WeightedRouting = z.output<typeof schema>;

export const weightedPolicy = defineFleetRouting({
  name: 'weighted',
  random: true,
  schema,
  defaults: { within: 'least-outstanding' },
  resolve: (spec) => spec,
  fleetReferences: (block) => {
    const weights = block.weights;
    if (weights === null || typeof weights !== 'object' || Array.isArray(weights)) return [];
    return Object.keys(weights).map((name) => ({ path: ['weights'], key: name, name }));
  },
  createRouter(config, context) {
    const { fleets, indexOf, picker, setReady, uniform } = context;
    const names = Object.keys(config.weights);
    const order = names.map(indexOf);
    const pickers = fleets.map((_, f) => picker(config.within, f));
    const fallbackOf = fleets.map((fleet) => (fleet.fallback === null ? -1 : indexOf(fleet.fallback)));
    let chosen = order[0];
    const byWeight = weighted(
      order.map((f) => ({
        pick() {
          chosen = f;
          const replica = pickers[f].pick();
          return replica < 0 && fallbackOf[f] >= 0 ? pickers[fallbackOf[f]].pick() : replica;
        },
      })),
      names.map((name) => config.weights[name]),
      uniform,
    );
    return { pick: byWeight.pick, setReady, holdingFleet: () => chosen, offloadCounts: null };
  },
  example: { policy: 'weighted', weights: { gpu: 3, cpu: 1 }, within: 'round-robin' },
});
