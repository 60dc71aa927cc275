import { describe, expect, it } from 'vitest';
import { renderSweepTable, type SweepResult, type SweepRow } from '../../src/plan/index.js';

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
