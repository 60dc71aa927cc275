import { toUs } from '../core/time.js';
import { createStreams, Engine, type EventHandler } from '../engine/index.js';
import { CapacityOutages } from '../fleet/capacity-outages.js';
import { createInterruptionProcess, createStartupSampler, PriceSeries } from '../fleet/index.js';
import { TimeSeries, type VariantResult } from '../metrics/index.js';
import { DEFAULT_SLO } from '../metrics/slo.js';
import { createAutoscaler } from '../policies/autoscaling/index.js';
import { FifoBatchFormer } from '../policies/batching/former.js';
import { createBatchingPolicy } from '../policies/batching/index.js';
import { createRouter, type ReplicaLoadView, type Router } from '../policies/routing/index.js';
import { routesByModel, servedModels, tracesNameModels } from '../scenario/model-checks.js';
import {
  type Fleet,
  fleetModel,
  InvariantError,
  modelNames,
  RunInputError,
  type Scenario,
  type Slo,
  traceDurationS,
} from '../scenario/types.js';
import { createBatchLatencyModel, createServiceTimeModel } from '../serving/index.js';
import { resolveLlmFleet } from '../serving/llm-fleet.js';
import type { RequestRecord } from '../workload/index.js';
import type { Activator } from './activator.js';
import type { AdapterResidency } from './adapters.js';
import { Arrivals } from './arrivals.js';
import { AutoscalerDriver } from './autoscaler-driver.js';
import { CertainMiss } from './certain-miss.js';
import { DisaggregatedRouter, Disaggregation } from './disaggregation.js';
import { type Handler, handlersOf, PRIORITIES } from './events.js';
import { Interruptions } from './interruptions.js';
import { FleetLayout, isElastic } from './layout.js';
import { LlmFleetState } from './llm-fleet-state.js';
import { Meters } from './meters.js';
import { ModelRouter } from './model-router.js';
import { NetworkModel } from './network-model.js';
import { OracleComparison } from './oracle-comparison.js';
import { OutageDriver } from './outage-driver.js';
import { priorityOrder } from './priority-order.js';
import { ReplicaLifecycle } from './replica-lifecycle.js';
import { RequestFlow } from './request-flow.js';
import { RequestObserver } from './request-observer.js';
import { RequestState, RequestTable } from './request-table.js';
import { resultOf } from './results.js';
import { RoutedPrefix } from './routed-prefix.js';
import { type Progress, RunControl } from './run-control.js';
import { BatchService } from './service/batch.js';
import { ContinuousService } from './service/continuous.js';
import type { ServiceContext, ServiceDiscipline } from './service/discipline.js';
import { SlotService } from './service/slot.js';

export type { Progress } from './run-control.js';

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
   * Stop the run once this objective is missed whatever the requests still to come would do (the
   * rule of `CertainMiss`), marking it `partial` with `limit: 'objective'`: plans stop candidates
   * that fail. Default: run to the end.
   */
  stopWhenMissed?: Slo | null;
  /**
   * Called once for every measured request (arrived after warmup) when it reaches its outcome,
   * and at the end for those still in flight, in simulation order; a fresh record each time.
   */
  onRequest?: (record: RequestRecord) => void;
}

/** Runs one fully resolved scenario to completion and returns its results. */
export function simulate(scenario: Scenario, options: SimulationOptions = {}): VariantResult {
  const name = options.name ?? 'baseline';
  return new Simulation(
    scenario,
    name,
    options.seed ?? scenario.seed,
    options.onProgress,
    options.slo ?? DEFAULT_SLO,
    options.onRequest ? new RequestObserver(options.onRequest, name, scenario) : null,
    options.stopWhenMissed ?? null,
  ).run();
}

/**
 * One run, as a composition: this class builds the modules, dispatches each event through the
 * table of `events.ts` to the module that handles it, and closes the books at the end. Its public
 * fields are what the event handlers reach.
 */
export class Simulation implements EventHandler {
  private readonly engine = new Engine(this, PRIORITIES);
  private readonly requests = new RequestTable();
  private readonly layout: FleetLayout;
  /** Per fleet: how its replicas serve. */
  private readonly disciplines: ServiceDiscipline[];
  /** The disciplines, one each (null when no fleet uses it). */
  readonly slots: SlotService | null;
  readonly batches: BatchService | null;
  readonly iterations: ContinuousService | null;
  /** LoRA adapter residency of the fleets with adapters; null when none has. */
  get adapters(): AdapterResidency | null {
    return this.iterations?.adapters ?? null;
  }
  readonly flow: RequestFlow;
  readonly activator: Activator;
  readonly replicas: ReplicaLifecycle;
  readonly autoscaling: AutoscalerDriver;
  readonly interruptions: Interruptions;
  readonly outages: OutageDriver;
  private readonly arrivals: Arrivals;
  private readonly router: Router;
  private readonly meters: Meters;
  private readonly control: RunControl;
  private readonly handlers: Handler[];
  private readonly llmFleets: (LlmFleetState | null)[];
  private readonly spotPrices: (PriceSeries | null)[];
  private readonly warmupUs: number;
  private readonly disaggregation: Disaggregation | null;

  constructor(
    private readonly scenario: Scenario,
    private readonly name: string,
    seed: number,
    onProgress: ((progress: Progress) => void) | undefined,
    private readonly slo: Slo,
    observer: RequestObserver | null,
    stopWhenMissed: Slo | null,
  ) {
    const streams = createStreams(seed);
    const { fleets } = scenario;
    const engine = this.engine;
    const requests = this.requests;
    this.warmupUs = toUs(scenario.warmup);
    // Built in the order their inputs are read, so a scenario with several bad inputs reports the same one first.
    this.arrivals = new Arrivals(scenario, streams);
    // Without attributes `Arrivals.take` never runs: every request keeps the first class, model and adapter.
    if (!this.arrivals.hasAttributes) requests.fixClass(this.arrivals);
    const order = priorityOrder(this.arrivals.classes);
    const layout = new FleetLayout(fleets);
    this.layout = layout;
    const concurrency = new Int32Array(layout.replicaCount);
    const routed = [];
    this.llmFleets = [];
    for (const [f, fleet] of fleets.entries()) {
      const first = layout.first[f];
      const count = layout.slots[f];
      this.llmFleets.push(llmFleetState(fleet, scenario, first, count, order.levels));
      // Routing sees a continuous-batching replica as full once it runs max_num_seqs sequences.
      const slots = fleet.batching.policy === 'continuous' ? fleet.batching.maxNumSeqs : fleet.concurrency;
      concurrency.fill(slots, first, first + count);
      // Requests never wait for a decode fleet: they reach it from a prefill replica.
      const elastic = isElastic(fleet) && fleet.role !== 'decode';
      routed.push({ name: fleet.name, first, count, fallback: fleet.fallback, elastic });
    }
    // Outstanding = in service + waiting, kept as its own column because routing reads it on every arrival.
    const load: ReplicaLoadView = { outstanding: new Int32Array(layout.replicaCount), concurrency };
    const prefixes = new RoutedPrefix(
      scenario,
      this.arrivals.prefix,
      this.arrivals.attributes,
      requests,
      layout.fleetOf,
    );
    const arrivals = this.arrivals;
    const byModel = routesByModel(scenario);
    const router = byModel
      ? new ModelRouter(scenario, routed, load, streams, arrivals.attributes, prefixes, () =>
          prefixes.slot < 0 ? arrivals.modelIndex : requests.model[prefixes.slot],
        )
      : createRouter(scenario.routing, routed, load, streams, arrivals.attributes, prefixes);
    this.disaggregation = fleets.some((f) => f.role !== undefined)
      ? new Disaggregation(scenario, layout, load)
      : null;
    this.router =
      this.disaggregation === null ? router : new DisaggregatedRouter(router, this.disaggregation);
    const autoscalers = fleets.map((f) =>
      f.autoscaling === null
        ? null
        : createAutoscaler(f.autoscaling, { min: f.minReplicas, max: f.maxReplicas }),
    );
    const startupUs = fleets.map((f, i) =>
      createStartupSampler(
        f.startup,
        streams.stream(`startup/${f.name}`),
        modelLoadS(f, this.llmFleets[i]?.model.weightBytes ?? null),
      ),
    );
    const processes = fleets.map((f) =>
      f.interruption === null
        ? null
        : createInterruptionProcess(
            f.interruption,
            streams.stream(`spot/${f.name}`),
            f.zones,
            // A capacity pool is an instance type in one zone: fleets of one pool share its waves.
            (f.zones.length > 0 ? f.zones : ['']).map((zone) =>
              streams.stream(`spot-wave/${f.instance ?? f.name}/${f.region ?? ''}/${zone}`),
            ),
          ),
    );
    const outages = new CapacityOutages(fleets, streams);
    this.spotPrices = fleets.map((f) =>
      f.spotPriceTrace === null ? null : PriceSeries.read(f.spotPriceTrace, f.priceUsdPerHour),
    );
    const network = new NetworkModel(scenario, scenario.network, scenario.dataTransfer);
    const serviceTimes = fleets.map((f) =>
      f.serviceTime === null
        ? null
        : createServiceTimeModel(f.serviceTime, streams.stream(`service/${f.name}`)),
    );
    const batching = fleets.map((f) => createBatchingPolicy(f.batching));
    const batchLatency = fleets.map((f) =>
      f.batchLatency === null ? null : createBatchLatencyModel(f.batchLatency),
    );
    const intervalUs = toUs(chooseInterval(scenario));
    const timeseries = new TimeSeries(intervalUs, fleets.length, scenario.metrics.interval === null);
    const autoscaled = autoscalers.map((a) => a !== null);
    // The oracle keeps the series' first width when an adaptive series widens its bins: it sizes
    // each interval's fleet, so finer intervals are closer to clairvoyant.
    const oracle = new OracleComparison(
      fleets,
      autoscaled,
      serviceTimes.map((s) => s !== null),
      intervalUs,
      slo,
    );

    const replicas = new ReplicaLifecycle(
      fleets,
      layout,
      engine,
      this.router,
      load.outstanding,
      timeseries,
      processes,
      startupUs,
    );
    this.replicas = replicas;
    const storesAttributes = this.arrivals.hasAttributes || this.llmFleets.some((llm) => llm !== null);
    const meters = new Meters(
      fleets.length,
      requests,
      layout.fleetOf,
      replicas.lifetime,
      this.arrivals.attributes,
      timeseries,
      network,
      oracle,
      autoscaled,
      observer,
      slo,
      storesAttributes,
      this.arrivals,
      scenario.workload.arrivals.kind === 'classes' ? this.arrivals.classes.length : 0,
    );
    this.meters = meters;
    const flow = new RequestFlow(
      fleets,
      engine,
      requests,
      this.arrivals,
      this.router,
      meters,
      layout.fleetOf,
      load.outstanding,
      replicas,
      this.warmupUs,
      prefixes,
      order,
    );
    this.flow = flow;
    if (router instanceof ModelRouter || tracesNameModels(scenario)) {
      const models = modelNames(scenario);
      flow.served = Uint8Array.from([-1, ...models.keys()], (m) =>
        router instanceof ModelRouter ? (router.serves(m) ? 1 : 0) : m === 0 ? 1 : 0,
      );
    }
    this.activator = flow.activator;
    const context: ServiceContext = {
      engine,
      requests,
      fleetOf: layout.fleetOf,
      layout,
      outstanding: load.outstanding,
      concurrency,
      meters,
      flow,
      replicas,
      attributes: this.arrivals.attributes,
      prefix: this.arrivals.prefix,
      arrival: this.arrivals,
      order,
      storesAttributes,
    };
    const formers = batching.map((policy) => (policy === null ? null : new FifoBatchFormer(policy)));
    // A fleet's discipline: a service time serves one request per slot, else a batch former with
    // its batch latency, else an LLM model's iterations.
    const kinds = fleets.map((_, f) =>
      serviceTimes[f] !== null
        ? 'slot'
        : formers[f] !== null && batchLatency[f] !== null
          ? 'batch'
          : this.llmFleets[f] !== null
            ? 'continuous'
            : null,
    );
    this.slots = kinds.includes('slot') ? new SlotService(fleets, serviceTimes, context) : null;
    this.batches = kinds.includes('batch') ? new BatchService(fleets, formers, batchLatency, context) : null;
    this.iterations = kinds.includes('continuous')
      ? new ContinuousService(fleets, this.llmFleets, context, this.disaggregation, this.warmupUs)
      : null;
    meters.batchFleets = kinds.map((kind) => kind === 'batch');
    this.disciplines = flow.disciplines;
    prefixes.disciplines = this.disciplines;
    for (const [f, kind] of kinds.entries()) {
      const discipline = kind === 'slot' ? this.slots : kind === 'batch' ? this.batches : this.iterations;
      if (kind === null || discipline === null)
        throw new InvariantError(`fleet ${fleets[f].name}: no service time, batch latency or LLM model`);
      this.disciplines.push(discipline);
    }
    this.outages = new OutageDriver(fleets, outages, engine, replicas, meters, flow);
    this.autoscaling = new AutoscalerDriver(
      fleets,
      autoscalers,
      layout,
      engine,
      requests,
      replicas,
      load.outstanding,
      meters,
      flow,
      this.activator,
      this.disciplines,
      outages,
    );
    this.interruptions = new Interruptions(
      fleets,
      processes,
      autoscalers,
      layout,
      engine,
      requests,
      replicas,
      load.outstanding,
      this.router,
      this.arrivals.attributes,
      prefixes,
      meters,
      flow,
      this.activator,
      this.disciplines,
      this.outages,
    );
    if (byModel) this.interruptions.servedModels = Int32Array.from(servedModels(scenario));
    const miss =
      stopWhenMissed === null ? null : new CertainMiss(scenario, seed, stopWhenMissed, meters, this.warmupUs);
    this.control = new RunControl(
      engine,
      scenario,
      requests,
      meters,
      flow,
      onProgress,
      name,
      miss,
      this.arrivals.source,
    );
    this.handlers = handlersOf(this);
  }

  /** The dispatcher: every event kind's handler is in the table of `events.ts`. */
  handle(kind: number, slot: number, gen: number, now: number): void {
    this.handlers[kind](slot, gen, now);
  }

  run(): VariantResult {
    const { engine, control, flow, scenario } = this;
    try {
      control.startClock();
      this.startFleets();
      const durationUs = scenario.duration === null ? 0 : toUs(scenario.duration);
      // The last arrival stops the engine; with none at all, time still runs to `duration` (an
      // autoscaler may scale an idle fleet), but no further, where only distant events remain.
      const anyArrival = this.arrivals.first(engine);
      let events = control.runUntil(anyArrival ? Number.POSITIVE_INFINITY : durationUs, 0);
      flow.arrivalsDone = true;
      // Cut short while requests still arrived: arrivals end where the run does.
      if (control.partial !== null) return this.collect(events, engine.now, engine.now);
      const arrivalsEndUs = scenario.duration === null ? flow.lastArrivalUs : toUs(scenario.duration);
      const drainLimitUs = arrivalsEndUs + toUs(scenario.maxDrain);
      control.drainLimitUs = drainLimitUs;
      // Draining stops at the last departure (see `RequestFlow`): later events, such as a spot
      // notice or an autoscaler tick, would only stretch the billed run.
      if (this.requests.liveCount > 0) events += control.runUntil(drainLimitUs, events);
      const endUs =
        control.partial !== null
          ? engine.now
          : this.requests.liveCount > 0
            ? drainLimitUs
            : Math.max(arrivalsEndUs, engine.now);
      return this.collect(events, arrivalsEndUs, endUs);
    } finally {
      this.arrivals.source.close();
    }
  }

  /** Marks the fleets' initial replicas ready at time 0 and starts their autoscalers, outages and reclaims. */
  private startFleets(): void {
    for (const [f, fleet] of this.scenario.fleets.entries()) {
      for (let i = 0; i < fleet.replicas; i++) {
        const replica = this.layout.first[f] + i;
        this.replicas.launch(replica, 0, true);
        this.replicas.becomeReady(replica, 0);
      }
      this.autoscaling.start(f);
      this.outages.start(f);
      this.interruptions.start(f);
    }
  }

  /** Charges the busy and waiting time of what is still in flight at `endUs`, checks conservation, and builds the results. */
  private collect(events: number, arrivalsEndUs: number, endUs: number): VariantResult {
    const { requests, meters, disciplines } = this;
    const fleetOf = this.layout.fleetOf;
    let inFlight = 0;
    for (const discipline of [this.slots, this.batches, this.iterations]) discipline?.chargeRunning(endUs);
    for (const slot of requests.live()) {
      if (requests.state[slot] === RequestState.Held) {
        meters.timeseries.addWait(requests.arrivalUs[slot], endUs);
        if (requests.measured[slot] === 1) {
          inFlight++;
          meters.inFlightAtEnd(slot, requests.heldFor[slot]);
        }
        continue;
      }
      const fleet = fleetOf[requests.replica[slot]];
      if (requests.state[slot] === RequestState.InService && disciplines[fleet].occupiesSlot(slot)) {
        const startUs = requests.startUs[slot];
        meters.busySlot(fleet, slot, startUs, Math.min(endUs, startUs + requests.serviceUs[slot]));
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
    this.replicas.chargeAlive(endUs);
    return resultOf({
      scenario: this.scenario,
      name: this.name,
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
      replicaTables: this.replicas.tables,
      spotPrices: this.spotPrices,
      outages: this.outages.outages,
      interrupted: this.interruptions.interrupted,
      network: meters.network,
      oracle: meters.oracle,
      partial: this.control.partial,
      batchSizes: meters.batchSizes,
      llmFleets: this.llmFleets,
      disaggregation: this.disaggregation,
      offloadCounts: this.router.offloadCounts,
      capacityEvents: meters.capacityEvents,
      timeseries: meters.timeseries,
      skippedTraceRows: this.arrivals.source.skippedRows?.() ?? null,
      adapters: this.adapters,
      unservedModel: meters.unserved,
      classes:
        meters.classes === null || meters.work === null
          ? null
          : { declared: this.arrivals.classes, meters: meters.classes, work: meters.work },
    });
  }
}

function llmFleetState(
  fleet: Fleet,
  scenario: Scenario,
  firstReplica: number,
  slots: number,
  levels: number,
): LlmFleetState | null {
  if (fleet.batching.policy !== 'continuous') return null;
  const resolved = resolveLlmFleet(fleet, fleetModel(scenario, fleet));
  // Scenario files are checked when loaded; this catches scenarios built in code.
  if (!resolved.ok) throw new RunInputError(`fleet ${fleet.name}: ${resolved.message}`);
  return new LlmFleetState(
    resolved.value,
    fleet.batching,
    firstReplica,
    slots,
    toUs(scenario.warmup),
    levels,
  );
}

/** Seconds a new replica of `fleet` spends loading the model's `weightBytes` after its startup. */
function modelLoadS(fleet: Fleet, weightBytes: number | null): number {
  if (fleet.modelLoadBytesPerS === null) return 0;
  // Scenario files are checked when loaded; this catches scenarios built in code.
  if (weightBytes === null)
    throw new RunInputError(
      `fleet ${fleet.name}: model_load needs a continuous-batching fleet serving the scenario model`,
    );
  return weightBytes / fleet.modelLoadBytesPerS;
}

function chooseInterval(scenario: Scenario): number {
  if (scenario.metrics.interval !== null) return scenario.metrics.interval;
  const horizonS = scenario.duration ?? traceDurationS(scenario.workload) ?? 3600;
  return NICE_INTERVALS_S.find((s) => horizonS / s <= 500) ?? NICE_INTERVALS_S[NICE_INTERVALS_S.length - 1];
}
