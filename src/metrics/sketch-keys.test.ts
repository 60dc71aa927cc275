import { DDSketch } from '@datadog/sketches-js';
import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/index.js';
import { MICROS_LIMIT, microsecondsKey, RELATIVE_ACCURACY, sketchKey } from './sketch-keys.js';

describe('sketch keys', () => {
  it('sketchKey computes the keys the mapping of the sketch computes, over 36 decades and at bucket edges', () => {
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

  it('microsecondsKey gives whole microseconds the key of their value in seconds', () => {
    const agrees = (d: number) => microsecondsKey(d) === sketchKey(d / 1e6);
    const mismatches: number[] = [];
    // Every d up to 0.3 s, where cells are narrowest, then random d across all 31 octaves.
    for (let d = 1; d < 300_000; d++) if (!agrees(d)) mismatches.push(d);
    const uniform = createStreams(3).stream('micros');
    for (let i = 0; i < 300_000; i++) {
      const d = Math.floor(2 ** (31 * uniform()));
      if (d >= 1 && d < MICROS_LIMIT && !agrees(d)) mismatches.push(d);
    }
    // And on both sides of every key edge (ceil(log2(d / 10^6) * k) steps at d = 10^6 * gamma^key).
    const gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
    for (let key = sketchKey(1e-6); 1e6 * gamma ** key < MICROS_LIMIT; key++) {
      const edge = Math.round(1e6 * gamma ** key);
      for (let d = Math.max(1, edge - 2); d <= edge + 2 && d < MICROS_LIMIT; d++)
        if (!agrees(d)) mismatches.push(d);
    }
    expect(mismatches).toEqual([]);
  });
});
