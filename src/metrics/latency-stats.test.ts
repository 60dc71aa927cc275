import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { createStreams, sampleLognormal } from '../engine/index.js';
import { LatencyStats, RELATIVE_ACCURACY, sketchKey } from './latency-stats.js';

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

  it('computes the keys the mapping of the sketch computes, over 36 decades and at bucket edges', () => {
    const mapping = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping;
    const uniform = createStreams(9).stream('keys');
    const values = Array.from({ length: 200_000 }, () => 10 ** (36 * uniform() - 18));
    // Key k ends at gamma^k: the doubles around each edge probe how the rounding falls there.
    const bits = new Float64Array(1);
    const steps = new BigInt64Array(bits.buffer);
    for (let key = mapping.key(1e-6); key <= mapping.key(1e6); key++) {
      bits[0] = mapping.gamma ** key;
      steps[0] -= 4n;
      for (let step = 0; step < 9; step++) {
        values.push(bits[0]);
        steps[0] += 1n;
      }
    }
    const mismatches = values.filter((value) => sketchKey(value) !== mapping.key(value));
    expect(mismatches).toEqual([]);
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
