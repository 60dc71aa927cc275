import { toUs, US_PER_S } from '../core/time.js';
import { type CapacityEvent, Count, LatencyStats, type TimeSeries } from '../metrics/index.js';
import { requestLimits } from '../metrics/slo.js';
import { REQUEST_ATTRIBUTES, type Slo } from '../scenario/types.js';
import type { RequestOutcome } from '../workload/index.js';
import { ClassMeter, ClassWork } from './class-meters.js';
import type { NetworkModel } from './network-model.js';
import type { OracleComparison } from './oracle-comparison.js';
import type { RequestObserver } from './request-observer.js';
import type { ArrivalClass, RequestTable } from './request-table.js';

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const OUTPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('output_tokens');
// The columns counted on every request, as this module's own constants: optimized code folds them
// to numbers, where each use of an imported object's field is a load, a hole check and a map check.
const ARRIVALS = Count.arrivals;
const COMPLETED = Count.completed;

/**
 * Everything a run measures, told by the handlers as requests and replicas reach their outcomes:
 * run totals and latency sketches (the results), per-fleet meters (which autoscaler scrapes read,
 * as a metrics pipeline would), the time series, capacity events and `onRequest` records. Meters
 * decide nothing: apart from those scrapes, no handler reads one to choose what happens next.
 */
export class Meters {
  /** Measured requests (arrived after warmup) by outcome; `good` completed within the SLO's per-request limits. */
  arrived = 0;
  completed = 0;
  good = 0;
  dropped = 0;
  timedOut = 0;
  /** Requests (measured or not) rejected because no fleet serves the model they ask for. */
  unserved = 0;
  inputTokens = 0;
  outputTokens = 0;
  readonly latency = new LatencyStats();
  readonly wait = new LatencyStats();
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
  /** Per fleet: busy slot-time. */
  readonly busyUs: Float64Array;
  /** Per fleet: requests completed (warmup included), for its mean service time. */
  readonly completedByFleet: Float64Array;
  /** Per fleet: measured requests it completed. */
  readonly measuredByFleet: Float64Array;
  /** Per fleet: request-time (arrival to departure) of the requests that left it, cumulative. */
  readonly residenceUs: Float64Array;
  /** Per fleet: arrivals routed to it since its autoscaler's last scrape (which resets it). */
  readonly routed: Float64Array;
  /** Per fleet: batches (or iterations) by size. */
  readonly batchSizes: Map<number, number>[];
  readonly capacityEvents: CapacityEvent[] = [];
  /**
   * Set by the continuous-batching loop for the request it is about to complete when its TTFT or
   * TPOT is over the limit: only that loop knows them, and `complete` judges the rest.
   */
  missedTokenLimit = false;
  private readonly latencyLimitUs: number;
  private readonly waitLimitUs: number;
  private readonly ttftLimitUs: number;
  private readonly tpotLimitS: number;
  private readonly hasNetwork: boolean;
  /** Whether a measured completion counts tokens or makes an `onRequest` record. */
  private readonly recordsMore: boolean;
  /** With `workload.classes`: each class's own figures, and the work each did on each fleet; null without. */
  readonly classes: ClassMeter[] | null;
  readonly work: ClassWork | null;
  /**
   * Per fleet: 1 when an autoscaler sizes it. Read on every arrival: an element of a plain array
   * is a value of unknown type, tested as a boolean the long way.
   */
  private readonly autoscaled: Uint8Array;
  /** Per fleet: whether it serves batches (a batch's lead request charges the busy time of the whole batch). */
  batchFleets: readonly boolean[] = [];

  constructor(
    fleets: number,
    private readonly requests: RequestTable,
    private readonly fleetOf: Int32Array,
    /** Per replica: its current life in its fleet, the replica id `onRequest` records name. */
    private readonly lifetime: Int32Array,
    /** The arriving request's attributes (`REQUEST_ATTRIBUTES` order), for requests turned away at once. */
    private readonly attributes: Float64Array,
    readonly timeseries: TimeSeries,
    readonly network: NetworkModel,
    readonly oracle: OracleComparison,
    /** Per fleet: whether an autoscaler sizes it (the oracle counts only those fleets' arrivals). */
    autoscaled: readonly boolean[],
    private readonly observer: RequestObserver | null,
    slo: Slo,
    /**
     * False when every request's attributes are 0 (none sampled or read) and no fleet rewrites
     * them: tokens then need no summing.
     */
    private readonly storesAttributes: boolean,
    /** The class of the request arriving now, for requests turned away at once. */
    private readonly arriving: ArrivalClass,
    /** The workload's classes when it declares them (`workload.classes`); 0 when it does not. */
    classes: number,
  ) {
    this.classes = classes > 0 ? Array.from({ length: classes }, () => new ClassMeter()) : null;
    this.work = classes > 0 ? new ClassWork(fleets, classes) : null;
    this.busyUs = new Float64Array(fleets);
    this.completedByFleet = new Float64Array(fleets);
    this.measuredByFleet = new Float64Array(fleets);
    this.residenceUs = new Float64Array(fleets);
    this.routed = new Float64Array(fleets);
    this.autoscaled = Uint8Array.from(autoscaled, (sized) => (sized ? 1 : 0));
    this.batchSizes = Array.from({ length: fleets }, () => new Map());
    const limits = requestLimits(slo);
    // Converted as every simulated time is, to whole microseconds: a request that takes exactly
    // the limit meets it (0.032247 s x 1e6 is 32246.999..., which a 32,247 us TTFT would exceed).
    this.latencyLimitUs = toUs(limits.latency);
    this.waitLimitUs = toUs(limits.queue_wait);
    this.ttftLimitUs = toUs(limits.ttft);
    this.tpotLimitS = limits.tpot;
    this.hasNetwork = network.active;
    this.recordsMore = storesAttributes || observer !== null;
  }

  arrival(measured: boolean, now: number): void {
    if (measured) {
      this.arrived++;
      if (this.classes !== null) this.classes[this.arriving.classIndex].arrived++;
    }
    this.timeseries.count(ARRIVALS, now);
  }

  /** A new arrival routed to `fleet`. */
  routedArrival(fleet: number, now: number): void {
    this.routed[fleet]++;
    if (this.autoscaled[fleet] === 1) this.oracle.count(fleet, now);
  }

  /** A new arrival held for `fleet` while none of its replicas is ready: demand the oracle sizes for all the same. */
  heldArrival(fleet: number, now: number): void {
    if (this.autoscaled[fleet] === 1) this.oracle.count(fleet, now);
  }

  /** Counts a finished request, which `fleet` served; its slot is still to be released. */
  complete(slot: number, fleet: number, arrivalUs: number, startUs: number, now: number): void {
    const requests = this.requests;
    this.residenceUs[fleet] += now - arrivalUs;
    this.completedByFleet[fleet]++;
    this.timeseries.count(COMPLETED, now);
    const wireUs = this.hasNetwork ? this.wireUs(slot, fleet) : 0;
    if (this.classes !== null) this.classComplete(slot, fleet, arrivalUs, startUs, now + wireUs);
    if (requests.measured[slot] === 1) {
      this.completed++;
      this.measuredByFleet[fleet]++;
      const latencyUs = now + wireUs - arrivalUs;
      const waitUs = startUs - arrivalUs;
      this.latency.acceptMicros(latencyUs);
      this.wait.acceptMicros(waitUs);
      if (latencyUs <= this.latencyLimitUs && waitUs <= this.waitLimitUs && !this.missedTokenLimit)
        this.good++;
      this.missedTokenLimit = false;
      if (this.recordsMore) this.measuredExtras(slot, fleet, now + wireUs);
    }
  }

  /** A completion counted for its class: every one for what its cost bought, a measured one in its figures. */
  private classComplete(
    slot: number,
    fleet: number,
    arrivalUs: number,
    startUs: number,
    finishUs: number,
  ): void {
    const requests = this.requests;
    const c = requests.requestClass[slot];
    const meter = (this.classes as ClassMeter[])[c];
    const input = requests.inputTokens[slot];
    const output = requests.outputTokens[slot];
    meter.completedAll++;
    meter.inputTokensAll += input;
    meter.outputTokensAll += output;
    if (this.hasNetwork) {
      const work = this.work as ClassWork;
      work.egressBytes[fleet * work.classes + c] += this.network.responseBytes(
        requests.responseBytes[slot],
        output,
      );
    }
    if (requests.measured[slot] !== 1) return;
    meter.completed++;
    meter.inputTokens += input;
    meter.outputTokens += output;
    meter.latency.acceptMicros(finishUs - arrivalUs);
    meter.wait.acceptMicros(startUs - arrivalUs);
  }

  /** Tokens and the `onRequest` record of a measured completion: apart, as most runs need neither. */
  private measuredExtras(slot: number, fleet: number, finishUs: number): void {
    if (this.storesAttributes) this.countTokens(slot);
    if (this.observer !== null) this.observeSlot('completed', slot, fleet, finishUs);
  }

  /**
   * Token times of an LLM request about to complete: its first token reached the client at
   * `firstTokenUs` plus the wire, and its later tokens came `tpot` apart.
   */
  tokenTimes(slot: number, fleet: number, prompt: number, output: number, now: number): void {
    const requests = this.requests;
    const arrivalUs = requests.arrivalUs[slot];
    const firstTokenUs = requests.firstTokenUs[slot];
    const wireUs = this.hasNetwork
      ? this.network.firstTokenWireUs(fleet, this.network.requestBytes(requests.requestBytes[slot], prompt))
      : 0;
    const ttftUs = firstTokenUs + wireUs - arrivalUs;
    this.ttft.acceptMicros(ttftUs);
    const tpotS = output > 1 ? (now - firstTokenUs) / US_PER_S / (output - 1) : 0;
    if (output > 1) this.tpot.accept(tpotS);
    if (this.classes !== null) {
      const meter = this.classes[requests.requestClass[slot]];
      meter.ttft.acceptMicros(ttftUs);
      if (output > 1) meter.tpot.accept(tpotS);
    }
    this.missedTokenLimit = ttftUs > this.ttftLimitUs || tpotS > this.tpotLimitS;
    if (this.observer !== null) this.observer.firstTokenUs = arrivalUs + ttftUs;
  }

  /** `us` of `fleet`'s busy slot-time, done for a request of class `c`. */
  attribute(fleet: number, c: number, us: number): void {
    const work = this.work as ClassWork;
    work.busyUs[fleet * work.classes + c] += us;
  }

  /** `us` of an LLM fleet's busy slot-time, done computing the prompt of a request of class `c`. */
  attributePrefill(fleet: number, c: number, us: number): void {
    const work = this.work as ClassWork;
    work.busyUs[fleet * work.classes + c] += us;
    work.prefillUs[fleet * work.classes + c] += us;
  }

  /**
   * Busy slot-time of the request in `slot`, in service since `startUs` and charged up to `endUs`
   * by one slot: on a batching fleet, the lead of a batch charges it for the whole batch, which
   * splits it evenly among its requests.
   */
  busySlot(fleet: number, slot: number, startUs: number, endUs: number): void {
    this.busy(fleet, startUs, endUs, 1);
    if (this.work !== null) this.attributeSlot(fleet, slot, endUs - startUs);
  }

  /** `us` of one busy slot of `fleet`, done for the request in `slot` (or for its batch, which it leads). */
  attributeSlot(fleet: number, slot: number, us: number): void {
    const requests = this.requests;
    if (!this.batchFleets[fleet]) {
      this.attribute(fleet, requests.requestClass[slot], us);
      return;
    }
    let size = 0;
    for (let member = slot; member >= 0; member = requests.nextInBatch[member]) size++;
    for (let member = slot; member >= 0; member = requests.nextInBatch[member])
      this.attribute(fleet, requests.requestClass[member], us / size);
  }

  /** Busy slot-time of `fleet` from `startUs` to `endUs`, in `slots` slots. */
  busy(fleet: number, startUs: number, endUs: number, slots: number): void {
    this.busyUs[fleet] += (endUs - startUs) * slots;
    this.timeseries.addBusy(fleet, startUs, endUs, slots);
  }

  /** A request `replica` turns away: the arriving one (`slot` -1), or one it was sent again. */
  drop(
    measured: boolean,
    now: number,
    replica: number,
    slot: number,
    outcome: RequestOutcome = 'dropped',
  ): void {
    if (measured) {
      this.dropped++;
      if (this.classes !== null)
        this.classes[slot >= 0 ? this.requests.requestClass[slot] : this.arriving.classIndex].dropped++;
      if (this.observer !== null) {
        if (slot >= 0) this.observeSlot(outcome, slot, this.fleetOf[replica], now);
        else this.observeArrival(outcome, replica, now);
      }
    }
    this.timeseries.count(Count.dropped, now);
  }

  /** The request arriving now asks for a model no fleet serves: it is rejected before routing. */
  unservedModel(measured: boolean, now: number): void {
    this.unserved++;
    if (measured) {
      this.dropped++;
      if (this.classes !== null) this.classes[this.arriving.classIndex].dropped++;
      if (this.observer !== null) {
        const attributes = this.attributes;
        this.observer.record(
          'rejected',
          -1,
          -1,
          now,
          now,
          attributes[INPUT_TOKENS],
          attributes[OUTPUT_TOKENS],
          this.arriving.classIndex,
        );
      }
    }
    this.timeseries.count(Count.dropped, now);
  }

  /**
   * A request gave up waiting for `fleet` (queued at one of its replicas, or held for it), or
   * finished past its class's deadline (`waiting` false: its wait was counted when it started);
   * its slot is still to be released.
   */
  timeOut(slot: number, fleet: number, now: number, waiting = true): void {
    const requests = this.requests;
    this.residenceUs[fleet] += now - requests.arrivalUs[slot];
    this.timeseries.count(Count.timed_out, now);
    if (waiting) this.timeseries.addWait(requests.arrivalUs[slot], now);
    if (requests.measured[slot] === 1) {
      this.timedOut++;
      if (this.classes !== null) this.classes[requests.requestClass[slot]].timedOut++;
      if (this.observer !== null) this.observeSlot('timed_out', slot, fleet, now);
    }
  }

  /** A measured request still in flight when the run ends, with the fleet it is at or held for. */
  inFlightAtEnd(slot: number, fleet: number): void {
    if (this.classes !== null) this.classes[this.requests.requestClass[slot]].inFlight++;
    if (this.observer !== null) this.observeSlot('in_flight_at_end', slot, fleet, Number.NaN);
  }

  capacityEvent(event: CapacityEvent): void {
    this.capacityEvents.push(event);
  }

  /** Apart from `complete`, which every request passes through: most runs have no network, and V8 inlines `complete` within a bytecode budget. */
  private wireUs(slot: number, fleet: number): number {
    const requests = this.requests;
    return this.network.completionWireUs(
      fleet,
      requests.requestBytes[slot],
      requests.inputTokens[slot],
      requests.responseBytes[slot],
      requests.outputTokens[slot],
    );
  }

  private countTokens(slot: number): void {
    this.inputTokens += this.requests.inputTokens[slot];
    this.outputTokens += this.requests.outputTokens[slot];
  }

  /** The request arriving now, turned away before it got a slot. */
  private observeArrival(outcome: RequestOutcome, replica: number, now: number): void {
    const attributes = this.attributes;
    (this.observer as RequestObserver).record(
      outcome,
      this.fleetOf[replica],
      this.lifetime[replica],
      now,
      now,
      attributes[INPUT_TOKENS],
      attributes[OUTPUT_TOKENS],
      this.arriving.classIndex,
    );
  }

  /** The request in `slot`, which `fleet` served, turned away or held. */
  private observeSlot(outcome: RequestOutcome, slot: number, fleet: number, finishUs: number): void {
    const requests = this.requests;
    const replica = requests.replica[slot];
    (this.observer as RequestObserver).record(
      outcome,
      fleet,
      replica < 0 ? -1 : this.lifetime[replica],
      requests.arrivalUs[slot],
      finishUs,
      requests.inputTokens[slot],
      requests.outputTokens[slot],
      requests.requestClass[slot],
    );
  }
}
