import type { Uniform } from '../../engine/index.js';
import { defineReplicaPolicy } from './definition.js';
import { lessLoaded, type ReplicaLoadView, type ReplicaPool } from './types.js';

/** Two distinct replicas drawn at random, the less loaded wins (Mitzenmacher's power of two choices). */
class PowerOfTwo {
  constructor(
    private readonly pool: ReplicaPool,
    private readonly load: ReplicaLoadView,
    private readonly uniform: Uniform,
  ) {}

  pick(): number {
    const { members, size } = this.pool;
    if (size <= 1) return size === 1 ? members[0] : -1;
    const a = Math.floor(this.uniform() * size);
    let b = Math.floor(this.uniform() * (size - 1));
    if (b >= a) b++;
    const ra = members[a];
    const rb = members[b];
    return lessLoaded(this.load, rb, ra) ? rb : ra;
  }
}

export const powerOfTwo = defineReplicaPolicy({
  name: 'power-of-two',
  summary: 'the less loaded of two random replicas',
  random: true,
  create: ({ pool, load, uniform }) => new PowerOfTwo(pool, load, uniform),
  example: { policy: 'power-of-two' },
});
