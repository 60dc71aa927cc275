import * as z from 'zod';
import {
  Duration,
  expected,
  NonNegativeNumber,
  orList,
  PositiveDuration,
  PositiveNumber,
} from '../../core/schema-values.js';
import { defineAutoscaler } from './definition.js';
import {
  type AutoscalerManifest,
  type ManifestTarget,
  quantity,
  refusedNote,
  wholeSeconds,
} from './manifests.js';
import { MetricHistory } from './metric-history.js';
import {
  type Autoscaler,
  type MetricSample,
  type ReplicaBounds,
  type ReplicaCounts,
  secondsToUs,
} from './types.js';

/**
 * Kubernetes HorizontalPodAutoscaler (autoscaling/v2), as `pkg/controller/podautoscaler`
 * computes it: `replica_calculator.go` for the proposal, `horizontal.go`
 * (`stabilizeRecommendationWithBehaviors`, `convertDesiredReplicasWithBehaviorRate`,
 * `calculateScale{Up,Down}Limit...`) for stabilization and rate limits.
 */

/**
 * Kubernetes defaults: tolerance 0.1 and sync period 15 s (`config/v1alpha1/defaults.go`), the
 * 15 s metrics resolution of metrics-server's upstream manifests, and the v2 API's default
 * behavior (scale up by max(100 %, 4 pods) per 15 s with no stabilization; scale down by 100 % per
 * 15 s after a 300 s stabilization window, the controller's
 * `--horizontal-pod-autoscaler-downscale-stabilization`).
 */
export const TARGET_TRACKING_DEFAULTS = {
  tolerance: 0.1,
  sync_period: 15,
  scrape_interval: 15,
  metric_delay: 0,
  // Not `as const`: configs are built by spreading these, and a config's lists are not read-only.
  behavior: {
    scale_up: {
      stabilization_window: 0,
      select_policy: 'max' as const,
      policies: [
        { type: 'pods' as const, value: 4, period: 15 },
        { type: 'percent' as const, value: 100, period: 15 },
      ],
    },
    scale_down: {
      stabilization_window: 300,
      select_policy: 'max' as const,
      policies: [{ type: 'percent' as const, value: 100, period: 15 }],
    },
  },
};

function scalingPolicySchema() {
  return z
    .object({
      type: z
        .enum(['pods', 'percent'], expected('pods or percent'))
        .describe('Replicas or percent of the current count.'),
      value: PositiveNumber.describe('How many replicas (or percent) per period.'),
      period: PositiveDuration.describe('Length of the period.'),
    })
    .strict();
}

/** One `behavior.scaleUp/scaleDown.policies[]` entry: at most `value` pods or percent per `period` seconds. */
export type ScalingPolicy = z.output<ReturnType<typeof scalingPolicySchema>>;

function scalingRulesSchema(
  defaults: (typeof TARGET_TRACKING_DEFAULTS.behavior)[keyof typeof TARGET_TRACKING_DEFAULTS.behavior],
) {
  return z
    .object({
      stabilization_window: Duration.prefault(defaults.stabilization_window).describe(
        'Past recommendations taken into account (the highest for scale-down, the lowest for scale-up).',
      ),
      select_policy: z
        .enum(['max', 'min', 'disabled'], expected('max, min or disabled'))
        .prefault(defaults.select_policy)
        .describe(
          'Which policy wins: the one allowing the largest change (`max`), the smallest (`min`), or none (`disabled`).',
        ),
      policies: z
        .array(scalingPolicySchema(), expected('a list of { type, value, period }'))
        .prefault(defaults.policies.map((p) => ({ ...p })))
        .describe('Rate limits, Kubernetes `behavior` style.'),
    })
    .strict();
}

/**
 * `stabilization_window`: seconds of past recommendations taken into account. `select_policy`:
 * `max`, the policy allowing the largest change wins; `min`, the smallest; `disabled`, no
 * scaling this way.
 */
export type ScalingRules = z.output<ReturnType<typeof scalingRulesSchema>>;

const TARGET_METRICS = [
  'utilization',
  'concurrency',
  'rps_per_replica',
  'queue_per_replica',
  'kv_cache_utilization',
] as const;
/**
 * `utilization`, `concurrency`, `rps_per_replica` and `kv_cache_utilization` (an LLM replica's
 * share of KV cache in use, the gauge vLLM exports) are per-pod
 * metrics averaged over the ready replicas (a Resource or Pods metric). `queue_per_replica` is the fleet's backlog with an
 * average-value target per replica (an External metric with `AverageValue`, as KEDA and the
 * SQS examples scale on queue length).
 */
export type TargetMetric = (typeof TARGET_METRICS)[number];

const schema = z
  .object({
    policy: z
      .literal('target-tracking')
      .describe('Kubernetes HPA: desired = ceil(current x metric / target).'),
    metric: z
      .enum(TARGET_METRICS, expected(orList(TARGET_METRICS)))
      .describe(
        'What each ready replica reports: a time average over the scrape interval, except ' +
          '`kv_cache_utilization`, read at the scrape as vLLM exports it (continuous-batching fleets only); ' +
          "`queue_per_replica` is the fleet's waiting requests at the scrape.",
      ),
    target: PositiveNumber.describe(
      'Per replica: a fraction of busy slots for `utilization`, of the KV cache for `kv_cache_utilization`, ' +
        'requests otherwise (requests/s for rps).',
    ),
    tolerance: NonNegativeNumber.prefault(TARGET_TRACKING_DEFAULTS.tolerance).describe(
      'No change while metric / target is within this of 1.',
    ),
    sync_period: PositiveDuration.prefault(TARGET_TRACKING_DEFAULTS.sync_period).describe(
      'Time between evaluations.',
    ),
    scrape_interval: PositiveDuration.prefault(TARGET_TRACKING_DEFAULTS.scrape_interval).describe(
      'Time between metric scrapes.',
    ),
    metric_delay: Duration.prefault(TARGET_TRACKING_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
    behavior: z
      .object({
        scale_up: scalingRulesSchema(TARGET_TRACKING_DEFAULTS.behavior.scale_up).prefault({}),
        scale_down: scalingRulesSchema(TARGET_TRACKING_DEFAULTS.behavior.scale_down).prefault({}),
      })
      .strict()
      .prefault({})
      .describe('Stabilization windows and rate limits (Kubernetes defaults).'),
  })
  .strict();

/**
 * A `target-tracking` block, durations in seconds: `target` per replica (a fraction of busy slots
 * for `utilization`, requests otherwise, requests/s for rps); no change while the usage ratio is
 * within `tolerance` of 1; an evaluation every `sync_period` (`--horizontal-pod-autoscaler-sync-period`);
 * a scrape every `scrape_interval`, each sample averaging one interval (metrics-server
 * resolution) and visible `metric_delay` later (adapter and aggregation lag).
 */
export type TargetTrackingConfig = z.output<typeof schema>;

interface TimedValue {
  timeUs: number;
  value: number;
}

export function createTargetTracking(config: TargetTrackingConfig, bounds: ReplicaBounds): Autoscaler {
  if (!(config.target > 0)) throw new RangeError(`target-tracking target must be > 0, got ${config.target}`);
  const scrapeIntervalUs = secondsToUs(config.scrape_interval);
  const history = new MetricHistory(secondsToUs(config.metric_delay), scrapeIntervalUs);
  const up = config.behavior.scale_up;
  const down = config.behavior.scale_down;
  const upWindowUs = secondsToUs(up.stabilization_window);
  const downWindowUs = secondsToUs(down.stabilization_window);
  const recommendations: TimedValue[] = [];
  const scaleUpEvents: TimedValue[] = [];
  const scaleDownEvents: TimedValue[] = [];
  const longestPeriodUs = secondsToUs(
    Math.max(0, ...up.policies.map((p) => p.period), ...down.policies.map((p) => p.period)),
  );

  /** Replicas added (or removed) by this autoscaler within `periodUs` before now: k8s `getReplicasChangePerPeriod`. */
  function changeWithin(events: TimedValue[], nowUs: number, periodUs: number): number {
    let sum = 0;
    for (const e of events) if (e.timeUs > nowUs - periodUs) sum += e.value;
    return sum;
  }

  function scaleUpLimit(nowUs: number, current: number): number {
    if (up.select_policy === 'disabled') return current;
    let limit = up.select_policy === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const p of up.policies) {
      const periodUs = secondsToUs(p.period);
      const periodStart =
        current -
        changeWithin(scaleUpEvents, nowUs, periodUs) +
        changeWithin(scaleDownEvents, nowUs, periodUs);
      // Percent rounds up, or a small fleet could never grow (horizontal.go says the same).
      const proposed =
        p.type === 'pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
      limit = up.select_policy === 'min' ? Math.min(limit, proposed) : Math.max(limit, proposed);
    }
    return limit;
  }

  function scaleDownLimit(nowUs: number, current: number): number {
    if (down.select_policy === 'disabled') return current;
    let limit = down.select_policy === 'min' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const p of down.policies) {
      const periodUs = secondsToUs(p.period);
      const periodStart =
        current -
        changeWithin(scaleUpEvents, nowUs, periodUs) +
        changeWithin(scaleDownEvents, nowUs, periodUs);
      const proposed =
        p.type === 'pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
      limit = down.select_policy === 'min' ? Math.max(limit, proposed) : Math.min(limit, proposed);
    }
    return limit;
  }

  /** `stabilizeRecommendationWithBehaviors`: clamp to [min of recent, max of recent], then remember the raw proposal. */
  function stabilize(nowUs: number, current: number, proposal: number): number {
    let upRecommendation = proposal;
    let downRecommendation = proposal;
    for (const r of recommendations) {
      if (r.timeUs > nowUs - upWindowUs) upRecommendation = Math.min(upRecommendation, r.value);
      if (r.timeUs > nowUs - downWindowUs) downRecommendation = Math.max(downRecommendation, r.value);
    }
    const keepAfterUs = nowUs - Math.max(upWindowUs, downWindowUs);
    while (recommendations.length > 0 && recommendations[0].timeUs <= keepAfterUs) recommendations.shift();
    recommendations.push({ timeUs: nowUs, value: proposal });
    return Math.min(Math.max(current, upRecommendation), downRecommendation);
  }

  /** `convertDesiredReplicasWithBehaviorRate`: rate limits and min/max, applied only in the direction of change. */
  function limitRate(nowUs: number, current: number, desired: number): number {
    if (desired > current) {
      const allowed = Math.min(bounds.max, Math.max(current, scaleUpLimit(nowUs, current)));
      return Math.min(desired, allowed);
    }
    if (desired < current) {
      const allowed = Math.max(bounds.min, Math.min(current, scaleDownLimit(nowUs, current)));
      return Math.max(desired, allowed);
    }
    return desired;
  }

  function record(nowUs: number, current: number, desired: number): number {
    const keepAfterUs = nowUs - longestPeriodUs;
    for (const events of [scaleUpEvents, scaleDownEvents]) {
      while (events.length > 0 && events[0].timeUs <= keepAfterUs) events.shift();
    }
    if (desired > current) scaleUpEvents.push({ timeUs: nowUs, value: desired - current });
    if (desired < current) scaleDownEvents.push({ timeUs: nowUs, value: current - desired });
    return desired;
  }

  return {
    scrapeIntervalUs,
    evaluationPeriodUs: secondsToUs(config.sync_period),
    observe: (sample) => history.push(sample),
    desiredReplicas(nowUs, counts) {
      const current = counts.ready + counts.provisioning;
      // Outside the bounds the controller goes straight to them, before reading any metric.
      // (Kubernetes treats a scale of 0 as "autoscaling disabled"; here 0 only happens after
      // spot reclaims or scale-to-zero, so it is brought back to min like any other count.)
      if (current > bounds.max) return record(nowUs, current, bounds.max);
      if (current < bounds.min) return record(nowUs, current, bounds.min);
      const sample = history.latest(nowUs);
      const proposal = sample === null ? null : propose(config, sample, counts, current);
      if (proposal === null) return current;
      const stabilized = stabilize(nowUs, current, proposal);
      return record(nowUs, current, limitRate(nowUs, current, stabilized));
    },
  };
}

/** The metric's replica proposal, or null when no replica reported a value (the controller then does nothing). */
function propose(
  config: TargetTrackingConfig,
  sample: MetricSample,
  counts: ReplicaCounts,
  current: number,
): number | null {
  const { target, tolerance } = config;
  if (config.metric === 'queue_per_replica') {
    // `GetExternalPerPodMetricReplicas`: the ratio is against all current replicas, ready or not.
    const total = sample.queueLength;
    if (current === 0) return Math.ceil(total / target);
    const ratio = total / (target * current);
    return Math.abs(1 - ratio) <= tolerance ? current : Math.ceil(total / target);
  }
  if (sample.readyReplicas === 0) return null;
  const perReplica = perReadyReplica(config.metric, sample);
  // Replicas that became ready after the scrape have no value yet ("missing" pods); pending
  // ones are "unready" (`groupPods`). Draining replicas are being deleted and are ignored.
  const withValue = Math.min(sample.readyReplicas, counts.ready);
  if (withValue === 0) return null;
  const missing = counts.ready - withValue;
  const unready = counts.provisioning;
  const ratio = perReplica / target;
  const rebalanceUnready = unready > 0 && ratio > 1;
  if (!rebalanceUnready && missing === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return current;
    return Math.ceil(ratio * withValue);
  }
  // `calcPlainMetricReplicas`: on scale-down a missing pod counts as at target, on scale-up as
  // idle; a pending pod counts as idle on scale-up. That damps scale-up while new pods warm up.
  let sum = perReplica * withValue;
  let pods = withValue + missing;
  if (missing > 0 && ratio < 1) sum += missing * target;
  if (rebalanceUnready) pods += unready;
  const newRatio = sum / (pods * target);
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return current;
  }
  const proposal = Math.ceil(newRatio * pods);
  // A change of direction caused only by the changed pod count is not acted on.
  if ((newRatio < 1 && proposal > current) || (newRatio > 1 && proposal < current)) return current;
  return proposal;
}

function perReadyReplica(metric: Exclude<TargetMetric, 'queue_per_replica'>, sample: MetricSample): number {
  switch (metric) {
    case 'utilization':
      return sample.utilization;
    case 'concurrency':
      return sample.concurrency / sample.readyReplicas;
    case 'rps_per_replica':
      return sample.requestRateRps / sample.readyReplicas;
    case 'kv_cache_utilization':
      // The loader allows this metric only on continuous-batching fleets, which report it.
      return sample.kvCacheUtilization ?? 0;
  }
}

/**
 * The metric a real HPA reads for each simulated one. A metrics adapter (Prometheus Adapter, KEDA)
 * must serve it under this name; the sentence says what it has to measure.
 */
const HPA_METRICS: Readonly<
  Record<TargetMetric, { type: 'Pods' | 'External'; name: string; measures: string }>
> = {
  utilization: {
    type: 'Pods',
    name: 'busy_share',
    measures: "the share of each replica's serving slots busy, averaged over the scrape interval (0-1)",
  },
  concurrency: {
    type: 'Pods',
    name: 'inflight_requests',
    measures: 'requests in flight per replica (vLLM: vllm:num_requests_running + vllm:num_requests_waiting)',
  },
  rps_per_replica: {
    type: 'Pods',
    name: 'requests_per_second',
    measures: "requests per second per replica (a rate of the server's request counter)",
  },
  queue_per_replica: {
    type: 'External',
    name: 'queue_length',
    measures:
      "the fleet's waiting requests (a gateway's or broker's queue depth); AverageValue divides it by the replicas",
  },
  kv_cache_utilization: {
    type: 'Pods',
    name: 'vllm:kv_cache_usage_perc',
    measures:
      "vLLM's KV-cache usage gauge, a fraction 0-1 (vllm:gpu_cache_usage_perc before vLLM 0.10); adapters usually rewrite the colons",
  },
};

/** What `autoscaling/v2` validation accepts of a behavior (`validateBehavior` in Kubernetes). */
const HPA_LIMITS = { maxStabilizationWindowS: 3600, maxPeriodS: 1800, maxValue: 2 ** 31 - 1 };

function hpaRules(rules: ScalingRules, direction: string, notes: string[]): Record<string, unknown> {
  const at = `behavior.${direction}`;
  if (rules.policies.length === 0)
    notes.push(
      refusedNote(
        `${at}.policies is empty`,
        'at least one policy (select_policy: disabled stops scaling this way)',
      ),
    );
  const policies = rules.policies.map((policy, i) => {
    const value = Math.max(1, Math.round(policy.value));
    if (value !== policy.value)
      notes.push(`${at}.policies[${i}].value ${policy.value} rounded to ${value} (whole numbers only)`);
    if (value > HPA_LIMITS.maxValue)
      notes.push(refusedNote(`${at}.policies[${i}].value ${value}`, `at most ${HPA_LIMITS.maxValue}`));
    const periodSeconds = wholeSeconds(policy.period, `${at}.policies[${i}].period`, notes);
    if (periodSeconds < 1 || periodSeconds > HPA_LIMITS.maxPeriodS)
      notes.push(
        refusedNote(
          `${at}.policies[${i}].period ${periodSeconds} s`,
          `1 to ${HPA_LIMITS.maxPeriodS} s (periodSeconds)`,
        ),
      );
    return { type: policy.type === 'pods' ? 'Pods' : 'Percent', value, periodSeconds };
  });
  const stabilizationWindowSeconds = wholeSeconds(
    rules.stabilization_window,
    `${at}.stabilization_window`,
    notes,
  );
  if (stabilizationWindowSeconds > HPA_LIMITS.maxStabilizationWindowS)
    notes.push(
      refusedNote(
        `${at}.stabilization_window ${stabilizationWindowSeconds} s`,
        `0 to ${HPA_LIMITS.maxStabilizationWindowS} s (stabilizationWindowSeconds)`,
      ),
    );
  return {
    stabilizationWindowSeconds,
    selectPolicy: { max: 'Max', min: 'Min', disabled: 'Disabled' }[rules.select_policy],
    policies,
  };
}

/** The `autoscaling/v2` HorizontalPodAutoscaler whose controller this policy simulates. */
export function hpaManifest(config: TargetTrackingConfig, target: ManifestTarget): AutoscalerManifest {
  const notes: string[] = [];
  const metric = HPA_METRICS[config.metric];
  notes.push(`metric ${metric.name} must be served by a metrics adapter: ${metric.measures}`);
  const source = {
    metric: { name: metric.name },
    target: { type: 'AverageValue', averageValue: quantity(config.target) },
  };
  if (target.minReplicas === 0)
    notes.push(
      'the fleet scales to zero, which an HPA does only with the HPAScaleToZero feature gate: minReplicas is 1 here (KEDA scales to zero)',
    );
  if (config.tolerance !== TARGET_TRACKING_DEFAULTS.tolerance)
    notes.push(
      `tolerance ${config.tolerance} is the controller's --horizontal-pod-autoscaler-tolerance (cluster-wide), or behavior.scaleUp/scaleDown.tolerance on clusters with the HPAConfigurableTolerance feature gate`,
    );
  if (config.sync_period !== TARGET_TRACKING_DEFAULTS.sync_period)
    notes.push(
      `sync_period ${config.sync_period} s is the controller's --horizontal-pod-autoscaler-sync-period (cluster-wide)`,
    );
  notes.push(
    `the simulation read the metric every ${config.scrape_interval} s, visible ${config.metric_delay} s later: scrape and adapter delays that differ change the result`,
  );
  const scaleUp = hpaRules(config.behavior.scale_up, 'scale_up', notes);
  const scaleDown = hpaRules(config.behavior.scale_down, 'scale_down', notes);
  return {
    system: 'Kubernetes HorizontalPodAutoscaler (autoscaling/v2)',
    documents: [
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: target.name },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target.name },
          minReplicas: Math.max(1, target.minReplicas),
          maxReplicas: target.maxReplicas,
          metrics: [
            metric.type === 'Pods' ? { type: 'Pods', pods: source } : { type: 'External', external: source },
          ],
          behavior: { scaleUp, scaleDown },
        },
      },
    ],
    notes,
  };
}

export const targetTracking = defineAutoscaler({
  name: 'target-tracking',
  schema,
  defaults: TARGET_TRACKING_DEFAULTS,
  create: createTargetTracking,
  manifest: hpaManifest,
  example: { policy: 'target-tracking', metric: 'concurrency', target: 8 },
  sections: {
    behavior: {
      scale_down: { stabilization_window: '5m', policies: [{ type: 'percent', value: 50, period: '1m' }] },
    },
    'behavior.scale_up': {
      stabilization_window: 0,
      select_policy: 'max',
      policies: [{ type: 'pods', value: 4, period: '15s' }],
    },
    'behavior.scale_up.policies[]': { type: 'percent', value: 100, period: '15s' },
    'behavior.scale_down': {
      stabilization_window: '5m',
      policies: [{ type: 'percent', value: 100, period: '15s' }],
    },
    'behavior.scale_down.policies[]': { type: 'pods', value: 2, period: '1m' },
  },
});
