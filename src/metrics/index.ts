export { type DistributionSummary, LatencyStats, RELATIVE_ACCURACY } from './latency-stats.js';
export { COUNT_COLUMNS, type CountColumn, TimeSeries, type TimeSeriesRow } from './time-series.js';
export type { RequestCounts, VariantResult } from './result.js';
