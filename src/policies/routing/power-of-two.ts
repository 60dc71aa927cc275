import { lessLoaded, type ReplicaPickerFactory } from './types.js';

/** Two distinct replicas drawn at random, the less loaded wins (Mitzenmacher's power of two choices). */
export const powerOfTwo: ReplicaPickerFactory = ({ pool, load, uniform }) => ({
  pick() {
    const { members, size } = pool;
    if (size <= 1) return size === 1 ? members[0] : -1;
    const a = Math.floor(uniform() * size);
    let b = Math.floor(uniform() * (size - 1));
    if (b >= a) b++;
    const ra = members[a];
    const rb = members[b];
    return lessLoaded(load, rb, ra) ? rb : ra;
  },
});
