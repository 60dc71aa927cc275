import { InvariantError } from '../../core/errors.js';
import type { IterationBatch, PrefillChunk } from '../../serving/llm/index.js';
import { type IterationScheduler, quietIterationsRepeat, schedulerStepped } from './iteration-scheduler.js';
import { type PrefixBlock, PrefixCache, type SequencePrefix, shareableTokens } from './prefix-cache.js';

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
  /** Cached blocks it holds (null until it holds one); its other blocks are its own. */
  held: PrefixBlock[] | null;
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

/**
 * The iteration-level scheduler of one replica, after vLLM's V1 scheduler: running sequences
 * first, in admission order (decodes take one token, unfinished prompts a chunk of what the token
 * budget leaves), then waiting requests first-come first-served while sequences, tokens and KV
 * blocks last. A running sequence that cannot get a block preempts the most recently admitted
 * one, which frees its blocks and returns to the front of the queue to recompute its prompt and
 * the tokens it had generated (vLLM's recompute preemption); no new request is admitted in an
 * iteration that preempted. Blocks are allocated for the tokens scheduled, as they are computed.
 *
 * With prefix caching, a sequence admitted takes the longest run of cached blocks its prompt
 * starts with, short of its last token (which vLLM always computes, to sample from it), and
 * prefills only the rest; its full blocks of shareable prompt tokens are cached as they are
 * computed, and stay cached after it leaves until an allocation finding no free block evicts them.
 * With a host tier, evicted blocks move to host memory; a sequence admitted takes the blocks it
 * finds there too, which need accelerator blocks like computed ones, and the iteration first loads
 * them over the host link: its time grows by each such sequence's bytes over the bandwidth plus
 * the latency, with no overlap with its compute.
 *
 * With priority levels, waiting sequences are admitted highest level first (first come first
 * served within a level, as vLLM's `priority` scheduling policy orders its queue), running ones
 * are kept in level order so that a KV-cache preemption evicts the lowest level's most recently
 * admitted, and with `preemptForPriority` a waiting sequence that finds no free slot or too few
 * blocks first preempts running sequences of lower levels, most recently admitted first, when
 * that makes room for it.
 *
 * A sequence may arrive with its prompt computed elsewhere (a decode replica of a disaggregated
 * pair): it gets the blocks of its KV cache when admitted and decodes from there.
 *
 * Most iterations of a busy replica repeat the one before: the same sequences decode one token
 * each, with nothing to admit. `advance` runs such an iteration in constant time, whatever the
 * batch: it counts the repeats rather than moving every sequence on, and allocates the blocks
 * they cross into by the position within its block each sequence's token has. Decoding sequences
 * lag that way (`lagging`, `ahead`) also while others prefill or are admitted, and are planned
 * in constant time then too; one is brought up to date when it finishes, and all are when they
 * cannot get their blocks from the free ones (`settle`), before a preemption or eviction.
 */
export class ContinuousScheduler implements IterationScheduler {
  readonly totalBlocks: number;
  /** Blocks neither held nor cached. */
  freeBlocks: number;
  preemptions = 0;
  /** The prefix cache, or null when prefix caching is off. */
  readonly cache: PrefixCache | null;
  /** Prompt tokens of the sequences admitted, and of them those found cached, at their first admission. */
  promptTokens = 0;
  cachedPromptTokens = 0;
  /** Prompt tokens not prefilled for being cached, at every admission (after a preemption too). */
  savedPrefillTokens = 0;
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
  /** Seconds the planned iteration spends loading prefix blocks from host memory before it computes. */
  loadSeconds = 0;
  private readonly host: HostTierConfig | null;
  private readonly hostCounters: HostTierCounters = {
    cachedPromptTokens: 0,
    loadedTokens: 0,
    loadedBytes: 0,
    loadSeconds: 0,
    evictions: 0,
    blocks: 0,
  };

  /** Running sequences in admission order (by level first, when there are levels). */
  private readonly running: Sequence[] = [];
  /** Per level: waiting sequences from its `waitingHead` on; cancelled ones stay until reached. */
  private readonly waiting: Sequence[][];
  private readonly waitingHead: number[];
  private waitingLive = 0;
  private readonly levels: number;
  private readonly chunks: PrefillChunk[] = [];
  private prefillCount = 0;
  /**
   * The first `lagging` running sequences decode, one token each an iteration: they are planned
   * in constant time, and their token counts are stored `ahead` iterations behind.
   */
  private lagging = 0;

  get laggingDecodes(): number {
    return this.lagging;
  }
  private ahead = 0;
  /** Whether the lagging decodes are in the planned iteration (else one of theirs just ended). */
  private planned = false;
  /** The least `output - generated` of the lagging decodes, as stored: at that `ahead`, one finishes. */
  private finishAt = 0;
  /** Sum of the lagging decodes' `computed`, as stored. */
  private computedBase = 0;
  /** The last plan ran the lagging decodes alone, admitting and preempting none. */
  private quiet = false;
  /** A request joined or left the queue, or blocks were freed, since the last plan: admission may go otherwise. */
  private admissionChanged = false;
  /** Per position within a block, modulo the block size: the lagging decodes whose stored `computed` sits there. */
  private readonly positions: Int32Array;

  constructor(private readonly config: ContinuousConfig) {
    this.totalBlocks = Math.floor(config.kvCacheTokens / config.blockSize);
    this.freeBlocks = this.totalBlocks;
    this.host = config.prefixCaching === true ? (config.hostTier ?? null) : null;
    this.cache =
      config.prefixCaching === true ? new PrefixCache(config.blockSize, this.host?.blocks ?? 0) : null;
    this.levels = config.levels ?? 1;
    this.waiting = Array.from({ length: this.levels }, () => []);
    this.waitingHead = new Array<number>(this.levels).fill(0);
    const prefill: PrefillChunk[] = [];
    this.batch = { prefill, decodeSequences: 0, decodeContextTokens: 0 };
    this.positions = new Int32Array(config.blockSize);
  }

  get cacheEvictions(): number {
    return this.cache?.evictions ?? 0;
  }

  get cachedBlocks(): number {
    return this.cache?.cached ?? 0;
  }

  get hostTier(): HostTierCounters | null {
    if (this.host === null) return null;
    const cache = this.cache as PrefixCache;
    this.hostCounters.evictions = cache.hostEvictions;
    this.hostCounters.blocks = cache.hosted;
    return this.hostCounters;
  }

  cachedPrefixTokens(prefix: SequencePrefix, shareable: number, prompt: number): number {
    if (this.cache === null) return 0;
    const size = this.config.blockSize;
    // As `hitLimit` for a sequence that has generated nothing: its last prompt token is always computed.
    const limit = Math.min(Math.floor(shareable / size), Math.floor((prompt - 1) / size));
    return limit > 0 ? this.cache.cachedRun(prefix, limit) * size : 0;
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
    this.admissionChanged = true;
    this.waiting[sequence.level].push(sequence);
    this.waitingLive++;
  }

  /**
   * Takes the newest waiting sequence of the lowest level below `level` that has not run yet out
   * of the queue (as `cancel` does) and returns it; null when none waits below `level`.
   */
  evictBelow(level: number): Sequence | null {
    for (let l = 0; l < level && l < this.levels; l++) {
      const queue = this.waiting[l];
      for (let i = queue.length - 1; i >= this.waitingHead[l]; i--) {
        const sequence = queue[i];
        if (sequence.cancelled || sequence.admitted || sequence.computed > 0) continue;
        this.cancel(sequence);
        return sequence;
      }
    }
    return null;
  }

  /**
   * Keeps `blocks` that a finished sequence freed in use until `releaseBlocks`: with prefill and
   * decode disaggregated, its KV cache stays until the transfer to the decode replica ends.
   */
  holdBlocks(blocks: number): void {
    // Its own blocks were freed and its cached ones left unheld a moment ago, so these are there.
    this.take(blocks);
    this.outgoingBlocks += blocks;
  }

  releaseBlocks(blocks: number): void {
    this.admissionChanged = true;
    this.freeBlocks += blocks;
    this.outgoingBlocks -= blocks;
  }

  /** Takes a sequence that has not run yet out of the queue. */
  cancel(sequence: Sequence): void {
    this.admissionChanged = true;
    sequence.cancelled = true;
    this.waitingLive--;
  }

  /** Plans the next iteration into `batch`, `scheduled` and `newlyAdmitted`; false when there is nothing to run. */
  schedule(): boolean {
    const { config, scheduled } = this;
    let budget = config.maxNumBatchedTokens;
    // The lagging decodes plan in constant time; the loops below plan the rest as they always do.
    let first = 0;
    if (this.lagging > 0) {
      if (this.planLagging()) {
        first = this.lagging;
        budget -= first;
      } else {
        this.settle();
      }
    }
    if (scheduled.length !== first) scheduled.length = first;
    if (this.newlyAdmitted.length > 0) this.newlyAdmitted.length = 0;
    this.prefillCount = 0;
    this.scheduledTokens = first;
    this.prefillTokens = 0;
    this.recomputeTokens = 0;
    this.loadSeconds = 0;
    this.batch.decodeSequences = first;
    this.batch.decodeContextTokens = first > 0 ? this.computedBase + first * this.ahead : 0;
    let preempted = false;
    if (config.preemptForPriority === true && this.waitingLive > 0 && this.running.length > 0)
      this.makeRoomByPriority();

    const running = this.running;
    // Victims come from the back, from index `i` on: never a lagging decode.
    for (let i = first; i < running.length && budget > 0; i++) {
      const sequence = running[i];
      const pending = this.pendingTokens(sequence);
      const tokens = Math.min(pending, budget);
      if (!config.chunkedPrefill && tokens < pending) break;
      const needed = this.blocksFor(sequence.computed + tokens) - sequence.blocks;
      // Victims come from the back, so none was scheduled earlier in this loop; the last may be this sequence itself.
      while (needed > this.availableBlocks() && running.length > i) {
        this.preempt(running.pop() as Sequence);
        preempted = true;
      }
      if (running.length <= i) break;
      this.take(needed);
      sequence.blocks += needed;
      budget -= tokens;
      this.plan(sequence, tokens);
    }

    // The discipline reads the token counts of the sequences it admits: they join the lagging ones later.
    const admittedFrom = running.length;
    while (!preempted && this.waitingLive > 0 && budget > 0 && this.running.length < config.maxNumSeqs) {
      const level = this.firstWaitingLevel();
      const sequence = this.waiting[level][this.waitingHead[level]];
      // A waiting sequence holds no block, and has computed nothing unless its prompt was computed
      // on another replica: what it finds cached it need not compute.
      let hits = 0;
      // Of the hits, those in host memory: they need blocks to load into.
      let loads = 0;
      let available = this.freeBlocks;
      if (this.cache !== null) {
        available += this.cache.evictable;
        if (sequence.shareable >= config.blockSize && sequence.computed === 0) {
          hits = this.cache.lookup(sequence.prefix as SequencePrefix, this.hitLimit(sequence));
          available -= this.cache.reviving;
          loads = this.cache.fromHost;
        }
      }
      const cachedTokens = hits * config.blockSize;
      const pending = this.pendingTokens(sequence) - cachedTokens;
      if (!config.chunkedPrefill && pending > budget) break;
      const tokens = Math.min(pending, budget);
      // Either it found cached blocks or it computed its prompt elsewhere, never both.
      const own = this.blocksFor(sequence.computed + cachedTokens + tokens) - hits;
      // Blocks loaded from host memory come into newly allocated ones.
      const needed = own + loads;
      if (needed > available) break;
      this.shiftWaiting(level);
      if (hits > 0) {
        const held = sequence.held ?? [];
        sequence.held = held;
        (this.cache as PrefixCache).acquire(hits, held);
        sequence.blocks = hits;
        sequence.computed = cachedTokens;
        sequence.registered = hits;
        this.savedPrefillTokens += cachedTokens;
        if (loads > 0) this.loadFromHost(loads * config.blockSize, !sequence.admitted);
      }
      this.take(needed);
      sequence.blocks += own;
      this.addRunning(sequence);
      if (!sequence.admitted) {
        sequence.admitted = true;
        this.newlyAdmitted.push(sequence);
        this.promptTokens += sequence.prompt;
        this.cachedPromptTokens += cachedTokens;
      }
      budget -= tokens;
      this.plan(sequence, tokens);
    }
    if (this.batch.prefill.length !== this.prefillCount) this.batch.prefill.length = this.prefillCount;
    this.admissionChanged = false;
    // With several priority levels an admission may be placed among the running decodes (they are
    // kept in level order), where the shortcut stores counts behind: it serves one level only.
    if (!preempted && this.levels === 1 && quietIterationsRepeat()) this.absorb(admittedFrom);
    this.quiet = !preempted && scheduled.length === this.lagging && this.newlyAdmitted.length === 0;
    schedulerStepped(this, 'schedule');
    return scheduled.length > 0;
  }

  /** One sequence's load of `tokens` from host memory: its own transfer, after the others of the iteration. */
  private loadFromHost(tokens: number, firstAdmission: boolean): void {
    const host = this.host as HostTierConfig;
    const bytes = tokens * host.bytesPerToken;
    const seconds = bytes / host.bytesPerS + host.latencyS;
    this.loadSeconds += seconds;
    const counters = this.hostCounters;
    if (firstAdmission) counters.cachedPromptTokens += tokens;
    counters.loadedTokens += tokens;
    counters.loadedBytes += bytes;
    counters.loadSeconds += seconds;
  }

  /**
   * The planned decodes that follow the lagging ones in `running` join them: from here on their
   * token counts lag by `ahead` too, so they are stored that far behind.
   */
  private absorb(end: number): void {
    const { scheduled, running, positions } = this;
    let joined = this.lagging;
    if (joined === 0) {
      this.ahead = 0;
      this.computedBase = 0;
      this.finishAt = Number.POSITIVE_INFINITY;
      positions.fill(0);
    }
    const ahead = this.ahead;
    const size = this.config.blockSize;
    const last = Math.min(end, scheduled.length);
    for (; joined < last; joined++) {
      const sequence = scheduled[joined];
      const isDecode =
        sequence === running[joined] &&
        sequence.generated > 0 &&
        sequence.scheduled === 1 &&
        this.pendingTokens(sequence) === 1;
      if (!isDecode) break;
      sequence.computed -= ahead;
      sequence.generated -= ahead;
      positions[((sequence.computed % size) + size) % size]++;
      this.computedBase += sequence.computed;
      const left = sequence.output - sequence.generated;
      if (left < this.finishAt) this.finishAt = left;
    }
    this.lagging = joined;
    this.planned = true;
  }

  advance(): boolean {
    const lagging = this.lagging;
    // Only lagging decodes run, and nothing could be admitted that was not at the last plan.
    if (lagging === 0 || !this.quiet || this.admissionChanged || lagging !== this.running.length)
      return false;
    const ahead = this.ahead + 1;
    // The iteration ending now is the `ahead`-th of the lag: a sequence finishing with it is a change.
    if (ahead >= this.finishAt) return false;
    const needed = this.newBlocks(ahead);
    // Short of free blocks, the plan would evict cached blocks or preempt.
    if (needed > this.freeBlocks) return false;
    this.freeBlocks -= needed;
    this.ahead = ahead;
    this.loadSeconds = 0;
    if (this.newlyAdmitted.length > 0) this.newlyAdmitted.length = 0;
    this.batch.decodeContextTokens += lagging;
    schedulerStepped(this, 'finish');
    schedulerStepped(this, 'schedule');
    return true;
  }

  /** Blocks the lagging decodes need for the tokens they compute `ahead` iterations on: one each whose token starts a block. */
  private newBlocks(ahead: number): number {
    const size = this.config.blockSize;
    return this.positions[(size - (ahead % size)) % size];
  }

  /** Plans the lagging decodes' next tokens if their blocks are free and the budget holds them; false, doing nothing, if not. */
  private planLagging(): boolean {
    if (this.lagging > this.config.maxNumBatchedTokens) return false;
    const needed = this.newBlocks(this.ahead);
    if (needed > this.freeBlocks) return false;
    this.freeBlocks -= needed;
    this.planned = true;
    return true;
  }

  /** The lagging decodes' iteration ended: they lag one more; those finishing with it are brought up to date and leave. */
  private finishLagging(): void {
    const ahead = this.ahead + 1;
    this.ahead = ahead;
    this.planned = false;
    if (ahead < this.finishAt) return;
    const { scheduled, positions, finished } = this;
    const size = this.config.blockSize;
    const lagging = this.lagging;
    let left = lagging;
    let finishAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < lagging; i++) {
      const sequence = scheduled[i];
      const remaining = sequence.output - sequence.generated;
      if (remaining !== ahead) {
        if (remaining < finishAt) finishAt = remaining;
        continue;
      }
      positions[((sequence.computed % size) + size) % size]--;
      this.computedBase -= sequence.computed;
      sequence.computed += ahead;
      sequence.generated = sequence.output;
      sequence.scheduled = 0;
      sequence.blocks = this.blocksFor(sequence.computed);
      this.release(sequence);
      finished.push(sequence);
      left--;
    }
    this.finishAt = finishAt;
    this.lagging = left;
  }

  /** Brings the lagging decodes up to date: they are planned in full from here on. */
  private settle(): void {
    const ahead = this.ahead;
    const planned = this.planned;
    const running = this.running;
    for (let i = 0; i < this.lagging; i++) {
      const sequence = running[i];
      sequence.computed += ahead;
      sequence.generated += ahead;
      if (!planned) sequence.scheduled = 0;
      sequence.blocks = this.blocksFor(sequence.computed + sequence.scheduled);
    }
    this.lagging = 0;
    this.ahead = 0;
  }

  /** Advances every sequence of the planned iteration by what it computed; fills `firstTokens` and `finished`. */
  finishIteration(): void {
    if (this.firstTokens.length > 0) this.firstTokens.length = 0;
    if (this.finished.length > 0) this.finished.length = 0;
    const lagging = this.lagging;
    if (lagging > 0) this.finishLagging();
    const cache = this.cache;
    const scheduled = this.scheduled;
    for (let i = lagging; i < scheduled.length; i++) {
      const sequence = scheduled[i];
      sequence.computed += sequence.scheduled;
      sequence.scheduled = 0;
      if (cache !== null && sequence.shareable >= this.config.blockSize) this.register(cache, sequence);
      // Once every known token is in the cache, the model samples the next one.
      if (sequence.computed === sequence.prompt + sequence.generated) {
        sequence.generated++;
        if (sequence.generated === 1) this.firstTokens.push(sequence);
        if (sequence.generated === sequence.output) {
          this.release(sequence);
          this.finished.push(sequence);
        }
      }
    }
    if (this.finished.length > 0) this.dropFinished();
    // Lagging decodes that finished left `running`; the lagging ones stay its first, and the plan's.
    if (this.lagging < lagging) {
      const running = this.running;
      for (let i = 0; i < this.lagging; i++) scheduled[i] = running[i];
    }
    schedulerStepped(this, 'finish');
  }

  /**
   * Throws an `InvariantError` naming the first broken law of the KV cache and the queues: the
   * free blocks, the cached blocks no sequence holds and the blocks held (a shared cached block
   * once) add up to the cache, each running sequence holds exactly the blocks of the tokens it has
   * computed or has scheduled, each cached block counts the sequences holding it, the host tier
   * stays within its capacity and shares no block with accelerator memory, a waiting
   * sequence holds none, and no iteration exceeds `max_num_seqs` or the token budget. Linear in
   * the sequences and cached blocks on the replica; for tests (see `observeSchedulerSteps`), never
   * called on a run's own path.
   */
  checkInvariants(): void {
    const fail = (law: string): never => {
      throw new InvariantError(
        `KV-cache scheduler: ${law} (total ${this.totalBlocks} blocks, ${this.freeBlocks} free, ` +
          `${this.running.length} running, ${this.waitingLive} waiting, ${this.preemptions} preemptions` +
          `${this.cache === null ? '' : `, ${this.cache.cached} cached of which ${this.cache.evictable} unheld`}` +
          `${this.host === null ? '' : `, ${(this.cache as PrefixCache).hosted} in host memory`})`,
      );
    };
    if (!(this.freeBlocks >= 0 && this.freeBlocks <= this.totalBlocks))
      fail('free blocks outside 0 .. total');
    if (this.running.length > this.config.maxNumSeqs) fail('more running sequences than max_num_seqs');
    for (let i = 1; i < this.running.length; i++) {
      if (this.running[i].level > this.running[i - 1].level) fail('running sequences out of priority order');
    }
    if (this.scheduledTokens > this.config.maxNumBatchedTokens) fail('iteration over the token budget');
    const seen = new Set<Sequence>();
    const holders = new Map<PrefixBlock, number>();
    let held = 0;
    if (this.lagging > this.running.length) fail(`${this.lagging} lagging decodes, more than run`);
    for (let i = 0; i < this.running.length; i++) {
      const sequence = this.running[i];
      if (seen.has(sequence)) fail(`sequence ${sequence.slot} runs twice`);
      seen.add(sequence);
      const lagging = i < this.lagging;
      if (lagging && this.planned && this.scheduled[i] !== sequence)
        fail(`lagging decode ${sequence.slot} is not where the plan has it`);
      // A lagging decode is `ahead` tokens on from what it stores, and took the blocks it needs
      // from the free ones; what it holds is brought up to date when it stops lagging.
      const ahead = lagging ? this.ahead : 0;
      const scheduled = lagging && !this.planned ? 0 : sequence.scheduled;
      const needed = this.blocksFor(sequence.computed + ahead + scheduled);
      const blocks = lagging ? needed : sequence.blocks;
      if (blocks < 0) fail(`sequence ${sequence.slot} holds ${blocks} blocks`);
      if (blocks !== needed) {
        fail(`running sequence ${sequence.slot} holds ${blocks} blocks for ${needed} blocks of tokens`);
      }
      if (sequence.generated + ahead >= sequence.output)
        fail(`finished sequence ${sequence.slot} still runs`);
      const cached = sequence.held?.length ?? 0;
      if (cached > 0 && this.cache === null)
        fail(`sequence ${sequence.slot} holds cached blocks, with no cache`);
      if (cached > blocks) fail(`sequence ${sequence.slot} holds more cached blocks than blocks`);
      for (let i = 0; i < cached; i++) {
        const block = (sequence.held as PrefixBlock[])[i];
        holders.set(block, (holders.get(block) ?? 0) + 1);
      }
      held += blocks - cached;
    }
    let unheld = 0;
    if (this.cache !== null) {
      const { law, referenced } = this.cache.check(holders);
      if (law !== null) fail(law);
      held += referenced;
      unheld = this.cache.evictable;
    }
    if (this.outgoingBlocks < 0) fail(`${this.outgoingBlocks} blocks held for transfers`);
    if (held + unheld + this.outgoingBlocks + this.freeBlocks !== this.totalBlocks) {
      const cached = this.cache === null ? '' : ` and the ${unheld} cached ones no sequence holds`;
      const outgoing = this.outgoingBlocks > 0 ? ` and ${this.outgoingBlocks} held for transfers` : '';
      fail(
        `running sequences hold ${held} blocks, which with the free ones${cached}${outgoing} is not the cache`,
      );
    }
    let live = 0;
    const waiting = this.waiting.flatMap((queue, level) => queue.slice(this.waitingHead[level]));
    for (const sequence of waiting) {
      if (sequence.cancelled) continue;
      live++;
      if (seen.has(sequence)) fail(`sequence ${sequence.slot} both runs and waits`);
      seen.add(sequence);
      // A prompt computed on another replica waits with its tokens but without blocks here.
      const computedElsewhere = !sequence.admitted && sequence.computed === sequence.prompt;
      if (
        sequence.blocks !== 0 ||
        (sequence.computed !== 0 && !computedElsewhere) ||
        (sequence.held?.length ?? 0) !== 0
      ) {
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

  /** Blocks sequences hold, for KV-cache utilization: cached blocks no sequence holds count as free, as in vLLM. */
  get usedBlocks(): number {
    return this.totalBlocks - this.availableBlocks();
  }

  /** Tokens to compute before the next sample: the whole prompt (plus generated tokens after a preemption), or 1 to decode. */
  private pendingTokens(sequence: Sequence): number {
    return sequence.prompt + sequence.generated - sequence.computed;
  }

  private blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.config.blockSize);
  }

  /** Blocks an allocation can have: the free ones, then cached ones no sequence holds, evicted. */
  private availableBlocks(): number {
    return this.cache === null ? this.freeBlocks : this.freeBlocks + this.cache.evictable;
  }

  /** Allocates `blocks` (at most `availableBlocks()`): free ones first, then the least recently freed cached ones. */
  private take(blocks: number): void {
    if (blocks <= this.freeBlocks) {
      this.freeBlocks -= blocks;
      return;
    }
    const cache = this.cache as PrefixCache;
    for (let evicted = this.freeBlocks; evicted < blocks; evicted++) cache.evict();
    this.freeBlocks = 0;
  }

  /** A sequence lets go of its blocks: its own become free, its cached ones stay cached. */
  private release(sequence: Sequence): void {
    const held = sequence.held;
    if (held !== null && held.length > 0) {
      this.freeBlocks += sequence.blocks - held.length;
      (this.cache as PrefixCache).release(held);
    } else {
      this.freeBlocks += sequence.blocks;
    }
    sequence.blocks = 0;
    sequence.registered = 0;
  }

  /**
   * Most leading blocks a sequence may take from the cache: its cacheable ones, short of the last
   * token it knows, which is computed again so that the model samples from it.
   */
  private hitLimit(sequence: Sequence): number {
    const size = this.config.blockSize;
    const last = sequence.prompt + sequence.generated - 1;
    return Math.min(Math.floor(sequence.shareable / size), Math.floor(last / size));
  }

  /** Caches the cacheable blocks a sequence has filled with computed prompt tokens since it last did. */
  private register(cache: PrefixCache, sequence: Sequence): void {
    const size = this.config.blockSize;
    const full = Math.floor(Math.min(sequence.computed, sequence.shareable) / size);
    if (full <= sequence.registered) return;
    const held = sequence.held ?? [];
    sequence.held = held;
    cache.insert(sequence.prefix as SequencePrefix, sequence.registered, full, held);
    sequence.registered = full;
  }

  /** A preempted sequence waits at the front of its level's queue. */
  private preempt(sequence: Sequence): void {
    this.preemptions++;
    if (sequence.computed > sequence.computedBeforePreemption)
      sequence.computedBeforePreemption = sequence.computed;
    this.release(sequence);
    sequence.computed = 0;
    const level = sequence.level;
    if (this.waitingHead[level] > 0) this.waiting[level][--this.waitingHead[level]] = sequence;
    else this.waiting[level].unshift(sequence);
    this.waitingLive++;
  }

  /** The highest level with a live waiting sequence (some must wait), its cancelled entries at the head dropped. */
  private firstWaitingLevel(): number {
    // `shiftWaiting` may compact a level's array: read it afresh after each.
    for (let level = this.levels - 1; level > 0; level--) {
      while (this.waitingHead[level] < this.waiting[level].length) {
        if (!this.waiting[level][this.waitingHead[level]].cancelled) return level;
        this.shiftWaiting(level);
      }
    }
    while (this.waiting[0][this.waitingHead[0]].cancelled) this.shiftWaiting(0);
    return 0;
  }

  private shiftWaiting(level: number): void {
    const queue = this.waiting[level];
    const sequence = queue[this.waitingHead[level]++];
    if (!sequence.cancelled) this.waitingLive--;
    // Compact now and then so the array does not grow with every request ever queued.
    if (this.waitingHead[level] > 1024 && this.waitingHead[level] * 2 > queue.length) {
      this.waiting[level] = queue.slice(this.waitingHead[level]);
      this.waitingHead[level] = 0;
    }
  }

  /** Running sequences stay in level order: one admitted goes behind the last of its level or above. */
  private addRunning(sequence: Sequence): void {
    const running = this.running;
    let at = running.length;
    if (this.levels > 1) while (at > 0 && running[at - 1].level < sequence.level) at--;
    if (at === running.length) running.push(sequence);
    else running.splice(at, 0, sequence);
  }

  /**
   * Before an iteration is planned: each waiting sequence in admission order that finds no free
   * slot or too few blocks for its next chunk preempts running sequences of lower levels from the
   * back (the lowest level's most recently admitted first), if they hold enough to make room for
   * it; the first that cannot have room ends the search, as admission would stop there. Room found
   * is set aside for the sequences before it. A victim's blocks are counted as freed though a
   * cached block it shares stays held: the estimate can fall short, and the sequence then waits on.
   */
  private makeRoomByPriority(): void {
    const { config, running } = this;
    let slots = config.maxNumSeqs - running.length;
    let reserved = 0;
    let budget = config.maxNumBatchedTokens;
    for (let level = this.levels - 1; level > 0 && budget > 0; level--) {
      const queue = this.waiting[level];
      for (let i = this.waitingHead[level]; i < queue.length && budget > 0; i++) {
        const sequence = queue[i];
        if (sequence.cancelled) continue;
        const pending = this.pendingTokens(sequence);
        if (!config.chunkedPrefill && pending > budget) return;
        const tokens = Math.min(pending, budget);
        const needed = this.blocksFor(sequence.computed + tokens) - sequence.blocks;
        let victims = 0;
        let freed = 0;
        while (
          (slots + victims < 1 || needed > this.availableBlocks() - reserved + freed) &&
          victims < running.length &&
          running[running.length - 1 - victims].level < level
        ) {
          freed += running[running.length - 1 - victims].blocks;
          victims++;
        }
        if (slots + victims < 1 || needed > this.availableBlocks() - reserved + freed) return;
        for (let v = 0; v < victims; v++) this.preempt(running.pop() as Sequence);
        slots += victims - 1;
        reserved += needed;
        budget -= tokens;
      }
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
