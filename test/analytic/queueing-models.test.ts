import { describe, expect, it } from 'vitest';
import { DEFAULT_SLO } from '../../src/metrics/slo.js';
import type { Distribution, Slo, Workload } from '../../src/scenario/types.js';
import { simulate } from '../../src/sim/index.js';
import { makeScenario } from '../helpers/scenario.js';
import { confidenceInterval, mmc, pollaczekKhinchineMeanWait } from './queueing.js';

/**
 * Each check runs independent replications (seeds 1..N) of a queue that starts empty, drops a
 * warmup of many service times, and asserts that the closed-form value lies inside the 95 %
 * confidence interval of the replication means.
 */
const REPLICATIONS = 10;

function replicate(run: (seed: number) => number): { mean: number; halfWidth: number } {
  return confidenceInterval(Array.from({ length: REPLICATIONS }, (_, i) => run(i + 1)));
}

function expectInside(truth: number, interval: { mean: number; halfWidth: number }) {
  expect(interval.halfWidth).toBeGreaterThan(0);
  expect(
    Math.abs(interval.mean - truth),
    `truth ${truth}, simulated ${interval.mean} ± ${interval.halfWidth}`,
  ).toBeLessThanOrEqual(interval.halfWidth);
}

describe('M/M/c against Erlang C', () => {
  for (const { servers, rho } of [
    { servers: 2, rho: 0.7 },
    { servers: 8, rho: 0.8 },
  ]) {
    it(`c = ${servers}, rho = ${rho}: mean wait, P(wait > 0) and the wait p99`, () => {
      const serviceMeanS = 1;
      const arrivalRate = (rho * servers) / serviceMeanS;
      const truth = mmc(servers, arrivalRate, 1 / serviceMeanS);
      const runs = Array.from({ length: REPLICATIONS }, (_, i) =>
        simulate(
          makeScenario(
            {
              seed: i + 1,
              duration: 150_000 / arrivalRate,
              warmup: 200,
              workload: {
                arrivals: { kind: 'poisson', rate: { kind: 'constant', value: arrivalRate } },
                attributes: {},
              },
            },
            { concurrency: servers, serviceTime: { kind: 'exponential', mean: serviceMeanS } },
          ),
        ),
      );
      expectInside(truth.meanWaitS, confidenceInterval(runs.map((r) => r.queue_wait_s.mean!)));
      expectInside(truth.waitProbability, confidenceInterval(runs.map((r) => r.waited_fraction!)));
      // The p99 comes from a DDSketch (1 % relative accuracy) on top of sampling noise.
      const p99 = confidenceInterval(runs.map((r) => r.queue_wait_s.p99!));
      expect(Math.abs(p99.mean / truth.waitQuantileS(0.99) - 1)).toBeLessThan(0.05);
    });
  }
});

describe('M/G/1 against Pollaczek-Khinchine', () => {
  const rho = 0.7;
  const meanS = 0.1;
  const arrivalRate = rho / meanS;
  const cases: { label: string; cv: number; service: Distribution }[] = [
    { label: 'M/D/1 (constant service)', cv: 0, service: { kind: 'constant', value: meanS } },
    {
      label: 'M/G/1 (uniform service, cv 1/sqrt(3))',
      cv: 1 / Math.sqrt(3),
      service: { kind: 'uniform', min: 0, max: 2 * meanS },
    },
    {
      label: 'M/G/1 (gamma service, cv 1.5)',
      cv: 1.5,
      service: { kind: 'gamma', shape: 1 / 1.5 ** 2, scale: meanS * 1.5 ** 2 },
    },
  ];
  for (const { label, cv, service } of cases) {
    it(label, () => {
      const interval = replicate(
        (seed) =>
          simulate(
            makeScenario(
              {
                seed,
                duration: 60_000 / arrivalRate,
                warmup: 100,
                workload: {
                  arrivals: { kind: 'poisson', rate: { kind: 'constant', value: arrivalRate } },
                  attributes: {},
                },
              },
              { serviceTime: service },
            ),
          ).queue_wait_s.mean!,
      );
      expectInside(pollaczekKhinchineMeanWait(arrivalRate, meanS, cv), interval);
    });
  }
});

describe("Little's law", () => {
  it('time-averaged requests in the system equal throughput times mean latency, exactly', () => {
    const result = simulate(
      makeScenario(
        { duration: 20_000, metrics: { interval: 100, flapWindow: 300 } },
        { replicas: 3, concurrency: 2, serviceTime: { kind: 'lognormal', mu: Math.log(2), sigma: 0.6 } },
      ),
    );
    // Starting and ending empty, L = lambda W holds on every sample path: both sides are the
    // total request-seconds in the system divided by the run length.
    const endS = result.simulated_s.end;
    const area = result.timeseries.reduce(
      (sum, r) => sum + (r.queue_length + r.busy_slots) * Math.min(100, endS - r.time_s),
      0,
    );
    expect(result.requests.in_flight_at_end).toBe(0);
    expect(area / endS).toBeCloseTo(result.throughput_rps * result.latency_s.mean!, 6);
  });
});

describe('goodput against the M/M/1 sojourn-time distribution', () => {
  // In M/M/1 the time in system is exponential with rate mu - lambda, and the wait is 0 with
  // probability 1 - rho, else exponential with the same rate.
  const lambda = 0.5;
  const mu = 1;
  const goodputOf = (slo: Slo) =>
    replicate((seed) => {
      const result = simulate(
        makeScenario(
          { seed, duration: 40_000, warmup: 200, workload: poisson(lambda) },
          { serviceTime: { kind: 'exponential', mean: 1 / mu } },
        ),
        { slo },
      );
      return result.goodput_rps / result.throughput_rps;
    });

  it('the share of requests within a latency limit is 1 - exp(-(mu - lambda) t)', () => {
    const limit = 2;
    expectInside(
      1 - Math.exp(-(mu - lambda) * limit),
      goodputOf({ limits: [{ metric: 'latency', statistic: 'p99', seconds: limit }], maxDropRate: 0.01 }),
    );
  });

  it('the share within a queue-wait limit is 1 - rho exp(-(mu - lambda) w)', () => {
    const limit = 1;
    expectInside(
      1 - (lambda / mu) * Math.exp(-(mu - lambda) * limit),
      goodputOf({ limits: [{ metric: 'queue_wait', statistic: 'p95', seconds: limit }], maxDropRate: 0.01 }),
    );
  });

  it('a request is held to the loosest limit of its metric, and without one goodput is throughput', () => {
    const run = (slo: Slo) =>
      simulate(makeScenario({ duration: 2000, workload: poisson(lambda) }), { slo }).goodput_rps;
    const p99 = { metric: 'latency', statistic: 'p99', seconds: 2 } as const;
    const p50 = { metric: 'latency', statistic: 'p50', seconds: 0.5 } as const;
    expect(run({ limits: [p50, p99], maxDropRate: 0.01 })).toBe(run({ limits: [p99], maxDropRate: 0.01 }));
    const none = simulate(makeScenario({ duration: 2000, workload: poisson(lambda) }), { slo: DEFAULT_SLO });
    expect(none.goodput_rps).toBe(none.throughput_rps);
  });
});

function poisson(rate: number): Workload {
  return { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: rate } }, attributes: {} };
}
