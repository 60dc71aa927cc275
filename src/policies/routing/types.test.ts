import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { ReplicaPool } from './types.js';

const uniform = () => createStreams(5).stream('test');

describe('ReplicaPool', () => {
  it('keeps exactly the ready replicas, in ascending order, through random changes', () => {
    const pool = new ReplicaPool(100, 50, false);
    const ready = new Set<number>();
    const draw = uniform();
    for (let step = 0; step < 2000; step++) {
      const replica = 100 + Math.floor(draw() * 50);
      const makeReady = draw() < 0.5;
      pool.setReady(replica, makeReady);
      if (makeReady) ready.add(replica);
      else ready.delete(replica);
      expect(Array.from(pool.members.subarray(0, pool.size))).toEqual([...ready].sort((a, b) => a - b));
    }
  });
});

describe('replica pools', () => {
  it('keep their ready replicas in index order as they come and go', () => {
    const pool = new ReplicaPool(10, 5, false);
    for (const r of [13, 11, 14]) pool.setReady(r, true);
    expect(Array.from(pool.members.subarray(0, pool.size))).toEqual([11, 13, 14]);
    pool.setReady(13, false);
    pool.setReady(13, false);
    pool.setReady(12, true);
    expect(Array.from(pool.members.subarray(0, pool.size))).toEqual([11, 12, 14]);
  });
});
