import type { IterationBatch, PrefillChunk } from '../../serving/llm/index.js';
import { type IterationScheduler, quietIterationsRepeat, schedulerStepped } from './iteration-scheduler.js';
import { KvBlocks } from './kv-blocks.js';
import { LaggingDecodes } from './lagging-decodes.js';
import type { PrefixCache, SequencePrefix } from './prefix-cache.js';
import { checkSchedulerInvariants } from './scheduler-invariants.js';
import type { ContinuousConfig, HostTierCounters, Sequence } from './sequence.js';
import { WaitingQueues } from './waiting-queues.js';

export {
  type ContinuousConfig,
  createSequence,
  type HostTierConfig,
  type HostTierCounters,
  type Sequence,
} from './sequence.js';

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
 * lag that way (`LaggingDecodes`) also while others prefill or are admitted, and are planned
 * in constant time then too; one is brought up to date when it finishes, and all are when they
 * cannot get their blocks from the free ones, before a preemption or eviction.
 *
 * The parts live beside it: the KV-block ledger and prefix-cache bookkeeping (`KvBlocks`), the
 * waiting queues (`WaitingQueues`), the decode-repeat shortcut (`LaggingDecodes`) and the laws
 * tests check (`checkSchedulerInvariants`). This class decides: admission, preemption, the plan.
 */
export class ContinuousScheduler implements IterationScheduler {
  readonly totalBlocks: number;
  preemptions = 0;
  priorityPreemptions = 0;
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
  /** Seconds the planned iteration spends loading prefix blocks from host memory before it computes. */
  loadSeconds = 0;
  private readonly kv: KvBlocks;

  /** Running sequences in admission order (by level first, when there are levels). */
  private readonly running: Sequence[] = [];
  private readonly waiting: WaitingQueues;
  private readonly levels: number;
  private readonly chunks: PrefillChunk[] = [];
  private prefillCount = 0;
  /** The first running sequences, decoding in constant time an iteration (the decode-repeat shortcut). */
  private readonly lagging: LaggingDecodes;

  get laggingDecodes(): number {
    return this.lagging.count;
  }
  /** The last plan ran the lagging decodes alone, admitting and preempting none. */
  private quiet = false;
  /** A request joined or left the queue, or blocks were freed, since the last plan: admission may go otherwise. */
  private admissionChanged = false;

  constructor(private readonly config: ContinuousConfig) {
    this.kv = new KvBlocks(config);
    this.totalBlocks = this.kv.total;
    this.cache = this.kv.cache;
    this.levels = config.levels ?? 1;
    this.waiting = new WaitingQueues(this.levels);
    const prefill: PrefillChunk[] = [];
    this.batch = { prefill, decodeSequences: 0, decodeContextTokens: 0 };
    this.lagging = new LaggingDecodes(this.kv, config.blockSize);
  }

  get cacheEvictions(): number {
    return this.cache?.evictions ?? 0;
  }

  get cachedBlocks(): number {
    return this.cache?.cached ?? 0;
  }

  get hostTier(): HostTierCounters | null {
    return this.kv.hostTier;
  }

  cachedPrefixTokens(prefix: SequencePrefix, shareable: number, prompt: number): number {
    return this.kv.cachedPrefixTokens(prefix, shareable, prompt);
  }

  /** Blocks neither held nor cached. */
  get freeBlocks(): number {
    return this.kv.free;
  }

  set freeBlocks(blocks: number) {
    this.kv.free = blocks;
  }

  /** Blocks of finished sequences whose KV cache is still on its way to another replica (`holdBlocks`). */
  get outgoingBlocks(): number {
    return this.kv.outgoing;
  }

  get waitingCount(): number {
    return this.waiting.live;
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
    if (this.kv.blocksFor(tokens) > this.totalBlocks) return false;
    return this.config.chunkedPrefill || tokens - 1 <= this.config.maxNumBatchedTokens;
  }

  enqueue(sequence: Sequence): void {
    this.admissionChanged = true;
    this.waiting.push(sequence);
  }

  evictBelow(level: number): Sequence | null {
    const sequence = this.waiting.evictBelow(level);
    if (sequence !== null) this.admissionChanged = true;
    return sequence;
  }

  holdBlocks(blocks: number): void {
    this.kv.hold(blocks);
  }

  releaseBlocks(blocks: number): void {
    this.admissionChanged = true;
    this.kv.releaseHeld(blocks);
  }

  /** Takes a sequence that has not run yet out of the queue. */
  cancel(sequence: Sequence): void {
    this.admissionChanged = true;
    this.waiting.cancel(sequence);
  }

  /** Plans the next iteration into `batch`, `scheduled` and `newlyAdmitted`; false when there is nothing to run. */
  schedule(): boolean {
    const { config, scheduled } = this;
    let budget = config.maxNumBatchedTokens;
    // The lagging decodes plan in constant time; the loops below plan the rest as they always do.
    let first = 0;
    if (this.lagging.count > 0) {
      if (this.lagging.plan(config.maxNumBatchedTokens)) {
        first = this.lagging.count;
        budget -= first;
      } else {
        this.lagging.settle(this.running);
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
    this.batch.decodeContextTokens = first > 0 ? this.lagging.contextTokens() : 0;
    let preempted = false;
    if (config.preemptForPriority === true && this.waiting.live > 0 && this.running.length > 0)
      this.makeRoomByPriority();

    const running = this.running;
    // Victims come from the back, from index `i` on: never a lagging decode.
    for (let i = first; i < running.length && budget > 0; i++) {
      const sequence = running[i];
      const pending = this.pendingTokens(sequence);
      const tokens = Math.min(pending, budget);
      if (!config.chunkedPrefill && tokens < pending) break;
      const needed = this.kv.blocksFor(sequence.computed + tokens) - sequence.blocks;
      // Victims come from the back, so none was scheduled earlier in this loop; the last may be this sequence itself.
      while (needed > this.kv.available() && running.length > i) {
        this.preempt(running.pop() as Sequence);
        preempted = true;
      }
      if (running.length <= i) break;
      this.kv.take(needed);
      sequence.blocks += needed;
      budget -= tokens;
      this.plan(sequence, tokens);
    }

    // The discipline reads the token counts of the sequences it admits: they join the lagging ones later.
    const admittedFrom = running.length;
    while (!preempted && this.waiting.live > 0 && budget > 0 && this.running.length < config.maxNumSeqs) {
      const level = this.waiting.firstLevel();
      const sequence = this.waiting.head(level);
      // A waiting sequence holds no block, and has computed nothing unless its prompt was computed
      // on another replica: what it finds cached it need not compute.
      let hits = 0;
      // Of the hits, those in host memory: they need blocks to load into.
      let loads = 0;
      let available = this.kv.free;
      if (this.cache !== null) {
        available += this.cache.evictable;
        if (sequence.shareable >= config.blockSize && sequence.computed === 0) {
          hits = this.cache.lookup(sequence.prefix as SequencePrefix, this.kv.hitLimit(sequence));
          available -= this.cache.reviving;
          loads = this.cache.fromHost;
        }
      }
      const cachedTokens = hits * config.blockSize;
      const pending = this.pendingTokens(sequence) - cachedTokens;
      if (!config.chunkedPrefill && pending > budget) break;
      const tokens = Math.min(pending, budget);
      // Either it found cached blocks or it computed its prompt elsewhere, never both.
      const own = this.kv.blocksFor(sequence.computed + cachedTokens + tokens) - hits;
      // Blocks loaded from host memory come into newly allocated ones.
      const needed = own + loads;
      if (needed > available) break;
      this.waiting.shift(level);
      if (hits > 0) {
        this.kv.acquire(sequence, hits);
        sequence.computed = cachedTokens;
        this.savedPrefillTokens += cachedTokens;
        if (loads > 0) this.loadSeconds += this.kv.loadFromHost(loads * config.blockSize, !sequence.admitted);
      }
      this.kv.take(needed);
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
    if (!preempted && this.levels === 1 && quietIterationsRepeat())
      this.lagging.absorb(scheduled, this.running, admittedFrom);
    this.quiet = !preempted && scheduled.length === this.lagging.count && this.newlyAdmitted.length === 0;
    schedulerStepped(this, 'schedule');
    return scheduled.length > 0;
  }

  advance(): boolean {
    const lagging = this.lagging.count;
    // Only lagging decodes run, and nothing could be admitted that was not at the last plan.
    if (lagging === 0 || !this.quiet || this.admissionChanged || lagging !== this.running.length)
      return false;
    if (!this.lagging.repeat()) return false;
    this.loadSeconds = 0;
    if (this.newlyAdmitted.length > 0) this.newlyAdmitted.length = 0;
    this.batch.decodeContextTokens += lagging;
    schedulerStepped(this, 'finish');
    schedulerStepped(this, 'schedule');
    return true;
  }

  /** Advances every sequence of the planned iteration by what it computed; fills `firstTokens` and `finished`. */
  finishIteration(): void {
    if (this.firstTokens.length > 0) this.firstTokens.length = 0;
    if (this.finished.length > 0) this.finished.length = 0;
    const lagging = this.lagging.count;
    if (lagging > 0) this.lagging.finish(this.scheduled, this.finished);
    const cache = this.cache;
    const scheduled = this.scheduled;
    for (let i = lagging; i < scheduled.length; i++) {
      const sequence = scheduled[i];
      sequence.computed += sequence.scheduled;
      sequence.scheduled = 0;
      if (cache !== null && sequence.shareable >= this.config.blockSize) this.kv.register(cache, sequence);
      // Once every known token is in the cache, the model samples the next one.
      if (sequence.computed === sequence.prompt + sequence.generated) {
        sequence.generated++;
        if (sequence.generated === 1) this.firstTokens.push(sequence);
        if (sequence.generated === sequence.output) {
          this.kv.release(sequence);
          this.finished.push(sequence);
        }
      }
    }
    if (this.finished.length > 0) this.dropFinished();
    // Lagging decodes that finished left `running`; the lagging ones stay its first, and the plan's.
    if (this.lagging.count < lagging) {
      const running = this.running;
      for (let i = 0; i < this.lagging.count; i++) scheduled[i] = running[i];
    }
    schedulerStepped(this, 'finish');
  }

  checkInvariants(): void {
    checkSchedulerInvariants({
      config: this.config,
      kv: this.kv,
      running: this.running,
      scheduled: this.scheduled,
      waiting: this.waiting,
      lagging: this.lagging.count,
      ahead: this.lagging.ahead,
      planned: this.lagging.planned,
      preemptions: this.preemptions,
      scheduledTokens: this.scheduledTokens,
    });
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
    return this.totalBlocks - this.kv.available();
  }

  /** Tokens to compute before the next sample: the whole prompt (plus generated tokens after a preemption), or 1 to decode. */
  private pendingTokens(sequence: Sequence): number {
    return sequence.prompt + sequence.generated - sequence.computed;
  }

  /** A preempted sequence waits at the front of its level's queue. */
  private preempt(sequence: Sequence): void {
    this.preemptions++;
    if (sequence.computed > sequence.computedBeforePreemption)
      sequence.computedBeforePreemption = sequence.computed;
    this.kv.release(sequence);
    sequence.computed = 0;
    this.waiting.pushFront(sequence);
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
      const queue = this.waiting.queue(level);
      for (let i = this.waiting.headOf(level); i < queue.length && budget > 0; i++) {
        const sequence = queue[i];
        if (sequence.cancelled) continue;
        const pending = this.pendingTokens(sequence);
        if (!config.chunkedPrefill && pending > budget) return;
        const tokens = Math.min(pending, budget);
        const needed = this.kv.blocksFor(sequence.computed + tokens) - sequence.blocks;
        let victims = 0;
        let freed = 0;
        while (
          (slots + victims < 1 || needed > this.kv.available() - reserved + freed) &&
          victims < running.length &&
          running[running.length - 1 - victims].level < level
        ) {
          freed += running[running.length - 1 - victims].blocks;
          victims++;
        }
        if (slots + victims < 1 || needed > this.kv.available() - reserved + freed) return;
        for (let v = 0; v < victims; v++) this.preempt(running.pop() as Sequence);
        this.priorityPreemptions += victims;
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
