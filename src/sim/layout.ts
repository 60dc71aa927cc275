import { type Fleet, RunInputError } from '../scenario/types.js';

/**
 * Where each fleet's replicas sit among the simulator's replica slots: fleet `f` owns slots
 * `first[f]` .. `first[f] + slots[f] - 1`. Every per-replica column (routing load, lifecycle,
 * service state) is indexed by slot, so one integer names a replica in every module.
 */
export class FleetLayout {
  readonly fleetOf: Int32Array;
  readonly first: Int32Array;
  /** Slots per fleet: maxReplicas, twice that for an elastic fleet (replacements launch while others drain). */
  readonly slots: Int32Array;
  readonly replicaCount: number;

  constructor(fleets: readonly Fleet[]) {
    for (const f of fleets) {
      if (!(f.minReplicas <= f.replicas && f.replicas <= f.maxReplicas)) {
        throw new RunInputError(
          `fleet ${f.name}: ${f.replicas} initial replicas, outside min ${f.minReplicas} .. max ${f.maxReplicas}`,
        );
      }
    }
    this.slots = Int32Array.from(fleets, (f) => (isElastic(f) ? 2 * f.maxReplicas : f.maxReplicas));
    this.replicaCount = this.slots.reduce((sum, n) => sum + n, 0);
    this.fleetOf = new Int32Array(this.replicaCount);
    this.first = new Int32Array(fleets.length);
    let first = 0;
    for (let f = 0; f < fleets.length; f++) {
      this.first[f] = first;
      this.fleetOf.fill(f, first, first + this.slots[f]);
      first += this.slots[f];
    }
  }

  /** One past the last slot of `fleet`. */
  end(fleet: number): number {
    return this.first[fleet] + this.slots[fleet];
  }
}

/** Its size changes: an autoscaler decides it, or spot reclaims take replicas away. */
export function isElastic(fleet: Fleet): boolean {
  return fleet.autoscaling !== null || fleet.interruption !== null;
}
