import { type HeldBlocks, type SequencePrefix, shareableTokens } from './prefix-cache.js';

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
  /** What of its prompt other prompts may share; null: nothing. */
  readonly prefix: SequencePrefix | null;
  /** Prompt tokens its prefix covers (0 without one): its full blocks up to there are cacheable. */
  readonly shareable: number;
  /** Its priority level: higher levels are admitted first (0 when every request ranks alike). */
  readonly level: number;
  /** Cached blocks it holds (null while it holds none); its other blocks are its own. */
  held: HeldBlocks | null;
  /** Leading blocks already cached, or found cached by another sequence, since it was admitted. */
  registered: number;
}

/** What one replica's scheduler needs of the fleet's `continuous` block and its KV cache. */
export interface ContinuousConfig {
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  chunkedPrefill: boolean;
  blockSize: number;
  kvCacheTokens: number;
  /** Keep and reuse the blocks of shared prompt prefixes (false when absent). */
  prefixCaching?: boolean;
  /** A host-memory tier under the prefix cache (none when absent). */
  hostTier?: HostTierConfig;
  /** Priority levels of the sequences (1 when absent): each waits in its level's queue. */
  levels?: number;
  /**
   * A waiting sequence that lacks a slot or KV blocks preempts running sequences of lower levels
   * to get them (false when absent).
   */
  preemptForPriority?: boolean;
}

/** The host-memory tier of one replica's prefix cache, in the scheduler's terms. */
export interface HostTierConfig {
  /** Blocks it holds. */
  blocks: number;
  /** KV bytes of one token, all the replica's accelerators together. */
  bytesPerToken: number;
  /** Bytes per second of all the accelerators' host links together, each loading its own shard. */
  bytesPerS: number;
  /** Time each load takes besides its bytes, seconds. */
  latencyS: number;
}

/** What a replica's host tier did so far. */
export interface HostTierCounters {
  /** Prompt tokens found in host memory at their sequence's first admission (part of `cachedPromptTokens`). */
  cachedPromptTokens: number;
  /** Tokens loaded from host memory at every admission (after a preemption too), their bytes and the seconds it took. */
  loadedTokens: number;
  loadedBytes: number;
  loadSeconds: number;
  /** Host blocks dropped to make room, and those held now. */
  evictions: number;
  blocks: number;
}

export function createSequence(
  slot: number,
  prompt: number,
  output: number,
  prefix: SequencePrefix | null = null,
  level = 0,
): Sequence {
  const tokens = Math.max(1, prompt);
  return {
    slot,
    prompt: tokens,
    output: Math.max(1, output),
    generated: 0,
    computed: 0,
    computedBeforePreemption: 0,
    blocks: 0,
    scheduled: 0,
    admitted: false,
    cancelled: false,
    prefix,
    level,
    shareable: shareableTokens(prefix, tokens),
    held: null,
    registered: 0,
  };
}
