import type { ReplicaPickerFactory } from './types.js';

export const roundRobin: ReplicaPickerFactory = ({ pool }) => {
  let next = 0;
  return {
    pick() {
      if (pool.size === 0) return -1;
      if (next >= pool.size) next = 0;
      return pool.members[next++];
    },
  };
};
