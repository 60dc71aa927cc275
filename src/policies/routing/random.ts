import type { Uniform } from '../../engine/index.js';
import { defineReplicaPolicy } from './definition.js';
import type { ReplicaPool } from './types.js';

class RandomPick {
  constructor(
    private readonly pool: ReplicaPool,
    private readonly uniform: Uniform,
  ) {}

  pick(): number {
    const pool = this.pool;
    return pool.size === 0 ? -1 : pool.members[Math.floor(this.uniform() * pool.size)];
  }
}

export const random = defineReplicaPolicy({
  name: 'random',
  summary: null,
  random: true,
  create: ({ pool, uniform }) => new RandomPick(pool, uniform),
  example: { policy: 'random' },
});
