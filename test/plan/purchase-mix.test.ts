import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  isEligible,
  type MixCandidate,
  markFrontier,
  mixFleets,
  type PurchaseMixResult,
  rankMixes,
  runPurchaseMix,
} from '../../src/plan/purchase-mix.js';
import { frontierPoints } from '../../src/plan/purchase-mix-charts.js';
import { tempDir, writeScenario } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

// pricing/gcp.yaml, g2-standard-8 in us-central1 (GCP's price list of 2026-07-30).
const ON_DEMAND = 0.853624271;
const RESERVED_1Y = 0.537783286;
const RESERVED_3Y = 0.384130899;
const HOURS_PER_MONTH = 730;

/**
 * One day of a request every 5 s, each taking 1 s on one slot: the first reserved replica takes
 * every request, so the on-demand fleet serves nothing and its replicas live exactly as its
 * schedule says: 1 all day, 3 from 08:00 to 20:00.
 */
const STEP_DAY = `name: step-day
seed: 5
duration: 24h
workload:
  arrivals: { constant: { rate: 0.2 } }
fleets:
  - name: serving
    instance: gcp/g2-standard-8
    region: us-central1
    concurrency: 1
    service_time: 1s
    replicas: { min: 1, max: 3 }
    startup: 60s
    autoscaling:
      policy: scheduled
      schedule:
        - { at: "00:00", replicas: 1 }
        - { at: "08:00", replicas: 3 }
        - { at: "20:00", replicas: 1 }
slo: { latency_p99: 2s, max_drop_rate: 0 }
`;

describe('plan --purchase-mix: the monthly cost of a mix', () => {
  it('is 2 reserved-1y replicas for the whole month plus the counted on-demand hours at their hourly rate', async () => {
    const dir = tempDir('purchase-mix');
    const scenario = writeScenario(dir, STEP_DAY);
    const { result } = await runPurchaseMix({
      scenario,
      outDir: join(dir, 'out'),
      workers: 1,
      replications: 2,
      mix: ['reserved_1y=2', 'on_demand_floor=1'],
    });
    expect(result.candidates).toHaveLength(1);
    const [mix] = result.candidates;
    expect(mix.fleets).toEqual(['reserved-1y', 'on-demand']);

    // The simulated day: the on-demand fleet's replica-hours are 1 x 24 h + 2 x 12 h (08:00-20:00);
    // the reservation is billed for each of the run's 24 started hours.
    const onDemandHours = 1 * 24 + 2 * 12;
    expect(mix.metrics['simulated_s.end']).toBe(86_400);
    expect(mix.metrics['instances.on-demand.replica_hours']).toBeCloseTo(onDemandHours, 9);
    expect(mix.metrics['cost_usd.by_market.on-demand']).toBeCloseTo(onDemandHours * ON_DEMAND, 6);
    expect(mix.metrics['cost_usd.by_market.reserved']).toBeCloseTo(2 * 24 * RESERVED_1Y, 6);
    expect(mix.metrics['requests.completed']).toBe(mix.metrics['requests.arrived']);

    // The month: the commitment for all 730 hours, used or not, plus the on-demand spend at the
    // day's rate for 730 hours.
    const commitment = 2 * RESERVED_1Y * HOURS_PER_MONTH;
    const usage = ((onDemandHours * ON_DEMAND) / 24) * HOURS_PER_MONTH;
    expect(mix.monthly_commitment_usd).toBeCloseTo(commitment, 6);
    expect(mix.monthly_usage_usd).toBeCloseTo(usage, 6);
    expect(mix.monthly_cost_usd).toBeCloseTo(commitment + usage, 6);
    // 2 x 0.537783286 x 730 = 785.16, plus 48 x 0.853624271 / 24 x 730 = 1,246.29.
    expect(mix.monthly_cost_usd).toBeCloseTo(2031.45, 1);
    for (const month of mix.monthly_cost_by_replication) expect(month).toBeCloseTo(commitment + usage, 6);
    expect(result.pick).toBe(mix);
  });

  it('builds each market from the serving fleet, leaving out the markets a mix buys none of', () => {
    const template = {
      name: 'serving',
      instance: 'gcp/g2-standard-8',
      concurrency: 4,
      replicas: { min: 1, max: 12 },
      autoscaling: { policy: 'concurrency', target: 3 },
      interruption: { per_hour: 0.03 },
      on_interrupt: 'requeue',
    };
    const built = mixFleets(template, {
      reserved_3y: 2,
      reserved_1y: 0,
      on_demand_floor: 1,
      on_demand_max: 12,
      spot_max: 6,
    });
    expect(built).toEqual({
      fleets: [
        {
          name: 'reserved-3y',
          instance: 'gcp/g2-standard-8',
          concurrency: 4,
          market: 'reserved-3y',
          replicas: 2,
        },
        {
          name: 'spot',
          instance: 'gcp/g2-standard-8',
          concurrency: 4,
          autoscaling: { policy: 'concurrency', target: 3 },
          interruption: { per_hour: 0.03 },
          on_interrupt: 'requeue',
          market: 'spot',
          replicas: { min: 1, max: 6, initial: 1 },
          fallback: 'on-demand',
        },
        {
          name: 'on-demand',
          instance: 'gcp/g2-standard-8',
          concurrency: 4,
          autoscaling: { policy: 'concurrency', target: 3 },
          market: 'on-demand',
          replicas: { min: 1, max: 12, initial: 1 },
        },
      ],
    });
    expect(
      mixFleets(template, {
        reserved_3y: 0,
        reserved_1y: 0,
        on_demand_floor: 3,
        on_demand_max: 2,
        spot_max: 0,
      }),
    ).toEqual({
      reason: 'on_demand_floor 3 is above on_demand_max 2',
    });
  });
});

/** A candidate that ran, with the figures the frontier and the pick look at. */
function ran(cost: number, risk: number, meets: boolean, name: number): MixCandidate {
  return {
    mix: { reserved_3y: name, reserved_1y: 0, on_demand_floor: 0, on_demand_max: 0, spot_max: 0 },
    fleets: [],
    status: 'ok',
    reason: null,
    monthly_cost_usd: cost,
    monthly_cost_ci95: null,
    monthly_commitment_usd: cost,
    monthly_usage_usd: 0,
    monthly_cost_by_replication: [cost],
    meets_slo: meets,
    risk,
    risk_ci95: [risk, risk],
    eligible: false,
    frontier: false,
    slo: null,
    metrics: {},
    ci95: null,
    warnings: [],
  };
}

describe('plan --purchase-mix: frontier and pick', () => {
  it('keeps only undominated mixes on the frontier and picks the cheapest eligible one', () => {
    const candidates = [
      ran(1000, 1, false, 1), // cheapest, always misses: on the frontier, never the pick
      ran(1500, 0.4, true, 2), // meets on the means, but 40 % of replications miss
      ran(1600, 0.4, true, 3), // dominated by 2
      ran(1800, 0.2, false, 4), // little risk but misses on the means: not eligible
      ran(2000, 0, true, 5), // the pick at a tolerance of 0.2 or less
      ran(2000, 0.2, true, 6), // dominated by 5 (same cost, more risk)
      ran(2500, 0, true, 7), // dominated by 5
    ];
    const infeasible: MixCandidate = {
      ...ran(0, 0, false, 8),
      status: 'infeasible',
      monthly_cost_usd: null,
      risk: null,
    };
    const all = [...candidates, infeasible];
    markFrontier(all);
    expect(all.filter((c) => c.frontier).map((c) => c.mix.reserved_3y)).toEqual([1, 2, 4, 5]);
    for (const c of all) c.eligible = isEligible(c, 0.2);
    expect(all.filter((c) => c.eligible).map((c) => c.mix.reserved_3y)).toEqual([5, 6, 7]);
    const ranked = rankMixes(all);
    expect(ranked.map((c) => c.mix.reserved_3y)).toEqual([5, 6, 7, 1, 2, 3, 4, 8]);
    // At a tolerance of 0.5 the 40 % mix that meets on the means is the cheapest eligible one.
    for (const c of all) c.eligible = isEligible(c, 0.5);
    expect(rankMixes(all)[0].mix.reserved_3y).toBe(2);
  });

  it('never picks the cheapest mix when it loses requests, and prices each fixed mix at its commitment', async () => {
    // 1.2 requests/s of 1 s each on one slot per replica: one replica is overloaded and drops
    // what times out; two (M/M/2 at 60 %: Erlang C wait p99 4.8 s) or three carry it.
    const dir = tempDir('purchase-mix-frontier');
    const scenario = writeScenario(
      dir,
      `name: overload
seed: 3
duration: 1h
workload:
  arrivals: { poisson: { rate: 1.2 } }
fleets:
  - name: serving
    instance: gcp/g2-standard-8
    region: us-central1
    concurrency: 1
    service_time: { exponential: { mean: 1s } }
    replicas: { min: 1, max: 4 }
    autoscaling: { policy: concurrency, target: 1 }
    queue: { capacity: 20, timeout: 20s }
slo: { queue_wait_p99: 15s, max_drop_rate: 0.001 }
`,
    );
    const { result } = await runPurchaseMix({
      scenario,
      outDir: join(dir, 'out'),
      workers: 1,
      replications: 3,
      mix: ['reserved_3y=1..3', 'on_demand_max=0'],
    });
    const byCount = (n: number) => result.candidates.find((c) => c.mix.reserved_3y === n)!;
    for (const n of [1, 2, 3]) {
      expect(byCount(n).fleets).toEqual(['reserved-3y']);
      expect(byCount(n).monthly_cost_usd).toBeCloseTo(n * RESERVED_3Y * HOURS_PER_MONTH, 6);
    }
    expect(byCount(1).meets_slo).toBe(false);
    expect(byCount(1).metrics.drop_rate).toBeGreaterThan(0.05);
    expect(byCount(1).risk).toBe(1);
    expect(byCount(2).risk).toBe(0);
    expect(byCount(3).risk).toBe(0);
    expect(result.pick).toBe(byCount(2));
    expect(result.frontier).toEqual([byCount(1), byCount(2)]);
    expect(byCount(3).frontier).toBe(false);
    // The chart draws the same verdicts: the cheap mix that loses requests is a cross on the
    // frontier, never the pick.
    expect(frontierPoints(result).map((point) => [point.mix, point.role, point.verdict])).toEqual([
      ['2 reserved-3y', 'the pick', 'eligible'],
      ['3 reserved-3y', 'dominated', 'eligible'],
      ['1 reserved-3y', 'on the frontier', 'misses the objective'],
    ]);
  });
});

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('fleetsim plan --purchase-mix on scenarios/purchase-mix.yaml', () => {
  it('writes the frontier, the table and the chart, and prices the commitment at the catalog', async () => {
    const out = tempDir('purchase-mix-cli');
    const { code, stdout, stderr } = await cli([
      'plan',
      'scenarios/purchase-mix.yaml',
      '--out',
      out,
      '--force',
      '--workers',
      '1',
      '--replications',
      '2',
      // One weekday, so that the test stays short; the documented run is the whole week.
      '--set',
      'duration=1d',
      '--purchase-mix',
      'reserved_3y=[0,2]',
      '--purchase-mix',
      'on_demand_floor=1',
      '--purchase-mix',
      'spot_max=[0,6]',
    ]);
    expect(stderr).toMatch(/4 mix\(es\)/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^rank\s+reserved-3y\s+reserved-1y\s+on-demand floor/);
    expect(stdout).toMatch(/\nFrontier \(no other mix costs less with no more risk\):\n/);
    for (const name of [
      'purchase-mix.json',
      'purchase-mix.md',
      'purchase-mix-frontier.vl.json',
      'purchase-mix-frontier.svg',
    ]) {
      expect(existsSync(join(out, name))).toBe(true);
    }
    const result = JSON.parse(readFileSync(join(out, 'purchase-mix.json'), 'utf8')) as PurchaseMixResult;
    expect(result.candidates).toHaveLength(4);
    for (const candidate of result.candidates) {
      expect(candidate.monthly_commitment_usd).toBeCloseTo(
        candidate.mix.reserved_3y * RESERVED_3Y * HOURS_PER_MONTH,
        6,
      );
      // Usage is what was spent per simulated hour, for 730 hours.
      const spent =
        candidate.monthly_cost_by_replication.reduce((a, b) => a + b, 0) /
        candidate.monthly_cost_by_replication.length;
      expect(candidate.monthly_cost_usd).toBeCloseTo(spent, 4);
      expect(candidate.fleets).toEqual([
        ...(candidate.mix.reserved_3y > 0 ? ['reserved-3y'] : []),
        ...(candidate.mix.spot_max > 0 ? ['spot'] : []),
        'on-demand',
      ]);
    }
    if (result.pick !== null) {
      expect(result.pick.meets_slo).toBe(true);
      expect(result.pick.risk).toBe(0);
      const cheaperEligible = result.candidates.filter(
        (c) => c.eligible && c.monthly_cost_usd! < result.pick!.monthly_cost_usd!,
      );
      expect(cheaperEligible).toEqual([]);
    }
    for (const a of result.frontier) {
      const dominating = result.candidates.filter(
        (b) =>
          b.status === 'ok' &&
          b.monthly_cost_usd! <= a.monthly_cost_usd! &&
          b.risk! <= a.risk! &&
          (b.monthly_cost_usd! < a.monthly_cost_usd! || b.risk! < a.risk!),
      );
      expect(dominating).toEqual([]);
    }
  });

  it('refuses a scenario without an objective, with one line and exit 2', async () => {
    const out = tempDir('purchase-mix-cli-error');
    const scenario = writeScenario(out, STEP_DAY.replace(/^slo:.*\n/m, ''));
    const { code, stderr } = await cli([
      'plan',
      scenario,
      '--out',
      join(out, 'out'),
      '--purchase-mix',
      'reserved_3y=1',
    ]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/--purchase-mix needs an slo: in the scenario/);
  });
});
