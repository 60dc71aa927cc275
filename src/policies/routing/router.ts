import { REQUEST_ATTRIBUTES } from '../../core/request-attributes.js';
import type { Streams } from '../../engine/index.js';
import type { Routing } from '../../scenario/types.js';
import { type OffloadCounts, type OffloadRequestView, offload } from './offload.js';
import { replicaPickers } from './registry.js';
import { spillover } from './spillover.js';
import { type ReplicaLoadView, type ReplicaPicker, ReplicaPool } from './types.js';
import { weighted } from './weighted.js';

/** Picks a ready replica for each request (-1: none is ready), and follows replicas coming and going. */
export interface Router extends ReplicaPicker {
  /** Tells every pool holding `replica` that it became ready or stopped taking work. */
  setReady(replica: number, ready: boolean): void;
  /** The fleet (its index) a request waits for after `pick` found no ready replica. */
  holdingFleet(): number;
  /** Where `offload` routing sent requests; null for other policies. */
  readonly offloadCounts: OffloadCounts | null;
}

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const REQUEST_BYTES = REQUEST_ATTRIBUTES.indexOf('request_bytes');

export interface RoutedFleet {
  name: string;
  /** Its replica indices: `first` .. `first + count - 1`, none ready until `setReady`. */
  first: number;
  count: number;
  /** Fleet whose replicas take this fleet's share while it has none ready. */
  fallback: string | null;
  /** Its size changes (autoscaling or reclaims): where requests wait when nothing is ready. */
  elastic: boolean;
}

/**
 * Builds the scenario's routing from its policy name: one picker over all replicas, or a
 * cross-fleet policy over per-fleet pickers. `attributes` holds the request being routed, in
 * `REQUEST_ATTRIBUTES` order (only `offload` reads it).
 */
export function createRouter(
  routing: Routing,
  fleets: readonly RoutedFleet[],
  load: ReplicaLoadView,
  streams: Streams,
  attributes: Float64Array = new Float64Array(REQUEST_ATTRIBUTES.length),
): Router {
  const uniform = streams.stream('routing');
  const pools = fleets.map((fleet) => new ReplicaPool(fleet.first, fleet.count, false));
  const firstElastic = Math.max(
    0,
    fleets.findIndex((fleet) => fleet.elastic),
  );
  const setReady = (replica: number, ready: boolean) => {
    for (const pool of pools) if (pool.contains(replica)) pool.setReady(replica, ready);
  };
  const indexOf = (name: string) => {
    const index = fleets.findIndex((f) => f.name === name);
    if (index < 0) throw new Error(`routing names fleet "${name}", which does not exist`);
    return index;
  };
  if (routing.policy === 'offload') {
    const within = replicaPickers[routing.within];
    const [edge, cloud] = [indexOf(routing.edge), indexOf(routing.cloud)];
    const pickerOf = (f: number) =>
      within({ load, pool: pools[f], uniform: streams.stream(`routing/${fleets[f].name}`) });
    const router = offload(pickerOf(edge), pickerOf(cloud), load, {
      maxQueuePerReplica: routing.maxQueuePerReplica,
      ...(routing.maxInputTokens !== null && { maxInputTokens: routing.maxInputTokens }),
      ...(routing.maxRequestBytes !== null && { maxRequestBytes: routing.maxRequestBytes }),
    });
    const request: { -readonly [K in keyof OffloadRequestView]: number } = {
      inputTokens: 0,
      requestBytes: 0,
    };
    return {
      pick() {
        request.inputTokens = attributes[INPUT_TOKENS];
        request.requestBytes = attributes[REQUEST_BYTES];
        return router.pick(request);
      },
      setReady,
      holdingFleet: () => cloud,
      offloadCounts: router.counts as OffloadCounts,
    };
  }
  if (routing.policy === 'weighted' || routing.policy === 'spillover') {
    const within = replicaPickers[routing.within];
    const names = routing.policy === 'weighted' ? Object.keys(routing.weights) : routing.order;
    const order = names.map(indexOf);
    const pickers = fleets.map((fleet, f) =>
      within({ load, pool: pools[f], uniform: streams.stream(`routing/${fleet.name}`) }),
    );
    if (routing.policy === 'spillover') {
      const picker = spillover(
        order.map((f) => pickers[f]),
        load,
        routing.maxQueuePerReplica,
      );
      const holding = order.find((f) => fleets[f].elastic) ?? order[0];
      return { pick: picker.pick, setReady, holdingFleet: () => holding, offloadCounts: null };
    }
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
      names.map((name) => routing.weights[name]),
      uniform,
    );
    return { pick: byWeight.pick, setReady, holdingFleet: () => chosen, offloadCounts: null };
  }
  const last = fleets[fleets.length - 1];
  const all = new ReplicaPool(fleets[0].first, last.first + last.count - fleets[0].first, false);
  pools.push(all);
  return new OnePicker(replicaPickers[routing.policy]({ load, pool: all, uniform }), setReady, firstElastic);
}

/**
 * One replica picker over all fleets' replicas. Pickers and this router are classes, not
 * closures: the simulation calls `pick` for every request, and a closure reaches what it
 * captured through a chain of contexts, each with a check that the variable is initialized.
 * In the M/M/c bench, routing cost about 85 instructions a request as closures, 20 fewer as classes.
 */
class OnePicker implements Router {
  readonly offloadCounts = null;

  constructor(
    private readonly picker: ReplicaPicker,
    readonly setReady: (replica: number, ready: boolean) => void,
    private readonly holding: number,
  ) {}

  pick(): number {
    return this.picker.pick();
  }

  holdingFleet(): number {
    return this.holding;
  }
}
