import type { Sequence } from './sequence.js';

/**
 * The sequences waiting on one replica: a first-come first-served queue per priority level,
 * highest level first. A queue is an array read from a head index rather than shifted, since
 * every admission takes its first; a cancelled sequence stays in it, skipped when reached, since
 * a time-out can strike anywhere in the queue.
 */
export class WaitingQueues {
  /** Per level: waiting sequences from its `heads` entry on. */
  private readonly queues: Sequence[][];
  private readonly heads: number[];
  /** Waiting sequences not cancelled. */
  live = 0;

  constructor(readonly levels: number) {
    this.queues = Array.from({ length: levels }, () => []);
    this.heads = new Array<number>(levels).fill(0);
  }

  push(sequence: Sequence): void {
    this.queues[sequence.level].push(sequence);
    this.live++;
  }

  /** A preempted sequence waits at the front of its level's queue. */
  pushFront(sequence: Sequence): void {
    const level = sequence.level;
    if (this.heads[level] > 0) this.queues[level][--this.heads[level]] = sequence;
    else this.queues[level].unshift(sequence);
    this.live++;
  }

  /** Takes a sequence out of the queue where it stands: it is skipped when reached. */
  cancel(sequence: Sequence): void {
    sequence.cancelled = true;
    this.live--;
  }

  /**
   * Takes the newest waiting sequence of the lowest level below `level` that has not run yet out
   * of the queue (as `cancel` does) and returns it; null when none waits below `level`.
   */
  evictBelow(level: number): Sequence | null {
    for (let l = 0; l < level && l < this.levels; l++) {
      const queue = this.queues[l];
      for (let i = queue.length - 1; i >= this.heads[l]; i--) {
        const sequence = queue[i];
        if (sequence.cancelled || sequence.admitted || sequence.computed > 0) continue;
        this.cancel(sequence);
        return sequence;
      }
    }
    return null;
  }

  /** The highest level with a live waiting sequence (some must wait), its cancelled entries at the head dropped. */
  firstLevel(): number {
    // `shift` may compact a level's array: read it afresh after each.
    for (let level = this.levels - 1; level > 0; level--) {
      while (this.heads[level] < this.queues[level].length) {
        if (!this.queues[level][this.heads[level]].cancelled) return level;
        this.shift(level);
      }
    }
    while (this.queues[0][this.heads[0]].cancelled) this.shift(0);
    return 0;
  }

  /** The first sequence of `level`'s queue (there must be one). */
  head(level: number): Sequence {
    return this.queues[level][this.heads[level]];
  }

  /** Drops the first sequence of `level`'s queue: it was admitted, or cancelled. */
  shift(level: number): void {
    const queue = this.queues[level];
    const sequence = queue[this.heads[level]++];
    if (!sequence.cancelled) this.live--;
    // Compact now and then so the array does not grow with every request ever queued.
    if (this.heads[level] > 1024 && this.heads[level] * 2 > queue.length) {
      this.queues[level] = queue.slice(this.heads[level]);
      this.heads[level] = 0;
    }
  }

  /** `level`'s queue, read from `headOf(level)` on (cancelled sequences included). */
  queue(level: number): readonly Sequence[] {
    return this.queues[level];
  }

  headOf(level: number): number {
    return this.heads[level];
  }

  /** Every sequence in the queues, cancelled ones included, for the scheduler's laws. */
  all(): Sequence[] {
    return this.queues.flatMap((queue, level) => queue.slice(this.heads[level]));
  }
}
