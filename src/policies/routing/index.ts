export type { FleetRoutingDefinition, ReplicaPolicyDefinition } from './definition.js';
export type { OffloadRouting } from './offload.js';
export {
  onePoolSchema,
  REPLICA_POLICIES,
  REPLICA_POLICY_DEFINITIONS,
  type ReplicaPolicy,
} from './replica-policy.js';
export {
  createRouter,
  FLEET_ROUTING_POLICIES,
  fleetRoutingPolicies,
  type Routing,
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
