export type { FleetRoutingDefinition, ReplicaPolicyDefinition } from './definition.js';
export type { OffloadRouting } from './offload.js';
export {
  type OnePoolRouting,
  onePoolSchemas,
  REPLICA_POLICIES,
  REPLICA_POLICY_DEFINITIONS,
  type ReplicaPolicy,
  replicaPolicies,
} from './replica-policy.js';
export {
  createRouter,
  FLEET_ROUTING_POLICIES,
  type FleetRouting,
  fleetRoutingPolicies,
  isOnePool,
  type RegisteredFleetRouting,
  type Routing,
  type RoutingSpec,
  registerReplicaPolicy,
  registerRouting,
  replicaPolicyOf,
  resolveRouting,
  restrictRouting,
  routingDraws,
  routingRegistryVersion,
} from './router.js';
export type { SpilloverRouting } from './spillover.js';
export {
  NO_PREFIX_CACHE,
  type PrefixCacheView,
  type ReplicaLoadView,
  type ReplicaPicker,
  type ReplicaPickerContext,
  ReplicaPool,
  type RoutedFleet,
  type Router,
  type RouterContext,
} from './types.js';
export type { WeightedRouting } from './weighted.js';
