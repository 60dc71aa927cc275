import * as z from 'zod';
import { expected, PositiveInteger, SlotCount } from '../../core/schema-values.js';
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
  /** Accelerators one model replica spans; null: all of the replica's accelerators. */
  tensorParallel: number | null;
  /** Reuse the KV-cache blocks of prompt prefixes other requests computed (vLLM's automatic prefix caching). */
  prefixCaching: boolean;
  /** A waiting request of a higher priority preempts running ones of lower priorities when slots or KV blocks are short. */
  preemptForPriority: boolean;
}

const CONTINUOUS_DEFAULTS = {
  max_num_seqs: 256,
  max_num_batched_tokens: 2048,
  chunked_prefill: true,
  block_size: 16,
  gpu_memory_utilization: 0.9,
  kv_cache_tokens: null,
  tensor_parallel: null,
  prefix_caching: true,
  preempt_for_priority: false,
} as const;

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
  .transform(
    (batching): ContinuousBatching => ({
      policy: batching.policy,
      maxNumSeqs: batching.max_num_seqs,
      maxNumBatchedTokens: batching.max_num_batched_tokens,
      chunkedPrefill: batching.chunked_prefill,
      blockSize: batching.block_size,
      gpuMemoryUtilization: batching.gpu_memory_utilization,
      kvCacheTokens: batching.kv_cache_tokens,
      tensorParallel: batching.tensor_parallel,
      prefixCaching: batching.prefix_caching,
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
  type Sequence,
} from './continuous-scheduler.js';
export { observeSchedulerSteps, type SchedulerStepObserver } from './iteration-scheduler.js';
