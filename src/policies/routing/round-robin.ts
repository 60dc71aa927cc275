import type { ReplicaPickerFactory } from './types.js';

export const roundRobin: ReplicaPickerFactory = ({ pool }) => {
  let next = 0;
  return {
    pick() {
      const replica = pool.first + next;
      next = next + 1 === pool.count ? 0 : next + 1;
      return replica;
    },
  };
};
