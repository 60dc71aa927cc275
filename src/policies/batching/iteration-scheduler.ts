import type { IterationBatch } from '../../serving/llm/index.js';
import type { Sequence } from './continuous-scheduler.js';

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
  /** Sequences waiting to run (first admission or after a preemption). */
  readonly waitingCount: number;
  /** The planned iteration, for the step-time model. */
  readonly batch: IterationBatch;
  /** Sequences in the planned iteration, and those of them running for the first time. */
  readonly scheduled: readonly Sequence[];
  readonly newlyAdmitted: readonly Sequence[];
  /** Tokens the planned iteration computes; its prompt-chunk tokens, and those recomputing evicted ones. */
  readonly scheduledTokens: number;
  readonly prefillTokens: number;
  readonly recomputeTokens: number;
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

/** Called by every implementation after each step. */
export function schedulerStepped(scheduler: IterationScheduler, step: 'schedule' | 'finish'): void {
  if (stepObserver !== null) stepObserver(scheduler, step);
}
