import type { Uniform } from '../../engine/index.js';

/** What routing may read of the replicas: live load, never the future (true service times). */
export interface ReplicaLoadView {
  /** Requests in service plus waiting, per replica. */
  readonly outstanding: Int32Array;
  /** Requests one replica serves at once. */
  readonly concurrency: Int32Array;
}

/** A contiguous range of replica indices: one fleet, or all fleets together. */
export interface ReplicaPool {
  first: number;
  count: number;
}

/** Picks a replica of its pool for the next request. */
export interface ReplicaPicker {
  pick(): number;
}

export interface ReplicaPickerContext {
  load: ReplicaLoadView;
  pool: ReplicaPool;
  uniform: Uniform;
}

export type ReplicaPickerFactory = (context: ReplicaPickerContext) => ReplicaPicker;

/** Load of replica `r` relative to its concurrency, compared without dividing. */
export function lessLoaded(load: ReplicaLoadView, a: number, b: number): boolean {
  return load.outstanding[a] * load.concurrency[b] < load.outstanding[b] * load.concurrency[a];
}
