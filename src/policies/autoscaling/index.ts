import { type ConcurrencyConfig, createConcurrency } from './concurrency.js';
import { createPredictive, type PredictiveConfig } from './predictive.js';
import { createQueueDepth, type QueueDepthConfig } from './queue-depth.js';
import { createScheduled, type ScheduledConfig } from './scheduled.js';
import { createTargetTracking, type TargetTrackingConfig } from './target-tracking.js';
import type { Autoscaler, ReplicaBounds } from './types.js';

export { CONCURRENCY_DEFAULT_TARGET, CONCURRENCY_DEFAULTS, type ConcurrencyConfig } from './concurrency.js';
export {
  computeOracle,
  type OracleInterval,
  type OracleOptions,
  type OracleResult,
} from './oracle.js';
export { PREDICTIVE_DEFAULTS, type PredictiveConfig } from './predictive.js';
export {
  QUEUE_DEPTH_DEFAULTS,
  type QueueDepthConfig,
  type StepAdjustment,
  stepsProblem,
} from './queue-depth.js';
export { parseWeeklyTimes, SCHEDULED_DEFAULTS, type ScheduledConfig } from './scheduled.js';
export {
  type ScalingPolicy,
  type ScalingRules,
  TARGET_TRACKING_DEFAULTS,
  type TargetMetric,
  type TargetTrackingConfig,
} from './target-tracking.js';
export type { Autoscaler, MetricSample, ReplicaBounds, ReplicaCounts } from './types.js';
export { secondsToUs } from './types.js';

/** A fleet's `autoscaling:` block with defaults applied and durations in seconds. */
export type AutoscalingConfig =
  | TargetTrackingConfig
  | ConcurrencyConfig
  | QueueDepthConfig
  | ScheduledConfig
  | PredictiveConfig;

export type AutoscalingPolicy = AutoscalingConfig['policy'];

/** The policies by the name a scenario uses: this object is the list of names. */
const factories: {
  [P in AutoscalingPolicy]: (
    config: Extract<AutoscalingConfig, { policy: P }>,
    bounds: ReplicaBounds,
  ) => Autoscaler;
} = {
  'target-tracking': createTargetTracking,
  concurrency: createConcurrency,
  'queue-depth': createQueueDepth,
  scheduled: createScheduled,
  predictive: createPredictive,
};

export const AUTOSCALING_POLICIES = Object.keys(factories) as AutoscalingPolicy[];

export function createAutoscaler(config: AutoscalingConfig, bounds: ReplicaBounds): Autoscaler {
  if (
    !(
      Number.isInteger(bounds.min) &&
      Number.isInteger(bounds.max) &&
      bounds.min >= 0 &&
      bounds.min <= bounds.max
    )
  ) {
    throw new RangeError(`replicas: need integers 0 <= min <= max, got min ${bounds.min}, max ${bounds.max}`);
  }
  // TypeScript cannot correlate `config.policy` with the factory's parameter type; the mapped
  // type above guarantees each factory takes the config its key names.
  const create = factories[config.policy] as (config: AutoscalingConfig, bounds: ReplicaBounds) => Autoscaler;
  return create(config, bounds);
}
