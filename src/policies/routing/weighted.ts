import type { Uniform } from '../../engine/index.js';
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
