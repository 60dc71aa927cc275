import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { Router } from '../policies/routing/index.js';
import type { Fleet } from '../scenario/types.js';
import { Kind } from './events.js';
import type { Meters } from './meters.js';
import type { PriorityOrder } from './priority-order.js';
import type { RequestFlow } from './request-flow.js';
import { RequestState, type RequestTable } from './request-table.js';
import type { RoutedPrefix } from './routed-prefix.js';
import { armDeadline, queueTimeoutUs } from './service/discipline.js';

/**
 * Knative's default revision timeout (300 s), which bounds a request waiting at its activator:
 * the longest a request is held when its fleet's queue has no shorter timeout. Without a bound, a
 * fleet that can never get a replica would hold requests forever.
 */
export const KNATIVE_HOLD_US = 300 * US_PER_S;

/**
 * Holds requests while no replica can take them, as Knative's activator does during a cold
 * start: a held request counts toward its fleet's load (an autoscaler sees it as waiting) and
 * gives up after its fleet's queue timeout, at most `maxHoldUs` (a request of a deadline class, at
 * its deadline). When a replica becomes ready, held requests are routed again, highest priority
 * first and oldest first within a priority, keeping their arrival times.
 */
export class Activator {
  /** Per fleet: requests held for it. */
  readonly heldCount: Int32Array;
  /** Per fleet: how long a request is held at most (its queue timeout, capped). */
  private readonly holdUs: Float64Array;
  /**
   * Per priority level (`PriorityOrder`): held requests, oldest first, from its head on; those no
   * longer held are skipped when reached.
   */
  private readonly held: number[][];
  private readonly heads: Int32Array;

  constructor(
    fleets: readonly Fleet[],
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly router: Router,
    private readonly attributes: Float64Array,
    private readonly prefixes: RoutedPrefix,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
    private readonly order: PriorityOrder,
    maxHoldUs = KNATIVE_HOLD_US,
  ) {
    this.heldCount = new Int32Array(fleets.length);
    this.held = Array.from({ length: order.levels }, () => []);
    this.heads = new Int32Array(order.levels);
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
    const order = this.order;
    this.held[order.classLevel[requests.requestClass[slot]]].push(slot);
    if (!order.hasDeadlines || !armDeadline(this.engine, requests, order, slot, now))
      this.engine.at(now + this.holdUs[fleet], Kind.QueueTimeout, slot, requests.gen[slot]);
  }

  /** A held request gave up; its entry is skipped when reached. */
  forget(slot: number): void {
    this.heldCount[this.requests.heldFor[slot]]--;
  }

  /** Routes held requests, highest priority and then oldest first, while some replica is ready to take them. */
  release(now: number): void {
    for (let level = this.order.levels - 1; level >= 0; level--) {
      if (!this.releaseLevel(level, now)) return;
    }
  }

  /** Routes the held requests of one priority level; false when a replica was lacking for one of them. */
  private releaseLevel(level: number, now: number): boolean {
    const held = this.held[level];
    let head = this.heads[level];
    if (head === held.length) return true;
    const requests = this.requests;
    let routedAll = true;
    while (head < held.length) {
      const slot = held[head];
      if (requests.state[slot] !== RequestState.Held) {
        head++;
        continue;
      }
      requests.loadAttributes(slot, this.attributes);
      this.prefixes.slot = slot;
      const replica = this.router.pick();
      this.prefixes.slot = -1;
      if (replica < 0) {
        routedAll = false;
        break;
      }
      head++;
      this.heldCount[requests.heldFor[slot]]--;
      this.flow.admit(slot, replica, now);
    }
    if (head === held.length) {
      held.length = 0;
      head = 0;
    }
    this.heads[level] = head;
    return routedAll;
  }
}
