import * as z from 'zod';
import type { PolicySchema } from '../definition.js';
import { PolicyRegistry } from '../registry.js';
import { concurrency } from './concurrency.js';
import type { AutoscalerDefinition } from './definition.js';
import type { AutoscalerManifest, ManifestTarget } from './manifests.js';
import { predictive } from './predictive.js';
import { queueDepth } from './queue-depth.js';
import { scheduled } from './scheduled.js';
import { targetTracking } from './target-tracking.js';
import type { Autoscaler, ReplicaBounds } from './types.js';

export { CONCURRENCY_DEFAULT_TARGET, CONCURRENCY_DEFAULTS, type ConcurrencyConfig } from './concurrency.js';
export type { AutoscalerDefinition } from './definition.js';
export type { AutoscalerManifest, ManifestTarget } from './manifests.js';
export { REFUSED } from './manifests.js';
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

/** The built-in policies, in the order errors and the scenario reference list them. */
const BUILT_IN = [targetTracking, concurrency, queueDepth, scheduled, predictive] as const;

export const AUTOSCALING_POLICIES = BUILT_IN.map((definition) => definition.name);

/** The block of a policy registered through the library: its own schema says what it holds. */
export interface RegisteredAutoscalingConfig {
  readonly policy: string;
  readonly [key: string]: unknown;
}

/** A fleet's `autoscaling:` block with defaults applied and durations in seconds. */
export type AutoscalingConfig = z.output<(typeof BUILT_IN)[number]['schema']> | RegisteredAutoscalingConfig;

const registry = new PolicyRegistry<AutoscalerDefinition>('autoscaling', BUILT_IN);

/** Every autoscaling policy a scenario may name: the built-in ones, then those registered. */
export function autoscalerDefinitions(): AutoscalerDefinition[] {
  return registry.list();
}

/** Changes when a policy is registered: the scenario schema is rebuilt then. */
export function autoscalerRegistryVersion(): number {
  return registry.version;
}

/**
 * Adds an autoscaling policy that scenarios loaded afterwards may name, as the built-in ones are
 * defined (src/policies/autoscaling). Throws a TypeError for a name already taken, or for an
 * example that its own schema refuses (which also catches a schema whose `policy` is not the
 * name). The policy lives in this thread: `runSweep` and `runPlan` workers do not see it.
 */
export function registerAutoscaler<Schema extends PolicySchema>(
  definition: AutoscalerDefinition<Schema>,
): void {
  const parsed = z.discriminatedUnion('policy', [definition.schema]).safeParse(definition.example);
  if (!parsed.success || parsed.data.policy !== definition.name) {
    const problem = parsed.success
      ? `its policy is "${parsed.data.policy}"`
      : parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new TypeError(`autoscaling policy "${definition.name}": its example does not load: ${problem}`);
  }
  registry.add(definition);
}

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
  return registry.get(config.policy).create(config, bounds);
}

/**
 * The configuration of the real autoscaler a fleet's policy imitates, or null when the policy has
 * none to write (`predictive`, or a registered policy without `manifest`).
 */
export function autoscalerManifest(
  config: AutoscalingConfig,
  target: ManifestTarget,
): AutoscalerManifest | null {
  const definition = registry.get(config.policy);
  return definition.manifest?.(config as never, target) ?? null;
}
