import type { Engine } from '../engine/index.js';
import type { Router } from '../policies/routing/index.js';
import type { Fleet } from '../scenario/types.js';
import type { RequestOutcome } from '../workload/index.js';
import { Activator } from './activator.js';
import type { Arrivals } from './arrivals.js';
import type { Meters } from './meters.js';
import type { PriorityOrder } from './priority-order.js';
import type { ReplicaLifecycle } from './replica-lifecycle.js';
import { RequestState, type RequestTable } from './request-table.js';
import type { RoutedPrefix } from './routed-prefix.js';
import type { ServiceDiscipline } from './service/discipline.js';

/**
 * A request's way through the fleets, up to its service discipline and back out: an arrival is
 * counted, routed and handed to its replica's fleet, or held by the activator while no replica
 * is ready; a request sent again (held, or interrupted by a reclaim) is handed over the same way;
 * a request leaves by completing, being turned away or timing out. Once arrivals are over, the
 * run ends with the last departure.
 */
export class RequestFlow {
  /** Per fleet: how its replicas serve; filled once built, as they report back here. */
  readonly disciplines: ServiceDiscipline[] = [];
  readonly activator: Activator;
  arrivalsDone = false;
  lastArrivalUs = 0;

  constructor(
    fleets: readonly Fleet[],
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly arrivals: Arrivals,
    private readonly router: Router,
    private readonly meters: Meters,
    private readonly fleetOf: Int32Array,
    private readonly outstanding: Int32Array,
    private readonly replicas: ReplicaLifecycle,
    private readonly warmupUs: number,
    prefixes: RoutedPrefix,
    order: PriorityOrder,
  ) {
    this.activator = new Activator(
      fleets,
      engine,
      requests,
      router,
      arrivals.attributes,
      prefixes,
      meters,
      this,
      order,
    );
    this.deadlineUs = order.hasDeadlines ? order.deadlineUs : null;
  }

  /**
   * Per model index + 1 (so that -1, a model the scenario does not have, is at 0): 1 when some
   * fleet serves it; null when every request's model is served.
   */
  served: Uint8Array | null = null;

  /** Per class: the deadline of its requests, microseconds after arrival (Infinity: none); null when no class has one. */
  readonly deadlineUs: Float64Array | null;

  // The hot paths (arrive, the disciplines' start and finish) keep their rare branches in separate
  // methods: V8 inlines callees only within a bytecode budget per compiled function, and every
  // byte of a rare branch left inline is budget the common path's small calls then do without.
  /** The `Arrival` event (its lane carries no payload). */
  arrive(_slot: number, _gen: number, now: number): void {
    const arrivals = this.arrivals;
    if (arrivals.hasAttributes) arrivals.take();
    this.lastArrivalUs = now;
    const measured = now >= this.warmupUs;
    this.meters.arrival(measured, now);
    const replica =
      this.served !== null && this.served[arrivals.modelIndex + 1] === 0 ? -2 : this.router.pick();
    if (replica === -2) this.meters.unservedModel(measured, now);
    else if (replica >= 0) {
      const fleet = this.fleetOf[replica];
      this.meters.routedArrival(fleet, now);
      this.disciplines[fleet].arrive(replica, fleet, measured, now);
    } else {
      this.activator.hold(this.newRequest(measured, now), this.router.holdingFleet(), now);
    }
    if (!arrivals.next(this.engine, now)) this.engine.stop();
  }

  /** A request slot for an arrival that is not admitted to a replica on the spot. */
  private newRequest(measured: boolean, now: number): number {
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    requests.storeAttributes(slot, this.arrivals.attributes);
    requests.storeClass(slot, this.arrivals);
    requests.storePrefix(slot, this.arrivals.prefix);
    requests.replica[slot] = -1;
    requests.measured[slot] = measured ? 1 : 0;
    return slot;
  }

  /**
   * Sends a request already in flight (held, or interrupted by a reclaim) to `replica`, its
   * attributes loaded in the shared row: as an arrival would go, except that it keeps its arrival
   * time. Service starts over, with a fresh draw.
   */
  admit(slot: number, replica: number, now: number): void {
    const fleet = this.fleetOf[replica];
    this.meters.routed[fleet]++;
    this.requests.replica[slot] = replica;
    this.disciplines[fleet].admit(slot, replica, fleet, now);
  }

  /** The `QueueTimeout` event: a waiting request leaves, unless it has moved on (`gen` is stale) or started. */
  giveUp(slot: number, gen: number, now: number): void {
    const requests = this.requests;
    if (requests.gen[slot] !== gen) return;
    if (requests.state[slot] === RequestState.Held) {
      this.activator.forget(slot);
      this.timeOut(slot, now);
      return;
    }
    if (requests.state[slot] !== RequestState.Queued) return;
    const replica = requests.replica[slot];
    this.disciplines[this.fleetOf[replica]].cancel(slot, replica);
    this.outstanding[replica]--;
    this.timeOut(slot, now);
    this.replicas.requestLeft(replica, now);
  }

  /** Counts a finished request, which `fleet` served, and frees its slot; one past its deadline is lost. */
  complete(slot: number, fleet: number, arrivalUs: number, startUs: number, now: number): void {
    if (this.deadlineUs !== null && this.missedDeadline(slot, now)) {
      this.late(slot, fleet, now);
      return;
    }
    this.meters.complete(slot, fleet, arrivalUs, startUs, now);
    this.requests.release(slot);
    this.departed();
  }

  /** Whether the request in `slot`, finishing now, is past its class's deadline (only when some class has one). */
  missedDeadline(slot: number, now: number): boolean {
    const requests = this.requests;
    return now - requests.arrivalUs[slot] > (this.deadlineUs as Float64Array)[requests.requestClass[slot]];
  }

  /**
   * A request of a deadline class finished after its deadline: its result came too late to count,
   * so it is lost as timed out, though the capacity it took is spent (and charged) all the same.
   */
  late(slot: number, fleet: number, now: number): void {
    this.meters.timeOut(slot, fleet, now, false);
    this.requests.release(slot);
    this.departed();
  }

  /** `replica` turns away the request in `slot`, which it was sent again. */
  turnAway(slot: number, replica: number, now: number, outcome: RequestOutcome): void {
    const requests = this.requests;
    this.meters.drop(requests.measured[slot] === 1, now, replica, slot, outcome);
    requests.release(slot);
    this.departed();
  }

  private timeOut(slot: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[slot];
    this.meters.timeOut(slot, replica >= 0 ? this.fleetOf[replica] : requests.heldFor[slot], now);
    requests.release(slot);
    this.departed();
  }

  /** A request left and its slot is free: once arrivals are over, the run ends with the last one. */
  departed(): void {
    if (this.arrivalsDone && this.requests.liveCount === 0) this.engine.stop();
  }

  /** Whether periodic capacity events still matter: not once arrivals are over and nothing is left in flight. */
  inProgress(): boolean {
    return !this.arrivalsDone || this.requests.liveCount > 0;
  }
}
