import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import type { Fleet } from '../../scenario/types.js';
import type { ServiceTimeModel } from '../../serving/index.js';
import { Kind } from '../events.js';
import type { Meters } from '../meters.js';
import { type ReplicaLifecycle, ReplicaState } from '../replica-lifecycle.js';
import { ReplicaQueues } from '../replica-queues.js';
import type { RequestFlow } from '../request-flow.js';
import { RequestState, type RequestTable } from '../request-table.js';
import { toUs } from '../time.js';
import { queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

/**
 * One request per execution slot (`concurrency` per replica), each for a service time drawn from
 * the fleet's model; requests beyond wait in the replica's FIFO, up to the queue capacity. This
 * is the M/M/c path the benchmarks time: it allocates nothing per request.
 */
export class SlotService implements ServiceDiscipline {
  private readonly busy: Int32Array;
  private readonly waiting: Int32Array;
  private readonly queues: ReplicaQueues;
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
  private readonly replicaState: Uint8Array;
  private readonly attributes: Float64Array;
  private readonly storesAttributes: boolean;

  constructor(
    private readonly fleet: number,
    private readonly first: number,
    count: number,
    config: Fleet,
    private readonly serviceTime: ServiceTimeModel,
    context: ServiceContext,
  ) {
    this.busy = new Int32Array(count);
    this.waiting = new Int32Array(count);
    this.queues = new ReplicaQueues(count);
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
    this.replicaState = context.replicas.state;
    this.attributes = context.attributes;
    this.storesAttributes = context.storesAttributes;
  }

  /** The service time is drawn before admission, so a fleet's k-th arrival gets the same one in every variant. */
  arrive(replica: number, measured: boolean, now: number): void {
    const serviceUs = toUs(this.serviceTime(this.attributes));
    const r = replica - this.first;
    if (this.busy[r] < this.concurrency || this.waiting[r] < this.queueCapacity) {
      const requests = this.requests;
      const slot = requests.allocate();
      requests.arrivalUs[slot] = now;
      requests.serviceUs[slot] = serviceUs;
      if (this.storesAttributes) requests.storeAttributes(slot, this.attributes);
      requests.replica[slot] = replica;
      requests.measured[slot] = measured ? 1 : 0;
      this.outstanding[replica]++;
      if (this.busy[r] < this.concurrency) this.start(slot, replica, now);
      else this.enqueue(slot, r, now);
    } else {
      this.meters.drop(measured, now, replica, -1);
    }
  }

  admit(slot: number, replica: number, now: number): void {
    const r = replica - this.first;
    const startsNow = this.busy[r] < this.concurrency;
    if (!startsNow && this.waiting[r] >= this.queueCapacity) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    this.outstanding[replica]++;
    this.requests.serviceUs[slot] = toUs(this.serviceTime(this.attributes));
    if (startsNow) this.start(slot, replica, now);
    else this.enqueue(slot, r, now);
  }

  private enqueue(slot: number, r: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Queued;
    this.waiting[r]++;
    this.queues.push(r, slot, requests.gen[slot]);
    if (this.timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + this.timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
  }

  private start(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.InService;
    requests.startUs[slot] = now;
    this.busy[replica - this.first]++;
    const arrivalUs = requests.arrivalUs[slot];
    if (now > arrivalUs) this.timeseries.addWait(arrivalUs, now);
    this.engine.at(now + requests.serviceUs[slot], Kind.ServiceDone, slot, requests.gen[slot]);
  }

  /** The request in `slot` finishes; the replica's next waiting request starts in its slot. */
  finish(slot: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[slot];
    const r = replica - this.first;
    const startUs = requests.startUs[slot];
    const arrivalUs = requests.arrivalUs[slot];
    this.busy[r]--;
    this.outstanding[replica]--;
    // Complete (which counts) first: it moves the series to the bin of `now`, where the span then
    // usually fits whole. `flow.complete` spelled out: V8 inlines what `finish` calls within a
    // bytecode budget, and the wrapper's bytes would leave `meters.complete` out of it.
    this.meters.complete(slot, arrivalUs, startUs, now);
    requests.release(slot);
    this.flow.departed();
    this.meters.busy(this.fleet, startUs, now, 1);

    const queues = this.queues;
    for (let next = queues.shift(r); next >= 0; next = queues.shift(r)) {
      if (requests.gen[next] !== queues.poppedGen) continue;
      this.waiting[r]--;
      this.start(next, replica, now);
      break;
    }
    if (this.replicaState[replica] === ReplicaState.Draining) this.replicas.requestLeft(replica, now);
  }

  cancel(_slot: number, replica: number): void {
    this.waiting[replica - this.first]--;
  }

  waitingAt(replica: number): number {
    return this.waiting[replica - this.first];
  }

  occupiesSlot(_slot: number): boolean {
    return true;
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
