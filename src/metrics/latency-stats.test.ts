import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { createStreams, sampleLognormal } from '../engine/index.js';
import { LatencyStats, RELATIVE_ACCURACY } from './latency-stats.js';

describe('LatencyStats', () => {
  it('gives the quantiles of a DDSketch that accepted every value itself', () => {
    const uniform = createStreams(4).stream('latency');
    const stats = new LatencyStats();
    const reference = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
    for (let i = 0; i < 50_000; i++) {
      // Zeros, tiny and huge values: the key table has to grow in both directions.
      const value = i % 3 === 0 ? 0 : sampleLognormal(uniform, (i % 7) - 3, 2);
      stats.accept(value);
      reference.accept(value);
    }
    for (const q of [0, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
      expect(stats.quantiles().getValueAtQuantile(q)).toBe(reference.getValueAtQuantile(q));
    }
    expect(stats.count).toBe(50_000);
    expect(stats.positive).toBe(50_000 - Math.ceil(50_000 / 3));
  });

  it('takes whole microseconds as their value in seconds, with the same quantiles, mean and max', () => {
    const uniform = createStreams(6).stream('micros');
    const stats = new LatencyStats();
    const reference = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
    let sum = 0;
    for (let i = 0; i < 50_000; i++) {
      // Zeros, and from 1 us to beyond the table's 2^31 us: both key paths.
      const micros = i % 4 === 0 ? 0 : Math.round(10 ** (10 * uniform()));
      stats.acceptMicros(micros);
      reference.accept(micros / 1e6);
      sum += micros;
    }
    for (const q of [0, 0.1, 0.5, 0.9, 0.99, 0.999, 1]) {
      expect(stats.quantiles().getValueAtQuantile(q)).toBe(reference.getValueAtQuantile(q));
    }
    const summary = stats.summary();
    expect(summary.max).toBe(reference.max);
    expect(summary.mean).toBeCloseTo(sum / 1e6 / 50_000, 12);
    expect(stats.count).toBe(50_000);
    expect(stats.positive).toBe(50_000 - 12_500);
  });

  it('can be read, fed more and read again', () => {
    const stats = new LatencyStats();
    const reference = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
    for (const value of [0.5, 0, 2, 1e-7, 30]) {
      stats.accept(value);
      reference.accept(value);
      expect(stats.summary().p50).toBe(Math.min(reference.getValueAtQuantile(0.5), reference.max));
      expect(stats.summary().max).toBe(reference.max);
    }
  });

  it('never reports a percentile above the largest value seen', () => {
    // The sketch answers 0.1237 for the bucket that holds 0.123 (and 7.029 for 7): above every value.
    for (const value of [0.123, 7, 2.5e-5]) {
      const sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
      sketch.accept(value);
      expect(sketch.getValueAtQuantile(0.99)).toBeGreaterThan(value);
      const seconds = new LatencyStats();
      seconds.accept(value);
      const micros = new LatencyStats();
      micros.acceptMicros(Math.round(value * 1e6));
      for (const summary of [seconds.summary(), micros.summary()]) {
        expect([summary.p50, summary.p90, summary.p95, summary.p99, summary.p999]).toEqual(
          Array(5).fill(value),
        );
        expect(summary.max).toBe(value);
      }
    }
  });
});
