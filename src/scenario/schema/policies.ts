/** The blocks that name a policy, assembled from the policies' definitions (src/policies). */

import * as z from 'zod';
import { orList } from '../../core/schema-values.js';
import type { AutoscalerDefinition, AutoscalingConfig } from '../../policies/autoscaling/index.js';
import { BATCHING_POLICIES } from '../../policies/batching/index.js';
import { type PolicySchema, schemasOf } from '../../policies/definition.js';
import {
  fleetRoutingPolicies,
  onePoolSchemas,
  type RoutingSpec,
  replicaPolicies,
} from '../../policies/routing/index.js';

/** A fleet's `batching:`: the blocks of the batching policies. */
export const BatchingUnion = z.discriminatedUnion('policy', schemasOf(BATCHING_POLICIES), {
  error: `expected policy ${orList(BATCHING_POLICIES.map((definition) => definition.name))}`,
});

/**
 * A fleet's `autoscaling:`: the blocks of the autoscaling policies registered now (the library
 * may add some), so it is built again with the scenario schema after a registration.
 */
export function autoscalingUnion(
  definitions: readonly AutoscalerDefinition[],
): z.ZodType<AutoscalingConfig, unknown> {
  return z.discriminatedUnion(
    'policy',
    definitions.map((definition) => definition.schema) as [PolicySchema, ...PolicySchema[]],
    { error: `expected an autoscaling policy: ${orList(definitions.map((definition) => definition.name))}` },
  );
}

/**
 * `routing:`: one replica policy over all fleets' replicas, or a cross-fleet policy's block, of
 * the policies registered now (the library may add some), so it is built again with the
 * scenario schema after a registration.
 */
export function routingSchema(): z.ZodType<RoutingSpec, unknown> {
  const names = [...replicaPolicies.names(), ...fleetRoutingPolicies.names()];
  return z
    .discriminatedUnion(
      'policy',
      [...onePoolSchemas(), ...fleetRoutingPolicies.list().map((definition) => definition.schema)] as [
        PolicySchema,
        ...PolicySchema[],
      ],
      { error: `expected a routing policy: one of ${names.join(', ')}` },
    )
    .meta({
      title: 'Routing',
    })
    .describe('How each arriving request picks a fleet and a replica.');
}
