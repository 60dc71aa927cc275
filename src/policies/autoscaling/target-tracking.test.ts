import { describe, expect, it } from 'vitest';
import {
  type MetricSample,
  type ReplicaCounts,
  TARGET_TRACKING_DEFAULTS,
  type TargetTrackingConfig,
} from './index.js';
import { createTargetTracking } from './target-tracking.js';

const S = 1e6;

function sample(timeS: number, readyReplicas: number, fields: Partial<MetricSample>): MetricSample {
  return {
    timeUs: timeS * S,
    readyReplicas,
    concurrency: 0,
    utilization: 0,
    requestRateRps: 0,
    queueLength: 0,
    kvCacheUtilization: null,
    ...fields,
  };
}

function config(overrides: Partial<TargetTrackingConfig>): TargetTrackingConfig {
  return {
    policy: 'target-tracking',
    metric: 'concurrency',
    target: 8,
    ...TARGET_TRACKING_DEFAULTS,
    ...overrides,
  };
}

const ready = (n: number): ReplicaCounts => ({ ready: n, provisioning: 0, draining: 0 });

/**
 * Drives one HPA every 15 s with replicas that become ready at once: each decision's count is
 * the next one's current count. `load(tS)` is the fleet's total concurrency.
 */
function run(
  hpa: ReturnType<typeof createTargetTracking>,
  start: number,
  untilS: number,
  load: (tS: number) => number,
) {
  let replicas = start;
  const seen = new Map<number, number>();
  for (let t = 15; t <= untilS; t += 15) {
    hpa.observe(sample(t, replicas, { concurrency: load(t) }));
    replicas = hpa.desiredReplicas(t * S, ready(replicas));
    seen.set(t, replicas);
  }
  return seen;
}

describe('target-tracking (Kubernetes HPA)', () => {
  it('scrapes and decides every 15 s by default (metrics-server resolution, HPA sync period)', () => {
    const hpa = createTargetTracking(config({}), { min: 1, max: 10 });
    expect([hpa.scrapeIntervalUs, hpa.evaluationPeriodUs]).toEqual([15 * S, 15 * S]);
  });

  const bounds = { min: 1, max: 100 };

  it('proposes ceil(current * metric / target) outside the 0.1 tolerance, and nothing inside it', () => {
    const cases: [totalConcurrency: number, expected: number][] = [
      [40, 5], // 10 per replica: ratio 1.25, ceil(5) = 5
      [34.8, 4], // 8.7: ratio 1.0875, within tolerance
      [36, 5], // 9: ratio 1.125, ceil(4.5) = 5
      [29.2, 4], // 7.3: ratio 0.9125, within
      [16, 2], // 4: ratio 0.5, ceil(2) = 2 (no stabilization below)
    ];
    for (const [total, expected] of cases) {
      const hpa = createTargetTracking(
        config({
          behavior: {
            ...TARGET_TRACKING_DEFAULTS.behavior,
            scale_down: { ...TARGET_TRACKING_DEFAULTS.behavior.scale_down, stabilization_window: 0 },
          },
        }),
        bounds,
      );
      hpa.observe(sample(15, 4, { concurrency: total }));
      expect(hpa.desiredReplicas(15 * S, ready(4)), `total ${total}`).toBe(expected);
    }
  });

  it('scales down only once the highest recommendation of the last 300 s has left the window', () => {
    // 10 replicas at target until t = 15, then half the load: every proposal from t = 30 on is 5.
    const seen = run(createTargetTracking(config({ target: 10 }), bounds), 10, 345, (t) =>
      t <= 15 ? 100 : 50,
    );
    for (let t = 15; t <= 300; t += 15) expect(seen.get(t), `t = ${t}`).toBe(10);
    // The proposal of 10 made at t = 15 is in the window (t - 300, t] until t = 315.
    expect(seen.get(315)).toBe(5);
    expect(seen.get(330)).toBe(5); // 50 on 5 replicas is at target
  });

  it('limits scale-up to max(4 pods, 100 %) per 15 s by default', () => {
    // 2 replicas at 10x the target want 20: 2 -> max(2 + 4, 2 * 2) = 6 -> max(10, 12) = 12 -> 20.
    const seen = run(createTargetTracking(config({ target: 10 }), bounds), 2, 60, () => 200);
    expect([seen.get(15), seen.get(30), seen.get(45), seen.get(60)]).toEqual([6, 12, 20, 20]);
  });

  it('counts replicas added within a policy period against its limit', () => {
    const behavior = {
      ...TARGET_TRACKING_DEFAULTS.behavior,
      scale_up: {
        stabilization_window: 0,
        select_policy: 'max' as const,
        policies: [{ type: 'pods' as const, value: 2, period: 60 }],
      },
    };
    const seen = run(createTargetTracking(config({ target: 10, behavior }), bounds), 2, 105, () => 1000);
    // +2 at t = 15; that event counts while it is in (t - 60, t], i.e. through t = 60.
    expect([15, 30, 45, 60, 75, 90, 105].map((t) => seen.get(t))).toEqual([4, 4, 4, 4, 6, 6, 6]);
  });

  it('selectPolicy min takes the policy allowing the smaller change; disabled blocks the direction', () => {
    const minBehavior = {
      ...TARGET_TRACKING_DEFAULTS.behavior,
      scale_up: { ...TARGET_TRACKING_DEFAULTS.behavior.scale_up, select_policy: 'min' as const },
    };
    // From 10: pods allows 14, percent 20; min picks 14.
    const min = createTargetTracking(config({ target: 10, behavior: minBehavior }), bounds);
    min.observe(sample(15, 10, { concurrency: 1000 }));
    expect(min.desiredReplicas(15 * S, ready(10))).toBe(14);

    const disabledBehavior = {
      ...TARGET_TRACKING_DEFAULTS.behavior,
      scale_down: {
        ...TARGET_TRACKING_DEFAULTS.behavior.scale_down,
        stabilization_window: 0,
        select_policy: 'disabled' as const,
      },
    };
    const disabled = createTargetTracking(config({ target: 10, behavior: disabledBehavior }), bounds);
    disabled.observe(sample(15, 10, { concurrency: 10 }));
    expect(disabled.desiredReplicas(15 * S, ready(10))).toBe(10);
  });

  it('percent scale-down truncates: 50 % per 15 s halves 9 to 4', () => {
    const behavior = {
      ...TARGET_TRACKING_DEFAULTS.behavior,
      scale_down: {
        stabilization_window: 0,
        select_policy: 'max' as const,
        policies: [{ type: 'percent' as const, value: 50, period: 15 }],
      },
    };
    const hpa = createTargetTracking(config({ target: 10, behavior }), bounds);
    hpa.observe(sample(15, 9, { concurrency: 9 }));
    expect(hpa.desiredReplicas(15 * S, ready(9))).toBe(4);
  });

  it('counts pending replicas as idle when scaling up, and missing ones as at target when scaling down', () => {
    const noStabilization = {
      ...TARGET_TRACKING_DEFAULTS.behavior,
      scale_down: { ...TARGET_TRACKING_DEFAULTS.behavior.scale_down, stabilization_window: 0 },
    };
    // 4 ready at 17 (ratio 2.125) would want ceil(8.5) = 9; with 4 pending counted idle the
    // ratio is 68 / 64 = 1.0625, within tolerance: stay at 8.
    const up = createTargetTracking(config({ behavior: noStabilization }), bounds);
    up.observe(sample(15, 4, { concurrency: 68 }));
    expect(up.desiredReplicas(15 * S, { ready: 4, provisioning: 4, draining: 0 })).toBe(8);
    // 4 reported at 4 (ratio 0.5); 2 more became ready since: counted at target 8, the ratio is
    // 32 / 48 and the proposal ceil(4) = 4 instead of ceil(0.5 * 4) = 2.
    const down = createTargetTracking(config({ behavior: noStabilization }), bounds);
    down.observe(sample(15, 4, { concurrency: 16 }));
    expect(down.desiredReplicas(15 * S, ready(6))).toBe(4);
  });

  it('ignores draining replicas and scales on utilization and request rate per ready replica', () => {
    const util = createTargetTracking(config({ metric: 'utilization', target: 0.5 }), bounds);
    util.observe(sample(15, 4, { utilization: 0.9 }));
    expect(util.desiredReplicas(15 * S, { ready: 4, provisioning: 0, draining: 3 })).toBe(8); // ceil(4 * 1.8)
    const rps = createTargetTracking(config({ metric: 'rps_per_replica', target: 20 }), bounds);
    rps.observe(sample(15, 3, { requestRateRps: 130 }));
    expect(rps.desiredReplicas(15 * S, ready(3))).toBe(7); // ceil(3 * 43.3 / 20)
  });

  it('kv_cache_utilization scales on the mean share of KV cache in use, a per-pod gauge', () => {
    const kv = createTargetTracking(config({ metric: 'kv_cache_utilization', target: 0.6 }), bounds);
    kv.observe(sample(15, 2, { kvCacheUtilization: 0.9 }));
    expect(kv.desiredReplicas(15 * S, ready(2))).toBe(3); // ceil(2 * 0.9 / 0.6)
    kv.observe(sample(30, 3, { kvCacheUtilization: 0.62 }));
    expect(kv.desiredReplicas(30 * S, ready(3))).toBe(3); // 0.62 / 0.6 is within the 0.1 tolerance
  });

  it('queue_per_replica divides the backlog by the target, with tolerance against all current replicas', () => {
    const hpa = createTargetTracking(config({ metric: 'queue_per_replica', target: 10 }), bounds);
    const counts = { ready: 3, provisioning: 2, draining: 0 };
    hpa.observe(sample(15, 3, { queueLength: 52 }));
    expect(hpa.desiredReplicas(15 * S, counts)).toBe(5); // 52 / 50 within tolerance
    hpa.observe(sample(30, 3, { queueLength: 70 }));
    expect(hpa.desiredReplicas(30 * S, counts)).toBe(7);
  });

  it('goes straight to min or max from outside the bounds, and clamps proposals to them', () => {
    const hpa = createTargetTracking(config({}), { min: 2, max: 6 });
    expect(hpa.desiredReplicas(15 * S, ready(9))).toBe(6);
    expect(hpa.desiredReplicas(30 * S, ready(0))).toBe(2);
    hpa.observe(sample(45, 4, { concurrency: 400 }));
    expect(hpa.desiredReplicas(45 * S, ready(4))).toBe(6);
  });

  it('sees a sample only metric_delay after its window ends', () => {
    const hpa = createTargetTracking(config({ metric_delay: 30 }), bounds);
    hpa.observe(sample(15, 2, { concurrency: 40 }));
    hpa.observe(sample(30, 2, { concurrency: 40 }));
    expect(hpa.desiredReplicas(30 * S, ready(2))).toBe(2); // nothing visible yet
    expect(hpa.desiredReplicas(45 * S, ready(2))).toBe(5); // the t = 15 sample: 20 each, ceil(2 * 2.5)
  });
});
