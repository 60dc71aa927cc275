import { describe, expect, it } from 'vitest';
import {
  AUTOSCALING_POLICIES,
  type AutoscalingConfig,
  CONCURRENCY_DEFAULTS,
  createAutoscaler,
  PREDICTIVE_DEFAULTS,
  QUEUE_DEPTH_DEFAULTS,
  SCHEDULED_DEFAULTS,
  TARGET_TRACKING_DEFAULTS,
} from './index.js';

const S = 1e6;

describe('autoscaling registry', () => {
  const configs: AutoscalingConfig[] = [
    { policy: 'target-tracking', metric: 'concurrency', target: 8, ...TARGET_TRACKING_DEFAULTS },
    { policy: 'concurrency', target: 8, ...CONCURRENCY_DEFAULTS },
    { policy: 'queue-depth', steps: [{ lower: 5, upper: null, change: 1 }], ...QUEUE_DEPTH_DEFAULTS },
    { policy: 'scheduled', schedule: [{ at: '08:00', replicas: 3 }], ...SCHEDULED_DEFAULTS },
    { policy: 'predictive', target: 10, ...PREDICTIVE_DEFAULTS },
  ];

  it('creates every named policy with its system default scrape and decision periods', () => {
    expect(configs.map((c) => c.policy)).toEqual(AUTOSCALING_POLICIES);
    const periods = configs.map((c) => {
      const a = createAutoscaler(c, { min: 1, max: 10 });
      return [a.scrapeIntervalUs, a.evaluationPeriodUs];
    });
    // HPA: 15 s metrics resolution and sync; KPA: 1 s scrapes, 2 s ticks; CloudWatch: 60 s periods.
    expect(periods).toEqual([
      [15 * S, 15 * S],
      [1 * S, 2 * S],
      [60 * S, 60 * S],
      [null, 60 * S],
      [60 * S, 60 * S],
    ]);
  });

  it('rejects bounds that are not 0 <= min <= max integers', () => {
    expect(() => createAutoscaler(configs[0], { min: 3, max: 2 })).toThrow(RangeError);
    expect(() => createAutoscaler(configs[0], { min: -1, max: 2 })).toThrow(RangeError);
    expect(() => createAutoscaler(configs[0], { min: 0.5, max: 2 })).toThrow(RangeError);
  });
});
