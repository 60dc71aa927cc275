/**
 * A binary min-heap of events stored as parallel typed-array columns, ordered by
 * (time, priority, insertion sequence). The sequence tie-break makes same-time, same-priority
 * events pop in FIFO order, so a run is a pure function of its inputs. Push and pop allocate
 * nothing: columns grow by doubling.
 */
export class EventQueue {
  private times: Float64Array;
  /** priority * 2^44 + sequence: one comparison orders both (2^44 events is far beyond any run). */
  private orders: Float64Array;
  private kinds: Int32Array;
  private slots: Int32Array;
  private gens: Int32Array;
  private count = 0;
  private sequence = 0;

  constructor(initialCapacity = 1024) {
    this.times = new Float64Array(initialCapacity);
    this.orders = new Float64Array(initialCapacity);
    this.kinds = new Int32Array(initialCapacity);
    this.slots = new Int32Array(initialCapacity);
    this.gens = new Int32Array(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.count > 0 ? this.times[0] : Number.POSITIVE_INFINITY;
  }

  push(time: number, priority: number, kind: number, slot: number, gen: number): void {
    if (this.count === this.times.length) this.grow();
    const order = priority * 17592186044416 + this.sequence++;
    const times = this.times;
    const orders = this.orders;
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent];
      if (pt < time || (pt === time && orders[parent] < order)) break;
      this.move(parent, i);
      i = parent;
    }
    times[i] = time;
    orders[i] = order;
    this.kinds[i] = kind;
    this.slots[i] = slot;
    this.gens[i] = gen;
  }

  /** Removes the earliest event and leaves it in `popped*` fields (no allocation). */
  pop(): boolean {
    if (this.count === 0) return false;
    this.poppedTime = this.times[0];
    this.poppedKind = this.kinds[0];
    this.poppedSlot = this.slots[0];
    this.poppedGen = this.gens[0];
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
    const time = times[from];
    const order = orders[from];
    const kind = this.kinds[from];
    const slot = this.slots[from];
    const gen = this.gens[from];
    const n = this.count;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n) {
        const ct = times[child];
        const rt = times[right];
        if (rt < ct || (rt === ct && orders[right] < orders[child])) child = right;
      }
      const ct = times[child];
      if (time < ct || (time === ct && order < orders[child])) break;
      this.move(child, i);
      i = child;
    }
    times[i] = time;
    orders[i] = order;
    this.kinds[i] = kind;
    this.slots[i] = slot;
    this.gens[i] = gen;
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from];
    this.orders[to] = this.orders[from];
    this.kinds[to] = this.kinds[from];
    this.slots[to] = this.slots[from];
    this.gens[to] = this.gens[from];
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const orders = new Float64Array(capacity);
    orders.set(this.orders);
    this.orders = orders;
    const kinds = new Int32Array(capacity);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const slots = new Int32Array(capacity);
    slots.set(this.slots);
    this.slots = slots;
    const gens = new Int32Array(capacity);
    gens.set(this.gens);
    this.gens = gens;
  }
}
