import { describe, expect, it } from 'vitest';
import { estimateMean } from '../../src/plan/index.js';
import {
  buildComparison,
  renderComparisonCsv,
  renderComparisonMarkdown,
  renderComparisonText,
  renderReportHtml,
} from '../../src/report/index.js';
import type { Slo } from '../../src/report/slo.js';
import { variantResult } from './fixtures/variants.js';

const slo: Slo = { limits: [{ metric: 'latency', statistic: 'p99', seconds: 2 }], maxDropRate: 0.01 };

/** `p99s` are the replications' p99 latencies; everything else as the fixture. */
function replicated(label: string, p99s: number[]) {
  const replicates = p99s.map((p99) =>
    variantResult(label, {
      latency_s: { mean: 0.5, p50: 0.5, p90: 0.9, p95: 0.95, p99, p999: p99, max: p99 },
    }),
  );
  return { label, scenario: 's', variant: label, summary: replicates[0], replicates };
}

/**
 * `lucky` meets 2 s in nine replications of ten and misses badly in one: its mean p99 is
 * (9 × 1 + 20) / 10 = 2.9 s, so it MISSES on the means. `steady` meets in all ten.
 * The 95 % Wilson interval of 9 of 10, by hand with z = 1.96: p = 0.9, z²/n = 0.38415,
 * centre (0.9 + 0.19207) / 1.38415 = 0.78898, half-width 1.41603 × √(0.009 + 0.0096037) = 0.19314,
 * so [0.5958, 0.9821]: 60-98 %. Of 10 of 10: [10 / (10 + z²), 1] = [0.7225, 1]: 72-100 %.
 */
function comparison() {
  const entries = [replicated('steady', Array(10).fill(1)), replicated('lucky', [...Array(9).fill(1), 20])];
  return { entries, c: buildComparison(entries, 1, slo, estimateMean) };
}

describe('P(SLO) beside the verdict of replications', () => {
  it('counts the replications that met the objective each on its own figures, with the Wilson interval', () => {
    const { c } = comparison();
    const [steady, lucky] = c.rows;
    expect(lucky.slo_met).toBe(false);
    expect(lucky.slo_failures).toEqual(['latency_p99 2.90 s > 2.00 s']);
    expect(lucky.slo_probability?.met_by_replication).toEqual([...Array(9).fill(true), false]);
    expect(lucky.slo_probability?.met_share).toBeCloseTo(0.9, 12);
    expect(lucky.slo_probability?.met_share_ci95[0]).toBeCloseTo(0.5958, 4);
    expect(lucky.slo_probability?.met_share_ci95[1]).toBeCloseTo(0.9821, 4);
    expect(lucky.slo_probability?.model_draws).toBe(false);
    expect(steady.slo_probability?.met_share).toBe(1);
    expect(steady.slo_probability?.met_share_ci95[0]).toBeCloseTo(0.7225, 4);
    expect(steady.slo_probability?.met_share_ci95[1]).toBe(1);
    // The pick is never the one that misses, whatever its P(SLO).
    expect(c.pick?.label).toBe('steady');
  });

  it('a single run has none', () => {
    const one = variantResult('one');
    const c = buildComparison([{ label: 'one', scenario: 's', variant: 'one', summary: one }], 1, slo);
    expect(c.rows[0].slo_probability).toBeNull();
    expect(renderComparisonText(c)).not.toContain('P(SLO)');
    expect(renderComparisonCsv(c).split('\n')[0]).not.toContain('met_share');
  });

  it('report.html shows a verdict that misses as MISSES, with its P(SLO) beside it in plain text', () => {
    const { entries, c } = comparison();
    const html = renderReportHtml({
      title: 't',
      scenarios: [],
      runs: entries.map((e) => ({ label: e.label, summary: e.summary })),
      comparison: c,
      charts: [],
    });
    const items = [...html.matchAll(/<li><strong>([^<]*)<\/strong>([\s\S]*?)<\/li>/g)].map((m) => [
      m[1],
      m[2],
    ]);
    const lucky = items.find(([label]) => label === 'lucky')![1];
    expect(lucky).toContain(
      '<span class="worse">MISSES</span> the objective on the means of 10 replications',
    );
    expect(lucky).toContain('P(SLO) 90 %: the SLO held in 9 of 10 replications (95 % CI 60-98 %)');
    expect(lucky).not.toContain('class="better"');
    expect(lucky).not.toMatch(/\bmeets\b/);
    const steady = items.find(([label]) => label === 'steady')![1];
    expect(steady).toContain('P(SLO) 100 %: the SLO held in 10 of 10 replications (95 % CI 72-100 %)');
    // In the table: the objective row keeps the verdict; the P(SLO) row is plain text in every cell.
    const row = /<tr><th scope="row">P\(SLO\)<\/th>(.*?)<\/tr>/.exec(html)![1];
    expect([...row.matchAll(/<td([^>]*)>([^<]*)<\/td>/g)].map((m) => m[2])).toEqual([
      '100 % (72-100 %)',
      '90 % (60-98 %)',
    ]);
    expect(row).not.toMatch(/better|worse/);
    const objective = /<tr><th scope="row">objective<\/th>(.*?)<\/tr>/.exec(html)![1];
    expect(objective).toContain('<span class="worse">MISSES</span>');
  });

  it('the terminal, markdown and CSV comparisons carry it under the verdict', () => {
    const { c } = comparison();
    const text = renderComparisonText(c).split('\n');
    expect(text[2]).toMatch(/^objective\s+meets\s+MISSES$/);
    expect(text[3]).toMatch(/^P\(SLO\)\s+100 % \(72-100 %\)\s+90 % \(60-98 %\)$/);
    const markdown = renderComparisonMarkdown(c, 't');
    expect(markdown).toContain('| P(SLO) | 100 % (72-100 %) | 90 % (60-98 %) |');
    expect(markdown).toContain('It does not change the verdict on the means');
    const [header, , lucky] = renderComparisonCsv(c).trim().split('\n');
    const cells = Object.fromEntries(header.split(',').map((key, i) => [key, lucky.split(',')[i]]));
    expect(cells.slo_met).toBe('false');
    expect(Number(cells.met_share)).toBe(0.9);
    expect(Number(cells.met_share_ci95_low)).toBeCloseTo(0.5958, 4);
    expect(Number(cells.met_share_ci95_high)).toBeCloseTo(0.9821, 4);
    expect(cells.model_draws).toBe('false');
  });
});
