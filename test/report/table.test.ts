import { describe, expect, it } from 'vitest';
import { renderTextTable, summarize } from '../../src/report/index.js';
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
      'completed',
      'dropped',
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
});
