import * as z from 'zod';
import { Duration, expected, PositiveDuration, PositiveNumber } from '../../core/schema-values.js';
import { defineAutoscaler } from './definition.js';
import { type AutoscalerManifest, goDuration, type ManifestTarget, refusedNote } from './manifests.js';
import { MetricHistory } from './metric-history.js';
import {
  type Autoscaler,
  clampReplicas,
  type MetricSample,
  type ReplicaBounds,
  secondsToUs,
} from './types.js';

/**
 * Knative Pod Autoscaler (KPA), as knative/serving computes it: `pkg/autoscaler/scaling/autoscaler.go`
 * (`Scale`: stable and panic desired counts, rate limits, panic mode), defaults from
 * `pkg/autoscaler/config` (config-autoscaler), scale to zero after the grace period as the KPA
 * reconciler (`pkg/reconciler/autoscaling/kpa/scaler.go`) holds one replica until it has passed.
 */

/** Knative's config-autoscaler defaults (2 s ticks in `multiscaler.go`, 1 s scrapes in the metric collector). */
export const CONCURRENCY_DEFAULTS = {
  metric: 'concurrency',
  target_utilization: 0.7,
  stable_window: 60,
  panic_window_percentage: 10,
  panic_threshold: 2,
  max_scale_up_rate: 1000,
  max_scale_down_rate: 2,
  scale_to_zero_grace_period: 30,
  scale_down_delay: 0,
  tick_interval: 2,
  scrape_interval: 1,
  metric_delay: 0,
} as const;

/** Knative's default targets: `container-concurrency-target-default` and `requests-per-second-target-default`. */
export const CONCURRENCY_DEFAULT_TARGET = { concurrency: 100, rps: 200 } as const;

const schema = z
  .object({
    policy: z.literal('concurrency').describe('Knative KPA: stable and panic windows, scale to zero.'),
    metric: z
      .enum(['concurrency', 'rps'], expected('concurrency or rps'))
      .prefault(CONCURRENCY_DEFAULTS.metric)
      .describe('In-flight requests or requests per second.'),
    target: PositiveNumber.optional().describe(
      "Per replica. Default: 100 (concurrency) or 200 (rps), Knative's.",
    ),
    target_utilization: z
      .number(expected('a fraction in (0, 1]'))
      .gt(0)
      .lte(1)
      .prefault(CONCURRENCY_DEFAULTS.target_utilization)
      .describe('Share of `target` aimed at.'),
    stable_window: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.stable_window).describe(
      'Window averaged for the stable decision.',
    ),
    panic_window_percentage: z
      .number(expected('a percentage'))
      .gt(0)
      .lte(100)
      .prefault(CONCURRENCY_DEFAULTS.panic_window_percentage)
      .describe('Panic window as a percentage of the stable window.'),
    panic_threshold: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.panic_threshold).describe(
      'Panic when the panic window wants this multiple of the ready replicas.',
    ),
    max_scale_up_rate: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.max_scale_up_rate).describe(
      'At most this multiple of the ready replicas per decision.',
    ),
    max_scale_down_rate: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.max_scale_down_rate).describe(
      'At least ready / this per decision.',
    ),
    scale_down_delay: Duration.prefault(CONCURRENCY_DEFAULTS.scale_down_delay).describe(
      'A scale-down waits this long: the highest count wanted within it applies (against flapping with slow cold starts).',
    ),
    scale_to_zero_grace_period: Duration.prefault(CONCURRENCY_DEFAULTS.scale_to_zero_grace_period).describe(
      'How long the last replica stays once zero is wanted.',
    ),
    tick_interval: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.tick_interval).describe(
      'Time between decisions.',
    ),
    scrape_interval: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.scrape_interval).describe(
      'Time between scrapes.',
    ),
    metric_delay: Duration.prefault(CONCURRENCY_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
  })
  .strict()
  .transform((c) => ({ ...c, target: c.target ?? CONCURRENCY_DEFAULT_TARGET[c.metric] }));

/**
 * A `concurrency` block, durations in seconds. `metric` is `autoscaling.knative.dev/metric`:
 * in-flight requests (fleet total) or requests per second; `target` per replica is
 * `autoscaling.knative.dev/target`, aimed at as `target x target_utilization`
 * (`target-utilization-percentage` / 100). `panic_threshold` is `panic-threshold-percentage` /
 * 100; `max_scale_up_rate` and `max_scale_down_rate` bound a decision to that multiple (or
 * fraction) of the ready replicas; the last replica is kept `scale_to_zero_grace_period` once
 * zero is wanted; a scale-down waits `scale_down_delay` (`autoscaling.knative.dev/scale-down-delay`:
 * the highest count wanted over it applies, against flapping with slow starts).
 */
export type ConcurrencyConfig = z.output<typeof schema>;

/** Knative floors the effective target at 0.01 (`MinTarget`) so a tiny target cannot divide by zero. */
const MIN_TARGET = 0.01;

export function createConcurrency(config: ConcurrencyConfig, bounds: ReplicaBounds): Autoscaler {
  if (!(config.target > 0)) throw new RangeError(`concurrency target must be > 0, got ${config.target}`);
  const targetValue = Math.max(MIN_TARGET, config.target * config.target_utilization);
  const stableWindowUs = secondsToUs(config.stable_window);
  const panicWindowUs = Math.round((stableWindowUs * config.panic_window_percentage) / 100);
  const graceUs = secondsToUs(config.scale_to_zero_grace_period);
  const history = new MetricHistory(secondsToUs(config.metric_delay), stableWindowUs);
  const value =
    config.metric === 'rps' ? (s: MetricSample) => s.requestRateRps : (s: MetricSample) => s.concurrency;

  let started = false;
  let panicSinceUs: number | null = null;
  let maxPanicPods = 0;
  let wantsZeroSinceUs: number | null = null;
  const delayUs = secondsToUs(config.scale_down_delay);
  const recent: { timeUs: number; replicas: number }[] = [];

  return {
    scrapeIntervalUs: secondsToUs(config.scrape_interval),
    evaluationPeriodUs: secondsToUs(config.tick_interval),
    observe: (sample) => history.push(sample),
    desiredReplicas(nowUs, counts) {
      const current = counts.ready + counts.provisioning;
      // A new KPA starts in panic above one pod: it has no history yet and must not scale
      // down on an empty window (autoscaler.go, newAutoscaler).
      if (!started) {
        started = true;
        if (counts.ready > 1) {
          panicSinceUs = nowUs;
          maxPanicPods = counts.ready;
        }
      }
      const stable = history.mean(nowUs, stableWindowUs, value);
      const panic = history.mean(nowUs, panicWindowUs, value);
      if (stable === null || panic === null) return clampReplicas(current, bounds);

      const readyPods = Math.max(1, counts.ready);
      const maxScaleUp = Math.ceil(config.max_scale_up_rate * readyPods);
      const maxScaleDown = Math.floor(readyPods / config.max_scale_down_rate);
      const desiredStableRaw = Math.ceil(stable / targetValue);
      const desiredPanicRaw = Math.ceil(panic / targetValue);
      const desiredStable = Math.min(Math.max(desiredStableRaw, maxScaleDown), maxScaleUp);
      const desiredPanic = Math.min(Math.max(desiredPanicRaw, maxScaleDown), maxScaleUp);

      const overThreshold = desiredPanicRaw / readyPods >= config.panic_threshold;
      if (overThreshold) {
        panicSinceUs = nowUs;
      } else if (panicSinceUs !== null && panicSinceUs + stableWindowUs < nowUs) {
        // A full stable window below the threshold: the surge is in the stable average now.
        panicSinceUs = null;
        maxPanicPods = 0;
      }

      let desired = desiredStable;
      if (panicSinceUs !== null) {
        // In panic the fleet only grows: the larger of the two windows, never below the panic peak.
        maxPanicPods = Math.max(maxPanicPods, desiredStable, desiredPanic);
        desired = maxPanicPods;
      }
      desired = clampReplicas(desired, bounds);
      if (delayUs > 0) {
        // Knative's delay window (autoscaler.go): the maximum of the counts wanted within it.
        recent.push({ timeUs: nowUs, replicas: desired });
        while (recent[0].timeUs <= nowUs - delayUs) recent.shift();
        for (const r of recent) desired = Math.max(desired, r.replicas);
      }

      if (desired > 0) {
        wantsZeroSinceUs = null;
        return desired;
      }
      wantsZeroSinceUs ??= nowUs;
      // The last replica stays through the grace period (the activator is put in the path meanwhile).
      return current > 0 && nowUs - wantsZeroSinceUs < graceUs ? 1 : 0;
    },
  };
}

/** A fraction as Knative's percentage annotations take it, free of binary noise (`0.07` is `7`). */
function percent(fraction: number): string {
  return String(Number((fraction * 100).toPrecision(12)));
}

/**
 * What Knative's webhook accepts of the revision annotations (`ValidateAnnotations` in
 * knative/serving `pkg/apis/autoscaling/annotation_validation.go`): windows of whole seconds, the
 * stable one from 6 s to 1 h, percentages within their bounds.
 */
const KNATIVE_LIMITS = {
  window: { min: 6, max: 3600 },
  scaleDownDelayMax: 3600,
  panicWindowPercentage: { min: 1, max: 100 },
  panicThresholdPercentage: { min: 110, max: 1000 },
  targetUtilizationPercentage: { min: 1, max: 100 },
  targetMin: 0.01,
};

/** A note for each setting Knative's webhook would refuse. */
function knativeRefusals(config: ConcurrencyConfig): string[] {
  const notes: string[] = [];
  const within = (value: number, { min, max }: { min: number; max: number }) => value >= min && value <= max;
  const { window } = KNATIVE_LIMITS;
  if (!within(config.stable_window, window) || !Number.isInteger(config.stable_window))
    notes.push(
      refusedNote(
        `stable_window ${config.stable_window} s`,
        `whole seconds from ${window.min} s to 1 h (window)`,
      ),
    );
  if (
    config.scale_down_delay > KNATIVE_LIMITS.scaleDownDelayMax ||
    !Number.isInteger(config.scale_down_delay)
  )
    notes.push(
      refusedNote(
        `scale_down_delay ${config.scale_down_delay} s`,
        'whole seconds up to 1 h (scale-down-delay)',
      ),
    );
  const range = ({ min, max }: { min: number; max: number }) => `${min} to ${max}`;
  if (!within(config.panic_window_percentage, KNATIVE_LIMITS.panicWindowPercentage))
    notes.push(
      refusedNote(
        `panic_window_percentage ${config.panic_window_percentage}`,
        `${range(KNATIVE_LIMITS.panicWindowPercentage)} (panic-window-percentage)`,
      ),
    );
  const threshold = Number(percent(config.panic_threshold));
  if (!within(threshold, KNATIVE_LIMITS.panicThresholdPercentage))
    notes.push(
      refusedNote(
        `panic_threshold ${config.panic_threshold} (panic-threshold-percentage ${threshold})`,
        `${range(KNATIVE_LIMITS.panicThresholdPercentage)} (panic-threshold-percentage)`,
      ),
    );
  const utilization = Number(percent(config.target_utilization));
  if (!within(utilization, KNATIVE_LIMITS.targetUtilizationPercentage))
    notes.push(
      refusedNote(
        `target_utilization ${config.target_utilization} (target-utilization-percentage ${utilization})`,
        `${range(KNATIVE_LIMITS.targetUtilizationPercentage)} (target-utilization-percentage)`,
      ),
    );
  if (config.target < KNATIVE_LIMITS.targetMin)
    notes.push(refusedNote(`target ${config.target}`, `at least ${KNATIVE_LIMITS.targetMin} (target)`));
  return notes;
}

/**
 * A Knative Service's autoscaling annotations (per revision) and, for the settings Knative only
 * takes cluster-wide, the `config-autoscaler` ConfigMap keys that differ from its defaults.
 */
export function knativeManifest(config: ConcurrencyConfig, target: ManifestTarget): AutoscalerManifest {
  const notes: string[] = [];
  const annotations: Record<string, string> = {
    'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
    'autoscaling.knative.dev/metric': config.metric,
    // Knative parses its annotations as plain decimals (`0.5`), not Kubernetes quantities (`500m`).
    'autoscaling.knative.dev/target': String(config.target),
    'autoscaling.knative.dev/target-utilization-percentage': percent(config.target_utilization),
    'autoscaling.knative.dev/window': goDuration(config.stable_window),
    'autoscaling.knative.dev/panic-window-percentage': String(config.panic_window_percentage),
    'autoscaling.knative.dev/panic-threshold-percentage': percent(config.panic_threshold),
    'autoscaling.knative.dev/scale-down-delay': goDuration(config.scale_down_delay),
    'autoscaling.knative.dev/min-scale': String(target.minReplicas),
    'autoscaling.knative.dev/max-scale': String(target.maxReplicas),
  };
  notes.push(...knativeRefusals(config));
  const cluster: Record<string, string> = {};
  if (config.max_scale_up_rate !== CONCURRENCY_DEFAULTS.max_scale_up_rate)
    cluster['max-scale-up-rate'] = String(config.max_scale_up_rate);
  if (config.max_scale_down_rate !== CONCURRENCY_DEFAULTS.max_scale_down_rate)
    cluster['max-scale-down-rate'] = String(config.max_scale_down_rate);
  if (config.scale_to_zero_grace_period !== CONCURRENCY_DEFAULTS.scale_to_zero_grace_period)
    cluster['scale-to-zero-grace-period'] = goDuration(config.scale_to_zero_grace_period);
  if (Object.keys(cluster).length > 0)
    notes.push('the config-autoscaler ConfigMap applies to every Knative service of the cluster');
  if (config.tick_interval !== CONCURRENCY_DEFAULTS.tick_interval)
    notes.push(
      `tick_interval ${config.tick_interval} s: Knative decides every 2 s and has no setting for it`,
    );
  notes.push(
    `the simulation scraped every ${config.scrape_interval} s, visible ${config.metric_delay} s later; Knative's queue-proxy reports every second`,
  );
  const service = {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: { name: target.name },
    spec: { template: { metadata: { annotations } } },
  };
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'config-autoscaler', namespace: 'knative-serving' },
    data: cluster,
  };
  return {
    system: 'Knative Serving KPA (revision annotations)',
    documents: Object.keys(cluster).length > 0 ? [service, configMap] : [service],
    notes,
  };
}

export const concurrency = defineAutoscaler({
  name: 'concurrency',
  schema,
  defaults: CONCURRENCY_DEFAULTS,
  create: createConcurrency,
  manifest: knativeManifest,
  example: { policy: 'concurrency', target: 8 },
});
