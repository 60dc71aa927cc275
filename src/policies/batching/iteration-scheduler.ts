import type { IterationBatch } from '../../serving/llm/index.js';
import type { SequencePrefix } from './prefix-cache.js';
import type { HostTierCounters, Sequence } from './sequence.js';

/**
 * The iteration-level scheduler of one LLM replica: it keeps the replica's waiting and running
 * sequences and its KV cache, plans each iteration (which sequences run, how many tokens each
 * computes) and advances them when it ends. The simulator times the plan with the fleet's step
 * model and knows nothing of the policy; `ContinuousScheduler` (vLLM's) is one implementation.
 *
 * Every implementation calls `schedulerStepped` after each `schedule` and `finishIteration`, so a
 * test can check `checkInvariants`, KV-block conservation first of all, on every state a whole
 * simulation passes through (`observeSchedulerSteps`).
 */
export interface IterationScheduler {
  readonly totalBlocks: number;
  /** Blocks in use, for KV-cache utilization. */
  readonly usedBlocks: number;
  /** Sequences evicted so far, to recompute later. */
  readonly preemptions: number;
  /** Of those, the ones evicted to give a waiting higher-priority sequence room (`preempt_for_priority`). */
  readonly priorityPreemptions: number;
  /** Sequences waiting to run (first admission or after a preemption). */
  readonly waitingCount: number;
  /** The planned iteration, for the step-time model. */
  readonly batch: IterationBatch;
  /** Sequences in the planned iteration, and those of them running for the first time. */
  readonly scheduled: readonly Sequence[];
  /**
   * How many of `scheduled`, from the first, are decodes whose token counts are stored behind
   * (they repeat in constant time): each decodes one token in the planned iteration.
   */
  readonly laggingDecodes: number;
  readonly newlyAdmitted: readonly Sequence[];
  /** Tokens the planned iteration computes; its prompt-chunk tokens, and those recomputing evicted ones. */
  readonly scheduledTokens: number;
  readonly prefillTokens: number;
  readonly recomputeTokens: number;
  /** Seconds the planned iteration spends loading prefix blocks from host memory before it computes (0 without a host tier). */
  readonly loadSeconds: number;
  /** After `finishIteration`: sequences that sampled their first token, and those that are done. */
  readonly firstTokens: readonly Sequence[];
  readonly finished: readonly Sequence[];
  /** Prompt tokens of the sequences admitted, and of them those found in the prefix cache, at their first admission. */
  readonly promptTokens: number;
  readonly cachedPromptTokens: number;
  /** Prompt tokens not prefilled for being cached, at every admission. */
  readonly savedPrefillTokens: number;
  /** Cached blocks given up to allocations, and those cached now (0 without a prefix cache). */
  readonly cacheEvictions: number;
  readonly cachedBlocks: number;
  /** What the host tier of the prefix cache did so far; null without one. */
  readonly hostTier: HostTierCounters | null;
  /**
   * Leading tokens, in whole blocks, of a prompt of `prompt` tokens whose first `shareable` the
   * prefix names that a sequence admitted now would find cached: what a router compares replicas
   * by (0 without a prefix cache). It only reads: the cache is as it was.
   */
  cachedPrefixTokens(prefix: SequencePrefix, shareable: number, prompt: number): number;
  /** Whether a request of these sizes can ever complete here (else it is rejected at once). */
  fits(prompt: number, output: number): boolean;
  enqueue(sequence: Sequence): void;
  /** Keeps blocks a finished sequence freed in use (its KV cache is being sent elsewhere) until `releaseBlocks`. */
  holdBlocks(blocks: number): void;
  releaseBlocks(blocks: number): void;
  /** Takes a sequence that has not run yet out of the queue (its request timed out). */
  cancel(sequence: Sequence): void;
  /**
   * Takes the newest waiting sequence of the lowest priority level below `level` that has not run
   * yet out of the queue, to make room for one of `level`; null when none waits below it.
   */
  evictBelow(level: number): Sequence | null;
  /** Plans the next iteration; false when there is nothing to run. */
  schedule(): boolean;
  finishIteration(): void;
  /**
   * Ends the running iteration and plans the next as `finishIteration` and `schedule` would, when
   * that changes nothing but the tokens its sequences hold: none sampled a first token or finished,
   * no sequence is admitted or preempted, and the blocks it needs are free. Returns false, doing
   * nothing, when that is not so: the caller then runs both.
   */
  advance(): boolean;
  /** Throws an `InvariantError` naming the first broken law of its KV cache and queues. */
  checkInvariants(): void;
}

/** Sees a scheduler after each of its steps: a `schedule` (the plan of an iteration) and a `finishIteration`. */
export type SchedulerStepObserver = (scheduler: IterationScheduler, step: 'schedule' | 'finish') => void;

let stepObserver: SchedulerStepObserver | null = null;

/**
 * Calls `observer` after every step of every scheduler until it is set back to null, so a test can
 * check `checkInvariants` on every state a whole simulation passes through. Unset, a step costs one
 * comparison more.
 */
export function observeSchedulerSteps(observer: SchedulerStepObserver | null): void {
  stepObserver = observer;
}

let repeating = true;

/**
 * With false, `advance` always declines, so every iteration is finished and planned in full: the
 * reference a test compares the shortcut with. True by default.
 */
export function repeatQuietIterations(enabled: boolean): void {
  repeating = enabled;
}

/** Whether `advance` may take its shortcut. */
export function quietIterationsRepeat(): boolean {
  return repeating;
}

/** Called by every implementation after each step. */
export function schedulerStepped(scheduler: IterationScheduler, step: 'schedule' | 'finish'): void {
  if (stepObserver !== null) stepObserver(scheduler, step);
}
