export { type BatchLatencyModel, createBatchLatencyModel } from './batch-latency.js';
export { createSampler, type Sampler } from './distribution.js';
export * as llm from './llm/index.js';
export { createServiceTimeModel, type ServiceTimeModel } from './service-time.js';
