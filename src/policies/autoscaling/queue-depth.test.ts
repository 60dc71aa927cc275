import { describe, expect, it } from 'vitest';
import { type MetricSample, QUEUE_DEPTH_DEFAULTS, type QueueDepthConfig } from './index.js';
import { createQueueDepth } from './queue-depth.js';

const S = 1e6;

function sample(timeS: number, readyReplicas: number, queueLength: number): MetricSample {
  return {
    timeUs: timeS * S,
    readyReplicas,
    concurrency: 0,
    utilization: 0,
    requestRateRps: 0,
    queueLength,
    kvCacheUtilization: null,
  };
}

const steps = [
  { lower: null, upper: 1, change: -1 },
  { lower: 1, upper: 5, change: 0 },
  { lower: 5, upper: 10, change: 2 },
  { lower: 10, upper: null, change: 4 },
];

function config(overrides: Partial<QueueDepthConfig>): QueueDepthConfig {
  return { policy: 'queue-depth', steps, ...QUEUE_DEPTH_DEFAULTS, ...overrides };
}

const ready = (n: number) => ({ ready: n, provisioning: 0, draining: 0 });

describe('queue-depth (AWS step scaling)', () => {
  it('scrapes and decides every 60 s by default (CloudWatch periods)', () => {
    const policy = createQueueDepth(config({}), { min: 1, max: 10 });
    expect([policy.scrapeIntervalUs, policy.evaluationPeriodUs]).toEqual([60 * S, 60 * S]);
  });

  it('applies the step the backlog per replica falls in, with Application Auto Scaling cooldowns', () => {
    const policy = createQueueDepth(config({}), { min: 1, max: 20 });
    // [time s, ready replicas, waiting requests, expected count]
    const script: [number, number, number, number][] = [
      [60, 2, 12, 4], // 6 per replica: +2; a 300 s scale-out cooldown starts from 2
      [120, 4, 28, 4], // 7: +2 again, but counted from 2 in the cooldown: 4, no change
      [180, 4, 48, 6], // 12: +4 from 2 = 6; only the 2 not added yet are added
      [240, 6, 6, 6], // 1: the 0 step
      [300, 6, 0, 5], // 0: -1; scale-in is not held back by the scale-out cooldown
      [360, 5, 0, 5], // scale-in cooldown (until 600)
      [420, 5, 60, 9], // 12: +4; the scale-out cooldown is over, so from 5; ends the scale-in cooldown
      [480, 9, 0, 8], // scale-in allowed again at once
    ];
    for (const [t, replicas, queue, expected] of script) {
      policy.observe(sample(t, replicas, queue));
      expect(policy.desiredReplicas(t * S, ready(replicas)), `t = ${t}`).toBe(expected);
    }
  });

  it('fires only after evaluation_periods consecutive breaching datapoints', () => {
    const policy = createQueueDepth(config({ evaluation_periods: 2 }), { min: 1, max: 20 });
    policy.observe(sample(60, 2, 2));
    expect(policy.desiredReplicas(60 * S, ready(2))).toBe(2);
    policy.observe(sample(120, 2, 12));
    expect(policy.desiredReplicas(120 * S, ready(2))).toBe(2); // one breaching datapoint
    policy.observe(sample(180, 2, 24));
    expect(policy.desiredReplicas(180 * S, ready(2))).toBe(6); // two; the newest (12 per replica) picks +4
  });

  it('averages the datapoint over the period', () => {
    const policy = createQueueDepth(config({ scrape_interval: 15 }), { min: 1, max: 20 });
    // 0, 0, 0, 24 waiting on 2 replicas: a mean of 3 per replica (the 0 step), not the last 12.
    for (const [i, q] of [0, 0, 0, 24].entries()) policy.observe(sample(15 * (i + 1), 2, q));
    expect(policy.desiredReplicas(60 * S, ready(2))).toBe(2);
  });

  it('rounds percentage changes toward zero but moves at least one replica, or min_adjustment_magnitude', () => {
    const percentSteps = [
      { lower: null, upper: 1, change: -5 },
      { lower: 1, upper: 5, change: 0 },
      { lower: 5, upper: null, change: 15 },
    ];
    const decide = (minMagnitude: number, queue: number) => {
      const p = createQueueDepth(
        config({ steps: percentSteps, adjustment_type: 'percent', min_adjustment_magnitude: minMagnitude }),
        { min: 1, max: 50 },
      );
      p.observe(sample(60, 10, queue));
      return p.desiredReplicas(60 * S, ready(10));
    };
    expect(decide(0, 60)).toBe(11); // +1.5 -> +1
    expect(decide(0, 0)).toBe(9); // -0.5 -> -1
    expect(decide(2, 60)).toBe(12);
  });

  it('treats a backlog with no ready replica as above every step', () => {
    const policy = createQueueDepth(config({}), { min: 0, max: 20 });
    policy.observe(sample(60, 0, 3));
    expect(policy.desiredReplicas(60 * S, ready(0))).toBe(4);
  });

  it('rejects overlapping steps', () => {
    const overlapping = [
      { lower: null, upper: 2, change: -1 },
      { lower: 1, upper: null, change: 1 },
    ];
    expect(() => createQueueDepth(config({ steps: overlapping }), { min: 1, max: 5 })).toThrow(/overlap/);
  });
});
