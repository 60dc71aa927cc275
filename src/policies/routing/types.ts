import type { Uniform } from '../../engine/index.js';
import type { OffloadCounts } from './offload.js';
import type { ReplicaPolicy } from './replica-policy.js';

/** What routing may read of the replicas: live load, never the future (true service times). */
export interface ReplicaLoadView {
  /** Requests in service plus waiting, per replica. */
  readonly outstanding: Int32Array;
  /** Requests one replica serves at once. */
  readonly concurrency: Int32Array;
}

/**
 * The replicas a picker chooses among: those of a contiguous range (one fleet, or all fleets
 * together) that are ready, in ascending index order. A fixed fleet's replicas are always all
 * ready; an elastic fleet's come and go, rarely enough that keeping the list sorted is cheap.
 */
export class ReplicaPool {
  readonly members: Int32Array;
  size: number;

  constructor(
    readonly first: number,
    readonly count: number,
    ready = true,
  ) {
    this.members = Int32Array.from({ length: count }, (_, i) => first + i);
    this.size = ready ? count : 0;
  }

  contains(replica: number): boolean {
    return replica >= this.first && replica < this.first + this.count;
  }

  /** Adds a replica that became ready, or removes one that stopped taking work. */
  setReady(replica: number, ready: boolean): void {
    const members = this.members;
    // Binary search for its place: a fleet of 100,000 replicas starting up calls this 100,000 times.
    let at = 0;
    let end = this.size;
    while (at < end) {
      const middle = (at + end) >> 1;
      if (members[middle] < replica) at = middle + 1;
      else end = middle;
    }
    const present = at < this.size && members[at] === replica;
    if (ready && !present) {
      members.copyWithin(at + 1, at, this.size);
      members[at] = replica;
      this.size++;
    } else if (!ready && present) {
      members.copyWithin(at, at + 1, this.size);
      this.size--;
    }
  }
}

/** Picks a replica of its pool for the next request: -1 when none is ready. */
export interface ReplicaPicker {
  pick(): number;
}

/**
 * What routing may read of the replicas' prefix caches about the request being routed: how much
 * of its prompt each replica would find cached if it took the request now. Reading changes no
 * cache (no eviction order, no hit count).
 */
export interface PrefixCacheView {
  /**
   * Readies the view for the request being routed: its prompt tokens a prefix cache could hold,
   * 0 when no replica keeps a prefix cache or the prompt shares nothing (then there is nothing to
   * look up).
   */
  shareableTokens(): number;
  /** The prompt tokens of the request being routed. */
  promptTokens(): number;
  /** Leading tokens of its prompt, in whole KV blocks, that `replica`'s prefix cache holds now. */
  cachedTokens(replica: number): number;
}

/** No prefix cache anywhere: a fleet without LLM replicas, or with prefix caching off. */
export const NO_PREFIX_CACHE: PrefixCacheView = {
  shareableTokens: () => 0,
  promptTokens: () => 0,
  cachedTokens: () => 0,
};

export interface ReplicaPickerContext {
  load: ReplicaLoadView;
  pool: ReplicaPool;
  uniform: Uniform;
  /** What the replicas' prefix caches hold of the request being routed; none when absent. */
  prefixes?: PrefixCacheView;
  /** The policy's keys: the `routing:` block naming it; `{}` (its defaults) as a `within` or when absent. */
  options?: Readonly<Record<string, unknown>>;
}

export type ReplicaPickerFactory = (context: ReplicaPickerContext) => ReplicaPicker;

/** Load of replica `r` relative to its concurrency, compared without dividing. */
export function lessLoaded(load: ReplicaLoadView, a: number, b: number): boolean {
  return load.outstanding[a] * load.concurrency[b] < load.outstanding[b] * load.concurrency[a];
}

/** Picks a ready replica for each request (-1: none is ready), and follows replicas coming and going. */
export interface Router extends ReplicaPicker {
  /** Tells every pool holding `replica` that it became ready or stopped taking work. */
  setReady(replica: number, ready: boolean): void;
  /** The fleet (its index) a request waits for after `pick` found no ready replica. */
  holdingFleet(): number;
  /** Where `offload` routing sent requests; null for other policies. */
  readonly offloadCounts: OffloadCounts | null;
}

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

/** What a cross-fleet routing policy builds its router from. */
export interface RouterContext {
  readonly fleets: readonly RoutedFleet[];
  readonly load: ReplicaLoadView;
  /** Each fleet's ready replicas, in the order of `fleets`. */
  readonly pools: readonly ReplicaPool[];
  /** The request being routed, in `REQUEST_ATTRIBUTES` order: what the policy may read of it. */
  readonly attributes: Float64Array;
  readonly prefixes: PrefixCacheView;
  /** The `routing` stream, for choices among fleets. */
  readonly uniform: Uniform;
  /** The index of a fleet the routing block names; the scenario checks made sure it exists. */
  indexOf(name: string): number;
  /** A picker of `policy` over fleet `fleet`'s ready replicas, drawing from that fleet's own stream. */
  picker(policy: ReplicaPolicy, fleet: number): ReplicaPicker;
  /** What the router's `setReady` does. */
  setReady(replica: number, ready: boolean): void;
}
