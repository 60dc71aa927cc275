/**
 * One FIFO of waiting requests per replica, as ring buffers of (slot, generation) pairs. A
 * request that gives up while waiting is not searched for and removed: its entry goes stale
 * (its generation no longer matches) and is skipped when it reaches the head.
 */
export class ReplicaQueues {
  private slots: Int32Array[];
  private gens: Int32Array[];
  private readonly head: Int32Array;
  private readonly size: Int32Array;

  constructor(replicas: number) {
    this.slots = Array.from({ length: replicas }, () => new Int32Array(16));
    this.gens = Array.from({ length: replicas }, () => new Int32Array(16));
    this.head = new Int32Array(replicas);
    this.size = new Int32Array(replicas);
  }

  push(replica: number, slot: number, gen: number): void {
    let slots = this.slots[replica];
    if (this.size[replica] === slots.length) {
      this.regrow(replica);
      slots = this.slots[replica];
    }
    const at = (this.head[replica] + this.size[replica]) & (slots.length - 1);
    slots[at] = slot;
    this.gens[replica][at] = gen;
    this.size[replica]++;
  }

  /** Removes the head entry and returns its slot, or -1 when empty; the entry's generation is left in `poppedGen`. */
  shift(replica: number): number {
    if (this.size[replica] === 0) return -1;
    const slots = this.slots[replica];
    const at = this.head[replica];
    this.poppedGen = this.gens[replica][at];
    this.head[replica] = (at + 1) & (slots.length - 1);
    this.size[replica]--;
    return slots[at];
  }

  poppedGen = 0;

  /** The head entry's slot without removing it, or -1 when empty; its generation is left in `peekedGen`. */
  peek(replica: number): number {
    if (this.size[replica] === 0) return -1;
    const at = this.head[replica];
    this.peekedGen = this.gens[replica][at];
    return this.slots[replica][at];
  }

  peekedGen = 0;

  /** Entries in `replica`'s queue, stale ones included. */
  length(replica: number): number {
    return this.size[replica];
  }

  /** The slot of the entry `i` places behind the head (0 <= i < `length`); its generation is left in `peekedGen`. */
  at(replica: number, i: number): number {
    const slots = this.slots[replica];
    const at = (this.head[replica] + i) & (slots.length - 1);
    this.peekedGen = this.gens[replica][at];
    return slots[at];
  }

  /** Doubles a ring (capacities stay powers of two so wrapping is a mask) and unrolls it to start at 0. */
  private regrow(replica: number): void {
    const slots = this.slots[replica];
    const gens = this.gens[replica];
    const n = slots.length;
    const head = this.head[replica];
    const biggerSlots = new Int32Array(n * 2);
    const biggerGens = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) {
      biggerSlots[i] = slots[(head + i) & (n - 1)];
      biggerGens[i] = gens[(head + i) & (n - 1)];
    }
    this.slots[replica] = biggerSlots;
    this.gens[replica] = biggerGens;
    this.head[replica] = 0;
  }
}
