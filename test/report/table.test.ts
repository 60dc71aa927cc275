import { describe, expect, it } from 'vitest';
import { evaluateSlo } from '../../src/metrics/slo.js';
import { renderTextTable, summarize } from '../../src/report/index.js';
import { verdictLines } from '../../src/report/slo.js';
import type { Slo } from '../../src/scenario/types.js';
import { variantResult } from './fixtures/variants.js';

describe('the variants table', () => {
  it('adds time to first token, time per output token and cost per 1M tokens for LLM runs only', () => {
    const plain = renderTextTable(summarize('s', 1, [variantResult('a')]));
    expect(plain.split('\n')[0]).not.toMatch(/TTFT/);
    const llm = variantResult('b', {
      ttft_s: { mean: 0.1, p50: 0.09, p90: 0.2, p95: 0.3, p99: 0.5, p999: 0.8, max: 1 },
      tpot_s: { mean: 0.04, p50: 0.035, p90: 0.05, p95: 0.06, p99: 0.08, p999: 0.1, max: 0.2 },
      cost_per_1m_tokens_usd: { input: 0.05, output: 0.6, total: 0.135 },
    });
    const [header, , row] = renderTextTable(summarize('s', 1, [llm])).split('\n');
    expect(header.split(/\s{2,}/)).toEqual([
      'variant',
      'objective',
      'completed',
      'lost',
      'p50',
      'p99',
      'wait p99',
      'TTFT p50',
      'TTFT p99',
      'TPOT p50',
      '$/1M tok',
      'req/s',
      'utilization',
      'cost',
      '$/1k req',
    ]);
    expect(row).toMatch(/90\.0 ms\s+500 ms\s+35\.0 ms\s+\$0\.135/);
  });

  it('leads with the verdict, counts every lost request with its share, and shows each judged statistic', () => {
    const slo: Slo = { limits: [{ metric: 'ttft', statistic: 'p95', seconds: 0.25 }], maxDropRate: 0.01 };
    const lossy = variantResult('lossy', {
      requests: { arrived: 1000, completed: 950, dropped: 20, timed_out: 25, in_flight_at_end: 5 },
      ttft_s: { mean: 0.1, p50: 0.09, p90: 0.2, p95: 0.3, p99: 0.5, p999: 0.8, max: 1 },
      goodput_rps: 7.5,
    });
    const summary = summarize('s', 1, [{ ...lossy, slo: evaluateSlo(slo, lossy) }]);
    const [header, , row] = renderTextTable(summary).split('\n');
    const titles = header.split(/\s{2,}/);
    const cell = (title: string) => row.split(/\s{2,}/)[titles.indexOf(title)];
    expect(cell('objective')).toBe('MISSES');
    // 20 dropped + 25 timed out + 5 unfinished of 1000.
    expect(cell('lost')).toBe('50 (5.0 %)');
    expect(cell('TTFT p95')).toBe('300 ms');
    expect(cell('goodput/s')).toBe('7.500');
    expect(verdictLines(summary.variants)).toEqual([
      'Objective: ttft_p95 <= 250 ms, drop rate <= 1.0 %.',
      'lossy MISSES its objective: ttft_p95 300 ms > 250 ms; drop rate 5.0 % > 1.0 %.',
    ]);
  });

  it('lists the utilization of up to four fleets one by one, and of more their range and count', () => {
    const cell = (utilization: Record<string, number>) => {
      const [header, , row] = renderTextTable(summarize('s', 1, [variantResult('v', { utilization })])).split(
        '\n',
      );
      return row.split(/\s{2,}/)[header.split(/\s{2,}/).indexOf('utilization')];
    };
    expect(cell({ a: 0.5, b: 0.25, c: 0.125, d: 0 })).toBe('50.0 % / 25.0 % / 12.5 % / 0.0 %');
    expect(cell({ a: 0.5, b: 0.25, c: 0.125, d: 0, e: 0.75 })).toBe('0.0 % to 75.0 %, 5 fleets');
    // A table of 10,000 fleets stays one short cell (a cell of every figure was 80 kB wide).
    const many = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i / 10_000]));
    expect(cell(many)).toBe('0.0 % to 100.0 %, 10000 fleets');
  });
});
