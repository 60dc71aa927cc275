import { describe, expect, it } from 'vitest';
import { mmc } from '../../../test/analytic/queueing.js';
import { computeOracle, type OracleInterval } from './index.js';

const options = {
  concurrency: 4,
  waitPercentile: 0.99,
  maxWaitS: 0.5,
  priceUsdPerHour: 2,
  minReplicas: 0,
  maxReplicas: 200,
};

/** The truth, by brute force over Erlang C as test/analytic computes it (the direct sum). */
function fewestByErlangC(interval: OracleInterval, concurrency: number, q: number, maxWaitS: number): number {
  if (interval.arrivals === 0) return 0;
  const lambda = interval.arrivals / interval.durationS;
  for (let n = 1; ; n++) {
    const servers = n * concurrency;
    if (servers <= lambda * interval.meanServiceS) continue;
    if (mmc(servers, lambda, 1 / interval.meanServiceS).waitQuantileS(q) <= maxWaitS) return n;
  }
}

describe('oracle', () => {
  const intervals: OracleInterval[] = [
    { durationS: 300, arrivals: 0, meanServiceS: 1 },
    { durationS: 300, arrivals: 300, meanServiceS: 2 }, // a = 2
    { durationS: 300, arrivals: 3_000, meanServiceS: 1.5 }, // a = 15
    { durationS: 600, arrivals: 60_000, meanServiceS: 0.4 }, // a = 40
    { durationS: 60, arrivals: 9_000, meanServiceS: 0.8 }, // a = 120
    { durationS: 120, arrivals: 12, meanServiceS: 30 }, // a = 3, long requests
  ];

  it('takes per interval the fewest replicas whose Erlang C wait percentile meets the SLO', () => {
    const result = computeOracle(intervals, options);
    const truth = intervals.map((i) =>
      fewestByErlangC(i, options.concurrency, options.waitPercentile, options.maxWaitS),
    );
    expect(result.replicas).toEqual(truth);
    expect(result.infeasibleIntervals).toBe(0);
    // Most intervals need more than the fewest stable replicas, or the check would be trivial.
    const offered = (i: OracleInterval) => (i.arrivals / i.durationS) * i.meanServiceS;
    const fewestStable = intervals.map((i) => (i.arrivals === 0 ? 0 : Math.floor(offered(i) / 4) + 1));
    expect(truth.filter((n, i) => n > fewestStable[i]).length).toBeGreaterThanOrEqual(3);
  });

  it('costs its replica-hours at the hourly price, with no minimum or increment', () => {
    const result = computeOracle(intervals, options);
    const hours = result.replicas.reduce((sum, n, i) => sum + (n * intervals[i].durationS) / 3600, 0);
    expect(result.replicaHours).toBeCloseTo(hours, 12);
    expect(result.costUsd).toBeCloseTo(2 * hours, 12);
  });

  it('respects the bounds and counts the intervals that max cannot serve', () => {
    const result = computeOracle(intervals, { ...options, minReplicas: 2, maxReplicas: 12 });
    const truth = intervals.map((i) =>
      fewestByErlangC(i, options.concurrency, options.waitPercentile, options.maxWaitS),
    );
    expect(result.replicas).toEqual(truth.map((n) => Math.min(12, Math.max(2, n))));
    expect(result.infeasibleIntervals).toBe(truth.filter((n) => n > 12).length);
    expect(result.infeasibleIntervals).toBeGreaterThan(0);
  });

  it('stays exact where a^c / c! overflows a double (thousands of slots)', () => {
    const big = { durationS: 60, arrivals: 60 * 900, meanServiceS: 1 }; // a = 900 Erlangs, 8-slot replicas
    const [n] = computeOracle([big], { ...options, concurrency: 8, maxReplicas: 1000 }).replicas;
    // The truth in log space: C = w / (sum_{k<c} a^k/k! + w), w = a^c/c! / (1 - a/c), via log-sum-exp.
    const waitTail = (servers: number) => {
      const a = 900;
      const logTerms = [0];
      for (let k = 1; k <= servers; k++) logTerms.push(logTerms[k - 1] + Math.log(a / k));
      const logW = logTerms[servers] - Math.log(1 - a / servers);
      const all = [...logTerms.slice(0, servers), logW];
      const top = Math.max(...all);
      const logSum = top + Math.log(all.reduce((sum, x) => sum + Math.exp(x - top), 0));
      return Math.exp(logW - logSum) * Math.exp(-(servers - a) * options.maxWaitS);
    };
    expect(waitTail(n * 8)).toBeLessThanOrEqual(0.01);
    expect((n - 1) * 8 <= 900 || waitTail((n - 1) * 8) > 0.01).toBe(true);
  });
});
