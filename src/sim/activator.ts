import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { Router } from '../policies/routing/index.js';
import type { Fleet } from '../scenario/types.js';
import { Kind } from './events.js';
import type { Meters } from './meters.js';
import type { RequestFlow } from './request-flow.js';
import { RequestState, type RequestTable } from './request-table.js';
import type { RoutedPrefix } from './routed-prefix.js';
import { queueTimeoutUs } from './service/discipline.js';

/**
 * Knative's default revision timeout (300 s), which bounds a request waiting at its activator:
 * the longest a request is held when its fleet's queue has no shorter timeout. Without a bound, a
 * fleet that can never get a replica would hold requests forever.
 */
export const KNATIVE_HOLD_US = 300 * US_PER_S;

/**
 * Holds requests while no replica can take them, as Knative's activator does during a cold
 * start: a held request counts toward its fleet's load (an autoscaler sees it as waiting) and
 * gives up after its fleet's queue timeout, at most `maxHoldUs`. When a replica becomes ready,
 * held requests are routed again, oldest first, keeping their arrival times.
 */
export class Activator {
  /** Per fleet: requests held for it. */
  readonly heldCount: Int32Array;
  /** Per fleet: how long a request is held at most (its queue timeout, capped). */
  private readonly holdUs: Float64Array;
  /** Held requests, oldest first, from `head` on; those no longer held are skipped when reached. */
  private held: number[] = [];
  private head = 0;

  constructor(
    fleets: readonly Fleet[],
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly router: Router,
    private readonly attributes: Float64Array,
    private readonly prefixes: RoutedPrefix,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
    maxHoldUs = KNATIVE_HOLD_US,
  ) {
    this.heldCount = new Int32Array(fleets.length);
    this.holdUs = Float64Array.from(fleets, (f) => Math.min(queueTimeoutUs(f), maxHoldUs));
  }

  /** Holds the request in `slot` for `fleet`. */
  hold(slot: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Held;
    requests.replica[slot] = -1;
    requests.heldFor[slot] = fleet;
    this.heldCount[fleet]++;
    if (requests.arrivalUs[slot] === now) this.meters.heldArrival(fleet, now);
    this.held.push(slot);
    this.engine.at(now + this.holdUs[fleet], Kind.QueueTimeout, slot, requests.gen[slot]);
  }

  /** A held request gave up; its entry is skipped when reached. */
  forget(slot: number): void {
    this.heldCount[this.requests.heldFor[slot]]--;
  }

  /** Routes held requests, oldest first, while some replica is ready to take them. */
  release(now: number): void {
    if (this.head === this.held.length) return;
    const requests = this.requests;
    while (this.head < this.held.length) {
      const slot = this.held[this.head];
      if (requests.state[slot] !== RequestState.Held) {
        this.head++;
        continue;
      }
      requests.loadAttributes(slot, this.attributes);
      this.prefixes.slot = slot;
      const replica = this.router.pick();
      this.prefixes.slot = -1;
      if (replica < 0) break;
      this.head++;
      this.heldCount[requests.heldFor[slot]]--;
      this.flow.admit(slot, replica, now);
    }
    if (this.head === this.held.length) {
      this.held = [];
      this.head = 0;
    }
  }
}
