import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type LlmFleetStats, MAX_FIXED_BINS, runWarnings } from '../../src/metrics/index.js';
import { maxBinsOf } from '../../src/metrics/time-series.js';
import { runScenario } from '../../src/run.js';
import { makeScenario } from '../helpers/scenario.js';
import { costUsd, variantResult } from '../report/fixtures/variants.js';

const scenario = makeScenario();

function lost(dropped: number, timedOut: number, inFlight: number) {
  const completed = 10_000 - dropped - timedOut - inFlight;
  return variantResult('v', {
    requests: { arrived: 10_000, completed, dropped, timed_out: timedOut, in_flight_at_end: inFlight },
  });
}

describe('run warnings', () => {
  it('warns when rows of the trace were skipped as bad, with the count and the first locations', () => {
    const skipped = (count: number, first: string[]) =>
      runWarnings(variantResult('v', { skipped_trace_rows: { count, first } }), scenario);
    // Read with on_bad_row: skip, nothing skipped: nothing to say.
    expect(skipped(0, [])).toEqual([]);
    expect(skipped(1, ['t.csv:7:2: column "in": expected a non-negative number, got "x"'])).toEqual([
      {
        code: 'SKIPPED_TRACE_ROWS',
        subject: 'trace',
        message:
          'skipped 1 bad row of the trace (on_bad_row: skip), so it replays fewer requests than the file holds: t.csv:7:2: column "in": expected a non-negative number, got "x"',
      },
    ]);
    expect(skipped(1234, ['t.csv:2:1: a', 't.csv:3:1: b', 't.csv:9:1: c'])[0].message).toBe(
      'skipped 1,234 bad rows of the trace (on_bad_row: skip), so it replays fewer requests than the file holds: t.csv:2:1: a; t.csv:3:1: b; t.csv:9:1: c; and 1,231 more',
    );
  });

  it('warns when more than 0.1 % of the measured requests are lost, whichever way', () => {
    // 10 of 10,000 is exactly 0.1 %: tolerated.
    expect(runWarnings(lost(4, 3, 3), scenario)).toEqual([]);
    expect(runWarnings(lost(5, 3, 3), scenario)).toEqual([
      {
        code: 'LOST_REQUESTS',
        subject: 'requests',
        message:
          'lost 11 of 10,000 requests (0.1 %: 5 dropped, 3 timed out, 3 still in flight at the end): its latency and cost figures describe only the 9,989 it served',
      },
    ]);
    expect(runWarnings(lost(0, 5281, 0), scenario)[0].message).toBe(
      'lost 5,281 of 10,000 requests (52.8 %: 0 dropped, 5,281 timed out, 0 still in flight at the end): its latency and cost figures describe only the 4,719 it served',
    );
  });

  it('warns when an LLM fleet preempts more than 1 % of its sequences or recomputes more than 5 % of its time', () => {
    const stats: LlmFleetStats = {
      tensor_parallel: 1,
      kv_cache_tokens: 40_000,
      iterations: 50_000,
      mean_batch_seqs: 20,
      admitted: 2000,
      preemptions: 20,
      rejected: 0,
      busy_share: 0.99,
      kv_utilization: { mean: 0.8, peak: 1 },
      batch_slot_occupancy: 0.3,
      token_budget_use: 0.2,
      binding: 'kv_cache',
      recompute_share: 0.05,
      recompute_cost_usd: 0.1,
    };
    const withStats = (changes: Partial<LlmFleetStats>) =>
      variantResult('v', {
        utilization: { gpu: 0.8 },
        llm: {
          model: 'm',
          precision: 'bf16',
          quality_delta: null,
          fleets: { gpu: { ...stats, ...changes } },
        },
      });
    expect(runWarnings(withStats({}), scenario)).toEqual([]);
    expect(runWarnings(withStats({ recompute_share: 0.051 }), scenario)).toHaveLength(1);
    expect(runWarnings(withStats({ preemptions: 21 }), scenario)).toEqual([
      {
        code: 'PREEMPTION',
        subject: 'gpu',
        message:
          'fleet gpu preempted running sequences 21 times for lack of KV-cache blocks, against 2,000 sequences admitted (mean KV-cache use 80.0 %): recomputing them took 5.0 % of its iteration time, $0.10 of its cost, and each preempted request waits again',
      },
    ]);
    // With preempt_for_priority, the sentence says which preemptions were for priority.
    const message = (changes: Partial<LlmFleetStats>) => runWarnings(withStats(changes), scenario)[0].message;
    expect(message({ preemptions: 21, priority_preemptions: 15 })).toMatch(
      /^fleet gpu preempted running sequences 21 times \(6 for lack of KV-cache blocks, 15 to give waiting higher-priority requests room\), against 2,000/,
    );
    expect(message({ preemptions: 21, priority_preemptions: 21 })).toMatch(
      /^fleet gpu preempted running sequences 21 times to give waiting higher-priority requests room, against/,
    );
  });

  it('warns about a fleet that completed nothing but cost money', () => {
    const instances = variantResult('v').instances;
    const idle = variantResult('v', { instances: { gpu: { ...instances.gpu, completed: 0 } } });
    expect(runWarnings(idle, scenario)).toEqual([
      {
        code: 'SERVES_NOTHING',
        subject: 'gpu',
        message: 'fleet gpu completed none of the measured requests but cost $2.00',
      },
    ]);
    const free = variantResult('v', {
      instances: { gpu: { ...instances.gpu, completed: 0 } },
      cost_usd: { ...costUsd(0), by_fleet: { gpu: 0 } },
    });
    expect(runWarnings(free, scenario)).toEqual([]);
  });

  it('names the fleet a run sends nothing to, in the run results', async () => {
    const output = await runScenario({
      duration: '1m',
      workload: { arrivals: { poisson: { rate: 5 } } },
      fleets: [
        { name: 'used', replicas: 2, service_time: '100ms', price_per_hour: 1 },
        { name: 'spare', replicas: 1, service_time: '100ms', price_per_hour: 3.6 },
      ],
      routing: { policy: 'weighted', weights: { used: 1, spare: 0 } },
    });
    const [result] = output.results;
    expect(result.instances.spare.completed).toBe(0);
    expect(result.instances.used.completed).toBe(result.requests.completed);
    // One replica for the minute at $0.001 a second.
    expect(result.cost_usd.by_fleet.spare).toBeCloseTo(0.06, 9);
    expect(result.warnings).toEqual(['fleet spare completed none of the measured requests but cost $0.060']);
  });

  it('says when a run outlasts the rows its metrics.interval allows, and the series keeps every arrival', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-widened-'));
    try {
      // Two requests 300,000 s apart: at 1 s that is three times MAX_FIXED_BINS rows.
      const path = join(dir, 'far.csv');
      writeFileSync(path, 't\n0\n300000\n');
      const output = await runScenario({
        workload: { arrivals: { trace: { path, time_column: 't' } } },
        fleets: [{ name: 'cpu', replicas: 1, service_time: '1s', price_per_hour: 1 }],
        metrics: { interval: '1s' },
      });
      const [result] = output.results;
      expect(result.timeseries.length).toBeLessThan(MAX_FIXED_BINS);
      expect(result.timeseries[1].time_s - result.timeseries[0].time_s).toBe(4);
      expect(result.timeseries.reduce((sum, row) => sum + row.arrivals, 0)).toBe(2);
      expect(result.warnings).toEqual([
        'the time series has rows of 4s, not the 1s of metrics.interval: at that interval the 300,001 s simulated would need more than 100,000 rows',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the fleets of a run leave fewer rows than its metrics.interval needs', async () => {
    // 100 fleets keep 9,755 rows of 205 values; 3 hours at 1 s would be 10,800.
    expect(maxBinsOf(100, false)).toBe(9756);
    const output = await runScenario({
      duration: '3h',
      workload: { arrivals: { poisson: { rate: 0.05 } } },
      fleets: Array.from({ length: 100 }, (_, f) => ({
        name: `f${f}`,
        replicas: 1,
        service_time: '100ms',
        price_per_hour: 1,
      })),
      metrics: { interval: '1s' },
    });
    const [result] = output.results;
    expect(result.timeseries[1].time_s - result.timeseries[0].time_s).toBe(2);
    expect(result.timeseries.reduce((sum, row) => sum + row.arrivals, 0)).toBe(result.requests.arrived);
    expect(result.warnings.filter((warning) => warning.startsWith('the time series'))).toEqual([
      'the time series has rows of 2s, not the 1s of metrics.interval: at that interval the 10,800 s simulated would need more than the 9,755 rows a series of 100 fleets keeps (at most 2,000,000 values, two per fleet in each row)',
    ]);
  });
});
