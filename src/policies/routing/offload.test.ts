import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../core/errors.js';
import { createStreams } from '../../engine/index.js';
import { leastOutstanding } from './least-outstanding.js';
import { offload } from './offload.js';
import { type ReplicaLoadView, ReplicaPool } from './types.js';

// Replicas 0-1: the edge fleet (concurrency 2 each); replicas 2-4: the cloud fleet (concurrency 8).
function setup(
  maxQueuePerReplica: number,
  limits: { maxInputTokens?: number; maxRequestBytes?: number } = {},
) {
  const load: ReplicaLoadView = {
    outstanding: new Int32Array(5),
    concurrency: Int32Array.from([2, 2, 8, 8, 8]),
  };
  const uniform = createStreams(1).stream('routing');
  const edgePool = new ReplicaPool(0, 2);
  const cloudPool = new ReplicaPool(2, 3);
  const edge = leastOutstanding.create({ load, pool: edgePool, uniform });
  const cloud = leastOutstanding.create({ load, pool: cloudPool, uniform });
  return { load, edgePool, cloudPool, router: offload(edge, cloud, load, { maxQueuePerReplica, ...limits }) };
}

const small = { inputTokens: 100, requestBytes: 400 };

describe('offload', () => {
  it('keeps requests on the edge until every edge slot and queue place is taken, then sends the excess to the cloud', () => {
    // Edge capacity = 2 replicas x (2 slots + 1 queue place) = 6; nothing completes meanwhile.
    const { load, router } = setup(1);
    const picks: number[] = [];
    for (let i = 0; i < 10; i++) {
      const replica = router.pick(small);
      load.outstanding[replica]++;
      picks.push(replica);
    }
    expect(picks.filter((r) => r < 2)).toHaveLength(6);
    expect(picks.slice(6)).toEqual([2, 3, 4, 2]);
    expect(router.counts).toEqual({ edge: 6, overflow: 4, oversize: 0 });
  });

  it('returns to the edge as soon as a replica there frees a place', () => {
    const { load, router } = setup(0);
    load.outstanding.set([2, 2, 0, 0, 0]);
    expect(router.pick(small)).toBe(2);
    load.outstanding[1] = 1;
    expect(router.pick(small)).toBe(1);
    expect(router.counts).toEqual({ edge: 1, overflow: 1, oversize: 0 });
  });

  it('sends requests above the token or byte limit to the cloud even when the edge is idle', () => {
    const { router } = setup(4, { maxInputTokens: 2048, maxRequestBytes: 16_384 });
    expect(router.pick({ inputTokens: 2048, requestBytes: 8192 })).toBe(0);
    expect(router.pick({ inputTokens: 2049, requestBytes: 8196 })).toBe(2);
    expect(router.pick({ inputTokens: 100, requestBytes: 16_385 })).toBe(2);
    expect(router.counts).toEqual({ edge: 1, overflow: 0, oversize: 2 });
  });

  it('overflows to the cloud while no edge replica is ready', () => {
    const { edgePool, router } = setup(0);
    edgePool.setReady(0, false);
    edgePool.setReady(1, false);
    expect(router.pick(small)).toBe(2);
    expect(router.counts).toEqual({ edge: 0, overflow: 1, oversize: 0 });
  });

  it('with no cloud replica ready, queues overflow at the edge and holds large requests for the cloud', () => {
    const { load, cloudPool, router } = setup(0, { maxInputTokens: 1000 });
    for (const replica of [2, 3, 4]) cloudPool.setReady(replica, false);
    load.outstanding.set([2, 3, 0, 0, 0]);
    expect(router.pick(small)).toBe(0);
    expect(router.pick({ inputTokens: 5000, requestBytes: 20_000 })).toBe(-1);
    expect(router.counts).toEqual({ edge: 1, overflow: 0, oversize: 1 });
  });

  it('refuses a request without a byte count when it has a byte limit', () => {
    const { router } = setup(0, { maxRequestBytes: 16_384 });
    expect(() => router.pick({ inputTokens: 10, requestBytes: Number.NaN })).toThrow(InvariantError);
  });
});
