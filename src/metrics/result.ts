import type { FleetPerformance } from '../serving/performance-source.js';

export type { FleetPerformance, PerformanceSourceKind } from '../serving/performance-source.js';
export { PERFORMANCE_SOURCE_KINDS } from '../serving/performance-source.js';

import type { DistributionSummary, QuantilePoint } from './latency-stats.js';
import type { SloCheck } from './slo.js';
import type { TimeSeriesRow } from './time-series.js';

/** Requests arriving after warmup, each in exactly one bucket: arrived = completed + dropped + timed_out + in_flight_at_end. */
export interface RequestCounts {
  arrived: number;
  completed: number;
  dropped: number;
  timed_out: number;
  in_flight_at_end: number;
}

/** Why a run ended before its arrivals and drain were over: a run limit (`limits:`) stopped it. */
export interface PartialRun {
  /**
   * The run limit that stopped it, or `objective`: a plan stopped it once its objective was
   * missed whatever the requests still to come would do (`simulate`'s `stopOnCertainMiss`).
   */
  limit: 'max_events' | 'max_in_flight' | 'max_wall' | 'objective';
  /** Simulated time at which it stopped, seconds. */
  at_s: number;
  /** What reached the limit, in a sentence: `1,004,096 requests in the system, more than ...`. */
  reason: string;
  /** With `objective`: the measured requests the whole run would have had, which the rule counted against. */
  measured_total?: number;
}

/** One variant's results: plain data, the only thing reports read. */
export interface VariantResult {
  name: string;
  /**
   * Present only when a run limit ended the run early: every figure then covers the run up to
   * `at_s` only, the requests still in the system count as lost, and the verdict fails.
   */
  partial?: PartialRun;
  /**
   * The verdict: every objective of the scenario's `slo:` (or of the default objective, at most 1 %
   * of measured requests lost) with its limit and the value this run reached.
   */
  slo: SloCheck;
  requests: RequestCounts;
  latency_s: DistributionSummary;
  queue_wait_s: DistributionSummary;
  /** Time to first token of completed requests on LLM fleets (all null without one). */
  ttft_s: DistributionSummary;
  /** Time per output token after the first: (latency - ttft) / (output tokens - 1), requests with 2+ output tokens. */
  tpot_s: DistributionSummary;
  /** Share of completed requests that waited in a queue at all. */
  waited_fraction: number | null;
  throughput_rps: number;
  /**
   * Completed requests per second whose own latency, queue wait, TTFT and TPOT are each within the
   * loosest limit the SLO sets on that metric (`requestLimits`); equals `throughput_rps` when the
   * SLO limits no latency.
   */
  goodput_rps: number;
  /**
   * Per fleet, the time-averaged use of its scarcest resource: busy execution slots, or for a
   * continuous-batching fleet the largest of its KV-cache use, batch-slot occupancy and token-budget
   * use (`llm.fleets.<fleet>.binding` names it).
   */
  utilization: Record<string, number>;
  cost_usd: CostBreakdown;
  /** Per fleet: replicas launched, reclaimed, their peak and time-average, replica-hours, and requests completed. */
  instances: Record<string, FleetInstances>;
  /**
   * Per autoscaled fleet of one request per slot: what a clairvoyant autoscaler would have paid to
   * meet the SLO's wait (or latency) percentile, or without one the queue-wait p99 this run achieved.
   */
  oracle: Record<string, OracleGap> | null;
  /** Per autoscaled fleet: its scale decisions and flaps; null when no fleet autoscales. */
  scaling: Record<string, ScalingStats> | null;
  cost_per_1k_requests_usd: number | null;
  cost_per_1m_tokens_usd: TokenCosts;
  tokens: { input: number; output: number };
  simulated_s: { warmup: number; arrivals_end: number; end: number };
  events: number;
  /** Per batching fleet: batches started, their mean size, and how many of each size. */
  batches: Record<string, BatchStats>;
  /** With `offload` routing: where requests went (all routed requests, warmup included). */
  offload: { edge: number; overflow: number; oversize: number; edge_share: number | null } | null;
  /** Present when the scenario has a `model:`. */
  llm: LlmResult | null;
  /** Present when fleets split prefill and decode: the KV-cache transfers between them. */
  disaggregation?: DisaggregationResult;
  /**
   * Per fleet: where its step or service times come from (a measured profile, a validated or an
   * unvalidated catalog accelerator under the roofline, or the scenario's own figures).
   */
  performance: Record<string, FleetPerformance>;
  /**
   * Energy and carbon of the run (docs/energy.md). Always set by a run; absent only in a
   * summary.json written before it existed.
   */
  energy?: EnergyResult;
  /** Autoscaling decisions that changed the count, and spot notices and reclaims, in time order (not in summary.json). */
  capacity_events: CapacityEvent[];
  /** Quantile points of each distribution, for CDF charts (not in summary.json). */
  distributions: Record<DistributionName, QuantilePoint[]>;
  timeseries: TimeSeriesRow[];
  /**
   * What makes this configuration's figures fail or mislead, as sentences: lost requests, a fleet
   * near saturation on its binding resource, a growing queue, repeated KV-cache preemption, a fleet
   * that served nothing while costing money, trace rows skipped as bad.
   */
  warnings: string[];
  /**
   * Present when the trace is read with `on_bad_row: skip`: how many of its rows were bad and
   * passed over, and the first few, located (`file:line:col: what is wrong`, the file by its name).
   */
  skipped_trace_rows?: { count: number; first: string[] };
  /**
   * Present when the scenario declares `workload.classes`: each class's own figures, in declared
   * order. The variant's `slo.met` is false when any class misses its own objective.
   */
  classes?: Record<string, ClassResult>;
  /** Present with `workload.classes`: every dollar of the run, by class, by tenant and idle. */
  cost_attribution?: CostAttribution;
  /** Present with `workload.classes`: the rows of cost-allocation.json and .csv (not in summary.json). */
  cost_allocation?: CostAllocation[];
}

/**
 * One class's dollars (or idle capacity's) split as OpenCost splits an allocation:
 * replicas with accelerators (`gpu_usd`), replicas without (`cpu_usd`), data transfer.
 */
export interface CostAllocation {
  name: string;
  /** `class` and `tenant`; none for idle capacity. */
  labels: { class?: string; tenant?: string };
  cpu_usd: number;
  gpu_usd: number;
  network_usd: number;
  total_usd: number;
  /** The run's simulated span, seconds. */
  end_s: number;
}

/** One request class of a variant: its requests, latencies, verdict and cost (docs/classes.md). */
export interface ClassResult {
  tenant: string;
  priority: number;
  /** The class's own objective (or the scenario's when it has none), judged on its requests alone. */
  slo: SloCheck;
  requests: RequestCounts;
  latency_s: DistributionSummary;
  queue_wait_s: DistributionSummary;
  /** As the variant's: null figures without an LLM fleet. */
  ttft_s: DistributionSummary;
  tpot_s: DistributionSummary;
  /** Tokens of its measured completions. */
  tokens: { input: number; output: number };
  cost_usd: ClassCost;
  /** `cost_usd.loaded` per 1,000 requests it completed over the whole run (warmup included); null with none. */
  cost_per_1k_requests_usd: number | null;
  /** `cost_usd.loaded` split into input and output (as `TokenCosts`), per million of its tokens completed over the whole run. */
  cost_per_1m_tokens_usd: TokenCosts;
}

/**
 * A class's dollars over the whole run. `total` = `compute` + `transfer`: the busy replica time
 * and the response bytes it was served with (see `CostAttribution`); summed over the classes and
 * with the variant's `cost_attribution.idle` it is the variant's `cost_usd.total`. `loaded` adds
 * its share of idle capacity: each fleet's idle cost spread in proportion to the busy time each
 * class had of it.
 */
export interface ClassCost {
  total: number;
  compute: number;
  transfer: number;
  idle_share: number;
  loaded: number;
}

/**
 * Every dollar of a run: a fleet's compute cost splits into busy and idle as `cost_usd.idle`
 * does; the busy part goes to classes in proportion to the replica time each one's requests kept
 * it busy (a request's service, an equal share of its batch, or on an LLM fleet its share of each
 * iteration: the prompt-chunk part of the iteration by prompt tokens computed, the decode part
 * evenly among the sequences decoding); data transfer goes by the response bytes each class
 * received. `idle` is what no request used. by_class + idle = by_tenant + idle = cost_usd.total.
 */
export interface CostAttribution {
  by_class: Record<string, number>;
  by_tenant: Record<string, number>;
  idle: number;
}

/** An autoscaled fleet's scale decisions over the run (src/metrics/scaling.ts). */
export interface ScalingStats {
  scale_outs: number;
  scale_ins: number;
  /** Scale-ins followed by a scale-out within `flap_window_s` (`metrics.flap_window`). */
  flaps: number;
  flap_window_s: number;
}

export interface CapacityEvent {
  time_s: number;
  fleet: string;
  kind: 'scale' | 'notice' | 'reclaim' | 'unavailable' | 'available';
  /** For `scale`: replicas (ready plus starting) before and after the decision. */
  from?: number;
  to?: number;
}

export type DistributionName = 'latency_s' | 'queue_wait_s' | 'ttft_s' | 'tpot_s';

/**
 * USD per million delivered tokens (those of completed requests) over the measured window: work
 * that delivered nothing is paid for by what was delivered. `total` is the whole cost over input
 * + output tokens. `input` and `output` split the cost first. An LLM fleet's cost is split by
 * time into fresh prefill, decode, recompute (prefills redone after a KV-cache preemption) and
 * idle (no iteration running); input tokens carry the prefill part, output tokens the decode part,
 * and recompute + idle are spread over both in proportion to their prefill and decode time. So a
 * fleet's input share is prefill / (prefill + decode) of its cost. Example: $10 for 100 s of
 * replica time with 20 s of prefill, 40 s of decode, 10 s of recompute and 30 s idle: input carries
 * $10 x 20 / 60 = $3.33, output $6.67; with 1,000,000 input and 100,000 output tokens that is
 * $3.33 and $66.67 per million. Any other fleet's cost is split by the token counts; data transfer
 * (egress, the responses) goes to output. Each share is divided by its own tokens.
 */
export interface TokenCosts {
  input: number | null;
  output: number | null;
  total: number | null;
}

export interface LlmResult {
  /** Preset name or `custom`, after optimizations (e.g. a distilled model's own name). */
  model: string;
  precision: string;
  /** Carried from the scenario so comparisons show what quality was traded; null when not given. */
  quality_delta: number | null;
  /** Per continuous-batching fleet. */
  fleets: Record<string, LlmFleetStats>;
}

/** Transfers of KV caches from prefill to decode replicas, over the whole run (warmup included). */
export interface DisaggregationResult {
  kv_link: { bandwidth_bytes_per_s: number; latency_s: number };
  /** K and V of one token across all layers, bytes: what each prompt token costs on the link. */
  kv_bytes_per_token: number;
  transfers: number;
  transfer_bytes: number;
  /** Link time of the transfers, seconds (bytes over bandwidth plus latency each). */
  transfer_s: { total: number; mean: number | null };
  /**
   * Per prefill fleet: requests it decoded itself because no decode replica was ready (its
   * first token then needs no transfer).
   */
  local_decodes: Record<string, number>;
  /**
   * Per prefill fleet: requests dropped after their prefill because no decode replica was ready
   * and its own KV cache could not hold the whole request (counted among the dropped too).
   */
  dropped_without_decode: Record<string, number>;
}

/** A fleet's LoRA adapters, from warmup on. */
export interface AdapterStats {
  max_resident: number;
  load_time_s: number;
  /** Measured requests that named an adapter and reached a replica of the fleet. */
  requests: number;
  /** Adapter loads started. */
  loads: number;
  /** Resident adapters dropped to make room for another. */
  evictions: number;
  /**
   * Per measured request naming an adapter: the time from reaching its replica to entering the
   * scheduler's queue (0 when its adapter was resident), seconds; null when `requests` is 0.
   */
  load_wait_s: { mean: number | null; p99: number | null; max: number | null };
}

export interface LlmFleetStats {
  /** With disaggregation: the fleet's part (absent for colocated fleets, which do both). */
  role?: 'prefill' | 'decode';
  tensor_parallel: number;
  /** KV-cache capacity of one replica, tokens. */
  kv_cache_tokens: number;
  iterations: number;
  /** Sequences per iteration (prefilling and decoding), mean over iterations. */
  mean_batch_seqs: number | null;
  /** Requests that started running, each counted once however often it was preempted. */
  admitted: number;
  /**
   * Running sequences evicted and later recomputed: for lack of KV-cache blocks, and with
   * `preempt_for_priority` to give a waiting higher-priority request room.
   */
  preemptions: number;
  /** With `preempt_for_priority`: how many of `preemptions` were for priority; absent without it. */
  priority_preemptions?: number;
  /** Requests that could never fit (prompt over the token budget or the whole KV cache): counted as dropped. */
  rejected: number;
  /**
   * Share of replica time in which an iteration runs. Not a utilization: a fleet with a few
   * sequences in flight iterates all the time with room to spare.
   */
  busy_share: number;
  /**
   * The shares below are averaged over the fleet's live replica time, time without an iteration
   * counting as unused, so that they compare with each other.
   * KV-cache blocks in use: time-averaged, and the peak.
   */
  kv_utilization: { mean: number; peak: number };
  /** Running sequences over `max_num_seqs`, time-averaged. */
  batch_slot_occupancy: number;
  /**
   * Tokens an iteration schedules (prompt chunks plus one per decode) over
   * `max_num_batched_tokens`, each iteration weighted by its duration.
   */
  token_budget_use: number;
  /** The largest of the three: what runs out first as load grows (`utilization.<fleet>` is its share). */
  binding: 'kv_cache' | 'batch_slots' | 'token_budget';
  /** Share of iteration time spent recomputing the prompts (and outputs) of preempted sequences. */
  recompute_share: number;
  /** What that recompute cost, USD (this fleet's part of `cost_usd.recompute`). */
  recompute_cost_usd: number;
  /** What prefix caching saved; absent when the fleet runs without it (`prefix_caching: false`). */
  prefix_cache?: PrefixCacheStats;
  /** The model the fleet serves; present only when the scenario has `models:`. */
  model?: string;
  /** LoRA adapter residency; absent when the fleet has no `adapters`. */
  adapters?: AdapterStats;
}

/**
 * A fleet's prefix cache over the whole run, all replicas (a reclaimed replica's cache included
 * up to its reclaim). Prompts count at their first admission; a preempted sequence admitted again
 * counts only in `prefill_tokens_saved`.
 */
export interface PrefixCacheStats {
  /** cached_prompt_tokens / prompt_tokens; null before any prompt was admitted. */
  hit_rate: number | null;
  /** Prompt tokens of the sequences admitted. */
  prompt_tokens: number;
  /** Of them, those found in the cache when admitted, so not prefilled. */
  cached_prompt_tokens: number;
  /** Prompt tokens not prefilled for being cached, at every admission (after a preemption too). */
  prefill_tokens_saved: number;
  /** Cached blocks given up to allocations that found no free block. */
  evictions: number;
  /** Cached blocks at the end of the run, all replicas (held by a sequence or not). */
  cached_blocks: number;
  /** The host-memory tier under the cache (`batching.kv_offload`); absent without one. */
  host_tier?: HostTierStats;
}

/**
 * A fleet's host tier over the whole run, all replicas. With it, `evictions` above counts the
 * blocks that moved from accelerator to host memory.
 */
export interface HostTierStats {
  /** Of `cached_prompt_tokens`, those found in host memory (loaded rather than prefilled). */
  cached_prompt_tokens: number;
  /** Tokens loaded from host memory at every admission (re-admissions after a preemption included). */
  loaded_tokens: number;
  /** Their KV bytes, all accelerators of a replica together. */
  transfer_bytes: number;
  /** Iteration time spent loading them, seconds: each load's shard bytes over one link's bandwidth, plus the latency. */
  transfer_s: number;
  /** Host blocks dropped to make room for newer ones. */
  evictions: number;
  /** Blocks in host memory at the end of the run, all live replicas. */
  blocks: number;
}

/**
 * USD. `compute` is what the fleets' replicas cost as billed (from launch to gone, by increment
 * and minimum; reserved capacity for every hour of the run); `idle` is the part of it paid for
 * replica time that served nothing (on a continuous-batching fleet, time with no iteration
 * running, however full or empty its batches); `recompute` is the part continuous-batching fleets
 * spent recomputing sequences a KV-cache preemption had evicted; `transfer` is data transfer;
 * `energy`, present only when a fleet pays for its electricity apart (an owned device, or a
 * fleet with `energy.price_per_kwh`), is that electricity, from the energy estimate.
 * total = compute + transfer + energy. Per delivered token, see `TokenCosts`.
 */
export interface CostBreakdown {
  total: number;
  compute: number;
  idle: number;
  recompute: number;
  transfer: number;
  energy?: number;
  by_fleet: Record<string, number>;
  by_market: { 'on-demand': number; spot: number; reserved: number; 'reserved-3y': number };
}

/**
 * The run's energy: kWh drawn from the grid (IT energy x PUE) and its CO2e, over the whole run.
 * A total is null when any fleet has no estimate (its `warnings` say why) rather than a sum that
 * leaves a fleet out. Per-request and per-token figures cover the measured window, taken as the
 * run's energy x (window / run), and are present only when there are such requests or tokens.
 */
export interface EnergyResult {
  kwh: number | null;
  co2e_kg: number | null;
  kwh_per_1k_requests?: number | null;
  co2e_kg_per_1k_requests?: number | null;
  kwh_per_1m_tokens?: number | null;
  co2e_kg_per_1m_tokens?: number | null;
  /** Electricity billed apart (owned or on-prem fleets); 0 when every fleet pays it inside its price. */
  cost_usd: number;
  by_fleet: Record<string, FleetEnergy>;
  /** Every figure here rests on these, none validated against a measurement of this workload. */
  assumptions: string[];
  /** What is missing: fleets without a power figure or a carbon intensity. */
  warnings: string[];
}

export interface FleetEnergy {
  kwh: number | null;
  co2e_kg: number | null;
  /** Share of live replica time spent working, what power scales with. */
  busy_share: number;
  /** IT power averaged over live replica time, per replica, watts (before PUE). */
  mean_it_power_w: number | null;
  /** What one replica's power figures are. */
  power: string | null;
  pue: number;
  carbon_intensity_g_per_kwh: number | null;
  /** Null for a cloud instance (its price includes energy) or a fleet without a price per kWh. */
  price_per_kwh_usd: number | null;
  cost_usd: number | null;
}

export interface OracleGap {
  /** What the fleet's replicas cost under its policy (as `cost_usd.by_fleet`, without transfer). */
  policy_cost_usd: number;
  /** The oracle's cost: per interval the fewest replicas meeting the SLO, billed by the exact second. */
  oracle_cost_usd: number;
  /** policy - oracle: what the policy leaves on the table (or, if negative, where it missed the SLO). */
  gap_usd: number;
  oracle_replica_hours: number;
  /** Intervals where even `max` replicas miss the SLO in the M/M/c model. */
  infeasible_intervals: number;
  /** What the oracle had to meet: the scenario's SLO, or without one the wait p99 the policy achieved. */
  target: string;
}

export interface FleetInstances {
  /** The market its replicas are bought in: `on-demand` for a fleet priced by hand. */
  market: 'on-demand' | 'spot' | 'reserved' | 'reserved-3y';
  launched: number;
  /** Replicas that got a spot reclaim notice. */
  preempted: number;
  peak: number;
  mean: number;
  replica_hours: number;
  /** Time in which no replica of the fleet could be launched. */
  unavailable_hours: number;
  /** Requests on a replica when it was reclaimed, by what happened to them. */
  interrupted_requests: { requeued: number; retried: number; dropped: number };
  /** Measured requests (arrived after warmup) the fleet completed; they add up to `requests.completed`. */
  completed: number;
}

export interface BatchStats {
  count: number;
  mean_size: number | null;
  /** Batch size -> batches of that size, ascending. */
  sizes: Record<string, number>;
}
