export { billedSeconds, replicaCostUsd } from './billing.js';
export { PriceSeries, readUnavailablePeriods } from './capacity-traces.js';
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
export {
  buildRttMatrix,
  DEFAULT_MESSAGE_SIZE,
  DEFAULT_SAME_PLACE_RTT_S,
  ENGLISH_UTF8_BYTES_PER_TOKEN,
  type MessageSize,
  messageBytes,
  type NetworkPath,
  type NetworkTime,
  networkTime,
  type RttInput,
  type RttIssue,
  type RttMatrix,
} from './network.js';
