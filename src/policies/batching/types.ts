/**
 * Decides when a replica with a free execution slot starts a batch, from what it can see: how
 * many requests wait and how long the oldest has waited. Never the future (arrivals to come).
 */
export interface BatchingPolicy {
  /** Requests to start now (at most `waiting`), or 0 to keep waiting. */
  batchSize(waiting: number, oldestWaitUs: number): number;
  /** Once the oldest request has waited this long, ask again even if nothing arrives (Infinity: only arrivals matter). */
  readonly recheckAfterUs: number;
}
