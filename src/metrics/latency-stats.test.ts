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

  it('can be read, fed more and read again', () => {
    const stats = new LatencyStats();
    const reference = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
    for (const value of [0.5, 0, 2, 1e-7, 30]) {
      stats.accept(value);
      reference.accept(value);
      expect(stats.summary().p50).toBe(reference.getValueAtQuantile(0.5));
      expect(stats.summary().max).toBe(reference.max);
    }
  });
});
