import { type AcceleratorEfficiency, type AcceleratorSpec, peakTflops } from './accelerator.js';
import {
  ACTIVATION_BYTES,
  BYTES_PER_WEIGHT,
  kvBytesPerToken,
  kvShards,
  type LlmModel,
  lmHeadParams,
  mlpIntermediateSize,
  perTokenMatmulParams,
  streamedWeightBytes,
} from './model.js';
import { SERVING_STACKS, type ServingStack } from './serving-stack.js';

/** One instance: `count` identical accelerators serving one model replica with tensor parallelism. */
export interface LlmHardware {
  accelerator: AcceleratorSpec;
  count: number;
  /** Overrides the accelerator's sustained fractions of its datasheet peaks. */
  efficiency?: Partial<AcceleratorEfficiency>;
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
  /** Matmul and attention arithmetic at their sustained rates, as if nothing else ran. */
  computeS: number;
  /** Weights, KV cache and activations moved at their sustained rates, as if nothing else ran. */
  memoryS: number;
  /** Matmul kernels: their arithmetic and their weight reads, combined through the knee. */
  matmulS: number;
  /** Attention kernels: the larger of their arithmetic and their KV-cache traffic. */
  attentionS: number;
  /** Element-wise kernels between the matmuls, bound by the activations they read and write. */
  activationS: number;
  communicationS: number;
  overheadS: number;
  totalS: number;
}

/**
 * How a matmul's arithmetic and its weight reads add up between the two roofs: time =
 * (compute^p + weights^p)^(1/p). A hard max() (p infinite) has no knee, but a GEMM of a few dozen
 * to a few hundred tokens is neither a pure weight stream nor a full-rate tile loop: measured, it
 * runs 1.2-1.9 times the larger roof near their crossing, and 1.03-1.55 times it at 128 tokens,
 * where the weight stream alone should bound it. p = 1.5 is the least-squares fit (in log time) to
 * one layer's four matmuls at 1-2048 tokens, TP 1-2, in 19 operator profiles on five architectures
 * (data/validation/matmul_knee_profiles.csv: Vidur's H100, A100 and A40 profiles, LLMServingSim's RTX
 * PRO 6000 and RTX 4090 ones), each profile's roofs taken from its own 1-token time and
 * 2048-token rate, as the catalog takes its fractions (test/validation/matmul-knee.test.ts). One
 * exponent serves every architecture: theirs (1.31-1.71) spread less than the profiles of one
 * architecture do (1.20-1.87). It leaves a median error of 3.3 % on those points where the hard max
 * leaves 5.8 %, and a worst of 48 % where the hard max errs by 82 %. Token counts at powers of two
 * alone, where GEMM tiles fit best, would give 1.9; every 16 tokens, 1.45.
 */
export const MATMUL_KNEE_EXPONENT = 1.5;

/**
 * `seconds` raised to the knee exponent. With p = 1.5, x^p = x * sqrt(x) and y^(1/p) = cbrt(y^2):
 * a quarter of the time of Math.pow, which a decode step on the simulator's hot path would pay twice.
 */
function kneePower(seconds: number): number {
  return seconds * Math.sqrt(seconds);
}

/** Matmul seconds from their arithmetic time and their weight streaming's `kneePower`. */
function matmulSeconds(computeS: number, weightsPower: number): number {
  const sum = kneePower(computeS) + weightsPower;
  return Math.cbrt(sum * sum);
}

/** 2:4 sparse storage keeps half the values plus a 2-bit index per kept value. */
function sparseStorageFactor(bytesPerWeight: number): number {
  return 0.5 + 0.125 / bytesPerWeight;
}

/**
 * Seconds one rank spends streaming its share of the weights, at `memoryRate` bytes per second.
 * Weight-only int4 matmuls stream theirs at `int4Share` of that rate (the catalog's
 * `int4_weight_only`); the 16-bit output projection they leave unquantized streams at the full rate.
 */
function weightStreamSeconds(
  model: LlmModel,
  tp: number,
  memoryRate: number,
  sparse: boolean,
  int4Share: number | undefined,
): number {
  const storage = sparse ? sparseStorageFactor(model.bytesPerWeight) : 1;
  const weights = streamedWeightBytes(model) * storage;
  if (int4Share === undefined || model.bytesPerWeight !== BYTES_PER_WEIGHT.int4)
    return weights / tp / memoryRate;
  const quantized = perTokenMatmulParams(model) * model.bytesPerWeight * storage;
  return (weights - quantized) / tp / memoryRate + quantized / tp / (memoryRate * int4Share);
}

/**
 * Bytes one token moves through the element-wise kernels of every layer on one rank, counted as
 * the unfused kernels of a Llama block run them (the kernels of Vidur's mlp.csv profiles):
 * - two RMSNorms (read and write the hidden state) and two residual adds (read two, write one),
 *   on the full hidden state, which every rank holds after its all-reduce: 10 x hidden;
 * - rotary embedding of the rank's query and key heads, read and written;
 * - the gated MLP's activation: reads gate and up, writes their product: 3 x its width per rank.
 * Stacks that fuse these (TensorRT-LLM, torch.compile) move less: this is their upper bound.
 */
function activationBytesPerToken(model: LlmModel, tp: number): number {
  const hiddenState = 10 * model.hidden;
  const rotary = 2 * (model.heads / tp + model.kvHeads / kvShards(model, tp)) * model.headDim;
  const mlp = (3 * mlpIntermediateSize(model)) / tp;
  return ACTIVATION_BYTES * model.layers * (hiddenState + rotary + mlp);
}

/**
 * Seconds for one iteration. Each kind of kernel meets its own roof: matmuls are bound by their
 * arithmetic and by streaming the weights (with a knee where the two are close), attention by its
 * arithmetic or by the KV cache, the element-wise kernels by the activations they move. The kinds
 * run one after another, so their times add: a decode step that is compute-bound in its matmuls still waits for its memory-bound
 * attention. All-reduces and the stack's CPU work sit between kernels and add as well.
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
  const override = hardware.efficiency;
  const compute = override?.compute ?? accelerator.efficiency.compute;
  const memory = override?.memory ?? accelerator.efficiency.memory;
  const attentionEfficiency = override?.attention ?? accelerator.efficiency.attention ?? compute;
  const activationEfficiency = override?.activation ?? accelerator.efficiency.activation ?? memory;

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
  if (tokens === 0) {
    return {
      computeS: 0,
      memoryS: 0,
      matmulS: 0,
      attentionS: 0,
      activationS: 0,
      communicationS: 0,
      overheadS: 0,
      totalS: 0,
    };
  }
  const bandwidth = accelerator.memoryBandwidthGBps * 1e9;

  const sparse = model.sparse24 && accelerator.sparse24;
  const matmulFlops = 2 * (perTokenMatmulParams(model) * tokens + lmHeadParams(model) * sampled);
  const peak = peakTflops(accelerator, model.computePrecision) * 1e12;
  const matmulComputeS = (sparse ? matmulFlops / 2 : matmulFlops) / tp / (peak * compute);
  const int4Share = override?.int4WeightOnly ?? accelerator.efficiency.int4WeightOnly;
  const weightsS = weightStreamSeconds(model, tp, bandwidth * memory, sparse, int4Share);

  // QK^T and PV: one multiply-add (2 FLOPs) per head dimension per query-key pair, each, in
  // 16-bit whatever the weights are (fp32 models excepted).
  const attentionFlops = 4 * model.layers * model.heads * model.headDim * attentionPairs;
  const attentionPeak = peakTflops(accelerator, model.computePrecision === 'fp32' ? 'fp32' : 'bf16') * 1e12;
  const attentionComputeS = attentionFlops / tp / (attentionPeak * attentionEfficiency);
  const kvTokens = batch.decodeContextTokens + pastTokensRead + tokens;
  const kvS = (kvTokens * kvBytesPerToken(model)) / kvShards(model, tp) / (bandwidth * memory);

  const activationS = (tokens * activationBytesPerToken(model, tp)) / (bandwidth * activationEfficiency);

  let communicationS = 0;
  if (tp > 1) {
    // Megatron tensor parallelism: one all-reduce after attention and one after the MLP per layer.
    const { kind, allReduceBusGBps, allReduceLatencyUs } = accelerator.interconnect;
    const messageBytes = tokens * model.hidden * ACTIVATION_BYTES;
    const small = stack.nvlinkSmallAllReduce;
    const latencyUs =
      kind === 'nvlink' && small !== undefined && messageBytes <= small.maxBytes
        ? small.latencyUs
        : allReduceLatencyUs;
    const perAllReduceS =
      latencyUs * 1e-6 + ((2 * (tp - 1)) / tp) * (messageBytes / (allReduceBusGBps * 1e9));
    communicationS = 2 * model.layers * perAllReduceS;
  }

  const overheadS = stack.stepS + model.layers * stack.perLayerS + (tp - 1) * stack.perRemoteWorkerS;
  const matmulS = matmulSeconds(matmulComputeS, kneePower(weightsS));
  const attentionS = Math.max(attentionComputeS, kvS);
  return {
    computeS: matmulComputeS + attentionComputeS,
    memoryS: weightsS + kvS + activationS,
    matmulS,
    attentionS,
    activationS,
    communicationS,
    overheadS,
    totalS: matmulS + attentionS + activationS + communicationS + overheadS,
  };
}

/**
 * `iterationTime(model, hardware, batch, stack).totalS` of a batch of decodes alone, by how many
 * sequences decode and the context tokens they read: the same arithmetic in the same order, so
 * the same number to the last bit, with what depends only on the model and the hardware worked
 * out once. A busy replica runs such a batch in most iterations.
 */
export function decodeStepSeconds(
  model: LlmModel,
  hardware: LlmHardware,
  stack: ServingStack = SERVING_STACKS.vllm,
): (sequences: number, contextTokens: number) => number {
  const { accelerator, count: tp } = hardware;
  if (tp > 1 && accelerator.interconnect.kind === 'none') {
    throw new RangeError(`${accelerator.id} has no interconnect for tensor parallelism over ${tp} devices`);
  }
  const override = hardware.efficiency;
  const compute = override?.compute ?? accelerator.efficiency.compute;
  const memory = override?.memory ?? accelerator.efficiency.memory;
  const attentionEfficiency = override?.attention ?? accelerator.efficiency.attention ?? compute;
  const activationEfficiency = override?.activation ?? accelerator.efficiency.activation ?? memory;
  const bandwidth = accelerator.memoryBandwidthGBps * 1e9;
  const sparse = model.sparse24 && accelerator.sparse24;
  const perToken = perTokenMatmulParams(model);
  const lmHead = lmHeadParams(model);
  // Read at the first decode, as iterationTime reads them: an accelerator without a usable peak fails there.
  let matmulRate = Number.NaN;
  let attentionRate = Number.NaN;
  const int4Share = override?.int4WeightOnly ?? accelerator.efficiency.int4WeightOnly;
  const weightsPower = kneePower(weightStreamSeconds(model, tp, bandwidth * memory, sparse, int4Share));
  const attentionFlopsPerPair = 4 * model.layers * model.heads * model.headDim;
  const kvBytes = kvBytesPerToken(model);
  const shards = kvShards(model, tp);
  const memoryRate = bandwidth * memory;
  const activationBytes = activationBytesPerToken(model, tp);
  const activationRate = bandwidth * activationEfficiency;
  const { kind, allReduceBusGBps, allReduceLatencyUs } = accelerator.interconnect;
  const small = stack.nvlinkSmallAllReduce;
  const overheadS = stack.stepS + model.layers * stack.perLayerS + (tp - 1) * stack.perRemoteWorkerS;
  return (sequences, contextTokens) => {
    if (sequences === 0) return 0;
    if (Number.isNaN(matmulRate)) {
      matmulRate = peakTflops(accelerator, model.computePrecision) * 1e12 * compute;
      attentionRate =
        peakTflops(accelerator, model.computePrecision === 'fp32' ? 'fp32' : 'bf16') *
        1e12 *
        attentionEfficiency;
    }
    const matmulFlops = 2 * (perToken * sequences + lmHead * sequences);
    const matmulComputeS = (sparse ? matmulFlops / 2 : matmulFlops) / tp / matmulRate;
    const attentionComputeS = (attentionFlopsPerPair * contextTokens) / tp / attentionRate;
    const kvS = ((contextTokens + sequences) * kvBytes) / shards / memoryRate;
    const activationS = (sequences * activationBytes) / activationRate;
    let communicationS = 0;
    if (tp > 1) {
      const messageBytes = sequences * model.hidden * ACTIVATION_BYTES;
      const latencyUs =
        kind === 'nvlink' && small !== undefined && messageBytes <= small.maxBytes
          ? small.latencyUs
          : allReduceLatencyUs;
      const perAllReduceS =
        latencyUs * 1e-6 + ((2 * (tp - 1)) / tp) * (messageBytes / (allReduceBusGBps * 1e9));
      communicationS = 2 * model.layers * perAllReduceS;
    }
    return (
      matmulSeconds(matmulComputeS, weightsPower) +
      Math.max(attentionComputeS, kvS) +
      activationS +
      communicationS +
      overheadS
    );
  };
}
