export { type DistributionSummary, LatencyStats, RELATIVE_ACCURACY } from './latency-stats.js';
export type { BatchStats, RequestCounts, VariantResult } from './result.js';
export { COUNT_COLUMNS, Count, type CountColumn, TimeSeries, type TimeSeriesRow } from './time-series.js';
