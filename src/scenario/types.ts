export { oneLine } from '../core/unprintable.js';
export type { Batching, ContinuousBatching, KvOffload } from '../policies/batching/index.js';
export { REPLICA_POLICIES, type ReplicaPolicy, type Routing } from '../policies/routing/index.js';
export * from './workload-types.js';

/**
 * The resolved scenario: what `loadScenario` returns after parsing, validating, applying
 * defaults and converting units. Every duration is in seconds, every size in bytes, every
 * price in USD. Paths are absolute. This is plain data (JSON-serialisable): expressions stay
 * source strings and are compiled when a model is built.
 */

import { ownValue } from '../core/records.js';
import type { InterruptionConfig } from '../fleet/interruption.js';
import type { Market } from '../hardware/index.js';
import type { StalePrice } from '../hardware/price-age.js';
import type { AutoscalingConfig } from '../policies/autoscaling/index.js';
import type { Batching } from '../policies/batching/index.js';
import type { Routing } from '../policies/routing/index.js';
import type { LlmModel, Precision, ServingStackName } from '../serving/llm/index.js';
import type { ON_INTERRUPT } from './schema/fleet.js';
import type { SWEEP_SAMPLINGS } from './schema/run.js';
import type { Distribution, ServiceTime, Workload } from './workload-types.js';

/** `fleets[].adapters`: LoRA adapters one replica holds at once, and what loading one costs. */
export interface AdaptersConfig {
  maxResident: number;
  /** vLLM's `max_lora_rank`: every slot's buffers are sized for this rank. */
  maxRank: number;
  /** Seconds to load one adapter into a replica; one load at a time per replica. */
  loadTimeS: number;
}

/** The model a fleet serves: the one its `model` names, else the scenario's only model; null without one. */
export function fleetModel(scenario: Scenario, fleet: Fleet): ModelConfig | null {
  if (fleet.model !== undefined && scenario.models !== undefined)
    return ownValue(scenario.models, fleet.model) ?? null;
  return scenario.model;
}

/**
 * The names requests and fleets know the scenario's models by, in declared order: the keys of
 * `models:`, or the one model's name (its preset's, or its shape's).
 */
export function modelNames(scenario: Scenario): string[] {
  if (scenario.models !== undefined) return Object.keys(scenario.models);
  return scenario.model === null ? [] : [scenario.model.llm.name];
}

export interface QueueConfig {
  /** Requests waiting per replica beyond the ones in service; arrivals past it are dropped. Infinity = unbounded. */
  capacity: number;
  /** A request still waiting after this many seconds gives up (timed_out). null = never. */
  timeout: number | null;
}

export interface BillingConfig {
  /** Billing granularity in seconds (1 = per-second billing). */
  increment: number;
  /** Minimum billed seconds per replica lifetime. */
  minimum: number;
}

/** Where an LLM fleet's iteration times come from. */
export type StepTime =
  | { kind: 'roofline' }
  /** A splitwise-sim `perf_model.csv` measured for one model on one hardware, interpolated. */
  | { kind: 'profile'; path: string; model: string; hardware: string };

/** The LLM every continuous-batching fleet serves: its shape after the optimizations. */
export interface ModelConfig {
  llm: LlmModel;
  /** Stated quality change (e.g. accuracy points), carried into the summary; null when not stated. */
  qualityDelta: number | null;
  servingStack: ServingStackName;
}

/** Seconds to run a batch of `b` requests: a mathjs expression of `b`, or measured points interpolated linearly. */
export type BatchLatency =
  | { kind: 'expression'; source: string }
  | { kind: 'table'; points: { batch: number; seconds: number }[] };

export type OnInterrupt = (typeof ON_INTERRUPT)[number];

export type CapacityUnavailable =
  | { kind: 'rate'; perHour: number; meanDurationS: number }
  /** Absolute path of a `start,end` CSV. */
  | { kind: 'trace'; path: string };

/**
 * What an LLM fleet does with a request: all of it (`both`, colocated serving), only the prompt
 * and the first token (`prefill`), or the remaining output tokens from a KV cache it receives
 * (`decode`).
 */
export const FLEET_ROLES = ['both', 'prefill', 'decode'] as const;
export type FleetRole = (typeof FLEET_ROLES)[number];

/** `energy:` of a scenario or fleet: values that replace the catalog's in the energy estimate. */
export interface EnergySettings {
  /** USD per kWh; bills a non-cloud fleet's energy as its own cost line. */
  pricePerKwh?: number;
  pue?: number;
  /** gCO2e per kWh. */
  carbonIntensity?: number;
  /** One replica's whole IT draw, watts (fleet level only). */
  power?: { idleW: number; busyW: number };
}

export interface Fleet {
  name: string;
  /** Absent: `both`. */
  role?: Exclude<FleetRole, 'both'>;
  /** Replicas ready at time 0 (for a fixed fleet, all of them, always). */
  replicas: number;
  /** The autoscaler's bounds; both equal `replicas` for a fixed fleet. */
  minReplicas: number;
  maxReplicas: number;
  /** Seconds from launching a replica to ready. */
  startup: Distribution;
  /** Bytes per second a new replica loads the model's weights at, after `startup`; null: `startup` covers it. */
  modelLoadBytesPerS: number | null;
  autoscaling: AutoscalingConfig | null;
  /** Spot reclaims (notice in seconds, trace path absolute); null for capacity that is never reclaimed. */
  interruption: InterruptionConfig | null;
  /** Availability zones, replica i in `zones[i mod n]`; empty: the fleet is one zone. */
  zones: readonly string[];
  onInterrupt: OnInterrupt;
  /** Fleet that takes this fleet's requests while it has no ready replica. */
  fallback: string | null;
  /** Edge site; null for a cloud fleet, which is at its region. */
  site: string | null;
  /** Periods in which launches fail; null: capacity is always there. */
  unavailable: CapacityUnavailable | null;
  /** A spot price over time (absolute path of a `time,price` CSV); null: the constant price. */
  spotPriceTrace: string | null;
  /** The most it pays for a spot replica, USD per hour; null: any price. */
  spotMaxPrice: number | null;
  /** Seconds between a spot reclaim notice and the reclaim: the interruption's, else the provider's. */
  spotNoticeS: number;
  /** Requests in service at once on one replica. */
  concurrency: number;
  priceUsdPerHour: number;
  /** Catalog key when the price came from `instance:` (e.g. `aws/g5.xlarge`). */
  instance: string | null;
  /** Region and market the `instance` price is for; absent without `instance:`. */
  region?: string;
  market?: Market;
  /**
   * The catalog price's age at the scenario's `as_of` when it is past the threshold (see
   * src/hardware/price-age.ts); absent or null when it is not, or nothing dates it.
   */
  stalePrice?: StalePrice | null;
  /** What one replica runs on: from the catalog entry of `instance:` or from inline `hardware:`. */
  hardware?: FleetHardware;
  /** Per-request service time; null for batching fleets, whose batches take `batchLatency`. */
  serviceTime: ServiceTime | null;
  batching: Batching;
  /** Required by `static` and `dynamic` batching. */
  batchLatency: BatchLatency | null;
  /** Continuous batching only. */
  stepTime: StepTime | null;
  /** The name of the model the fleet serves (a key of `Scenario.models`); absent without `models:`. */
  model?: string;
  /** LoRA adapters of a continuous-batching fleet; absent or null: it serves the base model alone. */
  adapters?: AdaptersConfig | null;
  queue: QueueConfig;
  billing: BillingConfig;
  /** The scenario's `energy:` with the fleet's own on top, key by key. */
  energy: EnergySettings;
  /**
   * An owned device of the catalog (`owned:`): its price here is the purchase spread over its
   * lifetime alone, and its electricity is billed from the energy estimate.
   */
  owned?: { powerWatts: number; usdPerKwh: number };
}

export type { Precision };

export interface FleetHardware {
  vcpus?: number;
  memoryGiB?: number;
  /**
   * One replica's accelerators (null: CPU only). `model` is a catalog accelerator id when the name
   * matched one, else the name as written; specs given inline override the catalog's for that id.
   */
  accelerators: {
    model: string;
    count: number;
    memoryGiB?: number;
    /** Memory bandwidth of one accelerator, GB/s. */
    bandwidthGBps?: number;
    /** Peak dense TFLOPS of one accelerator by precision. */
    tflops?: Partial<Record<Precision, number>>;
    /** The scenario's values for the roofline's free parameters. */
    efficiency?: EfficiencyOverrides;
    /** Relative spread (standard deviation of the natural logarithm) of each parameter, for replications that draw them. */
    efficiencyUncertainty?: EfficiencyOverrides;
    /** Present when `fleetsim calibrate` fitted `efficiency`. */
    calibration?: CalibrationProvenance;
    /**
     * Every roofline parameter as one replication drew it (`model_uncertainty`): what the step
     * times use instead of `efficiency` and the defaults. Set per replication, never by the loader.
     */
    sampled?: Required<EfficiencyOverrides>;
  } | null;
}

/** What a calibrated fleet's `efficiency` was fitted to. */
export interface CalibrationProvenance {
  /** The measured run, as `fleetsim calibrate` named it. */
  measured: string;
  /** The accelerator id the values were fitted on. */
  accelerator: string;
  /** Largest relative error of the hold-out prediction; null without a hold-out check. */
  holdOutError: number | null;
}

/**
 * Scenario values for the free parameters of the roofline step time: sustained fractions of the
 * accelerator's peaks (replacing pricing/accelerators.yaml's) and the serving stack's overheads
 * in seconds (replacing `model.serving_stack`'s). Only the keys the scenario wrote are present.
 */
export interface EfficiencyOverrides {
  compute?: number;
  memory?: number;
  attention?: number;
  activation?: number;
  iterationOverheadS?: number;
  layerOverheadS?: number;
  workerOverheadS?: number;
}

/** `metrics.flap_window`'s default: Kubernetes HPA's default scale-down stabilization window. */
export const DEFAULT_FLAP_WINDOW_S = 300;

export interface MetricsConfig {
  /** Width of a `timeseries.csv` row, seconds; null lets the simulator pick one from the run length. */
  interval: number | null;
  /** Seconds within which a scale-out after a scale-in counts as a flap. */
  flapWindow: number;
}

/**
 * Guards that end a run early, as a partial result, before it exhausts the machine: each may be
 * Infinity (no limit). Checked every few thousand events (`LIMIT_CHECK_EVENTS` in the simulator).
 */
export interface RunLimits {
  /** Events handled: bounds the total work (and so the run time) of a simulation. */
  maxEvents: number;
  /** Requests in the system at once (queued, held, in service): bounds the memory a run holds. */
  maxInFlight: number;
  /** Wall-clock seconds one simulation may take. */
  maxWallS: number;
}

/**
 * Variants of one scenario. A run keeps every variant's result (its time series, sketches and
 * summary) until it writes its outputs, some 150-190 kB each: 2,000 variants of a small scenario
 * ran in 536 MB, 15,001 in 2.9 GB. At 5,000 a run stays near 1 GB; more configurations are a
 * sweep's job, which keeps a row of figures for each.
 */
export const MAX_VARIANTS = 5000;

/**
 * Simulations one command keeps the results of until it writes its outputs: variants x
 * replications for `run` and `compare`, configurations (points x variants) x replications for
 * `sweep`, and the most evaluations its searches may take x replications for `plan`. Each keeps
 * 10 to 35 kB (a sweep of 20,000 points of a small scenario peaked at 850 MB), so a command
 * stays within a few GB however its inputs multiply.
 */
export const MAX_RUNS = 20_000;

/** The run limits nobody set: see `limits:` in the scenario reference and docs/reliability.md. */
export const DEFAULT_RUN_LIMITS: RunLimits = {
  // About 5 to 15 minutes of simulation at the 1-3 million events a second a laptop core handles:
  // far beyond the shipped scenarios (a few hundred thousand events), short of a run left overnight.
  maxEvents: 1e9,
  // A request in the system holds about 70 bytes (its table row, its events, its place in a queue)
  // or 250 on an LLM fleet (its sequence), measured as peak RSS at 1 and 2 million: a million hold
  // 70-250 MB. A fleet with that many waiting has long missed any objective.
  maxInFlight: 1e6,
  maxWallS: 600,
};

/**
 * Draining stops this long after arrivals stop unless `max_drain` says otherwise: a request still
 * in flight an hour after the last arrival has waited longer than any interactive objective allows.
 */
export const DEFAULT_MAX_DRAIN_S = 3600;

export interface Scenario {
  name: string;
  seed: number;
  /** Arrivals stop here (seconds); requests in flight then drain. null for a trace = its end. */
  duration: number | null;
  /** Requests arriving before this time (seconds) are excluded from metrics. */
  warmup: number;
  /** Draining stops this many seconds after arrivals stop; what is left counts as in flight. Infinity = drain fully. */
  maxDrain: number;
  limits: RunLimits;
  workload: Workload;
  /**
   * Required by continuous-batching fleets with roofline step times. With `models:`, the only one
   * of them, or null when there are several (each fleet names its own: `fleetModel`).
   */
  model: ModelConfig | null;
  /** `models:`, by name; absent for a scenario with one `model:` (or none). */
  models?: Record<string, ModelConfig>;
  /** null: requests spend no time on the wire. */
  network: NetworkConfig | null;
  /** null: data transfer is not priced. */
  dataTransfer: DataTransferConfig | null;
  /** Present when fleets split prefill and decode between them. */
  disaggregation?: DisaggregationConfig;
  fleets: Fleet[];
  routing: Routing;
  metrics: MetricsConfig;
  /** `as_of`: the date catalog prices are aged to; absent or null: they are not aged. */
  asOf?: string | null;
  /** User catalog files the prices were read with (absolute paths, `--catalog`'s first); absent: none. */
  catalogFiles?: string[];
  /** Replications draw the roofline's step-time parameters from their uncertainty (`model_uncertainty`). */
  modelUncertainty: boolean;
}

/** The link a KV cache crosses from a prefill replica to a decode replica. */
export interface KvLinkConfig {
  bytesPerS: number;
  latencyS: number;
}

/** Prefill/decode disaggregation: absent unless the scenario has `prefill` and `decode` fleets. */
export interface DisaggregationConfig {
  kvLink: KvLinkConfig;
}

export interface NetworkConfig {
  /** Place requests come from. */
  origin: string;
  /** Round trips between places, seconds, as given (one direction suffices). */
  rtt: Record<string, Record<string, number>>;
  samePlaceRtt: number;
  uplinkBytesPerS: number;
  downlinkBytesPerS: number;
  bytesPerToken: number;
  envelopeBytes: number;
}

export interface DataTransferConfig {
  tiering: 'prorated' | 'run';
  monthToDateBytes: number;
}

export interface Variant {
  name: string;
  scenario: Scenario;
}

/** A scenario file as loaded: the baseline first, then each entry of `variants:`. */
export interface LoadedScenario {
  file: string | null;
  name: string;
  seed: number;
  /** The YAML text as read (for reports). */
  source: string | null;
  variants: Variant[];
  /**
   * `slo:` of the baseline (after `--set`); variants cannot change it. Without one, the default
   * objective (at most `DEFAULT_MAX_DROP_RATE` of measured requests lost) judges every run.
   */
  slo: Slo;
  /** `sweep:` of the baseline (after `--set`). */
  sweep: Sweep | null;
  /** `report:` of the baseline (after `--set`). */
  report: ReportConfig | null;
  /**
   * With `confineDataPaths`, the real path of the folder every data file was checked to be inside;
   * the points of its sweeps and plans are confined to it too, and their runs check it again. Null
   * when the paths were not confined.
   */
  dataRoot: string | null;
}

export const SLO_METRICS = ['latency', 'ttft', 'tpot', 'queue_wait'] as const;
export type SloMetric = (typeof SLO_METRICS)[number];
export const SLO_STATISTICS = ['mean', 'p50', 'p90', 'p95', 'p99', 'p999'] as const;
export type SloStatistic = (typeof SLO_STATISTICS)[number];

/** A service-level objective: upper limits on latency statistics and on the share of requests not served. */
export interface Slo {
  /** `latency_p99: 2s` is `{ metric: 'latency', statistic: 'p99', seconds: 2 }`; in key order. */
  limits: { metric: SloMetric; statistic: SloStatistic; seconds: number }[];
  /** Largest share of measured requests dropped, timed out or still in flight at the end; null: no limit. */
  maxDropRate: number | null;
  /** True for the objective fleetsim applies when the scenario has no `slo:`. */
  isDefault?: boolean;
}

/**
 * A configuration that loses more than this share of its measured requests fails its objective,
 * whatever its latency: percentiles are taken over completed requests only, so without a limit on
 * losses a fleet could look fast by dropping its slowest work. `slo.max_drop_rate` overrides it.
 */
export const DEFAULT_MAX_DROP_RATE = 0.01;

export { MAX_PRICE_USD_PER_HOUR } from '../core/schema-values.js';

/** The objective of a scenario without `slo:`. */
export const DEFAULT_SLO: Slo = { limits: [], maxDropRate: DEFAULT_MAX_DROP_RATE, isDefault: true };

export type SweepSampling = (typeof SWEEP_SAMPLINGS)[number];

/** One swept key: an override path (`fleets.0.replicas`) and the values it takes, ranges expanded. */
export interface SweepParameter {
  path: string;
  values: unknown[];
}

export interface Sweep {
  /** In the order written; the last one varies fastest in the grid. */
  parameters: SweepParameter[];
  sampling: SweepSampling;
  /** Points drawn by `random` and `latin-hypercube`; null for `grid` (every combination). */
  points: number | null;
}

/**
 * The charts a run's report can draw, in the order it shows them; also their file names. Here
 * rather than in the report layer so the schema can list them: src/report/charts checks that it
 * draws exactly these.
 */
export const REPORT_CHART_NAMES = [
  'latency-cdf',
  'latency-histogram',
  'latency-percentiles',
  'ttft-cdf',
  'tpot-cdf',
  'cost-vs-p99',
  'unit-costs',
  'cost-breakdown',
  'timeline',
] as const;
export type ReportChartName = (typeof REPORT_CHART_NAMES)[number];

export interface ReportConfig {
  /** The charts to draw (shown in the order of `REPORT_CHART_NAMES`); null: all of them. */
  charts: ReportChartName[] | null;
  /** Write requests.jsonl (as `fleetsim run --requests`). */
  requests: boolean;
}

export {
  type Diagnostic,
  formatDiagnostic,
  InvariantError,
  type Result,
  RunInputError,
  UserError,
} from '../core/errors.js';
