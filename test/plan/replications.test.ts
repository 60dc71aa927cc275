import { describe, expect, it } from 'vitest';
import type { DistributionSummary } from '../../src/metrics/index.js';
import { dropRate, evaluateSlo, type SloInput } from '../../src/metrics/slo.js';
import {
  aggregateRuns,
  estimateMean,
  identicalNote,
  randomSources,
  replicateScenario,
  replicationSeeds,
  studentT975,
} from '../../src/plan/index.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import type { LoadedScenario } from '../../src/scenario/types.js';
import { simulate } from '../../src/sim/index.js';
import { confidenceInterval, mmc } from '../analytic/queueing.js';
import { mmcScenario } from './helpers.js';

async function load(yaml: string): Promise<LoadedScenario> {
  const loaded = await loadScenarioText(yaml, 'test.yaml');
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.value;
}

describe('confidence intervals', () => {
  it("Student's t 97.5 % quantiles match published tables", () => {
    // Any statistics table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), and the normal 1.95996 in the limit.
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [4, 2.776],
      [9, 2.262],
      [30, 2.042],
      [100, 1.984],
      [1e6, 1.96],
    ];
    for (const [df, t] of table) expect(studentT975(df)).toBeCloseTo(t, 3);
  });

  it('estimateMean agrees with the reference interval', () => {
    const samples = [3.1, 2.7, 3.9, 3.3, 2.5, 3.0, 3.6];
    const reference = confidenceInterval(samples);
    const estimate = estimateMean(samples);
    expect(estimate.mean).toBeCloseTo(reference.mean, 12);
    expect(estimate.halfWidth).toBeCloseTo(reference.halfWidth, 3);
    expect(estimateMean([4]).halfWidth).toBeNull();
  });

  it('samples equal but for rounding have no spread, real spreads however small do', () => {
    const cost = 0.751;
    expect(estimateMean([cost, cost + Number.EPSILON, cost - 2 * Number.EPSILON]).halfWidth).toBe(0);
    expect(estimateMean([cost, cost * (1 + 1e-9), cost]).halfWidth).toBeGreaterThan(0);
  });
});

describe('replications', () => {
  it('report the mean and 95 % CI of independent runs, covering Erlang C', async () => {
    const rate = 1.4;
    const loaded = await load(mmcScenario({ rate, concurrency: 2, duration: 20_000 }));
    const [baseline] = await replicateScenario(loaded, { replications: 10, workers: 1 });
    const seeds = replicationSeeds(loaded.seed, 10);
    expect(baseline.seeds).toEqual(seeds);
    expect(seeds[0]).toBe(loaded.seed);
    expect(new Set(seeds).size).toBe(10);

    const waits = seeds.map((seed) => simulate(loaded.variants[0].scenario, { seed }).queue_wait_s.mean!);
    const reference = confidenceInterval(waits);
    expect(baseline.metrics['queue_wait_s.mean']).toBeCloseTo(reference.mean, 9);
    expect(baseline.ci95!['queue_wait_s.mean']).toBeCloseTo(reference.halfWidth, 3);
    const truth = mmc(2, rate, 1).meanWaitS;
    expect(Math.abs(baseline.metrics['queue_wait_s.mean']! - truth)).toBeLessThanOrEqual(
      baseline.ci95!['queue_wait_s.mean']!,
    );
    expect(baseline.warnings).toEqual([]);
    // No slo: in the scenario: the default objective judges it, and an unbounded queue loses nothing.
    expect(baseline.slo).toEqual({
      met: true,
      default: true,
      met_at_upper_ci95: true,
      objectives: [{ objective: 'max_drop_rate', limit: 0.01, value: 0, met: true }],
      // Every replication lost nothing: 10 of 10, with the Wilson interval [10 / (10 + 1.96^2), 1].
      met_by_replication: Array(10).fill(true),
      met_share: 1,
      met_share_ci95: [0.7224672001, 1],
    });
  });

  it('take given results of the base seed as the first replication, as if they had run again', async () => {
    const loaded = await load(
      mmcScenario({
        rate: 1.4,
        concurrency: 2,
        duration: 2000,
        extra: 'variants: [{ name: three, set: { "fleets.0.concurrency": 3 } }]\n',
      }),
    );
    const firstRuns = runLoadedScenario(loaded, loaded.seed).results;
    const reused = await replicateScenario(loaded, { replications: 3, workers: 1, firstRuns });
    expect(reused).toEqual(await replicateScenario(loaded, { replications: 3, workers: 1 }));
    // Taken, not rerun: results of another seed change the means.
    const otherSeed = runLoadedScenario(loaded, loaded.seed + 1).results;
    const [baseline] = await replicateScenario(loaded, { replications: 3, workers: 1, firstRuns: otherSeed });
    expect(baseline.metrics['queue_wait_s.mean']).not.toBe(reused[0].metrics['queue_wait_s.mean']);
  });

  it('check the SLO on the means and at the upper end of the intervals', async () => {
    const truth = mmc(2, 1.4, 1).meanWaitS;
    const loaded = await load(
      mmcScenario({
        rate: 1.4,
        concurrency: 2,
        duration: 5000,
        extra: `slo: { queue_wait_mean: ${truth}s }\n`,
      }),
    );
    const [baseline] = await replicateScenario(loaded, { replications: 5, workers: 1 });
    const mean = baseline.metrics['queue_wait_s.mean']!;
    const half = baseline.ci95!['queue_wait_s.mean']!;
    expect(baseline.slo?.met).toBe(mean <= truth);
    // The limit is the true mean: at the upper end of an interval that covers it, the SLO fails.
    expect(mean + half).toBeGreaterThan(truth);
    expect(baseline.slo?.met_at_upper_ci95).toBe(false);
  });

  it('warn when a fleet runs near saturation and when the queue keeps growing', async () => {
    const warningsAt = async (rate: number) => {
      const loaded = await load(mmcScenario({ rate, concurrency: 1, duration: 20_000 }));
      const [baseline] = await replicateScenario(loaded, { replications: 2, workers: 1 });
      return baseline.warnings;
    };
    expect(await warningsAt(0.5)).toEqual([]);
    expect(await warningsAt(0.9)).toEqual([]);
    const near = await warningsAt(0.97);
    expect(near[0]).toMatch(
      /^fleet servers is 9\d\.\d % utilized: near saturation .* \(2 of 2 replications\)$/,
    );
    const overloaded = await warningsAt(1.3);
    expect(overloaded.some((warning) => /^the queue grew from .* \(unstable\)/.test(warning))).toBe(true);
  });
});

describe('SLO evaluation', () => {
  const summary = (p99: number | null): DistributionSummary => ({
    mean: p99,
    p50: p99,
    p90: p99,
    p95: p99,
    p99,
    p999: p99,
    max: p99,
  });
  const result = (latencyP99: number | null, requests: SloInput['requests']): SloInput => ({
    latency_s: summary(latencyP99),
    ttft_s: summary(null),
    tpot_s: summary(null),
    queue_wait_s: summary(0.1),
    requests,
  });
  const counts = { arrived: 1000, completed: 990, dropped: 4, timed_out: 3, in_flight_at_end: 3 };

  it('counts drops, timeouts and requests cut off by max_drain against max_drop_rate', () => {
    expect(dropRate(counts)).toBe(0.01);
    const slo = { limits: [], maxDropRate: 0.01 };
    expect(evaluateSlo(slo, result(1, counts)).met).toBe(true);
    expect(evaluateSlo({ ...slo, maxDropRate: 0.009 }, result(1, counts)).met).toBe(false);
  });

  it('fails objectives over their limit and objectives that were not measured', () => {
    const slo = {
      limits: [
        { metric: 'latency' as const, statistic: 'p99' as const, seconds: 2 },
        { metric: 'ttft' as const, statistic: 'p95' as const, seconds: 0.5 },
      ],
      maxDropRate: null,
    };
    expect(evaluateSlo(slo, result(2.5, counts)).objectives).toEqual([
      { objective: 'latency_p99', limit: 2, value: 2.5, met: false },
      { objective: 'ttft_p95', limit: 0.5, value: null, met: false },
    ]);
    expect(evaluateSlo({ ...slo, limits: [slo.limits[0]] }, result(2, counts))).toEqual({
      met: true,
      default: false,
      objectives: [{ objective: 'latency_p99', limit: 2, value: 2, met: true }],
    });
  });
});

describe('replications that cannot differ', () => {
  const job = (metrics: Record<string, number | null>) => ({ metrics, warnings: [], performance: {} });

  it('aggregateRuns: identical runs have no interval; one metric that differs, or is missing once, gives one', () => {
    const same = aggregateRuns([job({ a: 1, b: 2 }), job({ a: 1, b: 2 }), job({ a: 1, b: 2 })]);
    expect(same).toMatchObject({ identical: true, ci95: null, metrics: { a: 1, b: 2 } });
    const differs = aggregateRuns([job({ a: 1, b: 2 }), job({ a: 1, b: 3 })]);
    expect(differs.identical).toBe(false);
    expect(differs.ci95).toEqual({ a: 0, b: expect.any(Number) });
    expect(aggregateRuns([job({ a: 1 }), job({ a: null })]).identical).toBe(false);
    expect(aggregateRuns([job({ a: 1 })])).toMatchObject({ identical: false, ci95: null });
  });

  const base = `duration: 1m
workload:
  arrivals: { constant: { rate: 2 } }
fleets:
  - { name: gpu, replicas: 2, concurrency: 1, price_per_hour: 1, service_time: 0.5 }
`;

  it('randomSources names what draws random numbers, and nothing for a deterministic scenario', async () => {
    expect(randomSources((await load(base)).variants[0].scenario)).toEqual([]);
    const random =
      await load(`${base.replace('constant: { rate: 2 }', 'poisson: { rate: 2 }').replace('service_time: 0.5', 'service_time: { exponential: { mean: 0.5 } }')}routing: { policy: power-of-two }
`);
    expect(randomSources(random.variants[0].scenario)).toEqual([
      'poisson arrivals',
      'power-of-two routing',
      'service times of gpu',
    ]);
  });

  it('replicating a deterministic scenario gives identical replications, and the note says why', async () => {
    const loaded = await load(base);
    const [variant] = await replicateScenario(loaded, { replications: 3, workers: 1 });
    expect(variant).toMatchObject({ identical: true, ci95: null });
    const note = identicalNote(3, [
      { label: 'baseline', scenario: loaded.variants[0].scenario, identical: true },
    ]);
    expect(note).toMatch(/^the 3 replications are identical: nothing in the scenario draws random numbers/);
    expect(
      identicalNote(3, [{ label: 'x', scenario: loaded.variants[0].scenario, identical: false }]),
    ).toBeNull();
  });
});
