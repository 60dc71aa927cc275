import * as z from 'zod';
import { expected } from '../../core/schema-values.js';
import { PolicyRegistry } from '../registry.js';
import type { ReplicaPolicyDefinition } from './definition.js';
import { leastOutstanding } from './least-outstanding.js';
import { powerOfTwo } from './power-of-two.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';

/** The replica policies, in the order errors and the scenario reference list them. */
export const REPLICA_POLICY_DEFINITIONS = [roundRobin, random, leastOutstanding, powerOfTwo] as const;

export type ReplicaPolicy = (typeof REPLICA_POLICY_DEFINITIONS)[number]['name'];

export const REPLICA_POLICIES: readonly ReplicaPolicy[] = REPLICA_POLICY_DEFINITIONS.map(
  (definition) => definition.name,
);

export const replicaPolicies = new PolicyRegistry<ReplicaPolicyDefinition>(
  'replica routing',
  REPLICA_POLICY_DEFINITIONS,
);

export function isReplicaPolicy(name: string): name is ReplicaPolicy {
  return replicaPolicies.find(name) !== undefined;
}

const summaries = REPLICA_POLICY_DEFINITIONS.map(({ name, summary }) =>
  summary === null ? `\`${name}\`` : `\`${name}\` (${summary})`,
);

export const replicaPolicySchema = z
  .enum(
    REPLICA_POLICIES as [ReplicaPolicy, ...ReplicaPolicy[]],
    expected(`one of ${REPLICA_POLICIES.join(', ')}`),
  )
  .meta({
    id: 'ReplicaPolicy',
    title: 'Replica policy',
    description: `How a replica is picked: ${summaries.join(', ')}.`,
  });

/** A cross-fleet policy's `within`: how it picks a replica in the fleet it chose. */
export const withinSchema = replicaPolicySchema
  .prefault('least-outstanding')
  .describe('Replica policy inside the chosen fleet.');

/** `routing: { policy: <replica policy> }`: one replica policy over all fleets' replicas. */
export const onePoolSchema = z
  .object({
    policy: replicaPolicySchema.describe('One replica policy over the replicas of all fleets as one pool.'),
  })
  .strict();
