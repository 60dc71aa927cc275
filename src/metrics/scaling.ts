import type { CapacityEvent, ScalingStats } from './result.js';

/**
 * Counts each autoscaled fleet's scale decisions and its flaps: a scale-in followed by a scale-out
 * of the same fleet within `windowS`. A flap pays a cold start (and its billing minimum) for
 * capacity the fleet had just given up, the churn Kubernetes' scale-down stabilization window
 * (300 s by default) exists to prevent. Each scale-in pairs with at most one later scale-out.
 */
export function scalingStats(
  events: readonly CapacityEvent[],
  autoscaled: readonly string[],
  windowS: number,
): Record<string, ScalingStats> | null {
  if (autoscaled.length === 0) return null;
  const stats: Record<string, ScalingStats> = {};
  const lastIn = new Map<string, number>();
  for (const fleet of autoscaled)
    stats[fleet] = { scale_outs: 0, scale_ins: 0, flaps: 0, flap_window_s: windowS };
  for (const event of events) {
    const fleet = stats[event.fleet];
    if (event.kind !== 'scale' || fleet === undefined || event.from === undefined || event.to === undefined)
      continue;
    if (event.to < event.from) {
      fleet.scale_ins++;
      lastIn.set(event.fleet, event.time_s);
    } else if (event.to > event.from) {
      fleet.scale_outs++;
      const since = lastIn.get(event.fleet);
      if (since !== undefined && event.time_s - since <= windowS) {
        fleet.flaps++;
        lastIn.delete(event.fleet);
      }
    }
  }
  return stats;
}
