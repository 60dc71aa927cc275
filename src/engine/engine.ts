import { EventQueue } from './event-queue.js';

/**
 * Handles every event of one engine. One object with one method, not a closure per kind: the
 * loop's call site then sees a single target and V8 can inline the handler's switch into it;
 * with one closure per kind (and fresh closures per run) the call stayed megamorphic.
 */
export interface EventHandler {
  /** `slot` and `gen` are the payload given to `at`; `now` is the event's time. */
  handle(kind: number, slot: number, gen: number, now: number): void;
}

export interface RunOutcome {
  /** Events handled. */
  events: number;
  /** Simulated time of the last handled event (or the start time when none ran). */
  endUs: number;
  /** True when events remain scheduled after `untilUs`. */
  pending: boolean;
  /** True when `stop()` ended the run. */
  stopped: boolean;
}

/**
 * The event loop: a clock in integer microseconds, an event queue, and one handler for all event
 * kinds. It knows nothing of requests or servers. Events carry a kind, a table index (`slot`) and
 * a generation number (`gen`) that lets a handler recognise a stale event: cancelling means
 * bumping the generation it compares against, never searching the queue.
 */
export class Engine {
  private readonly queue = new EventQueue();
  private readonly priorities: Int32Array;
  private clockUs = 0;
  private stopped = false;
  // The lane: at most one event kept outside the heap (see `atLane`).
  private laneTimeUs = Number.POSITIVE_INFINITY;
  private laneOrder = 0;
  private laneKind = 0;
  private laneSlot = 0;
  private laneGen = 0;

  /** At equal times, events run in ascending `priorities[kind]` (integers in 0..255), then FIFO. */
  constructor(
    private readonly handler: EventHandler,
    priorities: readonly number[],
  ) {
    for (const priority of priorities) {
      if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
        throw new RangeError(`priority must be an integer in 0..255, got ${priority}`);
      }
    }
    this.priorities = Int32Array.from(priorities);
  }

  get now(): number {
    return this.clockUs;
  }

  get pendingEvents(): number {
    return this.queue.size + (this.laneTimeUs === Number.POSITIVE_INFINITY ? 0 : 1);
  }

  /** Time of the next event to handle; Infinity when none is left. */
  get nextEventUs(): number {
    return Math.min(this.laneTimeUs, this.queue.peekTime());
  }

  /** Schedules an event of `kind` at `timeUs` (not before now). */
  at(timeUs: number, kind: number, slot: number, gen = 0): void {
    const priority = this.priorities[kind];
    if (!(timeUs >= this.clockUs && priority >= 0)) this.refuse(timeUs, kind);
    this.queue.push(timeUs, priority, kind, slot, gen);
  }

  /**
   * Schedules the lane's one event, replacing any pending one. It orders among the heap's events
   * exactly as `at` would, but costs no heap push and pop: for a source that always knows its
   * next event and only that one (a stream of arrivals), that is half of the heap traffic.
   */
  atLane(timeUs: number, kind: number, slot: number, gen = 0): void {
    const priority = this.priorities[kind];
    if (!(timeUs >= this.clockUs && priority >= 0)) this.refuse(timeUs, kind);
    this.laneTimeUs = timeUs;
    this.laneOrder = this.queue.takeOrder(priority);
    this.laneKind = kind;
    this.laneSlot = slot;
    this.laneGen = gen;
  }

  /**
   * Out of line: `at` is inlined into every handler that schedules, so its error messages stay out
   * of it; there, a kind without a priority reads undefined and fails the same test as a time
   * before now (or NaN), which keeps `at` small enough to leave V8 room to inline its callers' calls.
   */
  private refuse(timeUs: number, kind: number): never {
    if (!(timeUs >= this.clockUs))
      throw new RangeError(`cannot schedule at ${timeUs} us: the clock is at ${this.clockUs} us`);
    throw new RangeError(`event kind ${kind} has no priority`);
  }

  /** Makes `run` return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Handles events in order until none is left, `stop()` is called, the next event is after
   * `untilUs`, or `maxEvents` have been handled (a caller checking something every so many events).
   */
  run(untilUs = Number.POSITIVE_INFINITY, maxEvents = Number.POSITIVE_INFINITY): RunOutcome {
    this.stopped = false;
    const events = this.loop(untilUs, maxEvents);
    return { events, endUs: this.clockUs, pending: this.pendingEvents > 0, stopped: this.stopped };
  }

  /**
   * The event loop alone. V8 compiles it while it runs (on-stack replacement), before the code after
   * the loop has ever run; any property read there would have no type feedback and deoptimize the
   * compiled loop at every exit. So the loop only returns a local, and `run` reads the rest.
   */
  private loop(untilUs: number, maxEvents: number): number {
    const queue = this.queue;
    const handler = this.handler;
    // Converted once: a parameter read inside the loop is checked for its type on every pass.
    const lastUs = +untilUs;
    const most = +maxEvents;
    let events = 0;
    while (!this.stopped && events < most) {
      const laneTime = this.laneTimeUs;
      const heapTime = queue.peekTime();
      if (
        laneTime < heapTime ||
        (laneTime === heapTime && laneTime !== Number.POSITIVE_INFINITY && this.laneOrder < queue.peekOrder())
      ) {
        if (laneTime > lastUs) break;
        this.laneTimeUs = Number.POSITIVE_INFINITY;
        this.clockUs = laneTime;
        handler.handle(this.laneKind, this.laneSlot, this.laneGen, laneTime);
      } else {
        if (heapTime > lastUs || queue.size === 0) break;
        queue.pop();
        this.clockUs = heapTime;
        handler.handle(queue.poppedKind, queue.poppedSlot, queue.poppedGen, heapTime);
      }
      events++;
    }
    return events;
  }
}
