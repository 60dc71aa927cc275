export {
  type InstanceEntry,
  listInstances,
  type RegionPrices,
  type ResolvedInstance,
  resolveInstance,
} from './catalog.js';
