import type { ReplicaPickerFactory } from './types.js';

export const random: ReplicaPickerFactory = ({ pool, uniform }) => ({
  pick: () => (pool.size === 0 ? -1 : pool.members[Math.floor(uniform() * pool.size)]),
});
