import { type AcceleratorSpec, peakTflops } from './accelerator.js';
import {
  kvBytesPerToken,
  type LlmModel,
  lmHeadParams,
  perTokenMatmulParams,
  streamedWeightBytes,
  weightBytes,
} from './model.js';
import { SERVING_STACKS, type ServingStack } from './serving-stack.js';

/** One instance: `count` identical accelerators serving one model replica with tensor parallelism. */
export interface LlmHardware {
  accelerator: AcceleratorSpec;
  count: number;
  /** Overrides the accelerator's sustained fractions of its datasheet peaks. */
  efficiency?: { compute?: number; memory?: number };
}

export interface PrefillChunk {
  /** Prompt tokens processed in this iteration. */
  tokens: number;
  /** Tokens of the same prompt already in the KV cache (earlier chunks or a cached prefix). */
  pastTokens: number;
  /** This chunk ends the prompt, so the sequence samples its first output token. */
  completesPrompt?: boolean;
  /** Identical chunks in the batch; fractional for steady-state averages. */
  count?: number;
}

/** The work of one continuous-batching iteration. */
export interface IterationBatch {
  prefill: readonly PrefillChunk[];
  decodeSequences: number;
  /** Sum over decode sequences of their context length: the KV tokens read for them. */
  decodeContextTokens: number;
}

export interface IterationTime {
  computeS: number;
  memoryS: number;
  communicationS: number;
  overheadS: number;
  totalS: number;
}

/** 2:4 sparse storage keeps half the values plus a 2-bit index per kept value. */
function sparseStorageFactor(bytesPerWeight: number): number {
  return 0.5 + 0.125 / bytesPerWeight;
}

/** All-reduce activations are 16-bit in every stack we model, whatever the weight precision. */
const ACTIVATION_BYTES = 2;

/** KV heads are split across tensor-parallel ranks; beyond kvHeads ranks they are replicated. */
function kvShards(model: LlmModel, tp: number): number {
  return Math.min(tp, model.kvHeads);
}

/**
 * Seconds for one iteration: max(compute, memory) + tensor-parallel communication + stack
 * overhead. Compute and memory overlap (kernels stream weights while they multiply); the
 * all-reduces and the CPU work sit between kernels, so they add.
 */
export function iterationTime(
  model: LlmModel,
  hardware: LlmHardware,
  batch: IterationBatch,
  stack: ServingStack = SERVING_STACKS.vllm,
): IterationTime {
  const { accelerator, count: tp } = hardware;
  if (tp > 1 && accelerator.interconnect.kind === 'none') {
    throw new RangeError(`${accelerator.id} has no interconnect for tensor parallelism over ${tp} devices`);
  }
  const computeEfficiency = hardware.efficiency?.compute ?? accelerator.efficiency.compute;
  const memoryEfficiency = hardware.efficiency?.memory ?? accelerator.efficiency.memory;

  let prefillTokens = 0;
  let sampled = batch.decodeSequences;
  let attentionPairs = batch.decodeContextTokens;
  let pastTokensRead = 0;
  for (const chunk of batch.prefill) {
    const count = chunk.count ?? 1;
    prefillTokens += count * chunk.tokens;
    if (chunk.completesPrompt ?? true) sampled += count;
    // Causal attention: token i of the chunk attends to pastTokens + i + 1 keys.
    attentionPairs += count * chunk.tokens * (chunk.pastTokens + (chunk.tokens + 1) / 2);
    pastTokensRead += count * chunk.pastTokens;
  }
  const tokens = prefillTokens + batch.decodeSequences;
  if (tokens === 0) return { computeS: 0, memoryS: 0, communicationS: 0, overheadS: 0, totalS: 0 };

  const sparse = model.sparse24 && accelerator.sparse24;
  // QK^T and PV: one multiply-add (2 FLOPs) per head dimension per query-key pair, each.
  const attentionFlops = 4 * model.layers * model.heads * model.headDim * attentionPairs;
  const matmulFlops = 2 * (perTokenMatmulParams(model) * tokens + lmHeadParams(model) * sampled);
  const flopsPerRank = ((sparse ? matmulFlops / 2 : matmulFlops) + attentionFlops) / tp;
  const peak = peakTflops(accelerator, model.computePrecision) * 1e12;
  const computeS = flopsPerRank / (peak * computeEfficiency);

  const weights = streamedWeightBytes(model) * (sparse ? sparseStorageFactor(model.bytesPerWeight) : 1);
  const kvTokens = batch.decodeContextTokens + pastTokensRead + tokens;
  const bytesPerRank = weights / tp + (kvTokens * kvBytesPerToken(model)) / kvShards(model, tp);
  const memoryS = bytesPerRank / (accelerator.memoryBandwidthGBps * 1e9 * memoryEfficiency);

  let communicationS = 0;
  if (tp > 1) {
    // Megatron tensor parallelism: one all-reduce after attention and one after the MLP per layer.
    const { allReduceBusGBps, allReduceLatencyUs } = accelerator.interconnect;
    const messageBytes = tokens * model.hidden * ACTIVATION_BYTES;
    const perAllReduceS =
      allReduceLatencyUs * 1e-6 + ((2 * (tp - 1)) / tp) * (messageBytes / (allReduceBusGBps * 1e9));
    communicationS = 2 * model.layers * perAllReduceS;
  }

  const overheadS = stack.stepS + model.layers * stack.perLayerS + (tp - 1) * stack.perRemoteWorkerS;
  const totalS = Math.max(computeS, memoryS) + communicationS + overheadS;
  return { computeS, memoryS, communicationS, overheadS, totalS };
}

/**
 * KV-cache capacity of one instance in tokens: memory left after weights and a reserve
 * (activations, CUDA graphs, allocator slack; vLLM's default gpu_memory_utilization 0.9 leaves 0.1).
 */
export function kvCacheCapacityTokens(model: LlmModel, hardware: LlmHardware, reserveFraction = 0.1): number {
  const { accelerator, count: tp } = hardware;
  const usableBytes = tp * accelerator.memoryGib * 2 ** 30 * (1 - reserveFraction);
  const freeBytes = usableBytes - weightBytes(model);
  if (freeBytes <= 0) return 0;
  const bytesPerToken = (kvBytesPerToken(model) * tp) / kvShards(model, tp);
  return Math.floor(freeBytes / bytesPerToken);
}
