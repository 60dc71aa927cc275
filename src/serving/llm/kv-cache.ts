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
 * KV-cache capacity as vLLM sizes it at start-up: after loading the weights it runs one profiling
 * forward pass of `max_num_batched_tokens` dummy prompt tokens spread over `max_num_seqs`
 * sequences, samples one token for each with top-k and top-p on, and gives the KV cache what is
 * left of total memory x `gpu_memory_utilization` after the weights, the pass's activation peak
 * and the memory outside PyTorch's allocator. Each tensor-parallel rank does this for its own
 * shard and the replica takes the smallest block count, a sampling rank's: V0 samples on the first
 * rank, V1 on every rank (it gathers the logits to all of them).
 * Two generations of the engine charge the pass differently (`VllmEngine`); CUDA graphs are
 * captured after the cache is allocated, out of the memory `gpu_memory_utilization` leaves, in
 * both (vLLM 0.21 began to charge an estimate of them; not modelled). With LoRA on, the adapter
 * slots' buffers are allocated with the weights and come off the cache too (`loraBufferBytes`).
 */

/**
 * The engine whose profiling sizes the cache:
 * - `v0`: vLLM 0.4-0.6 (`Worker.determine_num_available_blocks`), and V0 up to 0.10;
 * - `v1`: the V1 engine, the default from vLLM 0.8 (`determine_available_memory` of
 *   vllm/v1/worker/gpu_worker.py, `profile_run` and `_dummy_sampler_run` of gpu_model_runner.py),
 *   through 0.20.
 */
export type VllmEngine = 'v0' | 'v1';

/**
 * The top-k/top-p kernel of V1's sampler in the profiling pass: `pytorch` sorts the whole
 * vocabulary (`apply_top_k_top_p`); `flashinfer` samples with FlashInfer's kernel, which does not
 * (the start-up log says "Using FlashInfer for top-p & top-k sampling"). V0's sampler always sorts.
 */
export type SamplerKernel = 'pytorch' | 'flashinfer';

/** The engine settings the budget depends on (vLLM's names). */
export interface KvCacheSettings {
  gpuMemoryUtilization: number;
  /** Tokens of the profiling pass. */
  maxNumBatchedTokens: number;
  /** Sequences of the profiling pass, each sampling one token. */
  maxNumSeqs: number;
  /** Tokens per block: the cache is allocated in whole blocks. */
  blockSize: number;
  /** The engine generation whose profiling pass is charged; default `v1`, the engine vLLM runs since 0.8. */
  engine?: VllmEngine;
  /** V1's top-k/top-p kernel; default `pytorch`. Only `v1` reads it. */
  samplerKernel?: SamplerKernel;
  /** LoRA adapter slots the engine reserves (`--enable-lora`); absent: none. */
  lora?: LoraSlots;
}

/** vLLM's LoRA settings that size its adapter buffers. */
export interface LoraSlots {
  /** Adapters on the GPU at once (`--max-loras`). */
  maxLoras: number;
  /** The largest adapter rank the buffers hold (`--max-lora-rank`). */
  maxLoraRank: number;
}

/** One accelerator's memory, in bytes, as the budget splits it. */
export interface KvCacheBudget {
  /** Device memory x gpu_memory_utilization. */
  usableBytes: number;
  /** This rank's shard of the weights. */
  weightBytes: number;
  /** Activations at the profiling pass's peak, held by PyTorch's allocator. */
  activationBytes: number;
  /** Memory outside PyTorch's allocator that the engine counts: V0 a CUDA context, V1 what loads after its start. */
  nonTorchBytes: number;
  /** This rank's LoRA adapter buffers, all slots; 0 without adapters. */
  loraBytes: number;
  /** What is left for the KV cache (negative when the rest does not fit). */
  kvBytes: number;
  /** KV-cache bytes of one token on this rank. */
  bytesPerToken: number;
  /** Whole blocks of the replica's KV cache, in tokens; 0 when not one block fits. */
  tokens: number;
}

/**
 * V0's sampler working set per sequence and vocabulary entry, with top-k and top-p on
 * (`Sampler.forward` and `_apply_top_k_top_p` in vLLM's sampler.py, v0.5-v0.6): the LM head's
 * 16-bit logits (2 bytes), the fp32 copy it scales by temperature (4), that copy sorted (4) with
 * int64 indices (8), the top-k mask (1), the softmax of the sorted logits (4) and its running sum
 * (4), the top-p mask (1), the inverse permutation (int64, 8) and the logits gathered back through
 * it (4), all alive when `_apply_top_k_top_p` returns. (v0.4 sorted the 16-bit logits: 28 bytes.)
 */
const SAMPLER_BYTES_PER_LOGIT = 40;

/**
 * V1's sampler at the peak of the profiling pass's `_dummy_sampler_run` (temperature 0.5, top-p
 * 0.9, top-k vocab - 1, so the full top-k/top-p path; part of the pass since
 * github.com/vllm-project/vllm/pull/13594), per sampled sequence and vocabulary entry.
 * Common to both kernels: the LM head's 16-bit logits, which `_dummy_sampler_run` holds (2 bytes),
 * and `Sampler.forward`'s fp32 copy (4; the temperature divides it in place). With the PyTorch
 * kernel the peak is inside `apply_top_k_top_p`'s `logits.sort`: its outputs, fp32 values (4) and
 * int64 indices (8), and what PyTorch's stable CUDA sort allocates for the time of the sort
 * (aten/src/ATen/native/cuda/SortStable.cu, `launch_stable_sort_kernel`): for 128 rows and more,
 * int64 source indices (8) and cub's segmented radix sort of pairs, which keeps alternate key and
 * value buffers (4 + 8): 38 bytes. The masks, softmax and scatter that follow hold 28 in all, once
 * the sort's buffers are freed.
 */
const V1_SORT_BYTES_PER_LOGIT = 2 + 4 + 4 + 8 + 8 + (4 + 8);

/**
 * The same sort for 2-127 rows (`segmented_sort_pairs_by_full_sort`): two buffers of int2 index
 * and segment pairs (8 + 8), the sorted keys it discards (4) and cub's alternate key and value
 * buffers (4 + 8), next to the outputs and the two logit tensors: 50 bytes.
 */
const V1_FEW_ROWS_SORT_BYTES_PER_LOGIT = 2 + 4 + 4 + 8 + (8 + 8) + 4 + (4 + 8);

/** Fewer rows than this are sorted with `V1_FEW_ROWS_SORT_BYTES_PER_LOGIT` (one row sorts alone). */
const SEGMENTED_SORT_MIN_ROWS = 128;

/**
 * V1 with FlashInfer's kernel (`TopKTopPSampler.forward_cuda`, vLLM 0.8): the fp32 softmax of the
 * logits (4) next to the two logit tensors; FlashInfer samples from it in place of a sort.
 * FlashInfer 0.2.3 and later sample from the logits after masking them (`top_k_mask_logits`),
 * which holds 4 bytes more.
 */
const V1_FLASHINFER_BYTES_PER_LOGIT = 2 + 4 + 4;

/**
 * Device memory outside PyTorch's allocator at the profiling peak, taken as the size of a CUDA
 * context with lazily loaded kernels: about 400 MB from CUDA 11.7 on (PyTorch maintainers,
 * github.com/pytorch/pytorch/issues/109888). How much of it vLLM counts depends on its version
 * (docs/validation.md); NCCL's buffers for tensor parallelism come on top and are not counted.
 */
export const NON_TORCH_BYTES = 400 * 2 ** 20;

/**
 * V1 after vLLM 0.8 counts only the memory outside PyTorch that appeared after the worker's
 * start-up snapshot, taken once the CUDA context exists (`memory_profiling(self.init_snapshot,
 * ...)`, `non_torch_increase`): cuBLAS workspaces and kernels loaded later. 0.16 GiB is what
 * vLLM's profiler reported with the same accounting on one H100 (github.com/vllm-project/vllm/pull/12126,
 * January 2025: "non_torch_memory takes 0.16GiB"). vLLM 0.8 counted all memory in use outside
 * PyTorch, the CUDA context included (about `NON_TORCH_BYTES` more); NCCL's buffers for tensor
 * parallelism come on top and are not counted.
 */
export const V1_NON_TORCH_BYTES = 0.16 * 2 ** 30;

/**
 * Peak bytes of a decoder layer at `tokens` on one rank: vLLM's Llama layer keeps the residual
 * stream and the normalized hidden state (2 x hidden per token) while its MLP holds the
 * gate-and-up output (2 x width), the activation's output (width) and the down projection's
 * output (hidden), or while its attention holds the fused QKV output, the attention output and the
 * output projection's.
 */
function layerPeakBytes(model: LlmModel, tp: number, tokens: number): number {
  const attention = (2 * model.heads) / tp + (2 * model.kvHeads) / kvShards(model, tp);
  const widest = Math.max((3 * mlpIntermediateSize(model)) / tp, attention * model.headDim);
  return tokens * (3 * model.hidden + widest) * ACTIVATION_BYTES;
}

/** Bytes per sampled sequence and vocabulary entry of the profiling pass's sampler. */
function samplerBytesPerLogit(engine: VllmEngine, kernel: SamplerKernel, sampled: number): number {
  if (engine === 'v0') return SAMPLER_BYTES_PER_LOGIT;
  if (kernel === 'flashinfer') return V1_FLASHINFER_BYTES_PER_LOGIT;
  return sampled > 1 && sampled < SEGMENTED_SORT_MIN_ROWS
    ? V1_FEW_ROWS_SORT_BYTES_PER_LOGIT
    : V1_SORT_BYTES_PER_LOGIT;
}

/**
 * Peak activation bytes of the profiling pass on the sampling rank: the larger of a decoder layer
 * at `tokens` (`layerPeakBytes`) and the sampler, which holds its bytes per sampled sequence and
 * vocabulary entry next to the last layer's hidden states. V1 also keeps the rows it samples from,
 * gathered into a tensor of their own (vLLM 0.8 kept only those; later releases keep both). The
 * allocator reuses the layer's freed blocks for the sampler, so the two do not add.
 */
function profilingActivationBytes(
  model: LlmModel,
  tp: number,
  settings: KvCacheSettings,
  engine: VllmEngine,
): number {
  const tokens = settings.maxNumBatchedTokens;
  const sampled = Math.min(settings.maxNumSeqs, tokens);
  const hiddenRows = engine === 'v0' ? tokens : tokens + sampled;
  const perLogit = samplerBytesPerLogit(engine, settings.samplerKernel ?? 'pytorch', sampled);
  const sampler = hiddenRows * model.hidden * ACTIVATION_BYTES + sampled * model.vocab * perLogit;
  return Math.max(layerPeakBytes(model, tp, tokens), sampler);
}

/**
 * This rank's LoRA buffers as vLLM allocates them when it wraps the model for LoRA, inside the
 * memory profiler of the weights' loading (V1 `GPUModelRunner.load_model`), so they come off the
 * KV cache. V0 up to 0.6.4 charged all memory in use at the profiling pass's peak, these buffers
 * included; V0's memory profiling of github.com/vllm-project/vllm/pull/10511 (late 2024) left them
 * out until pull 14469 (March 2025) moved them inside the profiler (issue 14450).
 * Every linear layer of every decoder layer gets, per slot, an A matrix of
 * `max_lora_rank` x its input features and a B matrix of its output features x `max_lora_rank`,
 * one pair per packed slice (q, k, v of qkv_proj; gate, up of gate_up_proj), in the model's
 * activation dtype (`lora_dtype: auto`): `create_lora_weights` in vllm/lora/layers.py
 * (@ 0165b630) and vllm/lora/layers/column_parallel_linear.py (@ 0163de2b), `max_loras` slots
 * (`LoRAModelManager.lora_slots`, vllm/lora/model_manager.py @ 01533aa8). Under tensor parallelism
 * vLLM shards only one side of each pair (without `--fully-sharded-loras`): the column-parallel
 * layers' B by output (q and k/v heads, MLP width), the row-parallel layers' A by input (o_proj's
 * heads, down_proj's width); their other matrix is whole on every rank. Models whose vLLM class
 * declares embedding modules (Llama's embed_tokens and lm_head, vllm/model_executor/models/llama.py
 * @ 0035bdf2) also get vocabulary-sized buffers, not counted here; Qwen2's declares none (qwen2.py
 * @ 013a2792).
 * The profiling pass then runs with `max_loras` dummy adapters of rank 8, built in host memory and
 * copied into these slots (`create_dummy_lora`, `LORA_WARMUP_RANK`); what it adds to the pass's
 * peak, each layer's fp32 shrink buffer of slices x tokens x rank (1.5 MiB for qkv_proj at 8,192
 * tokens and rank 16), is not counted.
 */
export function loraBufferBytes(model: LlmModel, tp: number, lora: LoraSlots): number {
  const q = model.heads * model.headDim;
  const kv = model.kvHeads * model.headDim;
  const width = mlpIntermediateSize(model);
  const hidden = model.hidden;
  // A of q, k, v, gate, up and B of o_proj and down_proj, whole; the rest sharded.
  const whole = 7 * hidden;
  const sharded = (2 * q) / tp + (2 * kv) / kvShards(model, tp) + (3 * width) / tp;
  // lora_dtype auto is the model's dtype: 16-bit under quantized weights, 4 bytes for an fp32 model.
  const bytes = model.bytesPerWeight >= 4 ? 4 : ACTIVATION_BYTES;
  return lora.maxLoras * lora.maxLoraRank * model.layers * (whole + sharded) * bytes;
}

export function kvCacheBudget(
  model: LlmModel,
  hardware: LlmHardware,
  settings: KvCacheSettings,
): KvCacheBudget {
  const { accelerator, count: tp } = hardware;
  const engine = settings.engine ?? 'v1';
  const usableBytes = accelerator.memoryGib * 2 ** 30 * settings.gpuMemoryUtilization;
  const rankWeights = weightBytes(model) / tp;
  const activationBytes = profilingActivationBytes(model, tp, settings, engine);
  const nonTorchBytes = engine === 'v0' ? NON_TORCH_BYTES : V1_NON_TORCH_BYTES;
  const loraBytes = settings.lora === undefined ? 0 : loraBufferBytes(model, tp, settings.lora);
  const kvBytes = usableBytes - rankWeights - activationBytes - nonTorchBytes - loraBytes;
  const bytesPerToken = kvBytesPerToken(model) / kvShards(model, tp);
  const blocks = Math.max(0, Math.floor(kvBytes / (bytesPerToken * settings.blockSize)));
  return {
    usableBytes,
    weightBytes: rankWeights,
    activationBytes,
    nonTorchBytes,
    loraBytes,
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
