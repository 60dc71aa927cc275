import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { createRouter, type Routing } from './router.js';
import type { ReplicaLoadView } from './types.js';

const fleets = [
  { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
  { name: 'b', first: 2, count: 2, fallback: 'a', elastic: true },
];

/** A router over fleets a (replicas 0-1) and b (2-3, falling back to a), every replica ready. */
function routerOf(routing: Routing) {
  const load: ReplicaLoadView = {
    outstanding: new Int32Array(4),
    concurrency: Int32Array.from([1, 1, 1, 1]),
  };
  const router = createRouter(routing, fleets, load, createStreams(1));
  for (let r = 0; r < 4; r++) router.setReady(r, true);
  return router;
}

describe('weighted', () => {
  it('weighted sends traffic to fleets in proportion to their weights', () => {
    const router = routerOf({ policy: 'weighted', weights: { a: 1, b: 3 }, within: 'round-robin' });
    let toB = 0;
    for (let i = 0; i < 40_000; i++) if (router.pick() >= 2) toB++;
    expect(Math.abs(toB / 40_000 - 0.75)).toBeLessThan(0.01);
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
