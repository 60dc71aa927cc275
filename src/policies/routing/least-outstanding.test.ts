import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { leastOutstanding } from './least-outstanding.js';
import { createRouter } from './router.js';
import { type ReplicaLoadView, ReplicaPool } from './types.js';

function loadOf(outstanding: number[], concurrency = outstanding.map(() => 1)): ReplicaLoadView {
  return { outstanding: Int32Array.from(outstanding), concurrency: Int32Array.from(concurrency) };
}

describe('least-outstanding', () => {
  it('least-outstanding compares load per unit of concurrency and breaks ties by lowest index', () => {
    const load = loadOf([3, 2, 4, 2], [1, 1, 4, 1]);
    const picker = leastOutstanding.create({
      load,
      pool: new ReplicaPool(0, 4),
      uniform: createStreams(5).stream('test'),
    });
    expect(picker.pick()).toBe(2);
    load.outstanding[2] = 8;
    expect(picker.pick()).toBe(1);
  });

  it('picks only ready replicas, and says where to wait when none is', () => {
    const fleets = [
      { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
      { name: 'b', first: 2, count: 2, fallback: 'a', elastic: true },
    ];
    const router = createRouter(
      { policy: 'least-outstanding' },
      fleets,
      loadOf([0, 0, 0, 0]),
      createStreams(1),
    );
    for (let r = 0; r < 4; r++) router.setReady(r, true);
    router.setReady(0, false);
    router.setReady(1, false);
    expect(router.pick()).toBe(2);
    router.setReady(2, false);
    router.setReady(3, false);
    expect(router.pick()).toBe(-1);
    expect(router.holdingFleet()).toBe(1);
    router.setReady(1, true);
    expect(router.pick()).toBe(1);
  });
});
