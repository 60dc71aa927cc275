import { defineReplicaPolicy } from './definition.js';
import { lessLoaded, type ReplicaLoadView, type ReplicaPool } from './types.js';

/** Fewest outstanding requests per unit of concurrency; ties go to the lowest index, deterministically. */
class LeastOutstanding {
  constructor(
    private readonly pool: ReplicaPool,
    private readonly load: ReplicaLoadView,
  ) {}

  pick(): number {
    const { members, size } = this.pool;
    if (size === 0) return -1;
    let best = members[0];
    for (let i = 1; i < size; i++) if (lessLoaded(this.load, members[i], best)) best = members[i];
    return best;
  }
}

export const leastOutstanding = defineReplicaPolicy({
  name: 'least-outstanding',
  summary: 'fewest requests queued or in service',
  create: ({ pool, load }) => new LeastOutstanding(pool, load),
  example: { policy: 'least-outstanding' },
});
