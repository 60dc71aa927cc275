import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { CapacityOutages } from '../fleet/capacity-outages.js';
import type { Fleet } from '../scenario/types.js';
import { Kind } from './events.js';
import type { Meters } from './meters.js';
import type { ReplicaLifecycle } from './replica-lifecycle.js';
import type { RequestFlow } from './request-flow.js';

/**
 * Periods in which a fleet cannot launch replicas (a region out of spot capacity), as events: each
 * outage's start and end, logged as capacity events. A replacement a fixed-size fleet could not
 * launch meanwhile is owed and launched when capacity returns.
 */
export class OutageDriver {
  constructor(
    private readonly fleets: readonly Fleet[],
    readonly outages: CapacityOutages,
    private readonly engine: Engine,
    private readonly replicas: ReplicaLifecycle,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
  ) {}

  /** Schedules `fleet`'s first outage, if it has any. */
  start(fleet: number): void {
    this.scheduleOut(fleet, 0, 0);
  }

  /** Launches a replacement in a free slot of `fleet`, if it has one; owes it while capacity is unavailable. */
  launchSpare(fleet: number, now: number): void {
    if (this.outages.isOut(fleet)) {
      this.outages.owe(fleet);
      return;
    }
    const replica = this.replicas.freeSlot(fleet);
    if (replica >= 0) this.replicas.launch(replica, now);
  }

  /** The `index`-th period without capacity begins. */
  out(fleet: number, index: number, now: number): void {
    if (!this.flow.inProgress()) return;
    const endUs = this.outages.begin(fleet, index, now);
    this.log(fleet, now, 'unavailable');
    // A spot price that stays above max_price to the end of its series keeps the fleet out for good.
    if (Number.isFinite(endUs)) this.engine.at(endUs, Kind.CapacityIn, fleet, index);
  }

  /** It ends: owed launches are made, and the next period is scheduled. */
  in(fleet: number, index: number, now: number): void {
    const owed = this.outages.end(fleet, now);
    this.log(fleet, now, 'available');
    for (let launch = 0; launch < owed; launch++) this.launchSpare(fleet, now);
    if (this.flow.inProgress()) this.scheduleOut(fleet, index + 1, now);
  }

  /** Schedules the `index`-th period without capacity, from `fromUs` on; none left (or none configured): nothing. */
  private scheduleOut(fleet: number, index: number, fromUs: number): void {
    const startUs = this.outages.nextStartUs(fleet, index, fromUs);
    if (startUs !== null) this.engine.at(startUs, Kind.CapacityOut, fleet, index);
  }

  private log(fleet: number, now: number, kind: 'unavailable' | 'available'): void {
    this.meters.capacityEvent({ time_s: now / US_PER_S, fleet: this.fleets[fleet].name, kind });
  }
}
