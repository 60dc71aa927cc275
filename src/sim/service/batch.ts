import { toUs } from '../../core/time.js';
import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import type { BatchFormer, WaitingQueue } from '../../policies/batching/former.js';
import type { Fleet } from '../../scenario/types.js';
import type { BatchLatencyModel } from '../../serving/index.js';
import { Kind } from '../events.js';
import type { Meters } from '../meters.js';
import type { PriorityOrder } from '../priority-order.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import { PriorityReplicaQueues, ReplicaQueues, type WaitingQueues } from '../replica-queues.js';
import type { RequestFlow } from '../request-flow.js';
import { type ArrivalClass, RequestState, type RequestTable } from '../request-table.js';
import { armDeadline, queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

/**
 * Requests wait in their replica's queue (highest priority first, first come first served within
 * a priority) until the fleet's batch former starts some of them as one batch in a free execution
 * slot; the batch takes the fleet's batch latency for its size and all its requests finish
 * together. A batch is a chain through `RequestTable.nextInBatch` from the request its completion
 * event names, which alone accounts for the slot's busy time.
 */
export class BatchService implements ServiceDiscipline {
  private readonly busy: Int32Array;
  private readonly waiting: Int32Array;
  private readonly queues: WaitingQueues;
  /** The queues by priority, when the scenario has more than one level; null: plain FIFOs. */
  private readonly ranked: PriorityReplicaQueues | null;
  private readonly order: PriorityOrder;
  /** Per replica: bumped whenever a new recheck deadline replaces the pending one. */
  private readonly timerGen: Int32Array;
  private readonly view: ReplicaQueueView;
  /** Per fleet (null for fleets of other disciplines). */
  private readonly formers: (BatchFormer | null)[];
  private readonly latency: (BatchLatencyModel | null)[];
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
  private readonly attributes: Float64Array;
  private readonly arrival: ArrivalClass;

  constructor(
    fleets: readonly Fleet[],
    formers: (BatchFormer | null)[],
    latency: (BatchLatencyModel | null)[],
    context: ServiceContext,
  ) {
    const replicas = context.fleetOf.length;
    this.busy = new Int32Array(replicas);
    this.waiting = new Int32Array(replicas);
    this.order = context.order;
    this.ranked =
      context.order.levels > 1 ? new PriorityReplicaQueues(replicas, context.order, context.requests) : null;
    this.queues = this.ranked ?? new ReplicaQueues(replicas);
    this.timerGen = new Int32Array(replicas);
    this.view = new ReplicaQueueView(this.queues, context.requests);
    this.formers = formers;
    this.latency = latency;
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
    this.attributes = context.attributes;
    this.arrival = context.arrival;
  }

  arrive(replica: number, fleet: number, measured: boolean, now: number): void {
    if (
      this.waiting[replica] >= this.queueCapacity[fleet] &&
      !(this.ranked !== null && this.evictFor(this.order.classLevel[this.arrival.classIndex], replica, now))
    ) {
      this.meters.drop(measured, now, replica, -1);
      return;
    }
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    requests.storeAttributes(slot, this.attributes);
    requests.storeClass(slot, this.arrival);
    requests.replica[slot] = replica;
    requests.measured[slot] = measured ? 1 : 0;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, now);
    this.tryBatch(replica, fleet, now);
  }

  admit(slot: number, replica: number, fleet: number, now: number): void {
    if (
      this.waiting[replica] >= this.queueCapacity[fleet] &&
      !(this.ranked !== null && this.evictFor(this.ranked.level(slot), replica, now))
    ) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, now);
    this.tryBatch(replica, fleet, now);
  }

  private enqueue(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Queued;
    this.waiting[replica]++;
    this.queues.push(replica, slot, requests.gen[slot]);
    if (this.order.hasDeadlines && armDeadline(this.engine, requests, this.order, slot, now)) return;
    const timeoutUs = this.timeoutUs[fleet];
    if (timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
  }

  /**
   * A request of priority `level` finds `replica`'s queue full: the newest waiting request of the
   * lowest level below it, if any, is dropped to make room. False when none ranks lower.
   */
  private evictFor(level: number, replica: number, now: number): boolean {
    const evicted = (this.ranked as PriorityReplicaQueues).evictBelow(replica, level);
    if (evicted < 0) return false;
    this.waiting[replica]--;
    this.outstanding[replica]--;
    this.flow.turnAway(evicted, replica, now, 'dropped');
    return true;
  }

  /** The `BatchTimer` event: `replica`'s recheck deadline `gen` is due, unless a later one replaced it. */
  recheck(replica: number, gen: number, now: number): void {
    if (gen === this.timerGen[replica]) this.tryBatch(replica, this.fleetOf[replica], now);
  }

  /**
   * Starts batches on `replica` while it has a free execution slot and its former chooses one;
   * when the former waits, arms one deadline (the latest replaces any earlier) at which to ask again.
   */
  private tryBatch(replica: number, fleet: number, now: number): void {
    const former = this.formers[fleet] as BatchFormer;
    while (this.busy[replica] < this.concurrency[replica] && this.waiting[replica] > 0) {
      this.dropStaleHead(replica);
      const view = this.view;
      view.show(replica, this.waiting[replica]);
      const size = former.form(view, now);
      if (size === 0) {
        const atUs = former.recheckAtUs(view);
        if (atUs !== Number.POSITIVE_INFINITY) {
          this.engine.at(Math.max(now, atUs), Kind.BatchTimer, replica, ++this.timerGen[replica]);
        }
        return;
      }
      this.startBatch(replica, fleet, former.batch, size, now);
    }
  }

  /** Entries at the head whose request no longer waits (timed out, started, reclaimed) leave the queue. */
  private dropStaleHead(replica: number): void {
    const requests = this.requests;
    const queues = this.queues;
    for (let head = queues.peek(replica); head >= 0; head = queues.peek(replica)) {
      if (requests.gen[head] === queues.peekedGen && requests.state[head] === RequestState.Queued) return;
      queues.shift(replica);
    }
  }

  private startBatch(replica: number, fleet: number, batch: Int32Array, size: number, now: number): void {
    const requests = this.requests;
    const serviceUs = toUs((this.latency[fleet] as BatchLatencyModel)(size));
    let chain = -1;
    for (let i = 0; i < size; i++) {
      const slot = batch[i];
      requests.state[slot] = RequestState.InService;
      requests.startUs[slot] = now;
      requests.serviceUs[slot] = serviceUs;
      requests.nextInBatch[slot] = chain;
      requests.leadsBatch[slot] = 0;
      const arrivalUs = requests.arrivalUs[slot];
      if (now > arrivalUs) this.timeseries.addWait(arrivalUs, now);
      chain = slot;
    }
    requests.leadsBatch[chain] = 1;
    this.dropStaleHead(replica);
    this.waiting[replica] -= size;
    this.busy[replica]++;
    const sizes = this.meters.batchSizes[fleet];
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
    this.engine.at(now + serviceUs, Kind.BatchDone, chain, requests.gen[chain]);
  }

  /** The `BatchDone` event: the batch chained from `chain` finishes, unless it moved on (`gen`); every request in it completes. */
  finishBatch(chain: number, gen: number, now: number): void {
    const requests = this.requests;
    if (gen !== requests.gen[chain]) return;
    const replica = requests.replica[chain];
    const fleet = this.fleetOf[replica];
    const startUs = requests.startUs[chain];
    this.busy[replica]--;
    if (this.meters.work !== null) this.meters.attributeSlot(fleet, chain, now - startUs);
    for (let slot = chain; slot >= 0; ) {
      const next = requests.nextInBatch[slot];
      this.outstanding[replica]--;
      this.flow.complete(slot, fleet, requests.arrivalUs[slot], startUs, now);
      slot = next;
    }
    this.meters.busy(fleet, startUs, now, 1);
    this.tryBatch(replica, fleet, now);
    this.replicas.requestLeft(replica, now);
  }

  cancel(_slot: number, replica: number): void {
    this.waiting[replica]--;
  }

  waitingAt(replica: number): number {
    return this.waiting[replica];
  }

  occupiesSlot(slot: number): boolean {
    return this.requests.leadsBatch[slot] === 1;
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

/**
 * One replica's queue as a batch former sees it: the requests still waiting, in the order they
 * are served (by priority, then oldest first). Stale entries (timed out, already started) are
 * stepped over, not removed, as the queue does itself.
 */
class ReplicaQueueView implements WaitingQueue {
  length = 0;
  private replica = 0;
  private index = 0;

  constructor(
    private readonly queues: WaitingQueues,
    private readonly requests: RequestTable,
  ) {}

  show(replica: number, waiting: number): void {
    this.replica = replica;
    this.length = waiting;
  }

  first(): number {
    this.index = -1;
    return this.next();
  }

  next(): number {
    const queues = this.queues;
    const requests = this.requests;
    const end = queues.length(this.replica);
    while (++this.index < end) {
      const slot = queues.at(this.replica, this.index);
      if (requests.gen[slot] === queues.peekedGen && requests.state[slot] === RequestState.Queued)
        return slot;
    }
    return -1;
  }

  arrivalUs(id: number): number {
    return this.requests.arrivalUs[id];
  }

  attribute(id: number, a: number): number {
    return this.requests.attribute(id, a);
  }
}
