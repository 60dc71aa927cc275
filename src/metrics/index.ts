export {
  type DistributionSummary,
  LatencyStats,
  type QuantilePoint,
  RELATIVE_ACCURACY,
} from './latency-stats.js';
export type {
  BatchStats,
  CapacityEvent,
  CostBreakdown,
  DistributionName,
  FleetInstances,
  LlmFleetStats,
  LlmResult,
  OracleGap,
  RequestCounts,
  TokenCosts,
  VariantResult,
} from './result.js';
export { belowSketchResolution } from './sketch-keys.js';
export { COUNT_COLUMNS, Count, type CountColumn, TimeSeries, type TimeSeriesRow } from './time-series.js';
