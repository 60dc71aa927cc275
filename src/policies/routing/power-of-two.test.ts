import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { powerOfTwo } from './power-of-two.js';
import { ReplicaPool } from './types.js';

describe('power-of-two', () => {
  it('power-of-two never picks the single most loaded replica', () => {
    const load = { outstanding: Int32Array.from([1, 1, 9, 1]), concurrency: Int32Array.from([1, 1, 1, 1]) };
    const picker = powerOfTwo.create({
      load,
      pool: new ReplicaPool(0, 4),
      uniform: createStreams(5).stream('test'),
    });
    for (let i = 0; i < 1000; i++) expect(picker.pick()).not.toBe(2);
  });
});
