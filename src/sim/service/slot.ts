import { toUs } from '../../core/time.js';
import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import type { Fleet } from '../../scenario/types.js';
import type { ServiceTimeModel } from '../../serving/index.js';
import { Kind } from '../events.js';
import type { Meters } from '../meters.js';
import type { PriorityOrder } from '../priority-order.js';
import { type ReplicaLifecycle, ReplicaState } from '../replica-lifecycle.js';
import { PriorityReplicaQueues, ReplicaQueues, type WaitingQueues } from '../replica-queues.js';
import type { RequestFlow } from '../request-flow.js';
import { type ArrivalClass, RequestState, type RequestTable } from '../request-table.js';
import { armDeadline, queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

// What the per-request path writes, compares and calls, as this module's own constants: optimized
// code folds them to their values, where each use of an imported object's field is a load, a hole
// check and a map check, and each call of an imported function a chain of loads and a hole check.
const SERVICE_DONE = Kind.ServiceDone;
const QUEUE_TIMEOUT = Kind.QueueTimeout;
const IN_SERVICE = RequestState.InService;
const QUEUED = RequestState.Queued;
const DRAINING = ReplicaState.Draining;
const secondsToUs = toUs;

/**
 * One request per execution slot (`concurrency` per replica), each for a service time drawn from
 * its fleet's model; requests beyond wait in the replica's queue, up to the queue capacity,
 * highest priority first and first come first served within a priority. This is the M/M/c path
 * the benchmarks time: it allocates nothing per request.
 */
export class SlotService implements ServiceDiscipline {
  private readonly busy: Int32Array;
  private readonly waiting: Int32Array;
  private readonly queues: WaitingQueues;
  /** The queues by priority, when the scenario has more than one level; null: plain FIFOs. */
  private readonly ranked: PriorityReplicaQueues | null;
  private readonly order: PriorityOrder;
  /** Whether some class has a deadline: `finishByDeadline` then handles `ServiceDone`. */
  readonly hasDeadlines: boolean;
  /** Per fleet (null for fleets of other disciplines). */
  private readonly serviceTime: (ServiceTimeModel | null)[];
  private readonly queueCapacity: Float64Array;
  private readonly timeoutUs: Float64Array;
  private readonly engine: Engine;
  private readonly requests: RequestTable;
  private readonly fleetOf: Int32Array;
  private readonly outstanding: Int32Array;
  private readonly concurrency: Int32Array;
  private readonly meters: Meters;
  private readonly timeseries: TimeSeries;
  private readonly flow: RequestFlow;
  private readonly replicas: ReplicaLifecycle;
  private readonly replicaState: Uint8Array;
  private readonly attributes: Float64Array;
  private readonly arrival: ArrivalClass;
  private readonly storesAttributes: boolean;

  constructor(fleets: readonly Fleet[], serviceTime: (ServiceTimeModel | null)[], context: ServiceContext) {
    const replicas = context.fleetOf.length;
    this.busy = new Int32Array(replicas);
    this.waiting = new Int32Array(replicas);
    this.order = context.order;
    this.hasDeadlines = context.order.hasDeadlines;
    this.ranked =
      context.order.levels > 1 ? new PriorityReplicaQueues(replicas, context.order, context.requests) : null;
    this.queues = this.ranked ?? new ReplicaQueues(replicas);
    this.serviceTime = serviceTime;
    this.queueCapacity = Float64Array.from(fleets, (f) => f.queue.capacity);
    this.timeoutUs = Float64Array.from(fleets, queueTimeoutUs);
    this.engine = context.engine;
    this.requests = context.requests;
    this.fleetOf = context.fleetOf;
    this.outstanding = context.outstanding;
    this.concurrency = context.concurrency;
    this.meters = context.meters;
    this.timeseries = context.meters.timeseries;
    this.flow = context.flow;
    this.replicas = context.replicas;
    this.replicaState = context.replicas.state;
    this.attributes = context.attributes;
    this.arrival = context.arrival;
    this.storesAttributes = context.storesAttributes;
  }

  /**
   * The service time is drawn before admission, so a fleet's k-th arrival gets the same one in
   * every variant. The draw and the admission are two methods for V8, which inlines a function's
   * callees within a bytecode budget: this method goes where the arrival is routed, and `accept`
   * is compiled on its own with `begin` and `enqueue` inlined. The sampler's closure is inlined
   * here, but the sampling function it calls (`sampleExponential` on the M/M/c bench) has stayed
   * a call in the compiled code examined (December 2026, Node 20).
   */
  arrive(replica: number, fleet: number, measured: boolean, now: number): void {
    this.accept(
      replica,
      fleet,
      secondsToUs((this.serviceTime[fleet] as ServiceTimeModel)(this.attributes)),
      measured,
      now,
    );
  }

  private accept(replica: number, fleet: number, serviceUs: number, measured: boolean, now: number): void {
    // Read once: after the request table's writes below, V8 would load both again (one typed
    // array's writes may alias another's elements, as far as the compiler knows).
    const startsNow = this.busy[replica] < this.concurrency[replica];
    if (startsNow || this.waiting[replica] < this.queueCapacity[fleet]) {
      const requests = this.requests;
      const slot = requests.allocate();
      requests.arrivalUs[slot] = now;
      requests.serviceUs[slot] = serviceUs;
      if (this.storesAttributes) requests.storeAttributes(slot, this.attributes);
      requests.storeClass(slot, this.arrival);
      requests.replica[slot] = replica;
      requests.measured[slot] = measured ? 1 : 0;
      this.outstanding[replica]++;
      // Starting on arrival, it waited for nothing: `begin` skips `start`'s wait accounting.
      if (startsNow) this.begin(slot, replica, serviceUs, now);
      else this.enqueue(slot, replica, fleet, now);
    } else {
      this.refuse(replica, fleet, serviceUs, measured, now);
    }
  }

  /** An arrival finds `replica`'s slots busy and its queue full: it is dropped, unless it can take a lower priority's place. */
  private refuse(replica: number, fleet: number, serviceUs: number, measured: boolean, now: number): void {
    if (this.ranked !== null && this.evictFor(this.order.classLevel[this.arrival.classIndex], replica, now))
      this.accept(replica, fleet, serviceUs, measured, now);
    else this.meters.drop(measured, now, replica, -1);
  }

  /**
   * A request of priority `level` finds `replica`'s queue full: the newest waiting request of the
   * lowest level below it, if any, is dropped to make room (`evictBelow`). False when none ranks lower.
   */
  private evictFor(level: number, replica: number, now: number): boolean {
    const evicted = (this.ranked as PriorityReplicaQueues).evictBelow(replica, level);
    if (evicted < 0) return false;
    this.waiting[replica]--;
    this.outstanding[replica]--;
    this.flow.turnAway(evicted, replica, now, 'dropped');
    return true;
  }

  admit(slot: number, replica: number, fleet: number, now: number): void {
    const startsNow = this.busy[replica] < this.concurrency[replica];
    if (
      !startsNow &&
      this.waiting[replica] >= this.queueCapacity[fleet] &&
      !(this.ranked !== null && this.evictFor(this.ranked.level(slot), replica, now))
    ) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    this.outstanding[replica]++;
    this.requests.serviceUs[slot] = toUs((this.serviceTime[fleet] as ServiceTimeModel)(this.attributes));
    if (startsNow) this.start(slot, replica, now);
    else this.enqueue(slot, replica, fleet, now);
  }

  private enqueue(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = QUEUED;
    this.waiting[replica]++;
    this.queues.push(replica, slot, requests.gen[slot]);
    if (this.hasDeadlines && armDeadline(this.engine, requests, this.order, slot, now)) return;
    const timeoutUs = this.timeoutUs[fleet];
    if (timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, QUEUE_TIMEOUT, slot, requests.gen[slot]);
    }
  }

  private start(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    const arrivalUs = requests.arrivalUs[slot];
    if (now > arrivalUs) this.timeseries.addWait(arrivalUs, now);
    this.begin(slot, replica, requests.serviceUs[slot], now);
  }

  /** Service of the request in `slot`, which lasts `serviceUs`, begins now. */
  private begin(slot: number, replica: number, serviceUs: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = IN_SERVICE;
    requests.startUs[slot] = now;
    this.busy[replica]++;
    this.engine.at(now + serviceUs, SERVICE_DONE, slot, requests.gen[slot]);
  }

  /**
   * The `ServiceDone` event: the request in `slot` finishes, unless it moved on (`gen`), and the
   * replica's oldest waiting request starts in its slot.
   *
   * V8 compiles this with its callees inlined up to a bytecode budget, the more frequent calls
   * first and, among equals, the later ones; the completion's accounting (`meters.complete`)
   * needs most of it. So `flow.complete` is spelled out (its own bytes would be budget), and the
   * queue is looked at only when something waits (a less frequent call yields). With the
   * accounting compiled apart, the M/M/c bench ran about 4 % more instructions per event.
   */
  finish(slot: number, gen: number, now: number): void {
    const requests = this.requests;
    if (gen !== requests.gen[slot]) return;
    const replica = requests.replica[slot];
    const fleet = this.fleetOf[replica];
    const startUs = requests.startUs[slot];
    this.busy[replica]--;
    this.outstanding[replica]--;
    if (this.meters.work !== null) this.meters.attribute(fleet, requests.requestClass[slot], now - startUs);
    // Complete (which counts) first: it moves the series to the bin of `now`, where the span then usually fits whole.
    this.meters.complete(slot, fleet, requests.arrivalUs[slot], startUs, now);
    requests.release(slot);
    this.flow.departed();
    this.meters.busy(fleet, startUs, now, 1);
    if (this.waiting[replica] > 0) this.startNext(replica, now);
    if (this.replicaState[replica] === DRAINING) this.replicas.requestLeft(replica, now);
  }

  /**
   * The `ServiceDone` event in runs with deadline classes (`finish` stays as lean as it was for
   * the others): a request past its deadline is lost rather than completed, its slot-time spent.
   */
  finishByDeadline(slot: number, gen: number, now: number): void {
    const requests = this.requests;
    if (gen !== requests.gen[slot] || !this.flow.missedDeadline(slot, now)) {
      this.finish(slot, gen, now);
      return;
    }
    const replica = requests.replica[slot];
    const fleet = this.fleetOf[replica];
    const startUs = requests.startUs[slot];
    this.busy[replica]--;
    this.outstanding[replica]--;
    this.flow.late(slot, fleet, now);
    this.meters.busy(fleet, startUs, now, 1);
    if (this.waiting[replica] > 0) this.startNext(replica, now);
    if (this.replicaState[replica] === DRAINING) this.replicas.requestLeft(replica, now);
  }

  /** Starts the first request still waiting at `replica` (entries of those that gave up are skipped). */
  private startNext(replica: number, now: number): void {
    const requests = this.requests;
    const queues = this.queues;
    for (let next = queues.shift(replica); next >= 0; next = queues.shift(replica)) {
      if (requests.gen[next] !== queues.poppedGen) continue;
      this.waiting[replica]--;
      this.start(next, replica, now);
      return;
    }
  }

  cancel(_slot: number, replica: number): void {
    this.waiting[replica]--;
  }

  waitingAt(replica: number): number {
    return this.waiting[replica];
  }

  occupiesSlot(_slot: number): boolean {
    return true;
  }

  addRunningBusy(_fleet: number, busyUs: number, _now: number): number {
    return busyUs;
  }

  chargeRunning(_endUs: number): void {}

  /** Queue entries of the reclaimed requests go stale with their generations; only the counts reset. */
  reclaim(replica: number, _now: number, _victims: readonly number[]): void {
    this.busy[replica] = 0;
    this.waiting[replica] = 0;
  }
}
