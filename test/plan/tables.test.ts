import { describe, expect, it } from 'vitest';
import {
  describePick,
  type PlanCandidate,
  type PlanResult,
  renderSweepTable,
  type SweepResult,
  type SweepRow,
} from '../../src/plan/index.js';

function row(point: number, p99: number, waitP99: number): SweepRow {
  return {
    point,
    variant: 'baseline',
    params: { 'fleets.0.replicas': point + 1 },
    status: 'ok',
    reason: null,
    meets_slo: false,
    pareto: true,
    replications: 1,
    metrics: {
      'latency_s.p99': p99,
      'queue_wait_s.p99': waitP99,
      'cost_usd.total': 12.345,
      cost_per_1k_requests_usd: 0.5,
    },
    ci95: null,
    slo: null,
    model_draws: false,
    warnings: [],
    performance: { gpu: { source: 'scenario', accelerator: null, detail: '', caveat: null } },
  };
}

describe('the sweep table', () => {
  it('writes latencies of 1000 s and more in whole seconds, not as 3.56e+3 s', () => {
    const result: SweepResult = {
      scenario: 'overloaded',
      seed: 1,
      replications: 1,
      sampling: 'grid',
      parameters: [{ path: 'fleets.0.replicas', values: [1, 2] }],
      slo: null,
      points: 2,
      shard: null,
      rows: [row(0, 3562.4, 3561.9), row(1, 0.25, 0)],
    };
    const lines = renderSweepTable(result).trimEnd().split('\n');
    expect(lines[2].split(/\s{2,}/)).toEqual([
      '0',
      '1',
      '3562 s',
      '3562 s',
      '$12.35',
      '$0.5000',
      'scenario',
      'missed',
    ]);
    expect(lines[3].split(/\s{2,}/)).toEqual([
      '1',
      '2',
      '250 ms',
      '0 s',
      '$12.35',
      '$0.5000',
      'scenario',
      'missed',
    ]);
  });
});

describe('the pick of a plan', () => {
  it('says what it costs an hour and a month, how far each objective is from its limit, and the load it carries', () => {
    const best = {
      params: { 'fleets.0.replicas': 3 },
      variant: 'baseline',
      status: 'ok',
      reason: null,
      meets_slo: true,
      cost_usd_per_hour: 5.58,
      metrics: { 'latency_s.p99': 2 },
      slo: {
        met: true,
        objectives: [
          { objective: 'ttft_p99', limit: 1, value: 0.65, met: true },
          { objective: 'max_drop_rate', limit: 0.001, value: 0.0004, met: true },
        ],
      },
      max_sustainable: {
        scale: 1.5,
        growth: 1.5,
        rate_rps: 9.3,
        cost_per_1k_requests_usd: 0.1,
        bounded: true,
      },
    } as unknown as PlanCandidate;
    const plan = { search: { variants: ['baseline'] } } as unknown as PlanResult;
    expect(describePick(plan, best)).toEqual([
      // 5.58 x 730 = 4073.4
      'fleets.0.replicas=3, $5.58 per hour ($4,073 a month of 730 hours), p99 latency 2.00 s.',
      // (1 - 0.65) / 1 and (0.001 - 0.0004) / 0.001
      'Margins: ttft_p99 650 ms, 35 % under its 1.00 s limit; drop rate 0.040 %, 60 % under its 0.10 % limit.',
      'It carries up to 9.300 requests/s within the objective, 1.50x the load planned for.',
    ]);
  });
});
