import { describe, expect, it } from 'vitest';
import { runPlan, runSweep } from '../../src/plan/index.js';
import { mmc } from '../analytic/queueing.js';
import { mmcScenario, tempDir, writeScenario } from './helpers.js';

const WAIT_P99_S = 0.55;

/** The fewest servers whose Erlang C wait p99 is within the limit, and how clear the call is on either side. */
function erlangMinimalServers(rate: number) {
  let servers = Math.floor(rate) + 1;
  while (mmc(servers, rate, 1).waitQuantileS(0.99) > WAIT_P99_S) servers++;
  return {
    servers,
    belowLimit: 1 - mmc(servers, rate, 1).waitQuantileS(0.99) / WAIT_P99_S,
    aboveLimit: mmc(servers - 1, rate, 1).waitQuantileS(0.99) / WAIT_P99_S - 1,
  };
}

/** Largest arrival rate whose Erlang C wait p99 with `servers` is within the limit. */
function erlangMaxRate(servers: number): number {
  let low = 0;
  let high = servers;
  for (let i = 0; i < 60; i++) {
    const middle = (low + high) / 2;
    if (mmc(servers, middle, 1).waitQuantileS(0.99) <= WAIT_P99_S) low = middle;
    else high = middle;
  }
  return low;
}

describe('fleetsim plan against Erlang C', () => {
  it('finds the same minimal number of servers as Erlang C for a wait-p99 SLO, at the load and at growth', async () => {
    const dir = tempDir('plan');
    const scenario = writeScenario(
      dir,
      mmcScenario({
        rate: 8,
        concurrency: 1,
        duration: 10_000,
        extra: `slo: { queue_wait_p99: ${WAIT_P99_S * 1000}ms }\n`,
      }),
    );
    const { result, computed } = await runPlan({
      scenario,
      outDir: dir,
      vary: ['fleets.0.concurrency=1..32', 'workload.scale=[1.25]'],
      workers: 1,
    });

    const atLoad = erlangMinimalServers(8);
    const atGrowth = erlangMinimalServers(10);
    // The closed form puts the limit well between c* - 1 and c*, so sampling noise cannot decide it.
    for (const truth of [atLoad, atGrowth]) {
      expect(truth.belowLimit).toBeGreaterThan(0.15);
      expect(truth.aboveLimit).toBeGreaterThan(0.15);
    }
    expect(result.best?.params).toEqual({ 'fleets.0.concurrency': atLoad.servers });
    expect(result.best?.meets_slo).toBe(true);
    expect(result.growth.map((entry) => [entry.scale, entry.best?.params])).toEqual([
      [1.25, { 'fleets.0.concurrency': atGrowth.servers }],
    ]);

    // Bisection: the top of 1..32 and then at most log2(32) halvings per load, not a scan of 32 values.
    const perLoad = 1 + Math.ceil(Math.log2(32));
    expect(computed).toBeLessThanOrEqual(2 * perLoad + 12);

    // The capacity search lands on the rate Erlang C allows c* servers (within its 2 % step and noise).
    const sustainable = result.best?.max_sustainable;
    expect(sustainable?.bounded).toBe(true);
    expect(sustainable!.rate_rps! / erlangMaxRate(atLoad.servers)).toBeGreaterThan(0.95);
    expect(sustainable!.rate_rps! / erlangMaxRate(atLoad.servers)).toBeLessThan(1.05);
  });

  it('ranks candidates by price and agrees with a full sweep of the same space', async () => {
    const dir = tempDir('plan-choices');
    // Two machine types as variants: "fast" serves twice as fast for three times the price. Replicas
    // each keep their own queue, so only simulation says how many of each the SLO needs. "fast"
    // also fixes its replicas, which the varied values replace: the price per hour below proves it.
    const scenario = writeScenario(
      dir,
      `name: choices
seed: 5
duration: 3000
warmup: 100
workload:
  arrivals: { poisson: { rate: 6 } }
fleets:
  - name: gpu
    replicas: 1
    concurrency: 2
    price_per_hour: 2
    service_time: { exponential: { mean: 1s } }
slo: { latency_p99: 5s, max_drop_rate: 0 }
sweep:
  grid: { fleets.0.replicas: "1..12" }
variants:
  - { name: fast, set: { fleets.0.service_time: { exponential: { mean: 500ms } }, fleets.0.price_per_hour: 6, fleets.0.replicas: 1 } }
`,
    );
    const plan = await runPlan({ scenario, outDir: `${dir}/plan`, capacity: false, workers: 1 });
    const sweep = await runSweep({ scenario, outDir: `${dir}/sweep`, workers: 1 });

    // Brute force over the sweep: per variant, the fewest replicas that met the SLO, and their price.
    const price = { baseline: 2, fast: 6 };
    const truth = (['baseline', 'fast'] as const).map((variant) => {
      const replicas = Math.min(
        ...sweep.result.rows
          .filter((row) => row.variant === variant && row.meets_slo)
          .map((row) => row.params['fleets.0.replicas'] as number),
      );
      return { variant, replicas, perHour: replicas * price[variant] };
    });
    truth.sort((a, b) => a.perHour - b.perHour);
    expect(truth[0].perHour).toBeLessThan(truth[1].perHour);
    expect(
      plan.result.candidates.map((entry) => ({
        variant: entry.variant,
        replicas: entry.params['fleets.0.replicas'],
        perHour: entry.cost_usd_per_hour,
      })),
    ).toEqual(truth);
    expect(plan.result.best?.variant).toBe(truth[0].variant);
    // Cheapest is not fewest: the winner needs more replicas than the runner-up.
    expect(truth[0].replicas).toBeGreaterThan(truth[1].replicas);
    // Bisection is right only if the SLO is monotone in replicas: every row at or above the
    // fewest met it, every row below missed.
    for (const row of sweep.result.rows) {
      const needed = truth.find((entry) => entry.variant === row.variant)!.replicas;
      expect(row.meets_slo).toBe((row.params['fleets.0.replicas'] as number) >= needed);
    }
  });

  it('reports a plan without a feasible candidate, with the objectives that missed', async () => {
    const dir = tempDir('plan-none');
    const scenario = writeScenario(
      dir,
      mmcScenario({ rate: 8, concurrency: 1, duration: 3000, extra: 'slo: { latency_p50: 100ms }\n' }),
    );
    const { result } = await runPlan({
      scenario,
      outDir: dir,
      vary: ['fleets.0.concurrency=1..16'],
      workers: 1,
    });
    expect(result.best).toBeNull();
    expect(result.candidates).toHaveLength(1);
    const [only] = result.candidates;
    expect(only.params).toEqual({ 'fleets.0.concurrency': 16 });
    // Service alone takes a median of ln 2 s: no number of servers brings latency under 100 ms.
    // The queue is unbounded, so only the few requests in service when the run stopped (below)
    // count as lost, and the default limit on losses holds.
    expect(only.status).toBe('ok');
    expect(only.slo?.objectives).toEqual([
      { objective: 'latency_p50', limit: 0.1, value: expect.any(Number), met: false },
      { objective: 'max_drop_rate', limit: 0.01, value: expect.any(Number), met: true },
    ]);
    expect(only.slo?.objectives[1].value).toBeCloseTo(
      only.metrics['requests.in_flight_at_end']! / only.metrics['requests.arrived']!,
      9,
    );
    expect(only.metrics['requests.in_flight_at_end']).toBeGreaterThan(0);
    expect(only.slo?.objectives[0].value).toBeGreaterThan(0.6);
    // Half of all its measured requests were over 100 ms long before the end: the run stopped there.
    expect(only.slo?.partial).toBe('the plan once its objective was missed for certain (figures until then)');
    expect(only.metrics['partial.measured_total']).toBeGreaterThan(only.metrics['requests.arrived']!);
    expect(only.metrics['partial.at_s']).toBeLessThan(3000);
  });
});
