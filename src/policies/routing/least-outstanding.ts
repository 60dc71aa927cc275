import { lessLoaded, type ReplicaPickerFactory } from './types.js';

/** Fewest outstanding requests per unit of concurrency; ties go to the lowest index, deterministically. */
export const leastOutstanding: ReplicaPickerFactory = ({ pool, load }) => ({
  pick() {
    const { members, size } = pool;
    if (size === 0) return -1;
    let best = members[0];
    for (let i = 1; i < size; i++) if (lessLoaded(load, members[i], best)) best = members[i];
    return best;
  },
});
