import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { roundRobin } from './round-robin.js';
import { createRouter } from './router.js';
import { type ReplicaLoadView, ReplicaPool } from './types.js';

function loadOf(outstanding: number[], concurrency = outstanding.map(() => 1)): ReplicaLoadView {
  return { outstanding: Int32Array.from(outstanding), concurrency: Int32Array.from(concurrency) };
}

describe('round-robin', () => {
  it('round-robin cycles through its pool', () => {
    const picker = roundRobin.create({
      load: loadOf([0, 0, 0, 0, 0]),
      pool: new ReplicaPool(2, 3),
      uniform: createStreams(5).stream('test'),
    });
    expect(Array.from({ length: 7 }, () => picker.pick())).toEqual([2, 3, 4, 2, 3, 4, 2]);
  });

  it('a replica policy over several fleets treats all replicas as one pool', () => {
    const fleets = [
      { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
      { name: 'b', first: 2, count: 2, fallback: 'a', elastic: true },
    ];
    const router = createRouter({ policy: 'round-robin' }, fleets, loadOf([0, 0, 0, 0]), createStreams(1));
    for (let r = 0; r < 4; r++) router.setReady(r, true);
    expect(Array.from({ length: 5 }, () => router.pick())).toEqual([0, 1, 2, 3, 0]);
  });
});
