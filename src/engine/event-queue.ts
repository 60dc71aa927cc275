/**
 * A binary min-heap of events ordered by (time, priority, insertion sequence). The sequence
 * tie-break makes same-time, same-priority events pop in FIFO order, so a run is a pure function
 * of its inputs. Push and pop allocate nothing: all arrays grow by doubling.
 *
 * The heap itself holds two columns, time and event id; the rest of an event (its order, kind,
 * slot, gen) sits in a table indexed by its id, with a free list. Sifting moves every heap column
 * once per level, so this moves two numbers per level instead of five. The table is written once
 * at push and read once at pop; orders are read only on a time tie, which continuous times make rare.
 */
export class EventQueue {
  private times: Float64Array;
  private ids: Int32Array;
  private count = 0;
  private sequence = 0;

  // Event table, indexed by event id; `free` holds the ids not in the heap.
  /** priority * 2^44 + sequence: one comparison orders both (2^44 events is far beyond any run). */
  private orders: Float64Array;
  private kinds: Int32Array;
  private slots: Int32Array;
  private gens: Int32Array;
  private free: Int32Array;
  private freeCount: number;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(1, initialCapacity);
    this.times = new Float64Array(capacity);
    this.orders = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
    this.kinds = new Int32Array(capacity);
    this.slots = new Int32Array(capacity);
    this.gens = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let id = 0; id < capacity; id++) this.free[id] = capacity - 1 - id;
    this.freeCount = capacity;
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.times[0] : Number.POSITIVE_INFINITY;
  }

  /** Order key (priority, then sequence) of the earliest event; only meaningful when not empty. */
  peekOrder(): number {
    return this.orders[this.ids[0]];
  }

  /** The order key the next push would get, consumed: for events kept outside the heap that must sort among its events. */
  takeOrder(priority: number): number {
    return priority * 17592186044416 + this.sequence++;
  }

  push(time: number, priority: number, kind: number, slot: number, gen: number): void {
    if (this.freeCount === 0) this.grow();
    const id = this.free[--this.freeCount];
    this.orders[id] = this.takeOrder(priority);
    this.kinds[id] = kind;
    this.slots[id] = slot;
    this.gens[id] = gen;
    this.siftUp(this.count++, time, id);
  }

  /**
   * Out of line: `push` is inlined into every handler that schedules, and there this loop would
   * take the inlining budget that the handler's small, hotter calls (random draws) need.
   */
  private siftUp(from: number, time: number, id: number): void {
    const times = this.times;
    const orders = this.orders;
    const ids = this.ids;
    const order = orders[id];
    let i = from;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && orders[ids[parent]] < order)) break;
      times[i] = pt;
      ids[i] = ids[parent];
      i = parent;
    }
    times[i] = time;
    ids[i] = id;
  }

  /** Removes the earliest event and leaves it in `popped*` fields (no allocation). */
  pop(): boolean {
    if (this.count === 0) return false;
    const id = this.ids[0];
    this.poppedTime = this.times[0];
    this.poppedKind = this.kinds[id];
    this.poppedSlot = this.slots[id];
    this.poppedGen = this.gens[id];
    this.free[this.freeCount++] = id;
    const last = --this.count;
    if (last > 0) this.siftDownFrom(last);
    return true;
  }

  poppedTime = 0;
  poppedKind = 0;
  poppedSlot = 0;
  poppedGen = 0;

  /** Moves the entry at `from` (the old last) into the hole at the root and restores heap order. */
  private siftDownFrom(from: number): void {
    const times = this.times;
    const orders = this.orders;
    const ids = this.ids;
    const time = times[from];
    const id = ids[from];
    const n = this.count;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      let ct = times[child];
      const right = child + 1;
      if (right < n) {
        const rt = times[right];
        if (rt < ct || (rt === ct && orders[ids[right]] < orders[ids[child]])) {
          child = right;
          ct = rt;
        }
      }
      if (time < ct || (time === ct && orders[id] < orders[ids[child]])) break;
      times[i] = ct;
      ids[i] = ids[child];
      i = child;
    }
    times[i] = time;
    ids[i] = id;
  }

  /** Doubles every array; the new ids join the free list. Only called when all ids are in use. */
  private grow(): void {
    const old = this.times.length;
    const capacity = old * 2;
    this.times = grown(this.times, new Float64Array(capacity));
    this.orders = grown(this.orders, new Float64Array(capacity));
    this.ids = grown(this.ids, new Int32Array(capacity));
    this.kinds = grown(this.kinds, new Int32Array(capacity));
    this.slots = grown(this.slots, new Int32Array(capacity));
    this.gens = grown(this.gens, new Int32Array(capacity));
    this.free = new Int32Array(capacity);
    for (let id = capacity - 1; id >= old; id--) this.free[this.freeCount++] = id;
  }
}

function grown<T extends Float64Array | Int32Array>(values: T, bigger: T): T {
  bigger.set(values);
  return bigger;
}
