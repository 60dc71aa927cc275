export { replicaPickers } from './registry.js';
export { createRouter, type RoutedFleet, type Router } from './router.js';
export { type ReplicaLoadView, type ReplicaPicker, type ReplicaPickerContext, ReplicaPool } from './types.js';
