import {
  ACTIVATION_BYTES,
  kvBytesPerToken,
  kvShards,
  type LlmModel,
  mlpIntermediateSize,
  weightBytes,
} from './model.js';
import type { LlmHardware } from './roofline.js';

/**
 * KV-cache capacity as vLLM (v0.4-v0.6, `Worker.determine_num_available_blocks`) sizes it: after
 * loading the weights it runs one profiling forward pass of `max_num_batched_tokens` dummy prompt
 * tokens spread over `max_num_seqs` sequences, sampled with top-k and top-p (its costliest sampler
 * path), and gives the KV cache what is left of total memory x `gpu_memory_utilization` after the
 * memory in use at that pass's peak. Each tensor-parallel rank does this for its own shard and the
 * replica takes the smallest block count, which is the first rank's: it alone samples. CUDA graphs
 * are captured after the cache is allocated, out of the memory `gpu_memory_utilization` leaves.
 */

/** The engine settings the budget depends on (vLLM's names). */
export interface KvCacheSettings {
  gpuMemoryUtilization: number;
  /** Tokens of the profiling pass. */
  maxNumBatchedTokens: number;
  /** Sequences of the profiling pass, each sampling one token. */
  maxNumSeqs: number;
  /** Tokens per block: the cache is allocated in whole blocks. */
  blockSize: number;
}

/** One accelerator's memory, in bytes, as the budget splits it. */
export interface KvCacheBudget {
  /** Device memory x gpu_memory_utilization. */
  usableBytes: number;
  /** This rank's shard of the weights. */
  weightBytes: number;
  /** Activations at the profiling pass's peak, held by PyTorch's allocator. */
  activationBytes: number;
  /** CUDA context and the kernels it loads: memory PyTorch's allocator does not see. */
  nonTorchBytes: number;
  /** What is left for the KV cache (negative when the rest does not fit). */
  kvBytes: number;
  /** KV-cache bytes of one token on this rank. */
  bytesPerToken: number;
  /** Whole blocks of the replica's KV cache, in tokens; 0 when not one block fits. */
  tokens: number;
}

/**
 * The sampler's working set per sequence and vocabulary entry, with top-k and top-p on
 * (`Sampler.forward` and `_apply_top_k_top_p` in vLLM's sampler.py, v0.5-v0.6): the LM head's
 * 16-bit logits (2 bytes), the fp32 copy it scales by temperature (4), that copy sorted (4) with
 * int64 indices (8), the top-k mask (1), the softmax of the sorted logits (4) and its running sum
 * (4), the top-p mask (1), the inverse permutation (int64, 8) and the logits gathered back through
 * it (4), all alive when `_apply_top_k_top_p` returns. (v0.4 sorted the 16-bit logits: 28 bytes.)
 */
const SAMPLER_BYTES_PER_LOGIT = 40;

/**
 * Device memory outside PyTorch's allocator at the profiling peak, taken as the size of a CUDA
 * context with lazily loaded kernels: about 400 MB from CUDA 11.7 on (PyTorch maintainers,
 * github.com/pytorch/pytorch/issues/109888). How much of it vLLM counts depends on its version
 * (docs/validation.md); NCCL's buffers for tensor parallelism come on top and are not counted.
 */
export const NON_TORCH_BYTES = 400 * 2 ** 20;

/**
 * Peak activation bytes of the profiling pass on the sampling rank: the larger of
 * - a decoder layer at `tokens`: vLLM's Llama layer keeps the residual stream and the normalized
 *   hidden state (2 x hidden per token) while its MLP holds the gate-and-up output (2 x width),
 *   the activation's output (width) and the down projection's output (hidden), or while its
 *   attention holds the fused QKV output, the attention output and the output projection's;
 * - the sampler, which holds `SAMPLER_BYTES_PER_LOGIT` per sampled sequence and vocabulary entry
 *   next to the last layer's hidden states.
 * The allocator reuses the layer's freed blocks for the sampler, so the two do not add.
 */
function profilingActivationBytes(model: LlmModel, tp: number, tokens: number, sequences: number): number {
  const attention = (2 * model.heads) / tp + (2 * model.kvHeads) / kvShards(model, tp);
  const widest = Math.max((3 * mlpIntermediateSize(model)) / tp, attention * model.headDim);
  const layer = tokens * (3 * model.hidden + widest) * ACTIVATION_BYTES;
  const sampled = Math.min(sequences, tokens);
  const sampler = tokens * model.hidden * ACTIVATION_BYTES + sampled * model.vocab * SAMPLER_BYTES_PER_LOGIT;
  return Math.max(layer, sampler);
}

export function kvCacheBudget(
  model: LlmModel,
  hardware: LlmHardware,
  settings: KvCacheSettings,
): KvCacheBudget {
  const { accelerator, count: tp } = hardware;
  const usableBytes = accelerator.memoryGib * 2 ** 30 * settings.gpuMemoryUtilization;
  const rankWeights = weightBytes(model) / tp;
  const activationBytes = profilingActivationBytes(
    model,
    tp,
    settings.maxNumBatchedTokens,
    settings.maxNumSeqs,
  );
  const kvBytes = usableBytes - rankWeights - activationBytes - NON_TORCH_BYTES;
  const bytesPerToken = kvBytesPerToken(model) / kvShards(model, tp);
  const blocks = Math.max(0, Math.floor(kvBytes / (bytesPerToken * settings.blockSize)));
  return {
    usableBytes,
    weightBytes: rankWeights,
    activationBytes,
    nonTorchBytes: NON_TORCH_BYTES,
    kvBytes,
    bytesPerToken,
    tokens: blocks * settings.blockSize,
  };
}

/** KV-cache capacity of one replica in tokens (`kvCacheBudget(...).tokens`). */
export function kvCacheCapacityTokens(
  model: LlmModel,
  hardware: LlmHardware,
  settings: KvCacheSettings,
): number {
  return kvCacheBudget(model, hardware, settings).tokens;
}
