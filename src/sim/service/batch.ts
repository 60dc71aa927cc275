import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import type { BatchFormer, WaitingQueue } from '../../policies/batching/former.js';
import type { Fleet } from '../../scenario/types.js';
import type { BatchLatencyModel } from '../../serving/index.js';
import { Kind } from '../events.js';
import type { Meters } from '../meters.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import { ReplicaQueues } from '../replica-queues.js';
import type { RequestFlow } from '../request-flow.js';
import { RequestState, type RequestTable } from '../request-table.js';
import { toUs } from '../time.js';
import { queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

/**
 * Requests wait in their replica's FIFO until the fleet's batch former starts some of them as one
 * batch in a free execution slot; the batch takes the fleet's batch latency for its size and all
 * its requests finish together. A batch is a chain through `RequestTable.nextInBatch` from the
 * request its completion event names, which alone accounts for the slot's busy time.
 */
export class BatchService implements ServiceDiscipline {
  private readonly busy: Int32Array;
  private readonly waiting: Int32Array;
  private readonly queues: ReplicaQueues;
  /** Per replica: bumped whenever a new recheck deadline replaces the pending one. */
  private readonly timerGen: Int32Array;
  private readonly view: ReplicaQueueView;
  private readonly sizes: Map<number, number>;
  private readonly concurrency: number;
  private readonly queueCapacity: number;
  private readonly timeoutUs: number;
  private readonly engine: Engine;
  private readonly requests: RequestTable;
  private readonly outstanding: Int32Array;
  private readonly meters: Meters;
  private readonly timeseries: TimeSeries;
  private readonly flow: RequestFlow;
  private readonly replicas: ReplicaLifecycle;
  private readonly attributes: Float64Array;

  constructor(
    private readonly fleet: number,
    private readonly first: number,
    count: number,
    config: Fleet,
    private readonly former: BatchFormer,
    private readonly latency: BatchLatencyModel,
    context: ServiceContext,
  ) {
    this.busy = new Int32Array(count);
    this.waiting = new Int32Array(count);
    this.queues = new ReplicaQueues(count);
    this.timerGen = new Int32Array(count);
    this.view = new ReplicaQueueView(this.queues, context.requests);
    this.sizes = context.meters.batchSizes[fleet];
    this.concurrency = context.concurrency[first];
    this.queueCapacity = config.queue.capacity;
    this.timeoutUs = queueTimeoutUs(config);
    this.engine = context.engine;
    this.requests = context.requests;
    this.outstanding = context.outstanding;
    this.meters = context.meters;
    this.timeseries = context.meters.timeseries;
    this.flow = context.flow;
    this.replicas = context.replicas;
    this.attributes = context.attributes;
  }

  arrive(replica: number, measured: boolean, now: number): void {
    if (this.waiting[replica - this.first] >= this.queueCapacity) {
      this.meters.drop(measured, now, replica, -1);
      return;
    }
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    requests.storeAttributes(slot, this.attributes);
    requests.replica[slot] = replica;
    requests.measured[slot] = measured ? 1 : 0;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, now);
    this.tryBatch(replica, now);
  }

  admit(slot: number, replica: number, now: number): void {
    if (this.waiting[replica - this.first] >= this.queueCapacity) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    this.outstanding[replica]++;
    this.enqueue(slot, replica, now);
    this.tryBatch(replica, now);
  }

  private enqueue(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    const r = replica - this.first;
    requests.state[slot] = RequestState.Queued;
    this.waiting[r]++;
    this.queues.push(r, slot, requests.gen[slot]);
    if (this.timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + this.timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
  }

  /** The recheck deadline `gen` of `replica` is due, unless a later one replaced it. */
  recheck(replica: number, gen: number, now: number): void {
    if (gen === this.timerGen[replica - this.first]) this.tryBatch(replica, now);
  }

  /**
   * Starts batches on `replica` while it has a free execution slot and its former chooses one;
   * when the former waits, arms one deadline (the latest replaces any earlier) at which to ask again.
   */
  private tryBatch(replica: number, now: number): void {
    const r = replica - this.first;
    while (this.busy[r] < this.concurrency && this.waiting[r] > 0) {
      this.dropStaleHead(r);
      const view = this.view;
      view.show(r, this.waiting[r]);
      const size = this.former.form(view, now);
      if (size === 0) {
        const atUs = this.former.recheckAtUs(view);
        if (atUs !== Number.POSITIVE_INFINITY) {
          this.engine.at(Math.max(now, atUs), Kind.BatchTimer, replica, ++this.timerGen[r]);
        }
        return;
      }
      this.startBatch(replica, size, now);
    }
  }

  /** Entries at the head whose request no longer waits (timed out, started, reclaimed) leave the queue. */
  private dropStaleHead(r: number): void {
    const requests = this.requests;
    const queues = this.queues;
    for (let head = queues.peek(r); head >= 0; head = queues.peek(r)) {
      if (requests.gen[head] === queues.peekedGen && requests.state[head] === RequestState.Queued) return;
      queues.shift(r);
    }
  }

  private startBatch(replica: number, size: number, now: number): void {
    const requests = this.requests;
    const batch = this.former.batch;
    const serviceUs = toUs(this.latency(size));
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
    const r = replica - this.first;
    this.dropStaleHead(r);
    this.waiting[r] -= size;
    this.busy[r]++;
    this.sizes.set(size, (this.sizes.get(size) ?? 0) + 1);
    this.engine.at(now + serviceUs, Kind.BatchDone, chain, requests.gen[chain]);
  }

  /** The batch chained from `chain` finishes: every request in it completes. */
  finishBatch(chain: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[chain];
    const startUs = requests.startUs[chain];
    this.busy[replica - this.first]--;
    for (let slot = chain; slot >= 0; ) {
      const next = requests.nextInBatch[slot];
      this.outstanding[replica]--;
      this.flow.complete(slot, requests.arrivalUs[slot], startUs, now);
      slot = next;
    }
    this.meters.busy(this.fleet, startUs, now, 1);
    this.tryBatch(replica, now);
    this.replicas.requestLeft(replica, now);
  }

  cancel(_slot: number, replica: number): void {
    this.waiting[replica - this.first]--;
  }

  waitingAt(replica: number): number {
    return this.waiting[replica - this.first];
  }

  occupiesSlot(slot: number): boolean {
    return this.requests.leadsBatch[slot] === 1;
  }

  addRunningBusy(busyUs: number, _now: number): number {
    return busyUs;
  }

  chargeRunning(_endUs: number): void {}

  /** Queue entries of the reclaimed requests go stale with their generations; only the counts reset. */
  reclaim(replica: number, _now: number, _victims: readonly number[]): void {
    const r = replica - this.first;
    this.busy[r] = 0;
    this.waiting[r] = 0;
  }
}

/**
 * One replica's queue as a batch former sees it: the requests still waiting, oldest first. Stale
 * entries (timed out, already started) are stepped over, not removed, as the queue does itself.
 */
class ReplicaQueueView implements WaitingQueue {
  length = 0;
  private r = 0;
  private index = 0;

  constructor(
    private readonly queues: ReplicaQueues,
    private readonly requests: RequestTable,
  ) {}

  show(r: number, waiting: number): void {
    this.r = r;
    this.length = waiting;
  }

  first(): number {
    this.index = -1;
    return this.next();
  }

  next(): number {
    const queues = this.queues;
    const requests = this.requests;
    const end = queues.length(this.r);
    while (++this.index < end) {
      const slot = queues.at(this.r, this.index);
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
