export { billedSeconds, replicaCostUsd } from './billing.js';
export {
  bucketRatePerHour,
  createInterruptionProcess,
  defaultNoticeS,
  type InterruptionConfig,
  type InterruptionProcess,
  readReclaimTrace,
  SPOT_ADVISOR_BUCKETS,
  type SpotAdvisorBucket,
} from './interruption.js';
export {
  createStartupSampler,
  type ReplicaState,
  type ReplicaSummary,
  type ReplicaSummaryOptions,
  ReplicaTable,
  reservedCostUsd,
  type Startup,
  summarizeReplicas,
} from './lifecycle.js';
