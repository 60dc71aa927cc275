import { describe, expect, it } from 'vitest';
import {
  createAutoscaler,
  type MetricSample,
  PREDICTIVE_DEFAULTS,
  type PredictiveConfig,
  TARGET_TRACKING_DEFAULTS,
} from './index.js';

const S = 1e6;
const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;

/** 85 requests/s from 08:00 to 20:00, 45 otherwise: 9 and 5 replicas at 10 requests/s each. */
const rateAt = (tS: number) => {
  const hour = Math.floor((tS % DAY_S) / HOUR_S);
  return hour >= 8 && hour < 20 ? 85 : 45;
};

function sample(timeS: number, readyReplicas: number): MetricSample {
  // Scrape windows end on whole minutes, so each lies in one hour and has that hour's rate.
  const requestRateRps = rateAt(timeS - 1);
  return {
    timeUs: timeS * S,
    readyReplicas,
    concurrency: 0,
    utilization: 0,
    requestRateRps,
    queueLength: 0,
    kvCacheUtilization: null,
  };
}

const config = (overrides: Partial<PredictiveConfig>): PredictiveConfig => ({
  policy: 'predictive',
  target: 10,
  ...PREDICTIVE_DEFAULTS,
  ...overrides,
});

describe('predictive', () => {
  it('without a reactive policy, samples the rate and decides every 60 s by default', () => {
    const policy = createAutoscaler(config({}), { min: 1, max: 10 });
    expect([policy.scrapeIntervalUs, policy.evaluationPeriodUs]).toEqual([60 * S, 60 * S]);
  });

  it('launches the forecast capacity lead seconds ahead once a day of history exists', () => {
    const policy = createAutoscaler(config({}), { min: 1, max: 50 });
    const counts = { ready: 1, provisioning: 0, draining: 0 };
    const decisions = new Map<number, number>();
    for (let t = 60; t <= 2 * DAY_S; t += 60) {
      policy.observe(sample(t, 1));
      decisions.set(t, policy.desiredReplicas(t * S, counts));
    }
    expect(decisions.get(8 * HOUR_S)).toBe(1); // day 1: no forecast yet, min
    expect(decisions.get(DAY_S + 7 * HOUR_S + 54 * 60)).toBe(5); // now + 300 s is still 07:59
    expect(decisions.get(DAY_S + 7 * HOUR_S + 55 * 60)).toBe(9); // now + 300 s reaches 08:00
    // Capacity stays for the rest of the busy hour: 19:56 + 300 s spans 19:xx and 20:xx.
    expect(decisions.get(DAY_S + 19 * HOUR_S + 56 * 60)).toBe(9);
    expect(decisions.get(DAY_S + 20 * HOUR_S)).toBe(5);
  });

  it('takes the larger of the forecast and the reactive policy', () => {
    const reactive = {
      policy: 'target-tracking' as const,
      metric: 'rps_per_replica' as const,
      target: 10,
      ...TARGET_TRACKING_DEFAULTS,
    };
    const policy = createAutoscaler(config({ reactive }), { min: 1, max: 50 });
    expect([policy.scrapeIntervalUs, policy.evaluationPeriodUs]).toEqual([15 * S, 15 * S]);
    // Day 1 at 08:00:15, 2 replicas at 85 requests/s: the HPA wants ceil(2 * 4.25) = 9, rate-limited to 6.
    const decide = (tS: number, ready: number) => {
      policy.observe(sample(tS, ready));
      return policy.desiredReplicas(tS * S, { ready, provisioning: 0, draining: 0 });
    };
    for (let t = 15; t < 8 * HOUR_S + 15; t += 15) decide(t, 2);
    expect(decide(8 * HOUR_S + 15, 2)).toBe(6);
    // Day 2 at 07:56 with 9 ready and 45 requests/s the HPA alone would shrink; the forecast holds 9.
    for (let t = 8 * HOUR_S + 30; t < DAY_S + 7 * HOUR_S + 56 * 60; t += 15) decide(t, 9);
    expect(decide(DAY_S + 7 * HOUR_S + 56 * 60, 9)).toBe(9);
  });
});
