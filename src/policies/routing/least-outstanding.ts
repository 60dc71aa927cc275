import { lessLoaded, type ReplicaPickerFactory } from './types.js';

/** Fewest outstanding requests per unit of concurrency; ties go to the lowest index, deterministically. */
export const leastOutstanding: ReplicaPickerFactory = ({ pool, load }) => ({
  pick() {
    let best = pool.first;
    const end = pool.first + pool.count;
    for (let r = best + 1; r < end; r++) if (lessLoaded(load, r, best)) best = r;
    return best;
  },
});
