import type { PriorityOrder } from './priority-order.js';
import { RequestState, type RequestTable } from './request-table.js';

/** Waiting requests per replica, in the order they are served; see `ReplicaQueues`. */
export interface WaitingQueues {
  push(replica: number, slot: number, gen: number): void;
  shift(replica: number): number;
  readonly poppedGen: number;
  peek(replica: number): number;
  readonly peekedGen: number;
  length(replica: number): number;
  at(replica: number, i: number): number;
}

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

  /** Removes the tail (newest) entry and returns its slot, or -1 when empty; its generation is left in `poppedGen`. */
  pop(replica: number): number {
    if (this.size[replica] === 0) return -1;
    const slots = this.slots[replica];
    const at = (this.head[replica] + --this.size[replica]) & (slots.length - 1);
    this.poppedGen = this.gens[replica][at];
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

/**
 * Waiting requests per replica by priority: one FIFO per level (`PriorityOrder`), the highest
 * level's served first. For scenarios with more than one level; with one, `ReplicaQueues` is the
 * same order without the search across levels.
 */
export class PriorityReplicaQueues implements WaitingQueues {
  poppedGen = 0;
  peekedGen = 0;
  /** One ring per (replica, level): `replica * levels + level`. */
  private readonly lanes: ReplicaQueues;
  private readonly levels: number;

  constructor(
    replicas: number,
    private readonly order: PriorityOrder,
    private readonly requests: RequestTable,
  ) {
    this.levels = order.levels;
    this.lanes = new ReplicaQueues(replicas * order.levels);
  }

  /** The level of the request in `slot`. */
  level(slot: number): number {
    return this.order.classLevel[this.requests.requestClass[slot]];
  }

  push(replica: number, slot: number, gen: number): void {
    this.lanes.push(replica * this.levels + this.level(slot), slot, gen);
  }

  shift(replica: number): number {
    const lanes = this.lanes;
    for (let lane = replica * this.levels + this.levels - 1; lane >= replica * this.levels; lane--) {
      if (lanes.length(lane) === 0) continue;
      const slot = lanes.shift(lane);
      this.poppedGen = lanes.poppedGen;
      return slot;
    }
    return -1;
  }

  peek(replica: number): number {
    const lanes = this.lanes;
    for (let lane = replica * this.levels + this.levels - 1; lane >= replica * this.levels; lane--) {
      if (lanes.length(lane) === 0) continue;
      const slot = lanes.peek(lane);
      this.peekedGen = lanes.peekedGen;
      return slot;
    }
    return -1;
  }

  length(replica: number): number {
    let total = 0;
    for (let level = 0; level < this.levels; level++)
      total += this.lanes.length(replica * this.levels + level);
    return total;
  }

  at(replica: number, i: number): number {
    const lanes = this.lanes;
    let rest = i;
    for (let lane = replica * this.levels + this.levels - 1; lane >= replica * this.levels; lane--) {
      const n = lanes.length(lane);
      if (rest < n) {
        const slot = lanes.at(lane, rest);
        this.peekedGen = lanes.peekedGen;
        return slot;
      }
      rest -= n;
    }
    return -1;
  }

  /**
   * Takes the newest request still waiting at `replica` of the lowest level below `level` out of
   * its queue, and returns its slot; -1 when none waits below `level`. Stale entries met on the
   * way leave the queue.
   */
  evictBelow(replica: number, level: number): number {
    const lanes = this.lanes;
    const requests = this.requests;
    for (let l = 0; l < level; l++) {
      const lane = replica * this.levels + l;
      for (let slot = lanes.pop(lane); slot >= 0; slot = lanes.pop(lane)) {
        if (requests.gen[slot] === lanes.poppedGen && requests.state[slot] === RequestState.Queued)
          return slot;
      }
    }
    return -1;
  }
}
