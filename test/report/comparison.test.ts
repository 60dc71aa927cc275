import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { estimateMean } from '../../src/plan/index.js';
import { formatDelta, formatMetricCell } from '../../src/report/comparison-text.js';
import {
  buildComparison,
  type ComparisonEntry,
  type ComparisonMetric,
  type ComparisonRow,
  noiseWarnings,
  renderComparisonCsv,
  renderComparisonJson,
  renderComparisonMarkdown,
  renderComparisonText,
} from '../../src/report/index.js';
import type { Slo } from '../../src/report/slo.js';
import { costUsd, variantResult } from './fixtures/variants.js';

function entry(label: string, overrides: Parameters<typeof variantResult>[1]): ComparisonEntry {
  const { timeseries: _t, distributions: _d, ...summary } = variantResult(label, overrides);
  return { label, scenario: 's', variant: label, summary };
}

// Baseline: 4 replicas. Cheap drops 10 % of requests and is slow; lean is a bit slower and cheaper.
const latency = (p99: number) => ({
  mean: 1,
  p50: p99 / 4,
  p90: p99 / 2,
  p95: p99 / 1.5,
  p99,
  p999: p99,
  max: p99,
});
const entries = [
  entry('four', {
    latency_s: latency(2),
    cost_usd: costUsd(8),
    cost_per_1k_requests_usd: 0.8,
  }),
  entry('cheap', {
    latency_s: latency(6),
    requests: { arrived: 1000, completed: 900, dropped: 60, timed_out: 40, in_flight_at_end: 0 },
    cost_usd: costUsd(4),
    cost_per_1k_requests_usd: 0.4,
  }),
  entry('lean', {
    latency_s: latency(2.5),
    cost_usd: costUsd(6),
    cost_per_1k_requests_usd: 0.6,
  }),
];
const slo: Slo = { limits: [{ metric: 'latency', statistic: 'p99', seconds: 3 }], maxDropRate: 0.01 };

describe('buildComparison', () => {
  it('states each metric against the baseline in percent', () => {
    const c = buildComparison(entries, 7, slo);
    const [four, cheap, lean] = c.rows;
    expect(four.delta_pct['latency_s.p99']).toBe(0);
    expect(cheap.delta_pct['latency_s.p99']).toBeCloseTo(200, 10);
    expect(lean.delta_pct['latency_s.p99']).toBeCloseTo(25, 10);
    expect(cheap.delta_pct['cost_usd.total']).toBeCloseTo(-50, 10);
    expect(cheap.values['requests.lost']).toBe(100);
    // The baseline lost none: a change from zero has no percentage.
    expect(cheap.delta_pct['requests.lost']).toBeNull();
    expect(lean.delta_pct['requests.lost']).toBe(0);
  });

  it('leaves out metrics no configuration has, and transfer, compute and reclaims while they add nothing', () => {
    const keys = buildComparison(entries, 7).metrics.map((m) => m.key);
    expect(keys).toEqual(
      expect.arrayContaining(['latency_s.p99', 'utilization.gpu', 'cost_usd.idle', 'instances.mean']),
    );
    // Compute equals the total without transfer.
    expect(keys.filter((k) => /ttft|tpot|tokens|preemptions|transfer|compute|preempted/.test(k))).toEqual([]);
    const transfer = entry('egress', { cost_usd: { ...costUsd(8), total: 9, transfer: 1 } });
    const withTransfer = buildComparison([entries[0], transfer], 7);
    expect(withTransfer.metrics.map((m) => m.key)).toEqual(
      expect.arrayContaining(['cost_usd.compute', 'cost_usd.transfer']),
    );
    expect(withTransfer.rows[1].delta_pct['cost_usd.transfer']).toBeNull();
    expect(withTransfer.rows[1].delta_pct['cost_usd.total']).toBeCloseTo(12.5, 10);
  });

  it('picks the cheapest configuration meeting the SLO, and without one the cheapest meeting the default objective', () => {
    const withSlo = buildComparison(entries, 7, slo);
    expect(withSlo.rows.map((r) => r.slo_met)).toEqual([true, false, true]);
    expect(withSlo.rows[1].slo_failures).toEqual(['latency_p99 6.00 s > 3.00 s', 'drop rate 10.0 % > 1.0 %']);
    expect(withSlo.pick).toEqual({ label: 'lean', basis: 'cheapest meeting the SLO' });
    // cheap is the cheapest of all, but it lost 10 % of its requests: more than the default 1 %.
    const byDefault = buildComparison(entries, 7);
    expect(byDefault.rows.map((r) => r.slo_met)).toEqual([true, false, true]);
    expect(byDefault.rows[1].slo_failures).toEqual(['drop rate 10.0 % > 1.0 %']);
    expect(byDefault.pick).toEqual({ label: 'lean', basis: 'cheapest meeting the default objective' });
    expect(renderComparisonText(byDefault)).toContain(
      'cheap MISSES the objective: drop rate 10.0 % > 1.0 %.',
    );
    const strict: Slo = { limits: [{ metric: 'latency', statistic: 'p99', seconds: 1 }], maxDropRate: null };
    expect(buildComparison(entries, 7, strict).pick).toBeNull();
  });
});

describe('deltas', () => {
  const cost: ComparisonMetric = {
    key: 'cost',
    title: 'cost',
    unit: 'usd',
    better: 'lower',
    quantile: false,
  };
  it.each([
    [12.34, '+12.3 %'],
    [-99.8, '-99.8 %'],
    [99.9, '+99.9 %'],
    [100, '2.0x'],
    [150, '2.5x'],
    [1130, '12x'],
    [58_905, '590x'],
  ])('%d %% reads %s: a ratio from twice the baseline on', (delta, text) => {
    expect(formatDelta(cost, delta)).toBe(text);
  });
});

describe('comparison outputs', () => {
  const c = buildComparison(entries, 7, slo);

  it('the terminal table has the baseline first, deltas beside values and the pick marked', () => {
    const text = renderComparisonText(c);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^metric\s+four\s+cheap\s+lean \*$/);
    expect(lines.find((l) => l.startsWith('p99 latency'))).toMatch(
      /2\.00 s\s+6\.00 s \(3\.0x\)\s+2\.50 s \(\+25\.0 %\)$/,
    );
    // The verdict is the first row, before any figure.
    expect(lines[2]).toMatch(/^objective\s+meets\s+MISSES\s+meets$/);
    expect(text).toContain('seed 7 and common random numbers');
    expect(text).toContain('* lean: cheapest meeting the SLO, by cost per 1k requests.');
  });

  it('marks quantile changes within the sketch error as noise', () => {
    const close = buildComparison([entries[0], entry('close', { latency_s: latency(2.02) })], 7);
    expect(renderComparisonText(close)).toMatch(/p99 latency\s+2\.00 s\s+2\.02 s \(~\+1\.0 %\)/);
  });

  it('CSV and JSON carry the same values, one row per configuration', () => {
    const rows: Record<string, string>[] = parse(renderComparisonCsv(c), { columns: true });
    expect(rows.map((r) => [r.label, r.picked, r.slo_met])).toEqual([
      ['four', 'false', 'true'],
      ['cheap', 'false', 'false'],
      ['lean', 'true', 'true'],
    ]);
    expect(Number(rows[1]['latency_s.p99'])).toBe(6);
    expect(Number(rows[1]['latency_s.p99.delta_pct'])).toBeCloseTo(200, 8);
    expect(rows[1]['requests.lost.delta_pct']).toBe('');
    const json = JSON.parse(renderComparisonJson(c));
    expect(json.rows[2].values['cost_usd.total']).toBe(6);
    expect(json.pick.label).toBe('lean');
    expect(json.notes[0]).toContain('common random numbers');
    expect(renderComparisonMarkdown(c, 'demo')).toContain(
      '- cheap MISSES the objective: latency_p99 6.00 s > 3.00 s; drop rate 10.0 % > 1.0 %.',
    );
  });
});

describe('comparisons of replications', () => {
  // Three replications (the same three seeds for every configuration) of p99 latency and cost.
  const replicate = (label: string, p99s: number[], costs: number[]): ComparisonEntry => {
    const replicates = p99s.map((p99, k) => {
      const {
        timeseries: _t,
        distributions: _d,
        ...summary
      } = variantResult(label, {
        latency_s: latency(p99),
        cost_usd: costUsd(costs[k]),
        cost_per_1k_requests_usd: costs[k] / 10,
      });
      return summary;
    });
    return { label, scenario: 's', variant: label, summary: replicates[0], replicates };
  };
  const base = replicate('base', [1.0, 2.0, 3.0], [10, 10, 10]);
  // Always 0.1 s slower than the baseline on the same seed: the intervals of the two means overlap
  // almost entirely, yet the difference is certain.
  const shifted = replicate('shifted', [1.1, 2.1, 3.1], [9, 9, 9]);
  // Differences -0.5, +0.5, +0.3: their mean 0.1 is well inside its interval.
  const noisy = replicate('noisy', [0.5, 2.5, 3.3], [10, 11, 9]);
  /** The 95 % half-width by hand: t(0.975, 2 df) = 4.3027 from a t table, times s / sqrt(3). */
  const halfWidth = (xs: number[]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const s = Math.sqrt(xs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (xs.length - 1));
    return (4.3027 * s) / Math.sqrt(xs.length);
  };
  const c = buildComparison([base, shifted, noisy], 7, slo, estimateMean);

  it('compares the means, each with its 95 % confidence interval', () => {
    expect(c.replications).toBe(3);
    expect(c.rows[1].values['latency_s.p99']).toBeCloseTo(2.1, 12);
    expect(c.rows[2].values['latency_s.p99']).toBeCloseTo(6.3 / 3, 12);
    expect(c.rows[0].ci95!['latency_s.p99']).toBeCloseTo(halfWidth([1, 2, 3]), 3);
    expect(c.rows[2].ci95!['cost_usd.total']).toBeCloseTo(halfWidth([10, 11, 9]), 3);
    expect(c.rows[1].ci95!['cost_usd.total']).toBe(0);
    expect(c.rows[1].delta_pct['latency_s.p99']).toBeCloseTo(5, 10);
  });

  it('calls a difference noise when the interval of the paired differences holds 0', () => {
    expect(c.rows[0].within_noise).toBeNull();
    expect(c.rows[1].within_noise!['latency_s.p99']).toBe(false);
    expect(c.rows[2].within_noise!['latency_s.p99']).toBe(true);
    expect(Math.abs(0.1)).toBeLessThan(halfWidth([-0.5, 0.5, 0.3]));
    // Costs of 10, 11, 9 against 10: differences 0, 1, -1 average 0, so no change and no warning.
    expect(c.rows[2].delta_pct['cost_usd.total']).toBe(0);
    expect(noiseWarnings(c)).toEqual(['noisy: p50 latency, p90 latency, p99 latency']);
  });

  it('shows mean ± half-width, marks noise with ~, and judges the SLO on the means', () => {
    const text = renderComparisonText(c);
    expect(text).toMatch(
      /p99 latency\s+2\.00 s ± 2\.48 s\s+2\.10 s ± 2\.48 s \(\+5\.0 %\)\s+2\.10 s ± [\d.]+ s \(~\+5\.0 %\)/,
    );
    expect(text).toContain('Values are means of 3 replications');
    expect(text).toContain('A ~ also marks a difference within noise');
    expect(text).toContain(
      'Within noise against the baseline: noisy: p50 latency, p90 latency, p99 latency.',
    );
    // The SLO (p99 <= 3 s) holds for every mean although some replications exceed it.
    expect(c.rows.map((r) => r.slo_met)).toEqual([true, true, true]);
    const csv: Record<string, string>[] = parse(renderComparisonCsv(c), { columns: true });
    expect(csv[2]['latency_s.p99.within_noise']).toBe('true');
    expect(Number(csv[0]['latency_s.p99.ci95'])).toBeCloseTo(halfWidth([1, 2, 3]), 3);
  });

  it('needs the same number of replications everywhere and an estimator', () => {
    expect(() => buildComparison([base, entries[0]], 7)).toThrow(/same number of replicates/);
    expect(() => buildComparison([base, shifted], 7)).toThrow(/estimate/);
  });
});

describe('comparisons of replications known by their means and intervals (replications.json)', () => {
  // The runs (replication 0) and, by hand, the means and 95 % half-widths of three replications.
  const known = (
    e: ComparisonEntry,
    metrics: Record<string, number>,
    ci95: Record<string, number>,
  ): ComparisonEntry => ({ ...e, estimates: { replications: 3, metrics, ci95 } });
  const [four, cheap, lean] = entries;
  const c = buildComparison(
    [
      known(
        four,
        {
          'latency_s.p99': 2.5,
          'requests.dropped': 2,
          'requests.timed_out': 1.5,
          cost_per_1k_requests_usd: 0.8,
          drop_rate: 0.0035,
        },
        { 'latency_s.p99': 0.5, 'requests.dropped': 1, 'requests.timed_out': 1, cost_per_1k_requests_usd: 0 },
      ),
      // Its run drops 10 %; on average over the replications only 0.5 %, within the SLO.
      known(
        cheap,
        { 'latency_s.p99': 2.9, cost_per_1k_requests_usd: 0.4, drop_rate: 0.005 },
        { 'latency_s.p99': 0.25, cost_per_1k_requests_usd: 0.05 },
      ),
      // Its run meets the p99 limit of 3 s; the mean of the replications does not.
      known(
        lean,
        { 'latency_s.p99': 3.2, cost_per_1k_requests_usd: 0.6, drop_rate: 0 },
        { 'latency_s.p99': 0.75, cost_per_1k_requests_usd: 0.1 },
      ),
    ],
    7,
    slo,
  );

  it('compares the means with the intervals given, and sums of figures by the sums of their means', () => {
    expect(c.replications).toBe(3);
    expect(c.rows.map((r) => r.values['latency_s.p99'])).toEqual([2.5, 2.9, 3.2]);
    expect(c.rows.map((r) => r.ci95!['latency_s.p99'])).toEqual([0.5, 0.25, 0.75]);
    expect(c.rows[1].ci95!.cost_per_1k_requests_usd).toBe(0.05);
    expect(c.rows[2].delta_pct['latency_s.p99']).toBeCloseTo(28, 10);
    // Dropped plus timed out: 2 + 1.5 on average, but replications.json holds no interval of the sum.
    expect(c.rows[0].values['requests.lost']).toBe(3.5);
    expect(c.rows[0].ci95!['requests.lost']).toBeNull();
    // Without the runs, no difference can be paired seed by seed.
    expect(c.rows.map((r) => r.within_noise)).toEqual([null, null, null]);
  });

  it('judges the SLO on the means and picks the cheapest mean that meets it', () => {
    expect(c.rows.map((r) => r.slo_met)).toEqual([true, true, false]);
    expect(c.rows[2].slo_failures).toEqual(['latency_p99 3.20 s > 3.00 s']);
    expect(c.pick).toEqual({ label: 'cheap', basis: 'cheapest meeting the SLO' });
  });

  it('shows mean ± half-width and says which means have no interval', () => {
    const text = renderComparisonText(c);
    expect(text).toMatch(
      /p99 latency\s+2\.50 s ± 500 ms\s+2\.90 s ± 250 ms \(\+16\.0 %\)\s+3\.20 s ± 750 ms \(\+28\.0 %\)/,
    );
    expect(text).toContain('Values are means of 3 replications');
    expect(text).toMatch(
      /Means without a confidence interval: [^\n]*lost \(dropped, timed out, unfinished\)/,
    );
    // The share lost is the mean replications.json holds (0.5 %), not the first run's 10 %.
    expect(text).toMatch(/share lost\s+0\.4 %\s+0\.5 %/);
    expect(text).not.toContain('A ~ also marks');
  });

  it('needs as many replications in every entry', () => {
    expect(() =>
      buildComparison(
        [known(four, {}, {}), { ...cheap, estimates: { replications: 2, metrics: {}, ci95: {} } }],
        7,
      ),
    ).toThrow(/same number of replicates/);
  });
});

describe('intervals of percentiles narrower than the quantile sketch', () => {
  const p99: ComparisonMetric = {
    key: 'latency_s.p99',
    title: 'p99 latency',
    unit: 's',
    better: 'lower',
    quantile: true,
  };
  const row = (value: number, halfWidth: number): ComparisonRow => ({
    label: 'a',
    scenario: 's',
    variant: 'a',
    values: { [p99.key]: value },
    ci95: { [p99.key]: halfWidth },
    delta_pct: {},
    within_noise: null,
    slo_met: true,
    slo_failures: [],
    slo_probability: null,
  });

  it('below 1 % of the value (the sketch resolution) print ± <1 %; from 1 % on, the half-width', () => {
    expect(formatMetricCell(p99, row(2, 0))).toBe('2.00 s ± <1 %');
    expect(formatMetricCell(p99, row(2, 0.019))).toBe('2.00 s ± <1 %');
    expect(formatMetricCell(p99, row(2, 0.02))).toBe('2.00 s ± 20.0 ms');
    // Not a percentile: a mean has no sketch behind it, and 0 is what was measured.
    expect(
      formatMetricCell(
        { ...p99, key: 'x', quantile: false },
        { ...row(2, 0), values: { x: 2 }, ci95: { x: 0 } },
      ),
    ).toBe('2.00 s ± 0 s');
  });
});
