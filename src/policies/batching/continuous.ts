import * as z from 'zod';
import { InvariantError } from '../../core/errors.js';
import { expected, PositiveInteger, SlotCount } from '../../core/schema-values.js';
import type { IterationBatch, PrefillChunk } from '../../serving/llm/index.js';
import { defineBatching } from './definition.js';
import { type IterationScheduler, schedulerStepped } from './iteration-scheduler.js';

/** One request on a continuous-batching replica. `slot` is the simulator's request id. */
export interface Sequence {
  readonly slot: number;
  /** Prompt tokens (at least 1). */
  readonly prompt: number;
  /** Output tokens to generate (at least 1). */
  readonly output: number;
  /** Tokens sampled so far. */
  generated: number;
  /** Tokens whose keys and values are in the KV cache. */
  computed: number;
  /**
   * Most tokens it had in the KV cache before a preemption took them: computing them again is
   * recompute, wasted work rather than progress.
   */
  computedBeforePreemption: number;
  /** KV-cache blocks held. */
  blocks: number;
  /** Tokens scheduled in the current iteration. */
  scheduled: number;
  /** Has run at least once: from then on it is in service, even while preempted. */
  admitted: boolean;
  /** Left the waiting queue without running (timed out); skipped when reached. */
  cancelled: boolean;
}

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
}

const CONTINUOUS_DEFAULTS = {
  max_num_seqs: 256,
  max_num_batched_tokens: 2048,
  chunked_prefill: true,
  block_size: 16,
  gpu_memory_utilization: 0.9,
  kv_cache_tokens: null,
  tensor_parallel: null,
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

/** What one replica's scheduler needs of the fleet's `continuous` block and its KV cache. */
export interface ContinuousConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  chunkedPrefill: boolean;
  blockSize: number;
  kvCacheTokens: number;
}

export function createSequence(slot: number, prompt: number, output: number): Sequence {
  return {
    slot,
    prompt: Math.max(1, prompt),
    output: Math.max(1, output),
    generated: 0,
    computed: 0,
    computedBeforePreemption: 0,
    blocks: 0,
    scheduled: 0,
    admitted: false,
    cancelled: false,
  };
}

export { observeSchedulerSteps, type SchedulerStepObserver } from './iteration-scheduler.js';

/**
 * The iteration-level scheduler of one replica, after vLLM's V1 scheduler: running sequences
 * first, in admission order (decodes take one token, unfinished prompts a chunk of what the token
 * budget leaves), then waiting requests first-come first-served while sequences, tokens and KV
 * blocks last. A running sequence that cannot get a block preempts the most recently admitted
 * one, which frees its blocks and returns to the front of the queue to recompute its prompt and
 * the tokens it had generated (vLLM's recompute preemption); no new request is admitted in an
 * iteration that preempted. Blocks are allocated for the tokens scheduled, as they are computed.
 * A sequence may arrive with its prompt computed elsewhere (a decode replica of a disaggregated
 * pair): it gets the blocks of its KV cache when admitted and decodes from there.
 */
export class ContinuousScheduler implements IterationScheduler {
  readonly totalBlocks: number;
  freeBlocks: number;
  preemptions = 0;
  /** The iteration `schedule` planned, for the step-time model. */
  readonly batch: IterationBatch & { prefill: PrefillChunk[] };
  /** Sequences in the planned iteration. */
  readonly scheduled: Sequence[] = [];
  /** Tokens the planned iteration computes (prompt chunks and decodes), for the token-budget use. */
  scheduledTokens = 0;
  /** Prompt-chunk tokens of the planned iteration, and those of them recomputing what a preemption evicted. */
  prefillTokens = 0;
  recomputeTokens = 0;
  /** Sequences the planned iteration runs for the first time. */
  readonly newlyAdmitted: Sequence[] = [];
  /** After `finishIteration`: sequences that sampled their first token, and those that are done. */
  readonly firstTokens: Sequence[] = [];
  readonly finished: Sequence[] = [];
  /** Blocks of finished sequences whose KV cache is still on its way to another replica (`holdBlocks`). */
  outgoingBlocks = 0;

  private readonly running: Sequence[] = [];
  /** Waiting sequences from `waitingHead` on; cancelled ones stay until reached. */
  private waiting: Sequence[] = [];
  private waitingHead = 0;
  private waitingLive = 0;
  private readonly chunks: PrefillChunk[] = [];
  private prefillCount = 0;

  constructor(private readonly config: ContinuousConfig) {
    this.totalBlocks = Math.floor(config.kvCacheTokens / config.blockSize);
    this.freeBlocks = this.totalBlocks;
    const prefill: PrefillChunk[] = [];
    this.batch = { prefill, decodeSequences: 0, decodeContextTokens: 0 };
  }

  get waitingCount(): number {
    return this.waitingLive;
  }

  get runningCount(): number {
    return this.running.length;
  }

  /**
   * Whether a request can ever complete here: its prompt and output must fit the whole KV cache
   * (vLLM refuses prompts beyond the model length its cache can hold) and, without chunked
   * prefill, one iteration's token budget, since a preempted sequence recomputes all of it at once.
   */
  fits(prompt: number, output: number): boolean {
    const tokens = Math.max(1, prompt) + Math.max(1, output);
    if (this.blocksFor(tokens) > this.totalBlocks) return false;
    return this.config.chunkedPrefill || tokens - 1 <= this.config.maxNumBatchedTokens;
  }

  enqueue(sequence: Sequence): void {
    this.waiting.push(sequence);
    this.waitingLive++;
  }

  /**
   * Keeps `blocks` that a finished sequence freed in use until `releaseBlocks`: with prefill and
   * decode disaggregated, its KV cache stays until the transfer to the decode replica ends.
   */
  holdBlocks(blocks: number): void {
    this.freeBlocks -= blocks;
    this.outgoingBlocks += blocks;
  }

  releaseBlocks(blocks: number): void {
    this.freeBlocks += blocks;
    this.outgoingBlocks -= blocks;
  }

  /** Takes a sequence that has not run yet out of the queue. */
  cancel(sequence: Sequence): void {
    sequence.cancelled = true;
    this.waitingLive--;
  }

  /** Plans the next iteration into `batch`, `scheduled` and `newlyAdmitted`; false when there is nothing to run. */
  schedule(): boolean {
    const { config, scheduled } = this;
    scheduled.length = 0;
    this.newlyAdmitted.length = 0;
    this.prefillCount = 0;
    this.scheduledTokens = 0;
    this.prefillTokens = 0;
    this.recomputeTokens = 0;
    this.batch.decodeSequences = 0;
    this.batch.decodeContextTokens = 0;
    let budget = config.maxNumBatchedTokens;
    let preempted = false;

    const running = this.running;
    for (let i = 0; i < running.length && budget > 0; i++) {
      const sequence = running[i];
      const pending = this.pendingTokens(sequence);
      const tokens = Math.min(pending, budget);
      if (!config.chunkedPrefill && tokens < pending) break;
      const needed = this.blocksFor(sequence.computed + tokens) - sequence.blocks;
      // Victims come from the back, so none was scheduled earlier in this loop; the last may be this sequence itself.
      while (needed > this.freeBlocks && running.length > i) {
        this.preempt(running.pop() as Sequence);
        preempted = true;
      }
      if (running.length <= i) break;
      this.freeBlocks -= needed;
      sequence.blocks += needed;
      budget -= tokens;
      this.plan(sequence, tokens);
    }

    while (!preempted && this.waitingLive > 0 && budget > 0 && this.running.length < config.maxNumSeqs) {
      const sequence = this.waiting[this.waitingHead];
      if (sequence.cancelled) {
        this.shiftWaiting();
        continue;
      }
      const pending = this.pendingTokens(sequence);
      if (!config.chunkedPrefill && pending > budget) break;
      const tokens = Math.min(pending, budget);
      const needed = this.blocksFor(sequence.computed + tokens) - sequence.blocks;
      if (needed > this.freeBlocks) break;
      this.shiftWaiting();
      this.freeBlocks -= needed;
      sequence.blocks += needed;
      this.running.push(sequence);
      if (!sequence.admitted) {
        sequence.admitted = true;
        this.newlyAdmitted.push(sequence);
      }
      budget -= tokens;
      this.plan(sequence, tokens);
    }
    this.batch.prefill.length = this.prefillCount;
    schedulerStepped(this, 'schedule');
    return scheduled.length > 0;
  }

  /** Advances every sequence of the planned iteration by what it computed; fills `firstTokens` and `finished`. */
  finishIteration(): void {
    this.firstTokens.length = 0;
    this.finished.length = 0;
    for (const sequence of this.scheduled) {
      sequence.computed += sequence.scheduled;
      sequence.scheduled = 0;
      // Once every known token is in the cache, the model samples the next one.
      if (sequence.computed === sequence.prompt + sequence.generated) {
        sequence.generated++;
        if (sequence.generated === 1) this.firstTokens.push(sequence);
        if (sequence.generated === sequence.output) {
          this.freeBlocks += sequence.blocks;
          sequence.blocks = 0;
          this.finished.push(sequence);
        }
      }
    }
    if (this.finished.length > 0) this.dropFinished();
    schedulerStepped(this, 'finish');
  }

  /**
   * Throws an `InvariantError` naming the first broken law of the KV cache and the queues: the
   * blocks of the running sequences and the free blocks add up to the cache, each running sequence
   * holds exactly the blocks of the tokens it has computed or has scheduled, a waiting one holds
   * none, and no iteration exceeds `max_num_seqs` or the token budget. Linear in the sequences on
   * the replica; for tests (see `observeSchedulerSteps`), never called on a run's own path.
   */
  checkInvariants(): void {
    const fail = (law: string): never => {
      throw new InvariantError(
        `KV-cache scheduler: ${law} (total ${this.totalBlocks} blocks, ${this.freeBlocks} free, ` +
          `${this.running.length} running, ${this.waitingLive} waiting, ${this.preemptions} preemptions)`,
      );
    };
    if (!(this.freeBlocks >= 0 && this.freeBlocks <= this.totalBlocks))
      fail('free blocks outside 0 .. total');
    if (this.running.length > this.config.maxNumSeqs) fail('more running sequences than max_num_seqs');
    if (this.scheduledTokens > this.config.maxNumBatchedTokens) fail('iteration over the token budget');
    const seen = new Set<Sequence>();
    let held = 0;
    for (const sequence of this.running) {
      if (seen.has(sequence)) fail(`sequence ${sequence.slot} runs twice`);
      seen.add(sequence);
      if (sequence.blocks < 0) fail(`sequence ${sequence.slot} holds ${sequence.blocks} blocks`);
      const needed = this.blocksFor(sequence.computed + sequence.scheduled);
      if (sequence.blocks !== needed) {
        fail(
          `running sequence ${sequence.slot} holds ${sequence.blocks} blocks for ${needed} blocks of tokens`,
        );
      }
      if (sequence.generated >= sequence.output) fail(`finished sequence ${sequence.slot} still runs`);
      held += sequence.blocks;
    }
    if (this.outgoingBlocks < 0) fail(`${this.outgoingBlocks} blocks held for transfers`);
    if (held + this.outgoingBlocks + this.freeBlocks !== this.totalBlocks) {
      const outgoing = this.outgoingBlocks > 0 ? ` and ${this.outgoingBlocks} held for transfers` : '';
      fail(`running sequences hold ${held} blocks, which with the free ones${outgoing} is not the cache`);
    }
    let live = 0;
    for (let i = this.waitingHead; i < this.waiting.length; i++) {
      const sequence = this.waiting[i];
      if (sequence.cancelled) continue;
      live++;
      if (seen.has(sequence)) fail(`sequence ${sequence.slot} both runs and waits`);
      seen.add(sequence);
      // A prompt computed on another replica waits with its tokens but without blocks here.
      const computedElsewhere = !sequence.admitted && sequence.computed === sequence.prompt;
      if (sequence.blocks !== 0 || (sequence.computed !== 0 && !computedElsewhere)) {
        fail(
          `waiting sequence ${sequence.slot} holds ${sequence.blocks} blocks for ${sequence.computed} tokens`,
        );
      }
    }
    if (live !== this.waitingLive) fail(`${live} sequences wait, not ${this.waitingLive}`);
  }

  /** Compacts `running` in place, in admission order, rather than allocating a new array whenever a sequence finishes. */
  private dropFinished(): void {
    const running = this.running;
    let kept = 0;
    for (let i = 0; i < running.length; i++) {
      const sequence = running[i];
      if (sequence.generated < sequence.output) running[kept++] = sequence;
    }
    running.length = kept;
  }

  /** Blocks in use, for KV-cache utilization. */
  get usedBlocks(): number {
    return this.totalBlocks - this.freeBlocks;
  }

  /** Tokens to compute before the next sample: the whole prompt (plus generated tokens after a preemption), or 1 to decode. */
  private pendingTokens(sequence: Sequence): number {
    return sequence.prompt + sequence.generated - sequence.computed;
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.config.blockSize);
  }

  private preempt(sequence: Sequence): void {
    this.preemptions++;
    if (sequence.computed > sequence.computedBeforePreemption)
      sequence.computedBeforePreemption = sequence.computed;
    this.freeBlocks += sequence.blocks;
    sequence.blocks = 0;
    sequence.computed = 0;
    if (this.waitingHead > 0) this.waiting[--this.waitingHead] = sequence;
    else this.waiting.unshift(sequence);
    this.waitingLive++;
  }

  private shiftWaiting(): void {
    const sequence = this.waiting[this.waitingHead++];
    if (!sequence.cancelled) this.waitingLive--;
    // Compact now and then so the array does not grow with every request ever queued.
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  private plan(sequence: Sequence, tokens: number): void {
    sequence.scheduled = tokens;
    this.scheduled.push(sequence);
    this.scheduledTokens += tokens;
    const isDecode = sequence.generated > 0 && tokens === 1 && this.pendingTokens(sequence) === 1;
    if (isDecode) {
      this.batch.decodeSequences++;
      this.batch.decodeContextTokens += sequence.computed;
      return;
    }
    let chunk = this.chunks[this.prefillCount];
    if (chunk === undefined) {
      chunk = { tokens: 0, pastTokens: 0, completesPrompt: false };
      this.chunks.push(chunk);
    }
    this.prefillTokens += tokens;
    const recomputed = Math.min(tokens, sequence.computedBeforePreemption - sequence.computed);
    if (recomputed > 0) this.recomputeTokens += recomputed;
    chunk.tokens = tokens;
    chunk.pastTokens = sequence.computed;
    chunk.completesPrompt = sequence.computed + tokens === sequence.prompt + sequence.generated;
    this.batch.prefill[this.prefillCount++] = chunk;
  }
}
