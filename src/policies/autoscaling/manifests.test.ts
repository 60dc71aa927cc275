import { describe, expect, it } from 'vitest';
import { concurrency } from './concurrency.js';
import { autoscalerManifest } from './index.js';
import { quantity } from './manifests.js';
import { predictive } from './predictive.js';
import { queueDepth } from './queue-depth.js';
import { scheduled } from './scheduled.js';
import { targetTracking } from './target-tracking.js';

const target = { name: 'gpu', minReplicas: 2, maxReplicas: 12 };

describe('quantity', () => {
  it('writes whole numbers as they are, fractions in thousandths, finer ones in millionths', () => {
    expect([quantity(16), quantity(0.6), quantity(1.5), quantity(0.0004)]).toEqual([
      '16',
      '600m',
      '1500m',
      '400u',
    ]);
  });
});

describe('target-tracking as a HorizontalPodAutoscaler', () => {
  it('carries the target, bounds and behavior as the HPA API spells them', () => {
    const config = targetTracking.schema.parse({
      policy: 'target-tracking',
      metric: 'kv_cache_utilization',
      target: 0.75,
      behavior: {
        scale_down: { stabilization_window: '10m', policies: [{ type: 'pods', value: 2, period: '1m' }] },
      },
    });
    const manifest = autoscalerManifest(config, target)!;
    expect(manifest.system).toContain('HorizontalPodAutoscaler');
    expect(manifest.documents).toEqual([
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'gpu' },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gpu' },
          minReplicas: 2,
          maxReplicas: 12,
          metrics: [
            {
              type: 'Pods',
              pods: {
                metric: { name: 'vllm:kv_cache_usage_perc' },
                target: { type: 'AverageValue', averageValue: '750m' },
              },
            },
          ],
          behavior: {
            // Kubernetes' own defaults for scale-up, as the simulated controller uses them.
            scaleUp: {
              stabilizationWindowSeconds: 0,
              selectPolicy: 'Max',
              policies: [
                { type: 'Pods', value: 4, periodSeconds: 15 },
                { type: 'Percent', value: 100, periodSeconds: 15 },
              ],
            },
            scaleDown: {
              stabilizationWindowSeconds: 600,
              selectPolicy: 'Max',
              policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }],
            },
          },
        },
      },
    ]);
  });

  it('says what the HPA cannot hold: scale to zero, a non-default tolerance, a backlog metric', () => {
    const config = targetTracking.schema.parse({
      policy: 'target-tracking',
      metric: 'queue_per_replica',
      target: 4,
      tolerance: 0.05,
      sync_period: '30s',
    });
    const manifest = autoscalerManifest(config, { ...target, minReplicas: 0 })!;
    const spec = manifest.documents[0].spec as { minReplicas: number; metrics: { type: string }[] };
    expect(spec.minReplicas).toBe(1);
    expect(spec.metrics[0].type).toBe('External');
    expect(manifest.notes.some((n) => n.includes('HPAScaleToZero'))).toBe(true);
    expect(manifest.notes.some((n) => n.startsWith('tolerance 0.05'))).toBe(true);
    expect(manifest.notes.some((n) => n.startsWith('sync_period 30 s'))).toBe(true);
  });

  it('says which settings the HPA API refuses: windows past 1 h, periods of 0 or past 30 min, no policy', () => {
    const config = targetTracking.schema.parse({
      policy: 'target-tracking',
      metric: 'concurrency',
      target: 4,
      behavior: {
        scale_up: { policies: [] },
        scale_down: {
          stabilization_window: '2h',
          policies: [
            { type: 'pods', value: 1, period: '0.4s' },
            { type: 'percent', value: 50, period: '31m' },
          ],
        },
      },
    });
    const refused = autoscalerManifest(config, target)!.notes.filter((n) => n.startsWith('REFUSED'));
    expect(refused).toEqual([
      'REFUSED: behavior.scale_up.policies is empty, where the API takes at least one policy (select_policy: disabled stops scaling this way): applying this document fails',
      'REFUSED: behavior.scale_down.policies[0].period 0 s, where the API takes 1 to 1800 s (periodSeconds): applying this document fails',
      'REFUSED: behavior.scale_down.policies[1].period 1860 s, where the API takes 1 to 1800 s (periodSeconds): applying this document fails',
      'REFUSED: behavior.scale_down.stabilization_window 7200 s, where the API takes 0 to 3600 s (stabilizationWindowSeconds): applying this document fails',
    ]);
  });

  it('writes nothing the API refuses from the defaults or the bounds themselves', () => {
    const config = targetTracking.schema.parse({
      policy: 'target-tracking',
      metric: 'concurrency',
      target: 4,
      behavior: {
        scale_down: { stabilization_window: '1h', policies: [{ type: 'pods', value: 1, period: '30m' }] },
      },
    });
    expect(autoscalerManifest(config, target)!.notes.filter((n) => n.startsWith('REFUSED'))).toEqual([]);
    const defaults = targetTracking.schema.parse({
      policy: 'target-tracking',
      metric: 'concurrency',
      target: 4,
    });
    expect(autoscalerManifest(defaults, target)!.notes.filter((n) => n.startsWith('REFUSED'))).toEqual([]);
  });
});

describe('concurrency as Knative annotations', () => {
  it('maps each setting to its annotation, and cluster-wide ones to config-autoscaler', () => {
    const config = concurrency.schema.parse({
      policy: 'concurrency',
      target: 8,
      target_utilization: 0.07,
      stable_window: '2m',
      panic_threshold: 3,
      scale_down_delay: '5m',
      max_scale_down_rate: 4,
    });
    const manifest = autoscalerManifest(config, { ...target, minReplicas: 0 })!;
    const [service, configMap] = manifest.documents as {
      spec?: { template: { metadata: { annotations: Record<string, string> } } };
      data?: Record<string, string>;
    }[];
    expect(service.spec!.template.metadata.annotations).toEqual({
      'autoscaling.knative.dev/class': 'kpa.autoscaling.knative.dev',
      'autoscaling.knative.dev/metric': 'concurrency',
      'autoscaling.knative.dev/target': '8',
      'autoscaling.knative.dev/target-utilization-percentage': '7',
      'autoscaling.knative.dev/window': '120s',
      'autoscaling.knative.dev/panic-window-percentage': '10',
      'autoscaling.knative.dev/panic-threshold-percentage': '300',
      'autoscaling.knative.dev/scale-down-delay': '300s',
      'autoscaling.knative.dev/min-scale': '0',
      'autoscaling.knative.dev/max-scale': '12',
    });
    expect(configMap.data).toEqual({ 'max-scale-down-rate': '4' });
  });

  it('writes a fractional Knative target as the decimal Knative parses, not as a Kubernetes quantity', () => {
    const manifest = autoscalerManifest(
      concurrency.schema.parse({ policy: 'concurrency', target: 0.5 }),
      target,
    )!;
    const [service] = manifest.documents as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    }[];
    expect(service.spec.template.metadata.annotations['autoscaling.knative.dev/target']).toBe('0.5');
  });

  it("says which settings Knative's webhook refuses, at its bounds and not within them", () => {
    const refused = (settings: Record<string, unknown>) =>
      autoscalerManifest(
        concurrency.schema.parse({ policy: 'concurrency', ...settings }),
        target,
      )!.notes.filter((n) => n.startsWith('REFUSED'));
    expect(
      refused({
        target: 0.005,
        target_utilization: 0.005,
        stable_window: '2.5s',
        panic_window_percentage: 0.5,
        panic_threshold: 1.05,
        scale_down_delay: '90m',
      }),
    ).toEqual([
      'REFUSED: stable_window 2.5 s, where the API takes whole seconds from 6 s to 1 h (window): applying this document fails',
      'REFUSED: scale_down_delay 5400 s, where the API takes whole seconds up to 1 h (scale-down-delay): applying this document fails',
      'REFUSED: panic_window_percentage 0.5, where the API takes 1 to 100 (panic-window-percentage): applying this document fails',
      'REFUSED: panic_threshold 1.05 (panic-threshold-percentage 105), where the API takes 110 to 1000 (panic-threshold-percentage): applying this document fails',
      'REFUSED: target_utilization 0.005 (target-utilization-percentage 0.5), where the API takes 1 to 100 (target-utilization-percentage): applying this document fails',
      'REFUSED: target 0.005, where the API takes at least 0.01 (target): applying this document fails',
    ]);
    expect(refused({ stable_window: '90.5s', scale_down_delay: '1.5s', panic_threshold: 11 })).toEqual([
      'REFUSED: stable_window 90.5 s, where the API takes whole seconds from 6 s to 1 h (window): applying this document fails',
      'REFUSED: scale_down_delay 1.5 s, where the API takes whole seconds up to 1 h (scale-down-delay): applying this document fails',
      'REFUSED: panic_threshold 11 (panic-threshold-percentage 1100), where the API takes 110 to 1000 (panic-threshold-percentage): applying this document fails',
    ]);
    expect(
      refused({
        target: 0.01,
        target_utilization: 0.01,
        stable_window: '1h',
        panic_window_percentage: 1,
        panic_threshold: 10,
        scale_down_delay: '1h',
      }),
    ).toEqual([]);
    expect(refused({ stable_window: '6s', panic_window_percentage: 100, panic_threshold: 1.1 })).toEqual([]);
    expect(refused({})).toEqual([]);
  });

  it('writes no ConfigMap when every cluster-wide setting is Knative default', () => {
    const manifest = autoscalerManifest(concurrency.schema.parse({ policy: 'concurrency' }), target)!;
    expect(manifest.documents).toHaveLength(1);
  });
});

describe('queue-depth as AWS step scaling', () => {
  it('splits the steps into a scale-out and a scale-in policy, bounds as offsets from each threshold', () => {
    const config = queueDepth.schema.parse({
      policy: 'queue-depth',
      steps: [
        { lower: 10, upper: 30, change: 2 },
        { lower: 30, upper: null, change: 4 },
        { lower: 1, upper: 10, change: 0 },
        { lower: null, upper: 1, change: -1 },
      ],
      cooldown: '2m',
      evaluation_periods: 3,
    });
    const [out, outAlarm, scaleIn, inAlarm] = autoscalerManifest(config, target)!.documents as Record<
      string,
      unknown
    >[];
    expect(out.StepScalingPolicyConfiguration).toEqual({
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: 120,
      MetricAggregationType: 'Average',
      StepAdjustments: [
        { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 2 },
        { MetricIntervalLowerBound: 20, ScalingAdjustment: 4 },
      ],
    });
    expect(outAlarm).toMatchObject({
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Period: 60,
      EvaluationPeriods: 3,
    });
    expect(scaleIn.StepScalingPolicyConfiguration).toMatchObject({
      StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }],
    });
    expect(inAlarm).toMatchObject({ Threshold: 1, ComparisonOperator: 'LessThanThreshold' });
  });
});

describe('scheduled as KEDA cron triggers', () => {
  const trigger = (start: string, end: string, replicas: number) => ({
    type: 'cron',
    metadata: { timezone: 'Etc/UTC', start, end, desiredReplicas: String(replicas) },
  });
  const spec = (config: unknown, bounds = { name: 'gpu', minReplicas: 1, maxReplicas: 12 }) =>
    (
      autoscalerManifest(scheduled.schema.parse(config), bounds)!.documents[0] as {
        spec: Record<string, unknown>;
      }
    ).spec;

  it('opens one window per stretch of the week above the minimum, each on its weekday (cron counts Sunday as 0)', () => {
    const found = spec(scheduled.example);
    // Weekdays: 10 from 08:00 to 20:00, 2 from 20:00 to 08:00 the next day (Friday's until
    // Saturday 00:00); the weekend's 1 is the minimum, which KEDA keeps outside every window.
    const weekdays = [1, 2, 3, 4, 5].flatMap((day) => [
      trigger(`0 8 * * ${day}`, `0 20 * * ${day}`, 10),
      trigger(`0 20 * * ${day}`, day === 5 ? '0 0 * * 6' : `0 8 * * ${day + 1}`, 2),
    ]);
    expect(found.triggers).toEqual(weekdays);
    expect(found).toMatchObject({ scaleTargetRef: { name: 'gpu' }, minReplicaCount: 1, maxReplicaCount: 12 });
    const anyCount = { type: 'Pods', value: 12, periodSeconds: 15 };
    expect(found.advanced).toEqual({
      horizontalPodAutoscalerConfig: {
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [anyCount] },
          scaleDown: { stabilizationWindowSeconds: 0, policies: [anyCount] },
        },
      },
    });
  });

  it('wraps the last stretch of the week to the first, and clamps counts to the bounds', () => {
    const found = spec({
      policy: 'scheduled',
      schedule: [
        { at: 'Mon 06:30', replicas: 2 },
        { at: 'Sun 22:00', replicas: 50 },
      ],
    });
    expect(found.triggers).toEqual([
      trigger('30 6 * * 1', '0 22 * * 0', 2),
      trigger('0 22 * * 0', '30 6 * * 1', 12),
    ]);
  });

  it('writes no document when the table never asks for more than the minimum', () => {
    const manifest = autoscalerManifest(
      scheduled.schema.parse({ policy: 'scheduled', schedule: [{ at: '09:00', replicas: 2 }] }),
      { name: 'gpu', minReplicas: 2, maxReplicas: 4 },
    )!;
    expect(manifest.documents).toEqual([]);
    expect(manifest.notes).toEqual([
      "the table never asks for more than the fleet's 2 minimum replicas: a Deployment of that many does the same, with no autoscaler",
    ]);
  });
});

describe('policies without a real counterpart to write', () => {
  it('returns null for predictive', () => {
    expect(autoscalerManifest(predictive.schema.parse(predictive.example), target)).toBeNull();
  });
});
