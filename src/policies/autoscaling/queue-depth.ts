import * as z from 'zod';
import {
  Duration,
  expected,
  MAX_COUNT,
  NonNegativeNumber,
  NonNegativeReplicaCount,
  PositiveDuration,
  PositiveInteger,
} from '../../core/schema-values.js';
import { defineAutoscaler } from './definition.js';
import { type AutoscalerManifest, type ManifestTarget, wholeSeconds } from './manifests.js';
import { MetricHistory } from './metric-history.js';
import { type Autoscaler, clampReplicas, multipleOf, type ReplicaBounds, secondsToUs } from './types.js';

/**
 * AWS step scaling on backlog per replica (Application Auto Scaling `StepScalingPolicyConfiguration`
 * with a CloudWatch alarm; the metric is the "backlog per instance" of the AWS guide to scaling on
 * SQS: requests waiting / in-service instances). Steps are written with absolute bounds, as the
 * AWS CDK's `scalingSteps` are, instead of offsets from an alarm threshold.
 */

/**
 * Cooldown 300 s is the documented default of `StepScalingPolicyConfiguration.Cooldown`; 60 s
 * periods are CloudWatch's standard resolution, with one evaluation period as the console's default.
 */
export const QUEUE_DEPTH_DEFAULTS = {
  adjustment_type: 'change',
  min_adjustment_magnitude: 0,
  cooldown: 300,
  period: 60,
  evaluation_periods: 1,
  scrape_interval: 60,
  metric_delay: 0,
} as const;

const stepSchema = z
  .object({
    lower: NonNegativeNumber.nullable()
      .prefault(null)
      .describe('Backlog per replica from which this step applies (null: unbounded).'),
    upper: NonNegativeNumber.nullable()
      .prefault(null)
      .describe('Backlog per replica below which it applies (null: unbounded).'),
    // Application Auto Scaling takes whole ScalingAdjustments, and a fraction of a replica is no change to simulate.
    change: z
      .number(expected('an integer'))
      .int(expected('an integer'))
      .min(-MAX_COUNT, expected(`an integer from -${MAX_COUNT} to ${MAX_COUNT}`))
      .max(MAX_COUNT, expected(`an integer from -${MAX_COUNT} to ${MAX_COUNT}`))
      .describe('Replicas (or percent) to add, a whole number; negative removes.'),
  })
  .strict();

/**
 * Backlog per ready replica in [lower, upper) applies `change` (positive scales out, negative
 * scales in, 0 holds; read as `adjustment_type` says); null bounds are unbounded.
 */
export type StepAdjustment = z.output<typeof stepSchema>;

const schema = z
  .object({
    policy: z.literal('queue-depth').describe('AWS step scaling on the backlog per ready replica.'),
    steps: z
      .array(stepSchema, expected('a list of { lower, upper, change }'))
      .min(1, expected('at least one step'))
      .describe('Non-overlapping backlog intervals, each with an adjustment.'),
    adjustment_type: z
      .enum(['change', 'percent'], expected('change or percent'))
      .prefault(QUEUE_DEPTH_DEFAULTS.adjustment_type)
      .describe('Replicas, or percent of the current count.'),
    min_adjustment_magnitude: NonNegativeReplicaCount.prefault(
      QUEUE_DEPTH_DEFAULTS.min_adjustment_magnitude,
    ).describe('Percent adjustments move at least this many replicas.'),
    cooldown: Duration.prefault(QUEUE_DEPTH_DEFAULTS.cooldown).describe(
      'Time after a scaling activity during which AWS cooldown rules apply.',
    ),
    period: PositiveDuration.prefault(QUEUE_DEPTH_DEFAULTS.period).describe(
      'Alarm period: averaging time and time between evaluations.',
    ),
    evaluation_periods: PositiveInteger.prefault(QUEUE_DEPTH_DEFAULTS.evaluation_periods).describe(
      'Consecutive breaching periods before the alarm fires.',
    ),
    scrape_interval: PositiveDuration.prefault(QUEUE_DEPTH_DEFAULTS.scrape_interval).describe(
      'Time between scrapes within a period.',
    ),
    metric_delay: Duration.prefault(QUEUE_DEPTH_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
  })
  .strict()
  .check((ctx) => {
    const problem = stepsProblem(ctx.value.steps);
    if (problem !== null) {
      ctx.issues.push({
        code: 'custom',
        message: problem.message,
        input: ctx.value.steps[problem.index],
        path: ['steps', problem.index],
      });
    }
    if (!multipleOf(ctx.value.period, ctx.value.scrape_interval)) {
      ctx.issues.push({
        code: 'custom',
        message: 'expected a whole number of scrape_interval',
        input: ctx.value.period,
        path: ['period'],
      });
    }
  });

/**
 * A `queue-depth` block, durations in seconds. `adjustment_type` reads a step's change as
 * `ChangeInCapacity` (replicas) or `PercentChangeInCapacity` (percent of the current count);
 * percent adjustments move at least `min_adjustment_magnitude` replicas (`MinAdjustmentMagnitude`,
 * 0: no minimum); the cooldown rules apply for `cooldown` after a scaling activity; `period` is
 * the CloudWatch period (the metric is averaged over it and the alarm evaluated once per period),
 * `evaluation_periods` breaching periods in a row fire the alarm; samples are scraped every
 * `scrape_interval` and visible `metric_delay` later (CloudWatch publishing delay).
 */
export type QueueDepthConfig = z.output<typeof schema>;

export function createQueueDepth(config: QueueDepthConfig, bounds: ReplicaBounds): Autoscaler {
  checkSteps(config.steps);
  const periodUs = secondsToUs(config.period);
  const scrapeIntervalUs = secondsToUs(config.scrape_interval);
  if (periodUs % scrapeIntervalUs !== 0) {
    throw new RangeError(`queue-depth period ${config.period} s is not a multiple of the scrape interval`);
  }
  const cooldownUs = secondsToUs(config.cooldown);
  const history = new MetricHistory(secondsToUs(config.metric_delay), periodUs * config.evaluation_periods);

  let scaleOutUntilUs = Number.NEGATIVE_INFINITY;
  /** Capacity before the scale-out that started the cooldown: later scale-outs in it count from here. */
  let scaleOutBase = 0;
  let scaleInUntilUs = Number.NEGATIVE_INFINITY;

  /** The step a datapoint falls in, or null (no step covers it). */
  function stepFor(backlogPerReplica: number): StepAdjustment | null {
    for (const step of config.steps) {
      // An open upper bound takes an infinite backlog too (requests waiting, no replica ready).
      const aboveLower = step.lower === null || backlogPerReplica >= step.lower;
      if (aboveLower && (step.upper === null || backlogPerReplica < step.upper)) return step;
    }
    return null;
  }

  function adjusted(capacity: number, change: number): number {
    if (config.adjustment_type === 'change') return capacity + change;
    // AWS rounds a percentage change toward zero, except that |change| < 1 becomes +-1.
    const raw = (capacity * change) / 100;
    let delta = Math.abs(raw) < 1 ? Math.sign(raw) : Math.trunc(raw);
    if (Math.abs(delta) < config.min_adjustment_magnitude)
      delta = Math.sign(delta) * config.min_adjustment_magnitude;
    return capacity + delta;
  }

  return {
    scrapeIntervalUs,
    evaluationPeriodUs: periodUs,
    observe: (sample) => history.push(sample),
    desiredReplicas(nowUs, counts) {
      const current = counts.ready + counts.provisioning;
      // One datapoint per period, newest first: the average backlog per in-service replica.
      const datapoints: number[] = [];
      for (let k = 0; k < config.evaluation_periods; k++) {
        const queue = history.mean(nowUs - k * periodUs, periodUs, (s) => s.queueLength);
        const ready = history.mean(nowUs - k * periodUs, periodUs, (s) => s.readyReplicas);
        if (queue === null || ready === null) return clampReplicas(current, bounds);
        datapoints.push(ready > 0 ? queue / ready : queue > 0 ? Number.POSITIVE_INFINITY : 0);
      }
      const step = stepFor(datapoints[0]);
      if (step === null || step.change === 0) return clampReplicas(current, bounds);
      // The alarm of the step's direction is in ALARM only if every evaluated datapoint breaches it.
      const direction = Math.sign(step.change);
      const breaching = datapoints.every((d) => Math.sign(stepFor(d)?.change ?? 0) === direction);
      if (!breaching) return clampReplicas(current, bounds);

      if (direction > 0) {
        const inCooldown = nowUs < scaleOutUntilUs;
        const target = clampReplicas(adjusted(inCooldown ? scaleOutBase : current, step.change), bounds);
        if (target <= current) return clampReplicas(current, bounds);
        if (!inCooldown) {
          scaleOutBase = current;
          scaleOutUntilUs = nowUs + cooldownUs;
        }
        // A scale-out ends a scale-in cooldown (Application Auto Scaling's cooldown rules).
        scaleInUntilUs = Number.NEGATIVE_INFINITY;
        return target;
      }
      if (nowUs < scaleInUntilUs) return clampReplicas(current, bounds);
      const target = clampReplicas(adjusted(current, step.change), bounds);
      if (target < current) scaleInUntilUs = nowUs + cooldownUs;
      return target;
    },
  };
}

/**
 * Why a step table cannot be read (an empty interval, two that overlap), naming the step at
 * fault by its index in `steps`; null when it is sound. The schema reports it at load.
 */
export function stepsProblem(steps: readonly StepAdjustment[]): { index: number; message: string } | null {
  const lower = (i: number) => steps[i].lower ?? Number.NEGATIVE_INFINITY;
  const upper = (i: number) => steps[i].upper ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < steps.length; i++) {
    if (lower(i) >= upper(i)) {
      return { index: i, message: `queue-depth step [${steps[i].lower}, ${steps[i].upper}) is empty` };
    }
  }
  const sorted = steps.map((_, i) => i).sort((a, b) => lower(a) - lower(b));
  for (let k = 1; k < sorted.length; k++) {
    if (upper(sorted[k - 1]) > lower(sorted[k])) {
      return { index: Math.max(sorted[k - 1], sorted[k]), message: 'queue-depth steps overlap' };
    }
  }
  return null;
}

function checkSteps(steps: StepAdjustment[]): void {
  const problem = stepsProblem(steps);
  if (problem !== null) throw new RangeError(problem.message);
}

/**
 * One direction of the steps as Application Auto Scaling takes them: a policy whose intervals are
 * offsets from its alarm's threshold (what the AWS CDK's `scalingSteps` compile to), and the
 * CloudWatch alarm that triggers it.
 */
function stepPolicy(
  config: QueueDepthConfig,
  target: ManifestTarget,
  direction: 'out' | 'in',
  notes: string[],
): Record<string, unknown>[] {
  const steps = config.steps.filter((s) => (direction === 'out' ? s.change > 0 : s.change < 0));
  if (steps.length === 0) return [];
  const threshold =
    direction === 'out'
      ? Math.min(...steps.map((s) => s.lower ?? 0))
      : Math.max(...steps.map((s) => s.upper ?? Number.POSITIVE_INFINITY));
  if (!Number.isFinite(threshold)) {
    notes.push('a scale-in step without an upper bound scales in at any backlog: no alarm can express it');
    return [];
  }
  const name = `${target.name}-scale-${direction}`;
  const period = wholeSeconds(config.period, 'period', notes);
  return [
    {
      PolicyName: name,
      PolicyType: 'StepScaling',
      ServiceNamespace: 'ecs',
      ResourceId: `service/CLUSTER/${target.name}`,
      ScalableDimension: 'ecs:service:DesiredCount',
      StepScalingPolicyConfiguration: {
        AdjustmentType: config.adjustment_type === 'change' ? 'ChangeInCapacity' : 'PercentChangeInCapacity',
        Cooldown: wholeSeconds(config.cooldown, 'cooldown', notes),
        MetricAggregationType: 'Average',
        ...(config.adjustment_type === 'percent' &&
          config.min_adjustment_magnitude > 0 && { MinAdjustmentMagnitude: config.min_adjustment_magnitude }),
        StepAdjustments: steps.map((s) => ({
          ...(s.lower !== null && { MetricIntervalLowerBound: s.lower - threshold }),
          ...(s.upper !== null && { MetricIntervalUpperBound: s.upper - threshold }),
          ScalingAdjustment: s.change,
        })),
      },
    },
    {
      AlarmName: `${name}-alarm`,
      Namespace: 'fleetsim',
      MetricName: 'BacklogPerInstance',
      Statistic: 'Average',
      Period: period,
      EvaluationPeriods: config.evaluation_periods,
      Threshold: threshold,
      ComparisonOperator: direction === 'out' ? 'GreaterThanOrEqualToThreshold' : 'LessThanThreshold',
      AlarmActions: [
        `arn:aws:autoscaling:REGION:ACCOUNT:scalingPolicy:ID:resource/ecs/service/CLUSTER/${name}`,
      ],
    },
  ];
}

/** Two Application Auto Scaling step policies (out and in) with their CloudWatch alarms, as JSON. */
export function stepScalingManifest(config: QueueDepthConfig, target: ManifestTarget): AutoscalerManifest {
  const notes: string[] = [
    'BacklogPerInstance is a metric you publish: requests waiting divided by in-service instances (the AWS guide to scaling on SQS)',
    'ResourceId, ScalableDimension and the alarm ARNs are placeholders for an ECS service; use your own scalable target and register its bounds',
    `register the scalable target with MinCapacity ${target.minReplicas} and MaxCapacity ${target.maxReplicas}`,
  ];
  const documents = [...stepPolicy(config, target, 'out', notes), ...stepPolicy(config, target, 'in', notes)];
  if (config.steps.some((s) => s.change < 0))
    notes.push(
      'AWS reads a scale-in interval as (lower, upper], the simulation as [lower, upper): they differ only at a bound',
    );
  return { system: 'AWS Application Auto Scaling step scaling (JSON)', documents, notes };
}

export const queueDepth = defineAutoscaler({
  name: 'queue-depth',
  schema,
  defaults: QUEUE_DEPTH_DEFAULTS,
  create: createQueueDepth,
  manifest: stepScalingManifest,
  example: {
    policy: 'queue-depth',
    steps: [
      { lower: 10, upper: null, change: 2 },
      { lower: null, upper: 1, change: -1 },
    ],
    cooldown: '2m',
  },
  sections: { 'steps[]': { lower: 10, upper: null, change: 2 } },
});
