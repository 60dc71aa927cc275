import type { DistributionSummary } from './latency-stats.js';
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
  requests: RequestCounts;
  latency_s: DistributionSummary;
  queue_wait_s: DistributionSummary;
  /** Share of completed requests that waited in a queue at all. */
  waited_fraction: number | null;
  throughput_rps: number;
  utilization: Record<string, number>;
  cost_usd: { total: number; by_fleet: Record<string, number> };
  cost_per_1k_requests_usd: number | null;
  cost_per_1m_tokens_usd: number | null;
  tokens: { input: number; output: number };
  simulated_s: { warmup: number; arrivals_end: number; end: number };
  events: number;
  /** Per batching fleet: batches started, their mean size, and how many of each size. */
  batches: Record<string, BatchStats>;
  timeseries: TimeSeriesRow[];
}

export interface BatchStats {
  count: number;
  mean_size: number | null;
  /** Batch size -> batches of that size, ascending. */
  sizes: Record<string, number>;
}
