import type { KvBlocks } from './kv-blocks.js';
import type { Sequence } from './sequence.js';

/**
 * The decode-repeat shortcut of one replica's scheduler. Most iterations of a busy replica
 * repeat the one before: the same sequences decode one token each. The first `count` running
 * sequences are such decodes, planned in constant time whatever their number: their token counts
 * are stored `ahead` iterations behind rather than moved on every iteration, and the blocks they
 * cross into are allocated by the position within its block each one's token has. One is brought
 * up to date when it finishes (`finish`), and all are when they cannot get their blocks from the
 * free ones (`settle`), before a preemption or eviction.
 */
export class LaggingDecodes {
  /** How many of the first running sequences lag. */
  count = 0;
  /** Iterations their stored token counts are behind. */
  ahead = 0;
  /** Whether they are in the planned iteration (else one of theirs just ended). */
  planned = false;
  /** The least `output - generated` of them, as stored: at that `ahead`, one finishes. */
  private finishAt = 0;
  /** Sum of their `computed`, as stored. */
  private computedBase = 0;
  /** Per position within a block, modulo the block size: those whose stored `computed` sits there. */
  private readonly positions: Int32Array;

  constructor(
    private readonly kv: KvBlocks,
    private readonly blockSize: number,
  ) {
    this.positions = new Int32Array(blockSize);
  }

  /** Tokens of context they decode against in the planned iteration. */
  contextTokens(): number {
    return this.computedBase + this.count * this.ahead;
  }

  /**
   * The planned decodes that follow the lagging ones in `running` (up to `end`) join them: from
   * here on their token counts lag by `ahead` too, so they are stored that far behind.
   */
  absorb(scheduled: readonly Sequence[], running: readonly Sequence[], end: number): void {
    const positions = this.positions;
    let joined = this.count;
    if (joined === 0) {
      this.ahead = 0;
      this.computedBase = 0;
      this.finishAt = Number.POSITIVE_INFINITY;
      positions.fill(0);
    }
    const ahead = this.ahead;
    const size = this.blockSize;
    const last = Math.min(end, scheduled.length);
    for (; joined < last; joined++) {
      const sequence = scheduled[joined];
      const isDecode =
        sequence === running[joined] &&
        sequence.generated > 0 &&
        sequence.scheduled === 1 &&
        sequence.prompt + sequence.generated - sequence.computed === 1;
      if (!isDecode) break;
      sequence.computed -= ahead;
      sequence.generated -= ahead;
      positions[((sequence.computed % size) + size) % size]++;
      this.computedBase += sequence.computed;
      const left = sequence.output - sequence.generated;
      if (left < this.finishAt) this.finishAt = left;
    }
    this.count = joined;
    this.planned = true;
  }

  /**
   * Ends their iteration and plans the next one alike, when none finishes with it and the blocks
   * they cross into are free; false, doing nothing, when that is not so.
   */
  repeat(): boolean {
    const ahead = this.ahead + 1;
    // The iteration ending now is the `ahead`-th of the lag: a sequence finishing with it is a change.
    if (ahead >= this.finishAt) return false;
    const needed = this.newBlocks(ahead);
    // Short of free blocks, the plan would evict cached blocks or preempt.
    if (needed > this.kv.free) return false;
    this.kv.free -= needed;
    this.ahead = ahead;
    return true;
  }

  /** Blocks they need for the tokens they compute `ahead` iterations on: one each whose token starts a block. */
  private newBlocks(ahead: number): number {
    const size = this.blockSize;
    return this.positions[(size - (ahead % size)) % size];
  }

  /** Plans their next tokens if their blocks are free and `budget` tokens hold them; false, doing nothing, if not. */
  plan(budget: number): boolean {
    if (this.count > budget) return false;
    const needed = this.newBlocks(this.ahead);
    if (needed > this.kv.free) return false;
    this.kv.free -= needed;
    this.planned = true;
    return true;
  }

  /**
   * Their iteration ended: they lag one more; those finishing with it (the first `count` of
   * `scheduled`) are brought up to date, let go of their blocks and go to `finished`.
   */
  finish(scheduled: readonly Sequence[], finished: Sequence[]): void {
    const ahead = this.ahead + 1;
    this.ahead = ahead;
    this.planned = false;
    if (ahead < this.finishAt) return;
    const positions = this.positions;
    const size = this.blockSize;
    const lagging = this.count;
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
      sequence.blocks = this.kv.blocksFor(sequence.computed);
      this.kv.release(sequence);
      finished.push(sequence);
      left--;
    }
    this.finishAt = finishAt;
    this.count = left;
  }

  /** Brings them (the first `count` of `running`) up to date: they are planned in full from here on. */
  settle(running: readonly Sequence[]): void {
    const ahead = this.ahead;
    const planned = this.planned;
    for (let i = 0; i < this.count; i++) {
      const sequence = running[i];
      sequence.computed += ahead;
      sequence.generated += ahead;
      if (!planned) sequence.scheduled = 0;
      sequence.blocks = this.kv.blocksFor(sequence.computed + sequence.scheduled);
    }
    this.count = 0;
    this.ahead = 0;
  }
}
