import { describe, expect, it } from 'vitest';
import { azureConversationTrace } from '../../test/helpers/traces.js';
import { computeTraceStats } from './trace-stats.js';

const azure = azureConversationTrace();

/** Within `fraction` of `expected`. */
const near = (actual: number | undefined, expected: number, fraction: number) =>
  expect(Math.abs((actual ?? Number.NaN) / expected - 1)).toBeLessThanOrEqual(fraction);

// Expected figures: computed apart from fleetsim, with python3 over the same CSV (fixed bins from the first request).
describe('computeTraceStats on the Azure 2023 conversation trace', () => {
  const stats = computeTraceStats(azure);

  it('counts requests, span and mean rate', () => {
    expect(stats.requests).toBe(19_366);
    expect(Math.abs(stats.span_s - 3502)).toBeLessThanOrEqual(1);
    expect(stats.mean_rate_rps).toBeCloseTo(5.53, 2);
  });

  it('finds the peak 1 s and 60 s bins', () => {
    expect(stats.peak_requests_1s).toBe(16);
    expect(stats.peak_requests_60s).toBe(507);
  });

  it('summarises input and output tokens within 1 %', () => {
    const input = stats.attributes.input_tokens;
    const output = stats.attributes.output_tokens;
    expect(input?.count).toBe(19_366);
    near(input?.p50, 1020, 0.01);
    near(input?.p99, 4142, 0.01);
    near(output?.p50, 129, 0.01);
    near(output?.p99, 601, 0.01);
    // Exact: max from the file; means from python3 over the same column.
    expect(input?.max).toBe(14_050);
    expect(output?.max).toBe(1000);
    expect(input?.mean).toBeCloseTo(1154.6974, 3);
    expect(output?.mean).toBeCloseTo(211.1259, 3);
  });

  it('reports unmapped attributes as null', () => {
    expect(stats.attributes.request_bytes).toBeNull();
    expect(stats.attributes.response_bytes).toBeNull();
  });

  it('describes the trace as replayed: speed and limit apply', () => {
    const fast = computeTraceStats({ ...azure, speed: 2, limit: 1000 });
    expect(fast.requests).toBe(1000);
    const slow = computeTraceStats({ ...azure, limit: 1000 });
    expect(fast.span_s).toBeCloseTo(slow.span_s / 2, 9);
  });
});
