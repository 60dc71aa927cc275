export {
  type AcceleratorEfficiency,
  type AcceleratorPower,
  type AcceleratorSpec,
  type AcceleratorValidation,
  type Interconnect,
  loadAccelerators,
  peakTflops,
  shippedAccelerators,
} from './accelerator.js';
export {
  type KvCacheBudget,
  type KvCacheSettings,
  kvCacheBudget,
  kvCacheCapacityTokens,
  type LoraSlots,
  loraBufferBytes,
  NON_TORCH_BYTES,
  type SamplerKernel,
  V1_NON_TORCH_BYTES,
  type VllmEngine,
} from './kv-cache.js';
export {
  BYTES_PER_WEIGHT,
  buildLlmModel,
  kvBytesPerToken,
  kvShards,
  LLM_PRESETS,
  type LlmModel,
  type LlmSpec,
  PRECISIONS,
  type Precision,
  presetModel,
  weightBytes,
} from './model.js';
export { applyOptimizations, type Optimization, type OptimizedModel } from './optimizations.js';
export {
  buildProfileTable,
  type ProfileRow,
  type ProfileTable,
  readSplitwiseProfile,
} from './profile-table.js';
export {
  decodeStepSeconds,
  type IterationBatch,
  type IterationTime,
  iterationTime,
  type LlmHardware,
  MATMUL_KNEE_EXPONENT,
  type PrefillChunk,
} from './roofline.js';
export { SERVING_STACKS, type ServingStack, type ServingStackName } from './serving-stack.js';
export { type SaturatedThroughput, type SaturatingWorkload, saturatedThroughput } from './throughput.js';
