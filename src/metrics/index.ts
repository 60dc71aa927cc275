export {
  type DistributionSummary,
  LatencyStats,
  type QuantilePoint,
  RELATIVE_ACCURACY,
} from './latency-stats.js';
export type {
  AdapterStats,
  BatchStats,
  CapacityEvent,
  ClassCost,
  ClassResult,
  CostAllocation,
  CostAttribution,
  CostBreakdown,
  DisaggregationResult,
  DistributionName,
  EnergyResult,
  FleetEnergy,
  FleetInstances,
  FleetPerformance,
  HostTierStats,
  LlmFleetStats,
  LlmResult,
  OracleGap,
  PartialRun,
  PerformanceSourceKind,
  PrefixCacheStats,
  RequestCounts,
  ScalingStats,
  TokenCosts,
  VariantResult,
} from './result.js';
export { PERFORMANCE_SOURCE_KINDS } from './result.js';
export { belowSketchResolution } from './sketch-keys.js';
export {
  COUNT_COLUMNS,
  Count,
  type CountColumn,
  MAX_FIXED_BINS,
  TimeSeries,
  type TimeSeriesRow,
} from './time-series.js';
export {
  LOST_SHARE,
  NEAR_SATURATION,
  PREEMPTION_SHARE,
  RECOMPUTE_SHARE,
  type RunWarning,
  runWarnings,
} from './warnings.js';
