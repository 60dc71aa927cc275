import type { ReplicaPickerFactory } from './types.js';

export const random: ReplicaPickerFactory = ({ pool, uniform }) => ({
  pick: () => pool.first + Math.floor(uniform() * pool.count),
});
