import type { Streams } from '../../engine/index.js';
import type { Routing } from '../../scenario/types.js';
import { replicaPickers } from './registry.js';
import { spillover } from './spillover.js';
import type { ReplicaLoadView, ReplicaPicker, ReplicaPool } from './types.js';
import { weighted } from './weighted.js';

export type Router = ReplicaPicker;

export interface RoutedFleet {
  name: string;
  pool: ReplicaPool;
}

/** Builds the scenario's routing from its policy name: one picker over all replicas, or a cross-fleet policy over per-fleet pickers. */
export function createRouter(
  routing: Routing,
  fleets: readonly RoutedFleet[],
  load: ReplicaLoadView,
  streams: Streams,
): Router {
  const uniform = streams.stream('routing');
  if (routing.policy === 'weighted' || routing.policy === 'spillover') {
    const within = replicaPickers[routing.within];
    const byName = new Map(fleets.map((f) => [f.name, f]));
    const names = routing.policy === 'weighted' ? Object.keys(routing.weights) : routing.order;
    const pickers = names.map((name) => {
      const fleet = byName.get(name);
      if (!fleet) throw new Error(`routing names fleet "${name}", which does not exist`);
      return within({ load, pool: fleet.pool, uniform: streams.stream(`routing/${name}`) });
    });
    if (routing.policy === 'weighted') {
      return weighted(
        pickers,
        names.map((name) => routing.weights[name]),
        uniform,
      );
    }
    return spillover(pickers, load, routing.maxQueuePerReplica);
  }
  const last = fleets[fleets.length - 1].pool;
  const pool = { first: fleets[0].pool.first, count: last.first + last.count - fleets[0].pool.first };
  return replicaPickers[routing.policy]({ load, pool, uniform });
}
