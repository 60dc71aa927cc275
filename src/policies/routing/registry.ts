import type { ReplicaPolicy } from '../../scenario/types.js';
import { leastOutstanding } from './least-outstanding.js';
import { powerOfTwo } from './power-of-two.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import type { ReplicaPickerFactory } from './types.js';

/** Replica-level routing policies by the name a scenario uses. */
export const replicaPickers = {
  'round-robin': roundRobin,
  random,
  'least-outstanding': leastOutstanding,
  'power-of-two': powerOfTwo,
} satisfies Record<ReplicaPolicy, ReplicaPickerFactory>;
