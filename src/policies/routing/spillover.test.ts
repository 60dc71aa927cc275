import { describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { createRouter } from './router.js';
import type { ReplicaLoadView } from './types.js';

describe('spillover', () => {
  it('spillover fills the first fleet before using the next, then the least loaded', () => {
    const fleets = [
      { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
      { name: 'b', first: 2, count: 2, fallback: 'a', elastic: true },
    ];
    const load: ReplicaLoadView = {
      outstanding: new Int32Array(4),
      concurrency: Int32Array.from([1, 1, 1, 1]),
    };
    const router = createRouter(
      { policy: 'spillover', order: ['a', 'b'], within: 'least-outstanding', maxQueuePerReplica: 0 },
      fleets,
      load,
      createStreams(1),
    );
    for (let r = 0; r < 4; r++) router.setReady(r, true);
    const picks = [];
    for (let i = 0; i < 5; i++) {
      const r = router.pick();
      picks.push(r);
      load.outstanding[r]++;
    }
    expect(picks).toEqual([0, 1, 2, 3, 0]);
  });
});
