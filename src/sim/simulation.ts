import { createStreams, Engine, type EventHandler } from '../engine/index.js';
import { CapacityOutages } from '../fleet/capacity-outages.js';
import {
  createInterruptionProcess,
  createStartupSampler,
  type InterruptionProcess,
  PriceSeries,
  ReplicaTable,
} from '../fleet/index.js';
import { type PartialRun, TimeSeries, type VariantResult } from '../metrics/index.js';
import { DEFAULT_SLO } from '../metrics/slo.js';
import { type Autoscaler, createAutoscaler, type MetricSample } from '../policies/autoscaling/index.js';
import { createSequence, type Sequence } from '../policies/batching/continuous.js';
import { type BatchingPolicy, createBatchingPolicy } from '../policies/batching/index.js';
import { createRouter, type ReplicaLoadView, type Router } from '../policies/routing/index.js';
import { compileExpression } from '../scenario/expression.js';
import {
  type Fleet,
  InvariantError,
  REQUEST_ATTRIBUTES,
  RunInputError,
  type Scenario,
  type Slo,
} from '../scenario/types.js';
import { formatDuration } from '../scenario/units.js';
import {
  type BatchLatencyModel,
  createBatchLatencyModel,
  createSampler,
  createServiceTimeModel,
  type Sampler,
  type ServiceTimeModel,
} from '../serving/index.js';
import { resolveLlmFleet, type StepTiming } from '../serving/llm-fleet.js';
import {
  type ArrivalRecord,
  type ArrivalSource,
  createArrivalRecord,
  createArrivalSource,
  type RequestOutcome,
  type RequestRecord,
} from '../workload/index.js';
import { HANDLERS, Kind, PRIORITIES } from './events.js';
import { LlmFleetState } from './llm-fleet-state.js';
import { Meters } from './meters.js';
import { NetworkModel } from './network-model.js';
import { OracleComparison } from './oracle-comparison.js';
import { ReplicaQueues } from './replica-queues.js';
import { RequestObserver } from './request-observer.js';
import { RequestState, RequestTable } from './request-table.js';
import { resultOf, slotsPerReplica } from './results.js';

/** Where a replica slot is in its lifecycle; a slot is reused by later launches once `Off`. */
const Replica = { Off: 0, Provisioning: 1, Ready: 2, Draining: 3 } as const;

/** What an LLM replica's engine loop is doing. */
const Loop = { Idle: 0, Starting: 1, Running: 2 } as const;

const US_PER_S = 1e6;
/**
 * The longest a request is held for a fleet with no ready replica when its queue has no shorter
 * timeout: Knative's default revision timeout (300 s), which bounds a request waiting at its
 * activator. Without a bound, a fleet that can never get a replica would hold requests forever.
 */
const HOLD_TIMEOUT_US = 300 * US_PER_S;
const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const OUTPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('output_tokens');
const REQUEST_BYTES = REQUEST_ATTRIBUTES.indexOf('request_bytes');
const RESPONSE_BYTES = REQUEST_ATTRIBUTES.indexOf('response_bytes');
/**
 * Run limits are checked between slices of this many events: the event loop then pays one counter
 * comparison per event and the clock is read a few hundred times a second. `max_in_flight` can
 * thus be passed by up to this many requests before the run stops.
 */
const LIMIT_CHECK_EVENTS = 4096;
/** Wall-clock milliseconds between progress reports from inside a simulated-time step. */
const PROGRESS_WALL_MS = 250;
/** Timeseries interval candidates, seconds: the smallest that keeps a run under ~500 rows wins. */
const NICE_INTERVALS_S = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 21600, 86400];

export interface SimulationOptions {
  /** The variant's name in results. */
  name?: string;
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Called about 200 times over the run, for progress displays. */
  onProgress?: (progress: Progress) => void;
  /**
   * The scenario's SLO (default: `DEFAULT_SLO`): the run's verdict and goodput, and autoscaled
   * fleets are compared with an oracle that meets it.
   */
  slo?: Slo | null;
  /**
   * Called once for every measured request (arrived after warmup) when it reaches its outcome,
   * and at the end for those still in flight, in simulation order; a fresh record each time.
   */
  onRequest?: (record: RequestRecord) => void;
}

export interface Progress {
  variant: string;
  simulatedS: number;
  /** When arrivals stop (null while a trace's end is unknown). */
  horizonS: number | null;
  /** Requests arrived after warmup. */
  arrived: number;
  events: number;
  /** Arrivals are over: requests in flight are draining. */
  draining: boolean;
  /** Requests in the system (held, queued or in service), warmup ones included. */
  inFlight: number;
  /** While draining: when `max_drain` ends the drain at the latest (null: no limit). */
  drainLimitS: number | null;
}

/** Runs one fully resolved scenario to completion and returns its results. */
export function simulate(scenario: Scenario, options: SimulationOptions = {}): VariantResult {
  const name = options.name ?? 'baseline';
  return new Simulation(
    scenario,
    options.seed ?? scenario.seed,
    options.onProgress,
    options.slo ?? DEFAULT_SLO,
    options.onRequest ? new RequestObserver(options.onRequest, name, scenario) : null,
  ).run(name);
}

export class Simulation implements EventHandler {
  private readonly engine = new Engine(this, PRIORITIES);
  readonly requests = new RequestTable();
  private readonly queues: ReplicaQueues;
  private readonly source: ArrivalSource;
  private readonly arrival: ArrivalRecord = createArrivalRecord();
  private readonly attributes = new Float64Array(REQUEST_ATTRIBUTES.length);
  private readonly attributeSamplers: (Sampler | null)[];
  /** Only a trace can carry attributes; synthetic sources leave them all to the samplers. */
  private readonly fromTrace: boolean;
  /** Attributes with a sampler, for sources that never carry any (the others stay 0). */
  private readonly sampledAttributes: Int32Array;
  /** False when every attribute is always 0: nothing to do per arrival. */
  private readonly hasAttributes: boolean;
  /**
   * False when every request's attributes are 0 (none sampled or read) and no fleet rewrites
   * them (LLM fleets round tokens up to 1): the slot path then neither stores nor sums them, as
   * the columns of a slot never written hold 0.
   */
  private readonly storesAttributes: boolean;
  private readonly router: Router;

  // Per replica.
  private readonly fleetOf: Int32Array;
  private readonly busy: Int32Array;
  private readonly waiting: Int32Array;
  private readonly load: ReplicaLoadView;

  /** Per replica: bumped whenever a new batcher deadline replaces the pending one. */
  readonly timerGen: Int32Array;
  /** Per replica of a continuous-batching fleet: a `Loop` state. */
  private readonly iterating: Uint8Array;
  private readonly iterationStartUs: Float64Array;
  /** Sequences in the running iteration: each keeps one of the replica's `max_num_seqs` slots busy. */
  private readonly iterationSeqs: Int32Array;
  private readonly iterationEndUs: Float64Array;
  /** Per request slot on a continuous-batching fleet: its sequence. */
  private readonly sequences: (Sequence | undefined)[] = [];
  private readonly stepTiming: StepTiming = { seconds: 0, prefillShare: 0 };

  // Per replica slot: lifecycle. A fleet owns slots first .. first + maxReplicas - 1.
  private readonly replicaState: Uint8Array;
  /** Bumped at every launch: events of an earlier life of the slot are ignored. */
  readonly replicaEpoch: Int32Array;
  /** The slot's current life in its fleet's `ReplicaTable`. */
  private readonly lifetime: Int32Array;
  /** When the slot's current life was requested (for the time series). */
  private readonly launchedUs: Float64Array;

  // Per fleet: capacity.
  private readonly fleetFirst: Int32Array;
  /** Replica slots: maxReplicas, twice that for an elastic fleet (replacements launch while others drain). */
  private readonly fleetSlots: Int32Array;
  private readonly replicaTables: ReplicaTable[];
  private readonly autoscalers: (Autoscaler | null)[];
  private readonly startupUs: (() => number)[];
  private readonly interruptions: (InterruptionProcess | null)[];
  private readonly lastScrapeUs: Float64Array;
  /** Request-time of requests that left each fleet at its last scrape. */
  private readonly lastResidenceUs: Float64Array;
  /** Busy slot-time of each fleet at its last scrape. */
  private readonly lastBusyUs: Float64Array;
  /** Requests waiting for the fleet because no replica was ready (Knative's activator). */
  private readonly heldCount: Int32Array;
  private readonly interrupted: { requeued: number; retried: number; dropped: number }[];
  /** Requests held while no replica is ready, oldest first, from `heldHead` on (stale entries skipped). */
  private held: number[] = [];
  private heldHead = 0;
  private arrivalsDone = false;
  private readonly outages: CapacityOutages;
  private readonly spotPrices: (PriceSeries | null)[];

  // Per fleet.
  private readonly serviceTime: (ServiceTimeModel | null)[];
  /** null for fleets without batching. */
  private readonly batching: (BatchingPolicy | null)[];
  private readonly batchLatency: (BatchLatencyModel | null)[];
  /** null for fleets without continuous batching. */
  private readonly llmFleets: (LlmFleetState | null)[];
  private readonly queueCapacity: Float64Array;
  private readonly timeoutUs: Float64Array;

  private readonly meters: Meters;
  private readonly warmupUs: number;
  private lastArrivalUs = 0;
  /** `performance.now()` past which the run ends (`limits.max_wall`). */
  private wallDeadlineMs = Number.POSITIVE_INFINITY;
  private lastProgressMs = 0;
  /** Events handled when the run limits are checked next. */
  private checkAtEvents: number;
  /** Set when a run limit ended the run early. */
  private partial: PartialRun | null = null;
  /** Where `max_drain` ends the drain, once arrivals are over. */
  private drainLimitUs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly scenario: Scenario,
    seed: number,
    private readonly onProgress: ((progress: Progress) => void) | undefined,
    private readonly slo: Slo,
    observer: RequestObserver | null,
  ) {
    this.checkAtEvents = Math.min(LIMIT_CHECK_EVENTS, scenario.limits.maxEvents);
    const streams = createStreams(seed);
    const { workload, fleets } = scenario;
    this.warmupUs = Math.round(scenario.warmup * US_PER_S);

    const arrivals = workload.arrivals;
    let rateAt: ((tS: number) => number) | undefined;
    if (arrivals.kind === 'poisson' && arrivals.rate.kind === 'expression') {
      const compiled = compileExpression(arrivals.rate.source, ['t']);
      if (!compiled.ok) throw new Error(`rate "${arrivals.rate.source}": ${compiled.message}`);
      const time = new Float64Array(1);
      const evaluate = compiled.fn;
      rateAt = (tS) => {
        time[0] = tS;
        return evaluate(time);
      };
    }
    this.source = createArrivalSource(arrivals, {
      uniform: streams.stream('arrivals'),
      durationS: scenario.duration,
      rateAt,
      // Its own stream: resampling a trace shifts no other draw, so variants keep common random numbers.
      bootstrapUniform:
        arrivals.kind === 'trace' && arrivals.trace.bootstrap ? streams.stream('trace-bootstrap') : undefined,
    });
    this.attributeSamplers = REQUEST_ATTRIBUTES.map((name) => {
      const distribution = workload.attributes[name];
      return distribution ? createSampler(distribution, streams.stream(`workload/${name}`)) : null;
    });
    this.fromTrace = arrivals.kind === 'trace';
    this.sampledAttributes = Int32Array.from(
      [...REQUEST_ATTRIBUTES.keys()].filter((a) => this.attributeSamplers[a] !== null),
    );
    this.hasAttributes = this.fromTrace || this.sampledAttributes.length > 0;

    for (const f of fleets) {
      if (!(f.minReplicas <= f.replicas && f.replicas <= f.maxReplicas)) {
        throw new RunInputError(
          `fleet ${f.name}: ${f.replicas} initial replicas, outside min ${f.minReplicas} .. max ${f.maxReplicas}`,
        );
      }
    }
    const slotCounts = fleets.map((f) => (isElastic(f) ? 2 * f.maxReplicas : f.maxReplicas));
    const replicaCount = slotCounts.reduce((sum, n) => sum + n, 0);
    this.fleetSlots = Int32Array.from(slotCounts);
    this.fleetOf = new Int32Array(replicaCount);
    this.busy = new Int32Array(replicaCount);
    this.waiting = new Int32Array(replicaCount);
    this.replicaState = new Uint8Array(replicaCount);
    this.replicaEpoch = new Int32Array(replicaCount);
    this.lifetime = new Int32Array(replicaCount);
    this.launchedUs = new Float64Array(replicaCount);
    this.fleetFirst = new Int32Array(fleets.length);
    const concurrency = new Int32Array(replicaCount);
    const routed = [];
    let first = 0;
    const llmFleets: (LlmFleetState | null)[] = [];
    for (const [f, fleet] of fleets.entries()) {
      this.fleetFirst[f] = first;
      const count = slotCounts[f];
      this.fleetOf.fill(f, first, first + count);
      llmFleets.push(llmFleetState(fleet, scenario, first, count));
      // Routing sees a continuous-batching replica as full once it runs max_num_seqs sequences.
      const slots = fleet.batching.policy === 'continuous' ? fleet.batching.maxNumSeqs : fleet.concurrency;
      concurrency.fill(slots, first, first + count);
      routed.push({ name: fleet.name, first, count, fallback: fleet.fallback, elastic: isElastic(fleet) });
      first += count;
    }
    // Outstanding = in service + waiting, kept as its own column because routing reads it on every arrival.
    this.load = { outstanding: new Int32Array(replicaCount), concurrency };
    this.queues = new ReplicaQueues(replicaCount);
    this.router = createRouter(scenario.routing, routed, this.load, streams, this.attributes);
    this.replicaTables = fleets.map(() => new ReplicaTable());
    this.autoscalers = fleets.map((f) =>
      f.autoscaling === null
        ? null
        : createAutoscaler(f.autoscaling, { min: f.minReplicas, max: f.maxReplicas }),
    );
    this.startupUs = fleets.map((f) => createStartupSampler(f.startup, streams.stream(`startup/${f.name}`)));
    this.interruptions = fleets.map((f) =>
      f.interruption === null
        ? null
        : createInterruptionProcess(f.interruption, streams.stream(`spot/${f.name}`)),
    );
    this.lastScrapeUs = new Float64Array(fleets.length);
    this.lastResidenceUs = new Float64Array(fleets.length);
    this.lastBusyUs = new Float64Array(fleets.length);
    this.heldCount = new Int32Array(fleets.length);
    this.interrupted = fleets.map(() => ({ requeued: 0, retried: 0, dropped: 0 }));
    this.outages = new CapacityOutages(fleets, streams);
    this.spotPrices = fleets.map((f) =>
      f.spotPriceTrace === null ? null : PriceSeries.read(f.spotPriceTrace, f.priceUsdPerHour),
    );

    this.serviceTime = fleets.map((f) =>
      f.serviceTime === null
        ? null
        : createServiceTimeModel(f.serviceTime, streams.stream(`service/${f.name}`)),
    );
    this.batching = fleets.map((f) => createBatchingPolicy(f.batching));
    this.batchLatency = fleets.map((f) =>
      f.batchLatency === null ? null : createBatchLatencyModel(f.batchLatency),
    );
    this.llmFleets = llmFleets;
    this.storesAttributes = this.hasAttributes || llmFleets.some((llm) => llm !== null);
    this.timerGen = new Int32Array(replicaCount);
    this.iterating = new Uint8Array(replicaCount);
    this.iterationStartUs = new Float64Array(replicaCount);
    this.iterationSeqs = new Int32Array(replicaCount);
    this.iterationEndUs = new Float64Array(replicaCount);
    this.queueCapacity = Float64Array.from(fleets, (f) => f.queue.capacity);
    this.timeoutUs = Float64Array.from(fleets, (f) =>
      f.queue.timeout === null ? Number.POSITIVE_INFINITY : Math.round(f.queue.timeout * US_PER_S),
    );
    const intervalUs = Math.round(chooseInterval(scenario) * US_PER_S);
    const autoscaled = this.autoscalers.map((a) => a !== null);
    this.meters = new Meters(
      fleets.length,
      this.requests,
      this.fleetOf,
      this.lifetime,
      this.attributes,
      new TimeSeries(intervalUs, fleets.length, scenario.metrics.interval === null),
      new NetworkModel(scenario, scenario.network, scenario.dataTransfer),
      // The oracle keeps the series' first width when an adaptive series widens its bins: it sizes
      // each interval's fleet, so finer intervals are closer to clairvoyant.
      new OracleComparison(
        fleets,
        autoscaled,
        this.serviceTime.map((s) => s !== null),
        intervalUs,
        slo,
      ),
      autoscaled,
      observer,
      slo,
      this.storesAttributes,
    );
  }

  /** The dispatcher: every event kind's handler is in the table of `events.ts`. */
  handle(kind: number, slot: number, gen: number, now: number): void {
    HANDLERS[kind](this, slot, gen, now);
  }

  run(name: string): VariantResult {
    const engine = this.engine;
    try {
      this.lastProgressMs = performance.now();
      this.wallDeadlineMs = this.lastProgressMs + this.scenario.limits.maxWallS * 1000;
      this.startFleets();
      const durationUs = this.scenario.duration === null ? 0 : Math.round(this.scenario.duration * US_PER_S);
      // The last arrival stops the engine; with none at all, time still runs to `duration` (an
      // autoscaler may scale an idle fleet), but no further, where only distant events remain.
      const anyArrival = this.source.next(this.arrival);
      if (anyArrival) engine.atLane(toUs(this.arrival.timeS), Kind.Arrival, 0);
      let events = this.runUntil(anyArrival ? Number.POSITIVE_INFINITY : durationUs, name, 0);
      this.arrivalsDone = true;
      // Cut short while requests still arrived: arrivals end where the run does.
      if (this.partial !== null) return this.collect(name, events, engine.now, engine.now);
      const arrivalsEndUs =
        this.scenario.duration === null ? this.lastArrivalUs : Math.round(this.scenario.duration * US_PER_S);
      const drainLimitUs = arrivalsEndUs + this.scenario.maxDrain * US_PER_S;
      this.drainLimitUs = drainLimitUs;
      // Draining stops at the last departure (see `departed`): later events, such as a spot
      // notice or an autoscaler tick, would only stretch the billed run.
      if (this.requests.liveCount > 0) events += this.runUntil(drainLimitUs, name, events);
      const endUs =
        this.partial !== null
          ? engine.now
          : this.requests.liveCount > 0
            ? drainLimitUs
            : Math.max(arrivalsEndUs, engine.now);
      return this.collect(name, events, arrivalsEndUs, endUs);
    } finally {
      this.source.close();
    }
  }

  /**
   * Runs the engine until `untilUs`, `stop()`, the end of events or a run limit; in steps of
   * simulated time when someone watches progress, so it can be reported between them, and in
   * slices of `LIMIT_CHECK_EVENTS` events, between which the limits are checked.
   */
  private runUntil(untilUs: number, name: string, eventsBefore: number): number {
    const engine = this.engine;
    const onProgress = this.onProgress;
    const horizonS = this.scenario.duration ?? this.traceDurationS();
    const stepUs =
      onProgress === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(US_PER_S, ((horizonS ?? 3600) * US_PER_S) / 200);
    let events = 0;
    for (let stepEnd = engine.now + stepUs; ; stepEnd += stepUs) {
      const sliceEndUs = Math.min(stepEnd, untilUs);
      let stopped = false;
      // Checked only with an event still to handle: a run that needs exactly `max_events` is whole.
      while (!stopped && engine.nextEventUs <= sliceEndUs) {
        const total = eventsBefore + events;
        if (total >= this.checkAtEvents) {
          if (this.limitReached(total)) return events;
          this.checkAtEvents = Math.min(total + LIMIT_CHECK_EVENTS, this.scenario.limits.maxEvents);
          if (onProgress !== undefined && performance.now() - this.lastProgressMs >= PROGRESS_WALL_MS)
            this.reportProgress(onProgress, name, horizonS, total);
        }
        const outcome = engine.run(sliceEndUs, this.checkAtEvents - total);
        events += outcome.events;
        stopped = outcome.stopped;
      }
      if (onProgress !== undefined) this.reportProgress(onProgress, name, horizonS, eventsBefore + events);
      if (stopped || engine.pendingEvents === 0 || stepEnd >= untilUs) return events;
      // Steps with nothing to handle are skipped, not reported one by one (a long, quiet drain).
      const idleSteps = Math.floor((engine.nextEventUs - stepEnd) / stepUs);
      if (idleSteps > 0) stepEnd += idleSteps * stepUs;
    }
  }

  private reportProgress(
    onProgress: (progress: Progress) => void,
    name: string,
    horizonS: number | null,
    events: number,
  ): void {
    this.lastProgressMs = performance.now();
    onProgress({
      variant: name,
      simulatedS: this.engine.now / US_PER_S,
      horizonS,
      arrived: this.meters.arrived,
      events,
      draining: this.arrivalsDone,
      inFlight: this.requests.liveCount,
      drainLimitS:
        this.arrivalsDone && Number.isFinite(this.drainLimitUs) ? this.drainLimitUs / US_PER_S : null,
    });
  }

  /** Whether a run limit ends the run after `events`; if one does, records which. */
  private limitReached(events: number): boolean {
    const limits = this.scenario.limits;
    const inFlight = this.requests.liveCount;
    const now = performance.now();
    let limit: PartialRun['limit'];
    let reason: string;
    if (events >= limits.maxEvents) {
      limit = 'max_events';
      reason = `${formatCount(events)} events handled, the most limits.max_events allows`;
    } else if (inFlight > limits.maxInFlight) {
      limit = 'max_in_flight';
      reason = `${formatCount(inFlight)} requests in the system, more than limits.max_in_flight (${formatCount(limits.maxInFlight)})`;
    } else if (now >= this.wallDeadlineMs) {
      limit = 'max_wall';
      reason = `${formatDuration(limits.maxWallS)} of wall-clock time, the most limits.max_wall allows`;
    } else return false;
    this.partial = { limit, at_s: this.engine.now / US_PER_S, reason };
    return true;
  }

  private traceDurationS(): number | null {
    const arrivals = this.scenario.workload.arrivals;
    return arrivals.kind === 'trace' ? arrivals.trace.duration : null;
  }

  // The hot paths (arrive, finishService, startService) keep their rare branches in separate
  // methods: V8 inlines callees only within a bytecode budget per compiled function, and every
  // byte of a rare branch left inline is budget the common path's small calls then do without.
  arrive(now: number): void {
    const attributes = this.attributes;
    if (this.hasAttributes) this.takeAttributes();
    this.lastArrivalUs = now;
    const measured = now >= this.warmupUs;
    this.meters.arrival(measured, now);

    const replica = this.router.pick();
    if (replica >= 0) {
      const fleet = this.fleetOf[replica];
      this.meters.routedArrival(fleet, now);
      const serviceTime = this.serviceTime[fleet];
      if (serviceTime !== null)
        this.arriveToSlot(replica, fleet, toUs(serviceTime(attributes)), measured, now);
      else if (this.batching[fleet] !== null) this.arriveToBatch(replica, fleet, measured, now);
      else this.arriveToLlm(replica, fleet, measured, now);
    } else {
      this.hold(this.newRequest(measured, now), this.router.holdingFleet(), now);
    }

    const arrival = this.arrival;
    if (this.source.next(arrival)) {
      this.engine.atLane(Math.max(now, toUs(arrival.timeS)), Kind.Arrival, 0);
    } else {
      this.engine.stop();
    }
  }

  /** `serviceUs` is drawn before admission, so a fleet's k-th arrival gets the same service time in every variant. */
  private arriveToSlot(
    replica: number,
    fleet: number,
    serviceUs: number,
    measured: boolean,
    now: number,
  ): void {
    const requests = this.requests;
    if (
      this.busy[replica] < this.load.concurrency[replica] ||
      this.waiting[replica] < this.queueCapacity[fleet]
    ) {
      const slot = requests.allocate();
      requests.arrivalUs[slot] = now;
      requests.serviceUs[slot] = serviceUs;
      if (this.storesAttributes) this.storeAttributes(slot);
      requests.replica[slot] = replica;
      requests.measured[slot] = measured ? 1 : 0;
      this.load.outstanding[replica]++;
      if (this.busy[replica] < this.load.concurrency[replica]) this.startService(slot, replica, now);
      else this.enqueue(slot, replica, fleet, now);
    } else {
      this.drop(measured, now, replica, -1);
    }
  }

  private arriveToBatch(replica: number, fleet: number, measured: boolean, now: number): void {
    if (this.waiting[replica] >= this.queueCapacity[fleet]) {
      this.drop(measured, now, replica, -1);
      return;
    }
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    this.storeAttributes(slot);
    requests.replica[slot] = replica;
    requests.measured[slot] = measured ? 1 : 0;
    this.load.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, now);
    this.tryBatch(replica, now);
  }

  /** A request slot for an arrival that is not admitted to a replica on the spot. */
  private newRequest(measured: boolean, now: number): number {
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    this.storeAttributes(slot);
    requests.replica[slot] = -1;
    requests.measured[slot] = measured ? 1 : 0;
    return slot;
  }

  /**
   * Holds a request while no replica can take it, as Knative's activator does during a cold start;
   * it counts toward `fleet`'s load and gives up after the fleet's queue timeout.
   */
  private hold(slot: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Held;
    requests.replica[slot] = -1;
    requests.heldFor[slot] = fleet;
    this.heldCount[fleet]++;
    if (requests.arrivalUs[slot] === now) this.meters.heldArrival(fleet, now);
    this.held.push(slot);
    this.engine.at(
      now + Math.min(this.timeoutUs[fleet], HOLD_TIMEOUT_US),
      Kind.QueueTimeout,
      slot,
      requests.gen[slot],
    );
  }

  /** Routes held requests, oldest first, while some replica is ready to take them. */
  private releaseHeld(now: number): void {
    const requests = this.requests;
    while (this.heldHead < this.held.length) {
      const slot = this.held[this.heldHead];
      if (requests.state[slot] !== RequestState.Held) {
        this.heldHead++;
        continue;
      }
      this.loadAttributes(slot);
      const replica = this.router.pick();
      if (replica < 0) break;
      this.heldHead++;
      this.heldCount[requests.heldFor[slot]]--;
      this.admit(slot, replica, now);
    }
    if (this.heldHead === this.held.length) {
      this.held = [];
      this.heldHead = 0;
    }
  }

  /**
   * Sends an existing request (held, or interrupted by a reclaim) to `replica`: as an arrival
   * would go, except that it keeps its arrival time. Service starts over, with a fresh draw.
   */
  private admit(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    const fleet = this.fleetOf[replica];
    this.meters.routed[fleet]++;
    requests.replica[slot] = replica;
    const llm = this.llmFleets[fleet];
    const serviceTime = this.serviceTime[fleet];
    const room =
      llm === null
        ? this.waiting[replica] < this.queueCapacity[fleet]
        : llm.scheduler(replica).waitingCount < this.queueCapacity[fleet];
    const startsNow = serviceTime !== null && this.busy[replica] < this.load.concurrency[replica];
    if (!startsNow && !room) {
      this.drop(requests.measured[slot] === 1, now, replica, slot);
      requests.release(slot);
      this.departed();
      return;
    }
    this.load.outstanding[replica]++;
    if (serviceTime !== null) {
      this.loadAttributes(slot);
      requests.serviceUs[slot] = toUs(serviceTime(this.attributes));
      if (startsNow) this.startService(slot, replica, now);
      else this.enqueue(slot, replica, fleet, now);
    } else if (llm === null) {
      this.enqueue(slot, replica, fleet, now);
      this.tryBatch(replica, now);
    } else {
      const scheduler = llm.scheduler(replica);
      const prompt = Math.max(1, Math.round(requests.inputTokens[slot]));
      const output = Math.max(1, Math.round(requests.outputTokens[slot]));
      if (!scheduler.fits(prompt, output)) {
        this.load.outstanding[replica]--;
        if (requests.measured[slot] === 1) llm.rejected++;
        this.drop(requests.measured[slot] === 1, now, replica, slot, 'rejected');
        requests.release(slot);
        this.departed();
        return;
      }
      requests.inputTokens[slot] = prompt;
      requests.outputTokens[slot] = output;
      requests.requestBytes[slot] = this.attributes[REQUEST_BYTES];
      requests.responseBytes[slot] = this.attributes[RESPONSE_BYTES];
      const sequence = createSequence(slot, prompt, output);
      this.sequences[slot] = sequence;
      this.enqueueSequence(slot, replica, fleet, now);
      scheduler.enqueue(sequence);
      this.wakeLlm(replica, now);
    }
  }

  /** Keeps the arriving request's attributes in its slot: the counterpart of `loadAttributes`. */
  private storeAttributes(slot: number): void {
    const requests = this.requests;
    const attributes = this.attributes;
    requests.inputTokens[slot] = attributes[INPUT_TOKENS];
    requests.outputTokens[slot] = attributes[OUTPUT_TOKENS];
    requests.requestBytes[slot] = attributes[REQUEST_BYTES];
    requests.responseBytes[slot] = attributes[RESPONSE_BYTES];
  }

  /** Puts a waiting request's attributes where routing and service-time models read them. */
  private loadAttributes(slot: number): void {
    const requests = this.requests;
    const attributes = this.attributes;
    attributes[INPUT_TOKENS] = requests.inputTokens[slot];
    attributes[OUTPUT_TOKENS] = requests.outputTokens[slot];
    attributes[REQUEST_BYTES] = requests.requestBytes[slot];
    attributes[RESPONSE_BYTES] = requests.responseBytes[slot];
  }

  /** Marks the fleets' initial replicas ready at time 0 and starts their autoscalers and reclaims. */
  private startFleets(): void {
    for (const [f, fleet] of this.scenario.fleets.entries()) {
      for (let i = 0; i < fleet.replicas; i++) {
        const replica = this.fleetFirst[f] + i;
        this.launch(replica, 0, true);
        this.becomeReady(replica, 0);
      }
      const autoscaler = this.autoscalers[f];
      if (autoscaler !== null) {
        if (autoscaler.scrapeIntervalUs !== null) this.engine.at(autoscaler.scrapeIntervalUs, Kind.Scrape, f);
        this.engine.at(autoscaler.evaluationPeriodUs, Kind.Evaluate, f);
      }
      this.scheduleCapacityOut(f, 0, 0);
      const interruption = this.interruptions[f];
      if (interruption?.kind === 'fleet' && interruption.noticeTimesUs.length > 0) {
        this.engine.at(interruption.noticeTimesUs[0], Kind.FleetNotice, f, 0);
      }
    }
  }

  /**
   * Requests a replica in slot `replica` (billed from now); it becomes ready after the fleet's
   * startup delay, or at once when `warm` (the replicas a run starts with).
   */
  private launch(replica: number, now: number, warm = false): void {
    const fleet = this.fleetOf[replica];
    this.replicaState[replica] = Replica.Provisioning;
    const epoch = ++this.replicaEpoch[replica];
    this.lifetime[replica] = this.replicaTables[fleet].request(now);
    this.launchedUs[replica] = now;
    const interruption = this.interruptions[fleet];
    if (interruption?.kind === 'per-replica') {
      const noticeUs = interruption.nextNoticeUs(now);
      if (noticeUs !== Number.POSITIVE_INFINITY) this.engine.at(noticeUs, Kind.SpotNotice, replica, epoch);
    }
    if (!warm) this.engine.at(now + this.startupUs[fleet](), Kind.ReplicaReady, replica, epoch);
  }

  becomeReady(replica: number, now: number): void {
    if (this.replicaState[replica] !== Replica.Provisioning) return;
    this.replicaState[replica] = Replica.Ready;
    this.replicaTables[this.fleetOf[replica]].markReady(this.lifetime[replica], now);
    this.router.setReady(replica, true);
    if (this.heldHead < this.held.length) this.releaseHeld(now);
  }

  /** Stops routing to a ready replica; it is gone once its last request leaves. */
  private drain(replica: number, now: number, preempted: boolean): void {
    this.replicaState[replica] = Replica.Draining;
    this.replicaTables[this.fleetOf[replica]].drain(this.lifetime[replica], now, preempted);
    this.router.setReady(replica, false);
    if (this.load.outstanding[replica] === 0) this.retire(replica, now, preempted);
  }

  /** The replica is gone (drained, cancelled while provisioning, or reclaimed); its slot is free. */
  private retire(replica: number, now: number, preempted: boolean): void {
    const fleet = this.fleetOf[replica];
    if (this.replicaState[replica] === Replica.Ready) this.router.setReady(replica, false);
    this.replicaState[replica] = Replica.Off;
    this.replicaEpoch[replica]++;
    this.replicaTables[fleet].release(this.lifetime[replica], now, preempted);
    this.meters.timeseries.addReplica(fleet, this.launchedUs[replica], now);
  }

  /** Called where a request leaves a replica: a draining replica with nothing left is gone. */
  private leftReplica(replica: number, now: number): void {
    if (this.replicaState[replica] === Replica.Draining && this.load.outstanding[replica] === 0) {
      this.retire(replica, now, this.replicaTables[this.fleetOf[replica]].preempted(this.lifetime[replica]));
    }
  }

  /** One scrape of an autoscaled fleet: the state of its ready replicas now, the arrival rate since the last. */
  scrape(fleet: number, now: number): void {
    const autoscaler = this.autoscalers[fleet] as Autoscaler;
    const first = this.fleetFirst[fleet];
    const slots = slotsPerReplica(this.scenario.fleets[fleet]);
    let ready = 0;
    let waiting = this.heldCount[fleet];
    for (let r = first; r < first + this.fleetSlots[fleet]; r++) {
      if (this.replicaState[r] !== Replica.Ready) continue;
      ready++;
      waiting += this.replicaWaiting(r);
    }
    // Concurrency and utilization are time averages over the interval, as the real pipelines
    // report them: cumulative request-time and busy-time, differenced between scrapes.
    const requests = this.requests;
    let residenceUs = this.meters.residenceUs[fleet];
    let busyUs = this.meters.busyUs[fleet];
    for (const slot of requests.live()) {
      const replica = requests.replica[slot];
      const at = replica >= 0 ? this.fleetOf[replica] : requests.heldFor[slot];
      if (at !== fleet) continue;
      residenceUs += now - requests.arrivalUs[slot];
      if (replica >= 0 && requests.state[slot] === RequestState.InService && this.occupiesSlot(slot, fleet)) {
        busyUs += now - requests.startUs[slot];
      }
    }
    if (this.llmFleets[fleet] !== null) {
      for (let r = first; r < first + this.fleetSlots[fleet]; r++) {
        if (this.iterating[r] === Loop.Running)
          busyUs += (now - this.iterationStartUs[r]) * this.iterationSeqs[r];
      }
    }
    const windowUs = now - this.lastScrapeUs[fleet];
    const sample: MetricSample = {
      timeUs: now,
      readyReplicas: ready,
      concurrency: windowUs > 0 ? (residenceUs - this.lastResidenceUs[fleet]) / windowUs : 0,
      utilization:
        ready > 0 && windowUs > 0
          ? Math.min(1, (busyUs - this.lastBusyUs[fleet]) / windowUs / (ready * slots))
          : 0,
      requestRateRps: windowUs > 0 ? (this.meters.routed[fleet] * US_PER_S) / windowUs : 0,
      queueLength: waiting,
    };
    this.meters.routed[fleet] = 0;
    this.lastScrapeUs[fleet] = now;
    this.lastResidenceUs[fleet] = residenceUs;
    this.lastBusyUs[fleet] = busyUs;
    autoscaler.observe(sample);
    if (this.capacityStillMatters()) {
      this.engine.at(now + (autoscaler.scrapeIntervalUs as number), Kind.Scrape, fleet);
    }
  }

  /** A batch occupies one execution slot: only the request that leads it adds busy time; an LLM replica's busy time is its iterations'. */
  private occupiesSlot(slot: number, fleet: number): boolean {
    return (
      this.llmFleets[fleet] === null &&
      (this.batching[fleet] === null || this.requests.leadsBatch[slot] === 1)
    );
  }

  private replicaWaiting(replica: number): number {
    const llm = this.llmFleets[this.fleetOf[replica]];
    return llm === null ? this.waiting[replica] : llm.scheduler(replica).waitingCount;
  }

  /** Launches or removes replicas to reach the autoscaler's count: cancels provisioning ones first, then drains the least loaded. */
  evaluate(fleet: number, now: number): void {
    const autoscaler = this.autoscalers[fleet] as Autoscaler;
    const counts = this.replicaTables[fleet].counts();
    const desired = autoscaler.desiredReplicas(now, counts);
    const before = counts.ready + counts.provisioning;
    let surplus = before - desired;
    const first = this.fleetFirst[fleet];
    const end = first + this.fleetSlots[fleet];
    for (let r = first; r < end && surplus < 0 && !this.outages.isOut(fleet); r++) {
      if (this.replicaState[r] !== Replica.Off) continue;
      this.launch(r, now);
      surplus++;
    }
    for (let r = end - 1; r >= first && surplus > 0; r--) {
      if (this.replicaState[r] !== Replica.Provisioning) continue;
      this.retire(r, now, false);
      surplus--;
    }
    while (surplus > 0) {
      let victim = -1;
      for (let r = first; r < end; r++) {
        if (this.replicaState[r] !== Replica.Ready) continue;
        if (victim < 0 || this.load.outstanding[r] <= this.load.outstanding[victim]) victim = r;
      }
      if (victim < 0) break;
      this.drain(victim, now, false);
      surplus--;
    }
    // What changed, which is less than the policy asked for while capacity is unavailable.
    const after = desired + surplus;
    if (after !== before) {
      this.meters.capacityEvent({
        time_s: now / US_PER_S,
        fleet: this.scenario.fleets[fleet].name,
        kind: 'scale',
        from: before,
        to: after,
      });
    }
    if (this.capacityStillMatters())
      this.engine.at(now + autoscaler.evaluationPeriodUs, Kind.Evaluate, fleet);
  }

  /** Periodic capacity events stop once arrivals are over and nothing is left in flight. */
  private capacityStillMatters(): boolean {
    return !this.arrivalsDone || this.requests.liveCount > 0;
  }

  /**
   * A reclaim notice: a provisioning replica is simply gone; a ready one drains until the reclaim.
   * A fixed-size fleet launches its replacement at once; an autoscaled one leaves that to its policy.
   */
  spotNotice(replica: number, now: number): void {
    const fleet = this.fleetOf[replica];
    const state = this.replicaState[replica];
    if (state === Replica.Off || state === Replica.Draining) return;
    this.meters.capacityEvent({
      time_s: now / US_PER_S,
      fleet: this.scenario.fleets[fleet].name,
      kind: 'notice',
    });
    if (state === Replica.Provisioning) this.retire(replica, now, true);
    else {
      const epoch = this.replicaEpoch[replica];
      const noticeUs = (this.interruptions[fleet] as InterruptionProcess).noticeUs;
      this.engine.at(now + noticeUs, Kind.SpotReclaim, replica, epoch);
      this.drain(replica, now, true);
    }
    if (this.autoscalers[fleet] === null && !this.arrivalsDone) this.launchSpare(fleet, now);
  }

  /** Launches a replacement in a free slot of `fleet`, if it has one; owes it while capacity is unavailable. */
  private launchSpare(fleet: number, now: number): void {
    if (this.outages.isOut(fleet)) {
      this.outages.owe(fleet);
      return;
    }
    const first = this.fleetFirst[fleet];
    for (let r = first; r < first + this.fleetSlots[fleet]; r++) {
      if (this.replicaState[r] === Replica.Off) {
        this.launch(r, now);
        return;
      }
    }
  }

  /** Schedules the `index`-th period without capacity, from `fromUs` on; none left (or none configured): nothing. */
  private scheduleCapacityOut(fleet: number, index: number, fromUs: number): void {
    const startUs = this.outages.nextStartUs(fleet, index, fromUs);
    if (startUs !== null) this.engine.at(startUs, Kind.CapacityOut, fleet, index);
  }

  capacityOut(fleet: number, index: number, now: number): void {
    if (!this.capacityStillMatters()) return;
    const endUs = this.outages.begin(fleet, index, now);
    this.meters.capacityEvent({
      time_s: now / US_PER_S,
      fleet: this.scenario.fleets[fleet].name,
      kind: 'unavailable',
    });
    this.engine.at(endUs, Kind.CapacityIn, fleet, index);
  }

  capacityIn(fleet: number, index: number, now: number): void {
    const owed = this.outages.end(fleet, now);
    this.meters.capacityEvent({
      time_s: now / US_PER_S,
      fleet: this.scenario.fleets[fleet].name,
      kind: 'available',
    });
    for (let launch = 0; launch < owed; launch++) this.launchSpare(fleet, now);
    if (this.capacityStillMatters()) this.scheduleCapacityOut(fleet, index + 1, now);
  }

  /** A notice from a reclaim trace: it takes the newest ready replica of the fleet. */
  fleetNotice(fleet: number, index: number, now: number): void {
    const times = (this.interruptions[fleet] as Extract<InterruptionProcess, { kind: 'fleet' }>)
      .noticeTimesUs;
    if (index + 1 < times.length)
      this.engine.at(Math.max(now, times[index + 1]), Kind.FleetNotice, fleet, index + 1);
    const first = this.fleetFirst[fleet];
    for (let r = first + this.fleetSlots[fleet] - 1; r >= first; r--) {
      if (this.replicaState[r] === Replica.Ready) {
        this.spotNotice(r, now);
        return;
      }
    }
  }

  /**
   * The reclaim itself: every request still on the replica is interrupted and, by the fleet's
   * `on_interrupt`, routed again, routed to another fleet, or dropped.
   */
  reclaim(replica: number, now: number): void {
    if (this.replicaState[replica] !== Replica.Draining) return;
    const fleet = this.fleetOf[replica];
    this.meters.capacityEvent({
      time_s: now / US_PER_S,
      fleet: this.scenario.fleets[fleet].name,
      kind: 'reclaim',
    });
    const requests = this.requests;
    const victims: number[] = [];
    for (const slot of requests.live()) if (requests.replica[slot] === replica) victims.push(slot);
    const llm = this.llmFleets[fleet];
    if (llm !== null) {
      if (this.iterating[replica] === Loop.Running) this.iterationBusy(replica, fleet, now);
      this.iterating[replica] = Loop.Idle;
      llm.resetReplica(replica);
    }
    for (const slot of victims) {
      if (requests.state[slot] === RequestState.InService && llm === null) {
        const occupiesSlot = this.batching[fleet] === null || requests.leadsBatch[slot] === 1;
        if (occupiesSlot) {
          const startUs = requests.startUs[slot];
          this.meters.busyUs[fleet] += now - startUs;
          this.meters.timeseries.addBusy(fleet, startUs, now);
        }
      } else if (requests.state[slot] === RequestState.Queued) {
        this.meters.timeseries.addWait(requests.arrivalUs[slot], now);
      }
      requests.invalidate(slot);
      this.sequences[slot] = undefined;
    }
    this.busy[replica] = 0;
    this.waiting[replica] = 0;
    this.load.outstanding[replica] = 0;
    this.retire(replica, now, true);
    const counts = this.interrupted[fleet];
    const policy = this.scenario.fleets[fleet].onInterrupt;
    for (const slot of victims) {
      if (policy === 'drop') {
        counts.dropped++;
        this.drop(requests.measured[slot] === 1, now, replica, slot);
        requests.release(slot);
        this.departed();
        continue;
      }
      this.loadAttributes(slot);
      const target = policy === 'requeue' ? this.router.pick() : this.elsewhere(fleet);
      if (policy === 'requeue') counts.requeued++;
      else counts.retried++;
      if (target >= 0) this.admit(slot, target, now);
      else this.hold(slot, policy === 'requeue' ? this.router.holdingFleet() : fleet, now);
    }
  }

  /** A ready replica outside `fleet`: of its fallback if it has one, else of the first other fleet with one. */
  private elsewhere(fleet: number): number {
    const fleets = this.scenario.fleets;
    const fallback = fleets[fleet].fallback;
    const order = fleets.map((_, f) => f).filter((f) => f !== fleet);
    if (fallback !== null) order.unshift(fleets.findIndex((f) => f.name === fallback));
    for (const f of order) {
      let best = -1;
      for (let r = this.fleetFirst[f]; r < this.fleetFirst[f] + this.fleetSlots[f]; r++) {
        if (this.replicaState[r] !== Replica.Ready) continue;
        if (best < 0 || this.load.outstanding[r] < this.load.outstanding[best]) best = r;
      }
      if (best >= 0) return best;
    }
    return -1;
  }

  private arriveToLlm(replica: number, fleet: number, measured: boolean, now: number): void {
    const state = this.llmFleets[fleet] as LlmFleetState;
    const scheduler = state.scheduler(replica);
    const prompt = Math.max(1, Math.round(this.attributes[INPUT_TOKENS]));
    const output = Math.max(1, Math.round(this.attributes[OUTPUT_TOKENS]));
    if (scheduler.waitingCount >= this.queueCapacity[fleet]) {
      this.drop(measured, now, replica, -1);
      return;
    }
    if (!scheduler.fits(prompt, output)) {
      if (measured) state.rejected++;
      this.drop(measured, now, replica, -1, 'rejected');
      return;
    }
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    requests.inputTokens[slot] = prompt;
    requests.outputTokens[slot] = output;
    requests.replica[slot] = replica;
    requests.measured[slot] = measured ? 1 : 0;
    this.load.outstanding[replica]++;
    const sequence = createSequence(slot, prompt, output);
    this.sequences[slot] = sequence;
    this.enqueueSequence(slot, replica, fleet, now);
    scheduler.enqueue(sequence);
    this.wakeLlm(replica, now);
  }

  /** An idle LLM replica starts an iteration, after the other events of this instant. */
  private wakeLlm(replica: number, now: number): void {
    if (this.iterating[replica] === Loop.Idle) {
      this.iterating[replica] = Loop.Starting;
      this.engine.at(now, Kind.IterationStart, replica, this.replicaEpoch[replica]);
    }
  }

  /** Like `enqueue`, minus the replica FIFO: the scheduler keeps its own queue. */
  private enqueueSequence(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Queued;
    this.waiting[replica]++;
    const timeoutUs = this.timeoutUs[fleet];
    if (timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
  }

  startIteration(replica: number, now: number): void {
    const fleet = this.fleetOf[replica];
    const state = this.llmFleets[fleet] as LlmFleetState;
    const scheduler = state.scheduler(replica);
    if (!scheduler.schedule()) {
      this.iterating[replica] = Loop.Idle;
      return;
    }
    const requests = this.requests;
    for (const sequence of scheduler.newlyAdmitted) {
      const slot = sequence.slot;
      requests.state[slot] = RequestState.InService;
      requests.startUs[slot] = now;
      this.waiting[replica]--;
      const arrivalUs = requests.arrivalUs[slot];
      if (now > arrivalUs) this.meters.timeseries.addWait(arrivalUs, now);
    }
    const timing = this.stepTiming;
    state.model.step(scheduler.batch, timing);
    if (!(timing.seconds > 0 && Number.isFinite(timing.seconds))) {
      throw new InvariantError(
        `iteration time ${timing.seconds} s on fleet ${this.scenario.fleets[fleet].name}`,
      );
    }
    const durationUs = Math.max(1, toUs(timing.seconds));
    this.iterating[replica] = Loop.Running;
    this.iterationStartUs[replica] = now;
    this.iterationEndUs[replica] = now + durationUs;

    const size = scheduler.scheduled.length;
    this.iterationSeqs[replica] = size;
    state.begin(replica, timing);
    const sizes = this.meters.batchSizes[fleet];
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
    this.engine.at(now + durationUs, Kind.IterationDone, replica, this.replicaEpoch[replica]);
  }

  /** The running iteration's time up to `untilUs`: busy slot-time (its duration times its sequences) and its LLM figures. */
  private iterationBusy(replica: number, fleet: number, untilUs: number): void {
    const startUs = this.iterationStartUs[replica];
    const seqs = this.iterationSeqs[replica];
    this.meters.busy(fleet, startUs, untilUs, seqs);
    (this.llmFleets[fleet] as LlmFleetState).charge(replica, startUs, untilUs);
  }

  finishIteration(replica: number, now: number): void {
    const fleet = this.fleetOf[replica];
    const scheduler = (this.llmFleets[fleet] as LlmFleetState).scheduler(replica);
    this.iterationBusy(replica, fleet, now);
    scheduler.finishIteration();
    const requests = this.requests;
    for (const sequence of scheduler.firstTokens) requests.firstTokenUs[sequence.slot] = now;
    for (const sequence of scheduler.finished) {
      const slot = sequence.slot;
      this.load.outstanding[replica]--;
      this.sequences[slot] = undefined;
      const arrivalUs = requests.arrivalUs[slot];
      if (requests.measured[slot] === 1)
        this.meters.tokenTimes(slot, fleet, sequence.prompt, sequence.output, now);
      this.complete(slot, arrivalUs, requests.startUs[slot], now);
    }
    this.startIteration(replica, now);
    if (this.replicaState[replica] === Replica.Draining) this.leftReplica(replica, now);
  }

  /**
   * Starts batches on `replica` while it has a free execution slot and its policy says go; when
   * the policy waits, arms one deadline (the latest replaces any earlier) at which to ask again.
   */
  tryBatch(replica: number, now: number): void {
    const fleet = this.fleetOf[replica];
    const policy = this.batching[fleet] as BatchingPolicy;
    const requests = this.requests;
    const queues = this.queues;
    while (this.busy[replica] < this.load.concurrency[replica] && this.waiting[replica] > 0) {
      let head = queues.peek(replica);
      while (requests.gen[head] !== queues.peekedGen || requests.state[head] !== RequestState.Queued) {
        queues.shift(replica);
        head = queues.peek(replica);
      }
      const oldestArrivalUs = requests.arrivalUs[head];
      const size = policy.batchSize(this.waiting[replica], now - oldestArrivalUs);
      if (size === 0) {
        if (policy.recheckAfterUs !== Number.POSITIVE_INFINITY) {
          this.engine.at(
            Math.max(now, oldestArrivalUs + policy.recheckAfterUs),
            Kind.BatchTimer,
            replica,
            ++this.timerGen[replica],
          );
        }
        return;
      }
      this.startBatch(replica, fleet, size, now);
    }
  }

  private startBatch(replica: number, fleet: number, size: number, now: number): void {
    const requests = this.requests;
    const queues = this.queues;
    const serviceUs = toUs((this.batchLatency[fleet] as BatchLatencyModel)(size));
    let chain = -1;
    for (let taken = 0; taken < size; ) {
      const slot = queues.shift(replica);
      if (requests.gen[slot] !== queues.poppedGen || requests.state[slot] !== RequestState.Queued) continue;
      requests.state[slot] = RequestState.InService;
      requests.startUs[slot] = now;
      requests.serviceUs[slot] = serviceUs;
      requests.nextInBatch[slot] = chain;
      requests.leadsBatch[slot] = 0;
      const arrivalUs = requests.arrivalUs[slot];
      if (now > arrivalUs) this.meters.timeseries.addWait(arrivalUs, now);
      chain = slot;
      taken++;
    }
    requests.leadsBatch[chain] = 1;
    this.waiting[replica] -= size;
    this.busy[replica]++;
    const sizes = this.meters.batchSizes[fleet];
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
    this.engine.at(now + serviceUs, Kind.BatchDone, chain, requests.gen[chain]);
  }

  finishBatch(chain: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[chain];
    const fleet = this.fleetOf[replica];
    const startUs = requests.startUs[chain];
    this.busy[replica]--;
    this.meters.busyUs[fleet] += now - startUs;
    for (let slot = chain; slot >= 0; ) {
      const next = requests.nextInBatch[slot];
      this.load.outstanding[replica]--;
      this.complete(slot, requests.arrivalUs[slot], startUs, now);
      slot = next;
    }
    this.meters.timeseries.addBusy(fleet, startUs, now);
    this.tryBatch(replica, now);
    if (this.replicaState[replica] === Replica.Draining) this.leftReplica(replica, now);
  }

  /** Once arrivals are over, the run ends with the last request in flight. */
  private departed(): void {
    if (this.arrivalsDone && this.requests.liveCount === 0) this.engine.stop();
  }

  /** Counts a finished request in the metrics and frees its slot. */
  private complete(slot: number, arrivalUs: number, startUs: number, now: number): void {
    this.meters.complete(slot, arrivalUs, startUs, now);
    this.requests.release(slot);
    this.departed();
  }

  private enqueue(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.Queued;
    this.waiting[replica]++;
    this.queues.push(replica, slot, requests.gen[slot]);
    const timeoutUs = this.timeoutUs[fleet];
    if (timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
  }

  private drop(
    measured: boolean,
    now: number,
    replica: number,
    slot: number,
    outcome: RequestOutcome = 'dropped',
  ): void {
    this.meters.drop(measured, now, replica, slot, outcome);
  }

  /**
   * Synthetic sources carry no attributes: each comes from its sampler. A trace's own values win;
   * a column it lacks (NaN) is sampled, or 0 without a sampler.
   */
  private takeAttributes(): void {
    const attributes = this.attributes;
    if (!this.fromTrace) {
      const sampled = this.sampledAttributes;
      for (let i = 0; i < sampled.length; i++)
        attributes[sampled[i]] = (this.attributeSamplers[sampled[i]] as Sampler)();
      return;
    }
    const arrival = this.arrival;
    attributes[0] = arrival.input_tokens;
    attributes[1] = arrival.output_tokens;
    attributes[2] = arrival.request_bytes;
    attributes[3] = arrival.response_bytes;
    for (let a = 0; a < attributes.length; a++) {
      if (Number.isNaN(attributes[a])) {
        const sampler = this.attributeSamplers[a];
        attributes[a] = sampler === null ? 0 : sampler();
      }
    }
  }

  private startService(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    requests.state[slot] = RequestState.InService;
    requests.startUs[slot] = now;
    this.busy[replica]++;
    const arrivalUs = requests.arrivalUs[slot];
    if (now > arrivalUs) this.meters.timeseries.addWait(arrivalUs, now);
    this.engine.at(now + requests.serviceUs[slot], Kind.ServiceDone, slot, requests.gen[slot]);
  }

  finishService(slot: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[slot];
    const startUs = requests.startUs[slot];
    const arrivalUs = requests.arrivalUs[slot];
    const fleet = this.fleetOf[replica];
    this.busy[replica]--;
    this.load.outstanding[replica]--;
    this.meters.busyUs[fleet] += now - startUs;
    // Complete (which counts) first: it moves the series to the bin of `now`, where the span then usually fits whole.
    this.complete(slot, arrivalUs, startUs, now);
    this.meters.timeseries.addBusy(fleet, startUs, now);

    const queues = this.queues;
    for (let next = queues.shift(replica); next >= 0; next = queues.shift(replica)) {
      if (requests.gen[next] !== queues.poppedGen) continue;
      this.waiting[replica]--;
      this.startService(next, replica, now);
      break;
    }
    if (this.replicaState[replica] === Replica.Draining) this.leftReplica(replica, now);
  }

  giveUp(slot: number, gen: number, now: number): void {
    const requests = this.requests;
    if (requests.gen[slot] !== gen) return;
    if (requests.state[slot] === RequestState.Held) {
      this.heldCount[requests.heldFor[slot]]--;
      this.timeOut(slot, now);
      return;
    }
    if (requests.state[slot] !== RequestState.Queued) return;
    const replica = requests.replica[slot];
    this.waiting[replica]--;
    this.load.outstanding[replica]--;
    const sequence = this.sequences[slot];
    if (sequence !== undefined) {
      (this.llmFleets[this.fleetOf[replica]] as LlmFleetState).scheduler(replica).cancel(sequence);
      this.sequences[slot] = undefined;
    }
    this.timeOut(slot, now);
    if (this.replicaState[replica] === Replica.Draining) this.leftReplica(replica, now);
  }

  private timeOut(slot: number, now: number): void {
    const requests = this.requests;
    const replica = requests.replica[slot];
    this.meters.timeOut(slot, replica >= 0 ? this.fleetOf[replica] : requests.heldFor[slot], now);
    requests.release(slot);
    this.departed();
  }

  /** Charges the busy and waiting time of what is still in flight at `endUs`, checks conservation, and builds the results. */
  private collect(name: string, events: number, arrivalsEndUs: number, endUs: number): VariantResult {
    const requests = this.requests;
    const meters = this.meters;
    let inFlight = 0;
    for (let replica = 0; replica < this.iterating.length; replica++) {
      if (this.iterating[replica] !== Loop.Running) continue;
      this.iterationBusy(replica, this.fleetOf[replica], Math.min(endUs, this.iterationEndUs[replica]));
    }
    for (const slot of requests.live()) {
      if (requests.state[slot] === RequestState.Held) {
        meters.timeseries.addWait(requests.arrivalUs[slot], endUs);
        if (requests.measured[slot] === 1) {
          inFlight++;
          meters.inFlightAtEnd(slot, requests.heldFor[slot]);
        }
        continue;
      }
      const fleet = this.fleetOf[requests.replica[slot]];
      if (requests.state[slot] === RequestState.InService && this.occupiesSlot(slot, fleet)) {
        const startUs = requests.startUs[slot];
        const busyUntil = Math.min(endUs, startUs + requests.serviceUs[slot]);
        meters.busyUs[fleet] += busyUntil - startUs;
        meters.timeseries.addBusy(fleet, startUs, busyUntil);
      } else if (requests.state[slot] === RequestState.Queued) {
        meters.timeseries.addWait(requests.arrivalUs[slot], endUs);
      }
      if (requests.measured[slot] === 1) {
        inFlight++;
        meters.inFlightAtEnd(slot, fleet);
      }
    }
    if (meters.arrived !== meters.completed + meters.dropped + meters.timedOut + inFlight) {
      throw new InvariantError(
        `request conservation broken: arrived ${meters.arrived} != completed ${meters.completed} + dropped ${meters.dropped} + timed out ${meters.timedOut} + in flight ${inFlight}`,
      );
    }

    for (let replica = 0; replica < this.replicaState.length; replica++) {
      if (this.replicaState[replica] !== Replica.Off) {
        meters.timeseries.addReplica(this.fleetOf[replica], this.launchedUs[replica], endUs);
      }
    }
    return resultOf({
      scenario: this.scenario,
      name,
      events,
      arrivalsEndUs,
      endUs,
      warmupUs: this.warmupUs,
      arrived: meters.arrived,
      completed: meters.completed,
      good: meters.good,
      slo: this.slo,
      dropped: meters.dropped,
      timedOut: meters.timedOut,
      inFlight,
      inputTokens: meters.inputTokens,
      outputTokens: meters.outputTokens,
      latency: meters.latency,
      wait: meters.wait,
      ttft: meters.ttft,
      tpot: meters.tpot,
      busyUsByFleet: meters.busyUs,
      completedByFleet: meters.completedByFleet,
      measuredByFleet: meters.measuredByFleet,
      replicaTables: this.replicaTables,
      spotPrices: this.spotPrices,
      outages: this.outages,
      interrupted: this.interrupted,
      network: meters.network,
      oracle: meters.oracle,
      partial: this.partial,
      batchSizes: meters.batchSizes,
      llmFleets: this.llmFleets,
      offloadCounts: this.router.offloadCounts,
      capacityEvents: meters.capacityEvents,
      timeseries: meters.timeseries,
      skippedTraceRows: this.source.skippedRows?.() ?? null,
    });
  }
}

/** Its size changes: an autoscaler decides it, or spot reclaims take replicas away. */
function isElastic(fleet: Fleet): boolean {
  return fleet.autoscaling !== null || fleet.interruption !== null;
}

function llmFleetState(
  fleet: Fleet,
  scenario: Scenario,
  firstReplica: number,
  slots: number,
): LlmFleetState | null {
  if (fleet.batching.policy !== 'continuous') return null;
  const resolved = resolveLlmFleet(fleet, scenario.model);
  // Scenario files are checked when loaded; this catches scenarios built in code.
  if (!resolved.ok) throw new RunInputError(`fleet ${fleet.name}: ${resolved.message}`);
  return new LlmFleetState(
    resolved.value,
    fleet.batching,
    firstReplica,
    slots,
    Math.round(scenario.warmup * US_PER_S),
  );
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

function toUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}

function chooseInterval(scenario: Scenario): number {
  if (scenario.metrics.interval !== null) return scenario.metrics.interval;
  const arrivals = scenario.workload.arrivals;
  const horizonS = scenario.duration ?? (arrivals.kind === 'trace' ? arrivals.trace.duration : null) ?? 3600;
  return NICE_INTERVALS_S.find((s) => horizonS / s <= 500) ?? NICE_INTERVALS_S[NICE_INTERVALS_S.length - 1];
}
