import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { createRouter, replicaPickers } from './index.js';
import { type ReplicaLoadView, ReplicaPool } from './types.js';

function loadOf(outstanding: number[], concurrency = outstanding.map(() => 1)): ReplicaLoadView {
  return { outstanding: Int32Array.from(outstanding), concurrency: Int32Array.from(concurrency) };
}

const uniform = () => createStreams(5).stream('test');

describe('replica pickers', () => {
  it('round-robin cycles through its pool', () => {
    const picker = replicaPickers['round-robin']({
      load: loadOf([0, 0, 0, 0, 0]),
      pool: new ReplicaPool(2, 3),
      uniform: uniform(),
    });
    expect(Array.from({ length: 7 }, () => picker.pick())).toEqual([2, 3, 4, 2, 3, 4, 2]);
  });

  it('least-outstanding compares load per unit of concurrency and breaks ties by lowest index', () => {
    const load = loadOf([3, 2, 4, 2], [1, 1, 4, 1]);
    const picker = replicaPickers['least-outstanding']({
      load,
      pool: new ReplicaPool(0, 4),
      uniform: uniform(),
    });
    expect(picker.pick()).toBe(2);
    load.outstanding[2] = 8;
    expect(picker.pick()).toBe(1);
  });

  it('random spreads evenly over its pool', () => {
    const picker = replicaPickers.random({
      load: loadOf([0, 0, 0, 0]),
      pool: new ReplicaPool(0, 4),
      uniform: uniform(),
    });
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[picker.pick()]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it('power-of-two never picks the single most loaded replica', () => {
    const load = loadOf([1, 1, 9, 1]);
    const picker = replicaPickers['power-of-two']({ load, pool: new ReplicaPool(0, 4), uniform: uniform() });
    for (let i = 0; i < 1000; i++) expect(picker.pick()).not.toBe(2);
  });
});

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

describe('cross-fleet routing', () => {
  const fleets = [
    { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
    { name: 'b', first: 2, count: 2, fallback: 'a', elastic: true },
  ];
  /** A router with every replica ready. */
  function routerOf(routing: Parameters<typeof createRouter>[0], load = loadOf([0, 0, 0, 0])) {
    const router = createRouter(routing, fleets, load, createStreams(1));
    for (let r = 0; r < 4; r++) router.setReady(r, true);
    return router;
  }

  it('weighted sends traffic to fleets in proportion to their weights', () => {
    const router = routerOf({ policy: 'weighted', weights: { a: 1, b: 3 }, within: 'round-robin' });
    let toB = 0;
    for (let i = 0; i < 40_000; i++) if (router.pick() >= 2) toB++;
    expect(Math.abs(toB / 40_000 - 0.75)).toBeLessThan(0.01);
  });

  it('spillover fills the first fleet before using the next, then the least loaded', () => {
    const load = loadOf([0, 0, 0, 0]);
    const router = routerOf(
      { policy: 'spillover', order: ['a', 'b'], within: 'least-outstanding', maxQueuePerReplica: 0 },
      load,
    );
    const picks = [];
    for (let i = 0; i < 5; i++) {
      const r = router.pick();
      picks.push(r);
      load.outstanding[r]++;
    }
    expect(picks).toEqual([0, 1, 2, 3, 0]);
  });

  it('a replica policy over several fleets treats all replicas as one pool', () => {
    const router = routerOf({ policy: 'round-robin' });
    expect(Array.from({ length: 5 }, () => router.pick())).toEqual([0, 1, 2, 3, 0]);
  });

  it('picks only ready replicas, and says where to wait when none is', () => {
    const router = routerOf({ policy: 'least-outstanding' });
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

  it("weighted sends a fleet's share to its fallback while it has no ready replica", () => {
    const router = routerOf({ policy: 'weighted', weights: { b: 1 }, within: 'round-robin' });
    router.setReady(2, false);
    router.setReady(3, false);
    expect([router.pick(), router.pick(), router.pick()]).toEqual([0, 1, 0]);
    router.setReady(0, false);
    router.setReady(1, false);
    expect(router.pick()).toBe(-1);
    expect(router.holdingFleet()).toBe(1);
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
