import type { FleetPerformance } from '../serving/performance-source.js';

export type { FleetPerformance, PerformanceSourceKind } from '../serving/performance-source.js';

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

/** One variant's results: plain data, the only thing reports read. */
export interface VariantResult {
  name: string;
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
  utilization: Record<string, number>;
  cost_usd: CostBreakdown;
  /** Per fleet: replicas launched, reclaimed, their peak and time-average, and replica-hours. */
  instances: Record<string, FleetInstances>;
  /**
   * Per autoscaled fleet of one request per slot: what a clairvoyant autoscaler would have paid to
   * meet the SLO's wait (or latency) percentile, or without one the queue-wait p99 this run achieved.
   */
  oracle: Record<string, OracleGap> | null;
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
  /**
   * Per fleet: where its step or service times come from (a measured profile, a validated or an
   * unvalidated catalog accelerator under the roofline, or the scenario's own figures).
   */
  performance: Record<string, FleetPerformance>;
  /** Autoscaling decisions that changed the count, and spot notices and reclaims, in time order (not in summary.json). */
  capacity_events: CapacityEvent[];
  /** Quantile points of each distribution, for CDF charts (not in summary.json). */
  distributions: Record<DistributionName, QuantilePoint[]>;
  timeseries: TimeSeriesRow[];
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
 * USD per million tokens over the measured window. `total` spreads the whole cost over input +
 * output tokens. `input` and `output` split the cost first: an LLM fleet's cost follows the
 * iteration time its prefill and decode work took (idle time in the same proportion), any other
 * fleet's cost follows the token counts; each share is then divided by its own tokens.
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

export interface LlmFleetStats {
  tensor_parallel: number;
  /** KV-cache capacity of one replica, tokens. */
  kv_cache_tokens: number;
  iterations: number;
  /** Sequences per iteration (prefilling and decoding), mean over iterations. */
  mean_batch_seqs: number | null;
  /** Running sequences evicted for lack of KV-cache blocks and later recomputed. */
  preemptions: number;
  /** Requests that could never fit (prompt over the token budget or the whole KV cache): counted as dropped. */
  rejected: number;
  /** Time-averaged share of KV-cache blocks in use, and the peak. */
  kv_utilization: { mean: number; peak: number };
}

/**
 * USD. `compute` is what the fleets' replicas cost as billed (from launch to gone, by increment
 * and minimum; reserved capacity for every hour of the run); `idle` is the part of it paid for
 * replica time that served nothing; `transfer` is data transfer. total = compute + transfer.
 */
export interface CostBreakdown {
  total: number;
  compute: number;
  idle: number;
  transfer: number;
  by_fleet: Record<string, number>;
  by_market: { 'on-demand': number; spot: number; reserved: number };
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
}

export interface BatchStats {
  count: number;
  mean_size: number | null;
  /** Batch size -> batches of that size, ascending. */
  sizes: Record<string, number>;
}
