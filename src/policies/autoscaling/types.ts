import { secondsToUs } from '../../core/units.js';

export { secondsToUs };

/**
 * What an autoscaler sees of its fleet and what it answers. The simulator scrapes every
 * `scrapeIntervalUs` and asks every `evaluationPeriodUs`; a policy reads only the samples it was
 * given (window averages, as the real system's metrics pipeline reports them), never the future.
 */

/**
 * One scrape of a fleet: averages over the scrape interval that ends at `timeUs`, taken over the
 * replicas that were ready (provisioning and draining replicas report nothing, as pods that are not
 * ready report nothing to the Kubernetes metrics pipeline and to Knative's scraper).
 */
export interface MetricSample {
  /** End of the scrape window, integer microseconds; the window is the scrape interval before it. */
  timeUs: number;
  /** Ready replicas when the window ended: the ones whose metrics the sample averages. */
  readyReplicas: number;
  /**
   * Time-averaged requests in flight (in service plus waiting at a replica) summed over the ready
   * replicas, plus requests held for the fleet while no replica is ready (Knative's activator
   * reports those as concurrency, which is how a fleet at zero learns it has traffic).
   */
  concurrency: number;
  /** Busy slot-time over the slot-time of the ready replicas, in [0, 1]; 0 when none is ready. */
  utilization: number;
  /** Requests that arrived for the fleet per second over the window. */
  requestRateRps: number;
  /** Requests waiting (not in service) at the scrape, fleet total, held requests included. */
  queueLength: number;
  /**
   * Share of the KV cache in use at the scrape, averaged over the ready replicas (vLLM exports it
   * per replica as the gauge `gpu_cache_usage_perc`); null for a fleet without one (not LLM).
   */
  kvCacheUtilization: number | null;
}

/** The fleet's replicas at a decision, by lifecycle state. */
export interface ReplicaCounts {
  ready: number;
  /** Requested and not ready yet (cold start). */
  provisioning: number;
  /** Taking no new work; gone once in-flight requests finish (or at a spot reclaim). */
  draining: number;
}

/** The fleet's `replicas: { min, max }`. */
export interface ReplicaBounds {
  min: number;
  max: number;
}

export interface Autoscaler {
  /** How often the simulator calls `observe`; null when the policy reads no metrics (`scheduled`). */
  readonly scrapeIntervalUs: number | null;
  /** How often the simulator calls `desiredReplicas`; at an instant with both, `observe` comes first. */
  readonly evaluationPeriodUs: number;
  /** Samples arrive in time order, one per scrape interval. */
  observe(sample: MetricSample): void;
  /**
   * The replica count the fleet should have (ready plus provisioning), within the bounds. The
   * simulator launches replicas to reach it or removes the surplus (provisioning ones first);
   * draining replicas are already on their way out and are not counted.
   */
  desiredReplicas(nowUs: number, counts: ReplicaCounts): number;
}

/**
 * Whether `whole` seconds are a whole number of `part` seconds on the microsecond clock of the
 * autoscalers, which refuse other periods when the run starts: their schemas check it at load.
 */
export function multipleOf(whole: number, part: number): boolean {
  const partUs = secondsToUs(part);
  return partUs > 0 && secondsToUs(whole) % partUs === 0;
}

export function clampReplicas(replicas: number, bounds: ReplicaBounds): number {
  return Math.min(bounds.max, Math.max(bounds.min, replicas));
}
