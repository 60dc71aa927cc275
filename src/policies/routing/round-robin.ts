import { defineReplicaPolicy } from './definition.js';
import type { ReplicaPool } from './types.js';

class RoundRobin {
  private next = 0;

  constructor(private readonly pool: ReplicaPool) {}

  pick(): number {
    const pool = this.pool;
    if (pool.size === 0) return -1;
    if (this.next >= pool.size) this.next = 0;
    return pool.members[this.next++];
  }
}

export const roundRobin = defineReplicaPolicy({
  name: 'round-robin',
  summary: 'in turn',
  create: ({ pool }) => new RoundRobin(pool),
  example: { policy: 'round-robin' },
});
