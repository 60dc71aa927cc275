import { EventQueue } from './event-queue.js';

/** Called for each event: `slot` and `gen` are the payload given to `at`. */
export type EventHandler = (slot: number, gen: number, now: number) => void;

export interface RunOutcome {
  /** Events handled. */
  events: number;
  /** Simulated time of the last handled event (or the start time when none ran). */
  endUs: number;
  /** True when events remain scheduled after `untilUs`. */
  pending: boolean;
}

/**
 * The event loop: a clock in integer microseconds, an event queue, and one handler per event
 * kind. It knows nothing of requests or servers. Events carry a kind, a table index (`slot`) and
 * a generation number (`gen`) that lets a handler recognise a stale event: cancelling means
 * bumping the generation it compares against, never searching the queue.
 */
export class Engine {
  private readonly queue = new EventQueue();
  private readonly handlers: EventHandler[] = [];
  private readonly priorities: number[] = [];
  private clockUs = 0;
  private stopped = false;

  get now(): number {
    return this.clockUs;
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  /** Registers the handler of `kind`; events at the same time run in ascending `priority`, then FIFO. */
  on(kind: number, priority: number, handler: EventHandler): void {
    if (!Number.isInteger(kind) || kind < 0)
      throw new RangeError(`event kind must be a non-negative integer, got ${kind}`);
    if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
      throw new RangeError(`priority must be an integer in 0..255, got ${priority}`);
    }
    this.handlers[kind] = handler;
    this.priorities[kind] = priority;
  }

  /** Schedules an event of `kind` at `timeUs` (not before now). */
  at(timeUs: number, kind: number, slot: number, gen = 0): void {
    if (timeUs < this.clockUs)
      throw new RangeError(`cannot schedule at ${timeUs} us: the clock is at ${this.clockUs} us`);
    this.queue.push(timeUs, this.priorities[kind], kind, slot, gen);
  }

  /** Makes `run` return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /** Handles events in order until the queue is empty, `stop()` is called, or the next event is after `untilUs`. */
  run(untilUs = Number.POSITIVE_INFINITY): RunOutcome {
    const queue = this.queue;
    const handlers = this.handlers;
    let events = 0;
    this.stopped = false;
    while (!this.stopped && queue.size > 0 && queue.peekTime() <= untilUs) {
      queue.pop();
      this.clockUs = queue.poppedTime;
      handlers[queue.poppedKind](queue.poppedSlot, queue.poppedGen, queue.poppedTime);
      events++;
    }
    return { events, endUs: this.clockUs, pending: queue.size > 0 };
  }
}
