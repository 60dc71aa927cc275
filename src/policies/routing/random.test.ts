import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { random } from './random.js';
import { ReplicaPool } from './types.js';

describe('random', () => {
  it('random spreads evenly over its pool', () => {
    const picker = random.create({
      load: { outstanding: new Int32Array(4), concurrency: Int32Array.from([1, 1, 1, 1]) },
      pool: new ReplicaPool(0, 4),
      uniform: createStreams(5).stream('test'),
    });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[picker.pick()]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });
});
