import { lessLoaded, type ReplicaPickerFactory } from './types.js';

/** Two distinct replicas drawn at random, the less loaded wins (Mitzenmacher's power of two choices). */
export const powerOfTwo: ReplicaPickerFactory = ({ pool, load, uniform }) => ({
  pick() {
    if (pool.count === 1) return pool.first;
    const a = Math.floor(uniform() * pool.count);
    let b = Math.floor(uniform() * (pool.count - 1));
    if (b >= a) b++;
    const ra = pool.first + a;
    const rb = pool.first + b;
    return lessLoaded(load, rb, ra) ? rb : ra;
  },
});
