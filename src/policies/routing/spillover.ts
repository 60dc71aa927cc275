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
