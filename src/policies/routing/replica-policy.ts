import * as z from 'zod';
import { expected } from '../../core/schema-values.js';
import { PolicyRegistry } from '../registry.js';
import { cacheAware } from './cache-aware.js';
import type { ReplicaPolicyDefinition } from './definition.js';
import { leastOutstanding } from './least-outstanding.js';
import { powerOfTwo } from './power-of-two.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';

/** The built-in replica policies, in the order errors and the scenario reference list them. */
export const REPLICA_POLICY_DEFINITIONS = [
  roundRobin,
  random,
  leastOutstanding,
  powerOfTwo,
  cacheAware,
] as const;

/** A replica policy's name: a built-in one's, or one the library registered (`registerReplicaPolicy`). */
export type ReplicaPolicy = (typeof REPLICA_POLICY_DEFINITIONS)[number]['name'] | (string & {});

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

const oneOfReplicaPolicies = () => expected(`one of ${replicaPolicies.names().join(', ')}`).error;

/**
 * A replica policy's name, checked against the registry when a scenario is read, so a policy
 * registered later is accepted inside blocks built before it (a cross-fleet policy's `within`).
 * The JSON Schema lists the built-in ones.
 */
export const replicaPolicySchema = z
  .string({ error: oneOfReplicaPolicies })
  .check((ctx) => {
    if (!isReplicaPolicy(ctx.value))
      ctx.issues.push({ code: 'custom', input: ctx.value, message: oneOfReplicaPolicies() });
  })
  .meta({
    id: 'ReplicaPolicy',
    title: 'Replica policy',
    description: `How a replica is picked: ${summaries.join(', ')}.`,
    enum: [...REPLICA_POLICIES],
  });

/** A cross-fleet policy's `within`: how it picks a replica in the fleet it chose. */
export const withinSchema = replicaPolicySchema
  .prefault('least-outstanding')
  .describe('Replica policy inside the chosen fleet.');

/** `routing: { policy: <replica policy> }`: one replica policy over all fleets' replicas. */
export interface OnePoolRouting {
  policy: ReplicaPolicy;
  /** The keys of a policy that takes some (`ReplicaPolicyDefinition.keys`), defaults filled in. */
  readonly [key: string]: unknown;
}

/**
 * The `routing:` blocks of one pool, for the replica policies registered now: one block for
 * those that take no keys, whose `policy` lists their names (the discriminator of the routing
 * union lists rather than checks), and one per policy with keys (`cache-aware` among the
 * built-in ones). The first lists its names itself rather than refer to the `ReplicaPolicy`
 * list, which would also match the blocks of the policies with keys.
 */
export function onePoolSchemas(): (z.ZodType<OnePoolRouting> & z.core.$ZodTypeDiscriminable)[] {
  const definitions = replicaPolicies.list();
  const keyless = definitions.filter((definition) => definition.keys === undefined);
  const keyed = definitions.filter((definition) => definition.keys !== undefined);
  const names = keyless.map((definition) => definition.name) as [string, ...string[]];
  const forms: (z.ZodType<OnePoolRouting> & z.core.$ZodTypeDiscriminable)[] = [
    z
      .object({
        policy: z
          .enum(names, { error: oneOfReplicaPolicies })
          .describe('One replica policy over the replicas of all fleets as one pool.'),
      })
      .strict(),
  ];
  for (const definition of keyed) {
    forms.push(
      z
        .object({
          policy: z
            .literal(definition.name)
            .describe(
              `${capitalized(definition.summary ?? definition.name)}, over the replicas of all fleets as one pool.`,
            ),
          ...definition.keys,
        })
        .strict() as unknown as z.ZodType<OnePoolRouting> & z.core.$ZodTypeDiscriminable,
    );
  }
  return forms;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
