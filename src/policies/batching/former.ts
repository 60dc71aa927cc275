import type { BatchingPolicy } from './types.js';

/**
 * What a batch former sees of one replica's queue: the requests waiting there in the order they
 * are served (highest priority first, oldest first within a priority), by id, with their arrival
 * times and attributes. Never the future: neither arrivals to come nor
 * service times.
 */
export interface WaitingQueue {
  /** Requests waiting (at least 1 when a former is asked). */
  readonly length: number;
  /** The first waiting request's id; starts a walk through the queue. */
  first(): number;
  /** The next waiting request after the one `first` or `next` last returned; -1 past the newest. */
  next(): number;
  /** When request `id` arrived, microseconds. */
  arrivalUs(id: number): number;
  /** Attribute `a` of request `id`, in `REQUEST_ATTRIBUTES` order (0 where the workload gives none). */
  attribute(id: number, a: number): number;
}

/**
 * Chooses which waiting requests a replica with a free execution slot starts together. The
 * simulator asks whenever a request joins the queue or a batch ends, and again at the time
 * `recheckAtUs` names if it chose to wait.
 */
export interface BatchFormer {
  /** The batch `form` chose last (read it after `form`, which may replace it): request ids, each waiting and each once, in `batch[0 .. size - 1]`. */
  readonly batch: Int32Array;
  /** Chooses the batch to start now into `batch` and returns its size; 0 keeps waiting. */
  form(queue: WaitingQueue, nowUs: number): number;
  /** When to ask again if nothing arrives (Infinity: only arrivals matter). */
  recheckAtUs(queue: WaitingQueue): number;
}

/** The first requests, as many as a `BatchingPolicy` (static or dynamic batching) says from the queue's length and the first one's wait. */
export class FifoBatchFormer implements BatchFormer {
  batch = new Int32Array(16);

  constructor(private readonly policy: BatchingPolicy) {}

  form(queue: WaitingQueue, nowUs: number): number {
    let id = queue.first();
    const size = this.policy.batchSize(queue.length, nowUs - queue.arrivalUs(id));
    if (size > this.batch.length) this.batch = new Int32Array(size);
    const batch = this.batch;
    for (let i = 0; i < size; i++) {
      batch[i] = id;
      if (i + 1 < size) id = queue.next();
    }
    return size;
  }

  recheckAtUs(queue: WaitingQueue): number {
    return queue.arrivalUs(queue.first()) + this.policy.recheckAfterUs;
  }
}
