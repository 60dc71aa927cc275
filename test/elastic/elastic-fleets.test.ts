import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { erlangC } from '../analytic/queueing.js';

async function run(input: object) {
  const output = await runScenario(input);
  return output.results[0];
}

const cpuFleet = {
  name: 'cpu',
  price_per_hour: 3.6,
  service_time: { exponential: { mean: '100ms' } },
};

describe('spot reclaims', () => {
  it('N replicas at rate r for T hours get about N r T notices, and no request is lost track of', async () => {
    // 20 replicas x 2 reclaims per replica-hour x 5 h: 200 expected.
    const result = await run({
      seed: 11,
      duration: '5h',
      workload: { arrivals: { poisson: { rate: 50 } } },
      fleets: [
        {
          ...cpuFleet,
          replicas: 20,
          concurrency: 4,
          startup: '30s',
          interruption: { per_hour: 2, notice: '30s' },
          on_interrupt: 'requeue',
        },
      ],
    });
    const preempted = result.instances.cpu.preempted;
    // Poisson(200): 99.9 % of draws fall within +-3.3 sigma (sigma = 14.1).
    expect(Math.abs(preempted - 200)).toBeLessThan(3.3 * Math.sqrt(200));
    // Each reclaimed replica is replaced at its notice, so the fleet stays at 20 plus the replicas
    // draining (30 s notice) while their replacements start (30 s): about 200 x 30 s / 5 h = 0.33.
    expect(result.instances.cpu.launched).toBeGreaterThan(20 + preempted * 0.9);
    expect(result.instances.cpu.mean).toBeGreaterThan(20);
    expect(result.instances.cpu.mean).toBeLessThan(20.7);
    const r = result.requests;
    expect(r.arrived).toBe(r.completed + r.dropped + r.timed_out + r.in_flight_at_end);
    expect(r.in_flight_at_end).toBe(0);
    const notices = result.capacity_events.filter((e) => e.kind === 'notice');
    expect(notices.length).toBe(preempted);
    expect(result.capacity_events.filter((e) => e.kind === 'reclaim').length).toBeLessThanOrEqual(preempted);
  });

  it('drops, requeues or retries the requests on a reclaimed replica, each counted', async () => {
    // One long request per replica, a reclaim at 10 s with a 1 s notice: it is still running then.
    const base = (onInterrupt: string) => ({
      seed: 2,
      duration: '2.5s',
      workload: { arrivals: { constant: { rate: 1 } } },
      fleets: [
        {
          name: 'spot',
          replicas: 1,
          price_per_hour: 1,
          service_time: '60s',
          startup: '5s',
          interruption: { trace: RECLAIM_AT_10S, notice: '1s' },
          on_interrupt: onInterrupt,
          fallback: 'ondemand',
        },
        { name: 'ondemand', replicas: 1, price_per_hour: 3, service_time: '60s' },
      ],
      routing: { policy: 'spillover', order: ['spot', 'ondemand'] },
    });
    const dropped = await run(base('drop'));
    expect(dropped.instances.spot.interrupted_requests).toEqual({ requeued: 0, retried: 0, dropped: 1 });
    expect(dropped.requests).toMatchObject({ arrived: 2, completed: 1, dropped: 1 });

    const retried = await run(base('retry-elsewhere'));
    expect(retried.instances.spot.interrupted_requests).toEqual({ requeued: 0, retried: 1, dropped: 0 });
    expect(retried.requests).toMatchObject({ arrived: 2, completed: 2, dropped: 0 });
    // Arrivals at 1 s (spot) and 2 s (on-demand). Reclaimed at 10 s, the first starts over on the
    // on-demand replica when the second leaves it at 62 s, and finishes at 122 s: 121 s after it came.
    expect(retried.latency_s.max).toBe(121);
  });
});

const RECLAIM_AT_10S = new URL('../fixtures/elastic/reclaim-at-10s.csv', import.meta.url).pathname;

describe('billing of replica lives', () => {
  it('a replica launched by the autoscaler costs its price for max(life, minimum), by increment', async () => {
    const result = await run({
      duration: '10m',
      workload: { arrivals: { constant: { rate: 0.001 } } },
      fleets: [
        {
          ...cpuFleet,
          replicas: { min: 0, max: 2, initial: 0 },
          startup: '45s',
          autoscaling: { policy: 'scheduled', schedule: [{ at: '00:00', replicas: 2 }] },
          billing: { increment: '1m', minimum: '5m' },
        },
      ],
    });
    // Launched at the first decision (60 s), live until the end (600 s): 540 s -> 9 started minutes each.
    expect(result.simulated_s.end).toBe(600);
    expect(result.instances.cpu).toMatchObject({ launched: 2, peak: 2 });
    expect(result.cost_usd.by_fleet.cpu).toBeCloseTo(2 * 3.6 * (9 / 60), 9);
  });

  it('reserved capacity costs every hour of the run, whatever the load', async () => {
    const reserved = (rate: number) =>
      run({
        duration: '3h',
        max_drain: 0,
        workload: { arrivals: { poisson: { rate } } },
        fleets: [
          { replicas: 3, instance: 'aws/g5.xlarge', market: 'reserved', service_time: '50ms', name: 'gpu' },
        ],
      });
    const [idle, busy] = [await reserved(0.01), await reserved(40)];
    expect(idle.cost_usd.total).toBe(busy.cost_usd.total);
    expect(idle.cost_usd.by_market.reserved).toBe(idle.cost_usd.total);
    expect(idle.cost_usd.idle).toBeGreaterThan(busy.cost_usd.idle);
  });

  it("the 3-year commitment bills the catalog's reserved_3y price for every started hour", async () => {
    const result = await run({
      duration: '150m',
      max_drain: 0,
      workload: { arrivals: { poisson: { rate: 1 } } },
      fleets: [
        {
          name: 'gpu',
          replicas: 2,
          instance: 'gcp/g2-standard-4',
          region: 'us-central1',
          market: 'reserved-3y',
          service_time: '50ms',
        },
      ],
    });
    // pricing/gcp.yaml: g2-standard-4 in us-central1, reserved_3y 0.318074503 USD/h; 150 min -> 3 started hours.
    expect(result.cost_usd.total).toBeCloseTo(2 * 3 * 0.318074503, 9);
    expect(result.cost_usd.by_market['reserved-3y']).toBe(result.cost_usd.total);
    expect(result.cost_usd.by_market.reserved).toBe(0);
    expect(result.instances.gpu.market).toBe('reserved-3y');
  });

  it('a market the region has no price for is refused where it is written', async () => {
    await expect(
      run({
        workload: { arrivals: { poisson: { rate: 1 } } },
        fleets: [
          {
            name: 'gpu',
            replicas: 1,
            instance: 'aws/g5.xlarge',
            market: 'reserved-3y',
            service_time: '50ms',
          },
        ],
      }),
    ).rejects.toThrow(/reserved_3y|reserved-3y/);
  });
});

describe('flapping', () => {
  // Decisions each minute: 3 at 1 min, 1 at 2, 3 at 4, 1 at 6, 3 at 8, 1 at 20, 3 at 30.
  const flapping = [
    { at: '00:00', replicas: 3 },
    { at: '00:02', replicas: 1 },
    { at: '00:04', replicas: 3 },
    { at: '00:06', replicas: 1 },
    { at: '00:08', replicas: 3 },
    { at: '00:20', replicas: 1 },
    { at: '00:30', replicas: 3 },
  ];
  const scheduledRun = (schedule: object[], metrics: object = {}) =>
    run({
      duration: '40m',
      metrics,
      workload: { arrivals: { constant: { rate: 0.1 } } },
      fleets: [
        {
          ...cpuFleet,
          replicas: { min: 1, max: 3, initial: 1 },
          startup: '10s',
          autoscaling: { policy: 'scheduled', schedule },
        },
      ],
    });

  it('counts a scale-in followed by a scale-out within the window as a flap, and warns', async () => {
    const result = await scheduledRun(flapping);
    // In at 2 and out at 4, in at 6 and out at 8: two flaps; in at 20 and out at 30 is 10 minutes apart.
    expect(result.scaling).toEqual({ cpu: { scale_outs: 4, scale_ins: 3, flaps: 2, flap_window_s: 300 } });
    expect(result.warnings.filter((w) => w.startsWith('fleet cpu flapped 2 times'))).toHaveLength(1);
  });

  it('a wider window takes in the slower swing too', async () => {
    const result = await scheduledRun(flapping, { flap_window: '15m' });
    expect(result.scaling?.cpu.flaps).toBe(3);
  });

  it('a steady policy does not flap', async () => {
    const result = await scheduledRun([{ at: '00:00', replicas: 3 }]);
    expect(result.scaling).toEqual({ cpu: { scale_outs: 1, scale_ins: 0, flaps: 0, flap_window_s: 300 } });
    expect(result.warnings.some((w) => w.includes('flapped'))).toBe(false);
  });

  it('a fleet without an autoscaler has no scaling block', async () => {
    const result = await run({
      duration: '10m',
      workload: { arrivals: { constant: { rate: 0.1 } } },
      fleets: [{ ...cpuFleet, replicas: 1 }],
    });
    expect(result.scaling).toBeNull();
  });
});

describe('autoscaling', () => {
  it('target tracking reaches the replica count its formula implies after a step in load', async () => {
    // 10/s of 1 s requests on concurrency 1: about 10 busy replicas; target utilization 0.5 -> 20 on average.
    const result = await run({
      seed: 5,
      duration: '20m',
      workload: { arrivals: { poisson: { rate: 10 } } },
      fleets: [
        {
          name: 'web',
          replicas: { min: 1, max: 40, initial: 1 },
          price_per_hour: 1,
          service_time: { exponential: { mean: '1s' } },
          startup: '30s',
          autoscaling: { policy: 'target-tracking', metric: 'utilization', target: 0.5 },
          queue: { timeout: '2m' },
        },
      ],
      metrics: { interval: '1m' },
    });
    const scaling = result.capacity_events.filter((e) => e.kind === 'scale');
    expect(scaling[0]).toMatchObject({ fleet: 'web', from: 1 });
    expect(scaling[0].to).toBeGreaterThan(1);
    // Each 15 s scrape proposes ceil(2 B), B the busy servers averaged over the scrape: for
    // M/M/inf (lambda = 10, mu = 1) B has mean 10 and variance 20 (T - 1 + e^-T) / T^2 = 1.24
    // at T = 15. Scale-down keeps the largest proposal of its 300 s window, 20 scrapes: the
    // maximum of 20 such draws is above 10 + 0.55 sd and below 10 + 3.9 sd with probability
    // 0.999 each, so the fleet settles between 21 and 29 replicas, not at 20.
    const sd = Math.sqrt((20 * (15 - 1 + Math.exp(-15))) / 15 ** 2);
    const tail = result.timeseries.slice(-5);
    for (const row of tail) expect(row.replicas).toBeGreaterThanOrEqual(Math.ceil(2 * (10 + 0.55 * sd)));
    for (const row of tail) expect(row.replicas).toBeLessThanOrEqual(Math.ceil(2 * (10 + 3.9 * sd)));
  });

  it('after a step from R to 4R reaches the count of its formula within the evaluation delay plus startup, and scales down only after the stabilization window', async () => {
    // R = 5 Erlangs; 4R = 20 from 600 s to 1800 s. Target utilization 0.5: 20 / 0.5 = 40 replicas.
    const result = await run({
      seed: 3,
      duration: '40m',
      workload: { arrivals: { poisson: { rate: '5 + 15 * (t >= 600) * (t < 1800)' } } },
      fleets: [
        {
          name: 'web',
          replicas: { min: 1, max: 60, initial: 10 },
          price_per_hour: 1,
          service_time: { exponential: { mean: '1s' } },
          startup: '60s',
          autoscaling: { policy: 'target-tracking', metric: 'utilization', target: 0.5 },
        },
      ],
    });
    const scaling = result.capacity_events.filter((e) => e.kind === 'scale');
    // A 15 s scrape and a 15 s sync period to see the step, 60 s for the first new replicas to be
    // ready and report, and one more sync: by 600 + 15 + 60 + 15 s.
    const reached = scaling.find((e) => e.time_s >= 600 && (e.to ?? 0) >= 40);
    expect(reached?.time_s).toBeLessThanOrEqual(690);
    // HPA keeps the highest recommendation of the last 300 s: nothing back near R's count before 2100 s.
    const down = scaling.filter((e) => e.time_s > 1800 && (e.to ?? 0) < (e.from ?? 0));
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((e) => e.time_s >= 2100 || (e.to ?? 0) >= 30)).toBe(true);
    expect(down.some((e) => e.time_s <= 2115 && (e.to ?? 0) <= 15)).toBe(true);
  });

  it('gives up on held requests after 300 s when the fleet can never get a replica', async () => {
    // HPA on utilization has nothing to measure at zero replicas, so it never scales up from zero
    // (as Kubernetes needs minReplicas >= 1): held requests time out like at Knative's activator.
    const result = await run({
      duration: '10s',
      workload: { arrivals: { constant: { rate: 1 } } },
      fleets: [
        {
          name: 'web',
          replicas: { min: 0, max: 4, initial: 0 },
          price_per_hour: 1,
          service_time: '100ms',
          autoscaling: { policy: 'target-tracking', metric: 'utilization', target: 0.5 },
        },
      ],
    });
    expect(result.requests).toMatchObject({ arrived: 9, completed: 0, timed_out: 9, in_flight_at_end: 0 });
    expect(result.queue_wait_s.max).toBeNull();
    expect(result.simulated_s.end).toBe(9 + 300);
  });

  it('scales to zero when idle and makes the first request after idle wait for a cold start', async () => {
    const result = await run({
      seed: 1,
      workload: {
        arrivals: { trace: { path: TWO_BURSTS, format: 'csv', time_column: 't' } },
      },
      fleets: [
        {
          name: 'fn',
          replicas: { min: 0, max: 5, initial: 1 },
          price_per_hour: 3.6,
          service_time: '100ms',
          startup: '20s',
          autoscaling: { policy: 'concurrency', target: 1 },
          billing: { increment: '1s', minimum: '0s' },
        },
      ],
    });
    expect(result.requests.completed).toBe(2);
    // The second request, 10 minutes later, found no replica and waited for one to start.
    expect(result.latency_s.max).toBeGreaterThanOrEqual(20);
    expect(result.latency_s.max).toBeLessThan(25);
    // Paid time is far below two replicas x the whole run: the fleet sat at zero in between.
    expect(result.instances.fn.replica_hours * 3600).toBeLessThan(200);
  });
});

const TWO_BURSTS = new URL('../fixtures/elastic/two-requests.csv', import.meta.url).pathname;

describe('the oracle', () => {
  /** 12 requests/s of exactly 1 s on autoscaled replicas of 2 slots, for 20 one-minute intervals. */
  const scenario = (extra: object) => ({
    duration: '20m',
    max_drain: 0,
    workload: { arrivals: { constant: { rate: 12 } } },
    fleets: [
      {
        name: 'web',
        replicas: { min: 1, max: 20, initial: 8 },
        concurrency: 2,
        price_per_hour: 3.6,
        service_time: '1s',
        startup: '30s',
        autoscaling: { policy: 'target-tracking', metric: 'utilization', target: 0.5 },
      },
    ],
    metrics: { interval: '1m' },
    ...extra,
  });

  /** Independently: the fewest n whose 2n servers keep P(wait > maxWaitS) <= 1 % at 12 Erlangs. */
  function erlangReplicas(maxWaitS: number): number {
    let n = 1;
    const tail = (servers: number) => erlangC(servers, 12) * Math.exp(-(servers - 12) * maxWaitS);
    while (2 * n <= 12 || tail(2 * n) > 0.01) n++;
    return n;
  }

  it('prices the fewest replicas that meet the wait SLO per interval, by Erlang C', async () => {
    const output = await runScenario(scenario({ slo: { queue_wait_p99: '200ms' } }));
    const gap = output.results[0].oracle?.web;
    const n = erlangReplicas(0.2);
    expect(gap?.oracle_replica_hours).toBeCloseTo((n * 20) / 60, 9);
    expect(gap?.oracle_cost_usd).toBeCloseTo(n * 3.6 * (20 / 60), 9);
    expect(gap?.infeasible_intervals).toBe(0);
    expect(gap?.target).toBe('slo queue_wait_p99 <= 0.2 s');
    expect(gap?.gap_usd).toBeCloseTo((gap?.policy_cost_usd ?? 0) - (gap?.oracle_cost_usd ?? 0), 9);
    // Aiming at half-busy replicas (12) buys more than the SLO needs.
    expect(gap?.policy_cost_usd).toBeGreaterThan(gap?.oracle_cost_usd ?? 0);
  });

  it('without an SLO, prices the wait this run achieved', async () => {
    const result = (await runScenario(scenario({}))).results[0];
    const gap = result.oracle?.web;
    const p99 = Math.max(result.queue_wait_s.p99 ?? 0, 1e-3);
    expect(gap?.target).toBe(
      `queue wait p99 <= ${p99.toPrecision(3)} s, as this run achieved (no slo: given)`,
    );
    expect(gap?.oracle_cost_usd).toBeCloseTo(erlangReplicas(p99) * 3.6 * (20 / 60), 9);
  });
});

describe('spot capacity over time', () => {
  const fixture = (name: string) => new URL(`../fixtures/elastic/${name}`, import.meta.url).pathname;

  it('owes a replacement while capacity is unavailable, and falls back meanwhile', async () => {
    const result = await run({
      duration: '200s',
      workload: { arrivals: { constant: { rate: 1 } } },
      fleets: [
        {
          name: 'spot',
          replicas: 1,
          instance: 'aws/g5.xlarge',
          market: 'spot',
          service_time: '100ms',
          startup: '5s',
          interruption: { trace: RECLAIM_AT_10S, notice: '1s' },
          unavailable: { trace: fixture('unavailable-5-100.csv') },
          fallback: 'ondemand',
        },
        { name: 'ondemand', replicas: 1, instance: 'aws/g5.xlarge', service_time: '100ms' },
      ],
      routing: { policy: 'spillover', order: ['spot', 'ondemand'] },
    });
    expect(result.instances.spot.unavailable_hours).toBeCloseTo(95 / 3600, 12);
    // The reclaimed replica and its replacement, launched when capacity came back at 100 s.
    expect(result.instances.spot.launched).toBe(2);
    const kinds = result.capacity_events.map((e) => `${e.time_s}:${e.kind}`);
    expect(kinds).toEqual(['5:unavailable', '9:notice', '100:available']);
    expect(result.requests).toMatchObject({ dropped: 0, timed_out: 0 });
    // The 95 requests from 10 s to 104 s, before the replacement was ready at 105 s, ran on demand.
    expect(result.utilization.ondemand * result.simulated_s.end).toBeCloseTo(95 * 0.1, 9);
  });

  it('bills spot replicas at the price of each moment', async () => {
    const fleet = {
      name: 'spot',
      replicas: 2,
      instance: 'aws/g5.xlarge',
      market: 'spot',
      service_time: '10ms',
    };
    const input = (extra: object) => ({
      duration: '2h',
      max_drain: 0,
      workload: { arrivals: { constant: { rate: 0.01 } } },
      fleets: [{ ...fleet, ...extra }],
    });
    const constant = await run(input({}));
    const catalogPrice = constant.cost_usd.compute / 2 / 2;
    const series = await run(input({ spot_price: { trace: fixture('spot-price-drop.csv') } }));
    expect(series.cost_usd.compute).toBeCloseTo(2 * (catalogPrice * 1 + 0.5 * 1), 9);
  });

  it('refuses a price beyond any figure a run could report, at its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-price-'));
    const path = join(dir, 'prices.csv');
    writeFileSync(path, 'time,price\n0,2\n3600,1e305\n');
    const spot = {
      name: 'spot',
      replicas: 1,
      instance: 'aws/g5.xlarge',
      market: 'spot',
      service_time: '10ms',
      spot_price: { trace: path },
    };
    await expect(
      run({ duration: '2h', workload: { arrivals: { constant: { rate: 1 } } }, fleets: [spot] }),
    ).rejects.toThrow(`${path}:3:2: column "price": expected a number from 0 to 1,000,000, got "1e305"`);
    await expect(
      run({
        workload: { arrivals: { constant: { rate: 1 } } },
        fleets: [{ ...cpuFleet, price_per_hour: 1e305 }],
      }),
    ).rejects.toThrow('fleets[0].price_per_hour: expected a price of at most 1,000,000 USD per hour');
  });
});
