export type {
  FleetReference,
  FleetRoutingDefinition,
  RawBlock,
  ReplicaPolicyDefinition,
} from './definition.js';
export type { OffloadRouting } from './offload.js';
export {
  isReplicaPolicy,
  onePoolSchema,
  REPLICA_POLICIES,
  REPLICA_POLICY_DEFINITIONS,
  type ReplicaPolicy,
  replicaPolicySchema,
} from './replica-policy.js';
export {
  createRouter,
  FLEET_ROUTING_POLICIES,
  type FleetRouting,
  fleetRoutingPolicies,
  type Routing,
  type RoutingSpec,
  resolveRouting,
} from './router.js';
export type { SpilloverRouting } from './spillover.js';
export {
  type ReplicaLoadView,
  type ReplicaPicker,
  type ReplicaPickerContext,
  ReplicaPool,
  type RoutedFleet,
  type Router,
  type RouterContext,
} from './types.js';
export type { WeightedRouting } from './weighted.js';
