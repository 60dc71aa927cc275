export { createSampler, distributionMean, type Sampler } from './distribution.js';
export { createServiceTimeModel, type ServiceTimeModel } from './service-time.js';
