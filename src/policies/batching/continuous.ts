import * as z from 'zod';
import {
  Bandwidth,
  Duration,
  expected,
  PositiveInteger,
  PositiveSize,
  SlotCount,
} from '../../core/schema-values.js';
import type { SamplerKernel, VllmEngine } from '../../serving/llm/index.js';
import { defineBatching } from './definition.js';

/**
 * vLLM-style iteration-level scheduling of an LLM: each iteration decodes one token for every
 * running sequence and prefills prompt chunks within a token budget, admitting waiting requests
 * while KV-cache blocks last, and preempting (to recompute later) when they run out.
 */
export interface ContinuousBatching {
  policy: 'continuous';
  /** Sequences in one iteration (vLLM `max_num_seqs`). */
  maxNumSeqs: number;
  /** Tokens processed in one iteration, prefill and decode together (vLLM `max_num_batched_tokens`). */
  maxNumBatchedTokens: number;
  /** Split long prompts across iterations; without it a prompt is prefilled whole, in one iteration. */
  chunkedPrefill: boolean;
  /** Tokens per KV-cache block. */
  blockSize: number;
  /** Share of accelerator memory the engine may use for weights and KV cache (vLLM `gpu_memory_utilization`). */
  gpuMemoryUtilization: number;
  /** Overrides the KV-cache capacity of one replica, tokens; null: from memory, weights and `gpuMemoryUtilization`. */
  kvCacheTokens: number | null;
  /** The vLLM engine generation whose start-up profiling sizes the KV cache. */
  vllmEngine: VllmEngine;
  /** The top-k/top-p kernel of V1's sampler in that profiling. */
  samplerKernel: SamplerKernel;
  /** Accelerators one model replica spans; null: all of the replica's accelerators. */
  tensorParallel: number | null;
  /** Reuse the KV-cache blocks of prompt prefixes other requests computed (vLLM's automatic prefix caching). */
  prefixCaching: boolean;
  /** A host-memory tier under the prefix cache; null: blocks evicted from accelerator memory are lost. */
  kvOffload: KvOffload | null;
  /** A waiting request of a higher priority preempts running ones of lower priorities when slots or KV blocks are short. */
  preemptForPriority: boolean;
}

/** The host-memory tier of one replica's prefix cache (vLLM's `--kv-offloading-size`, LMCache's CPU buffer). */
export interface KvOffload {
  /** Host memory for KV blocks, bytes, all the replica's accelerators together. */
  capacityBytes: number;
  /** Host-to-accelerator bandwidth of one accelerator's link, bytes per second. */
  bytesPerS: number;
  /** Time a load takes besides its bytes, seconds. */
  latencyS: number;
}

/**
 * The host link when nobody describes it: PCIe 4.0 x16, 16 GT/s on each of 16 lanes with
 * 128b/130b encoding, 31.5 GB/s each way (PCI-SIG's PCIe 4.0 specification), taken at about 80 %
 * for packet headers and flow control: 25 GB/s. PCIe 5.0 hosts (H100, H200) double both. The
 * latency is of the order of launching the copies and waiting for them to complete. Both are
 * assumptions to replace with a measurement of the host (NVIDIA's nvbandwidth, host to device).
 */
const KV_OFFLOAD_DEFAULTS = { bandwidth: '25GB/s', latency: '10us' } as const;

const CONTINUOUS_DEFAULTS = {
  max_num_seqs: 256,
  max_num_batched_tokens: 2048,
  chunked_prefill: true,
  block_size: 16,
  gpu_memory_utilization: 0.9,
  kv_cache_tokens: null,
  vllm_engine: 'v1',
  sampler_kernel: 'pytorch',
  tensor_parallel: null,
  prefix_caching: true,
  kv_offload: null,
  preempt_for_priority: false,
} as const;

const VLLM_ENGINES = ['v0', 'v1'] as const satisfies readonly VllmEngine[];
const SAMPLER_KERNELS = ['pytorch', 'flashinfer'] as const satisfies readonly SamplerKernel[];

const KvOffloadSchema = z
  .object({
    capacity: PositiveSize.describe(
      'Host memory for KV-cache blocks, all accelerators of one replica together, e.g. `128GiB` ' +
        "(vLLM's `--kv-offloading-size`). It holds whole blocks of the model's KV size at `block_size` tokens.",
    ),
    bandwidth: Bandwidth.prefault(KV_OFFLOAD_DEFAULTS.bandwidth).describe(
      "Host-to-accelerator bandwidth of one accelerator's link; with tensor parallelism each accelerator " +
        'loads its own shard over its own link. Default: 25GB/s, what PCIe 4.0 x16 (31.5 GB/s each way) ' +
        'sustains; PCIe 5.0 hosts (H100, H200) about twice that.',
    ),
    latency: Duration.prefault(KV_OFFLOAD_DEFAULTS.latency).describe(
      'Time each load takes besides its bytes (launching the copies, waiting for them). Default: 10us.',
    ),
  })
  .strict()
  .transform(
    (tier): KvOffload => ({
      capacityBytes: tier.capacity,
      bytesPerS: tier.bandwidth,
      latencyS: tier.latency,
    }),
  );

const schema = z
  .object({
    policy: z
      .literal('continuous')
      .describe('Iteration-level LLM batching (vLLM, Orca); needs `model:` or `step_time: { profile }`.'),
    max_num_seqs: SlotCount.prefault(CONTINUOUS_DEFAULTS.max_num_seqs).describe(
      'Sequences (prefilling or decoding) in one iteration; vLLM `max_num_seqs`.',
    ),
    max_num_batched_tokens: PositiveInteger.prefault(CONTINUOUS_DEFAULTS.max_num_batched_tokens).describe(
      'Tokens processed in one iteration, prompt chunks and decodes together; vLLM `max_num_batched_tokens`.',
    ),
    chunked_prefill: z
      .boolean(expected('true or false'))
      .prefault(CONTINUOUS_DEFAULTS.chunked_prefill)
      .describe(
        'Split long prompts across iterations. false: a prompt is prefilled whole in one iteration, ' +
          'and a prompt longer than `max_num_batched_tokens` is rejected (counted as dropped).',
      ),
    block_size: PositiveInteger.prefault(CONTINUOUS_DEFAULTS.block_size).describe(
      'Tokens per KV-cache block.',
    ),
    gpu_memory_utilization: z
      .number(expected('a fraction in (0, 1]'))
      .gt(0, expected('a fraction in (0, 1]'))
      .lte(1, expected('a fraction in (0, 1]'))
      .prefault(CONTINUOUS_DEFAULTS.gpu_memory_utilization)
      .describe(
        'Share of accelerator memory vLLM budgets for the weights, the activations of its profiling pass, ' +
          'memory outside PyTorch and the KV cache; the rest is headroom (CUDA graphs, fragmentation). ' +
          'vLLM `gpu_memory_utilization`.',
      ),
    kv_cache_tokens: PositiveInteger.nullable()
      .prefault(CONTINUOUS_DEFAULTS.kv_cache_tokens)
      .describe(
        'KV-cache capacity of one replica in tokens, e.g. as vLLM logged it. null: computed the way vLLM does, ' +
          'from memory, `gpu_memory_utilization`, the weights and a profiling pass of `max_num_batched_tokens` ' +
          '(docs/llm-serving.md).',
      ),
    vllm_engine: z
      .enum(VLLM_ENGINES, expected(`one of ${VLLM_ENGINES.join(', ')}`))
      .prefault(CONTINUOUS_DEFAULTS.vllm_engine)
      .describe(
        "Which vLLM engine's start-up profiling sizes the KV cache when `kv_cache_tokens` is null. " +
          "`v1` (default): the V1 engine, vLLM's default from 0.8 and its only engine from 0.11, through " +
          '0.20 (0.21 began to charge an estimate of its CUDA graphs too, which this leaves out): its ' +
          'sampler holds 38 bytes per sequence and vocabulary entry while it sorts (10 with ' +
          '`sampler_kernel: flashinfer`), and it counts 0.16 GiB outside PyTorch. `v0`: vLLM 0.4-0.6 and ' +
          'the V0 engine, whose profiling pass charges a sampler of 40 bytes per sequence and vocabulary ' +
          'entry and 400 MiB outside PyTorch. ' +
          'The sampler term is min(max_num_seqs, max_num_batched_tokens) x vocabulary x those bytes: for ' +
          '1024 sequences of a 152k vocabulary, 5.5 GiB sorting against 1.5 GiB with FlashInfer ' +
          '(docs/llm-serving.md).',
      ),
    sampler_kernel: z
      .enum(SAMPLER_KERNELS, expected(`one of ${SAMPLER_KERNELS.join(', ')}`))
      .prefault(CONTINUOUS_DEFAULTS.sampler_kernel)
      .describe(
        "The top-k/top-p kernel of vLLM V1's sampler, read with `vllm_engine: v1`. `pytorch` (default): " +
          "PyTorch's sort of the whole vocabulary. `flashinfer`: FlashInfer's kernel, which does not " +
          'sort; vLLM uses it when its start-up log says "Using FlashInfer for top-p & top-k sampling" ' +
          "(vLLM 0.8-0.11.0 with FlashInfer installed, as vLLM's Docker images have it; off by default " +
          'from 0.11.1 until April 2026).',
      ),
    tensor_parallel: PositiveInteger.nullable()
      .prefault(CONTINUOUS_DEFAULTS.tensor_parallel)
      .describe("Accelerators one model replica spans. null: all of the replica's accelerators."),
    prefix_caching: z
      .boolean(expected('true or false'))
      .prefault(CONTINUOUS_DEFAULTS.prefix_caching)
      .describe(
        'Keep the KV-cache blocks of prompt prefixes after their request and reuse them for later prompts that ' +
          "start alike (vLLM's automatic prefix caching, on by default in vLLM V1): cached prompt tokens are not " +
          "prefilled again. Prompts share only what the workload says they share (a trace's `prefix_blocks`, " +
          '`workload.shared_prefix`); false: every prompt is prefilled whole.',
      ),
    kv_offload: KvOffloadSchema.nullable()
      .prefault(CONTINUOUS_DEFAULTS.kv_offload)
      .describe(
        "A host-memory tier under the prefix cache (KV offload, as vLLM's CPU offloading, LMCache or Dynamo's " +
          'KV block manager): cached blocks evicted from accelerator memory move to host memory, least recently ' +
          'used dropped first, and a later prompt that finds its prefix there loads it over the host link ' +
          'instead of prefilling it. Needs `prefix_caching` and a scenario `model`. null (default): no tier.',
      ),
    preempt_for_priority: z
      .boolean(expected('true or false'))
      .prefault(CONTINUOUS_DEFAULTS.preempt_for_priority)
      .describe(
        'A waiting request that finds no free sequence slot or too few KV-cache blocks preempts running ' +
          'requests of lower priority (`workload.classes[].priority`; deadline classes rank lowest), the ' +
          'lowest and most recently admitted first, when that makes room for it; they recompute later, as ' +
          'after a KV-cache preemption. false: priority orders admission only, and a running request keeps ' +
          'its place (docs/workload.md#priorities-and-deadlines).',
      ),
  })
  .strict()
  .superRefine((batching, ctx) => {
    if (batching.sampler_kernel !== 'pytorch' && batching.vllm_engine !== 'v1') {
      ctx.issues.push({
        code: 'custom',
        message: `sampler_kernel ${batching.sampler_kernel} is a kernel of vLLM V1's sampler: it needs vllm_engine: v1`,
        input: batching.sampler_kernel,
        path: ['sampler_kernel'],
      });
    }
    if (batching.kv_offload !== null && !batching.prefix_caching) {
      ctx.issues.push({
        code: 'custom',
        message: 'kv_offload holds blocks of the prefix cache: it needs prefix_caching: true',
        input: batching.kv_offload,
        path: ['kv_offload'],
      });
    }
  })
  .transform(
    (batching): ContinuousBatching => ({
      policy: batching.policy,
      maxNumSeqs: batching.max_num_seqs,
      maxNumBatchedTokens: batching.max_num_batched_tokens,
      chunkedPrefill: batching.chunked_prefill,
      blockSize: batching.block_size,
      gpuMemoryUtilization: batching.gpu_memory_utilization,
      kvCacheTokens: batching.kv_cache_tokens,
      vllmEngine: batching.vllm_engine,
      samplerKernel: batching.sampler_kernel,
      tensorParallel: batching.tensor_parallel,
      prefixCaching: batching.prefix_caching,
      kvOffload: batching.kv_offload,
      preemptForPriority: batching.preempt_for_priority,
    }),
  );

/** The simulator runs continuous batching itself, one `ContinuousScheduler` per replica. */
export const continuous = defineBatching({
  name: 'continuous',
  schema,
  defaults: CONTINUOUS_DEFAULTS,
  create: () => null,
  example: { policy: 'continuous', max_num_seqs: 128, max_num_batched_tokens: 4096, block_size: 16 },
});

export {
  type ContinuousConfig,
  ContinuousScheduler,
  createSequence,
  type HostTierConfig,
  type HostTierCounters,
  type Sequence,
} from './continuous-scheduler.js';
export { observeSchedulerSteps, type SchedulerStepObserver } from './iteration-scheduler.js';
