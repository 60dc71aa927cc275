import { DDSketch } from '@datadog/sketches-js';

/** Summary of a latency-like quantity in seconds. Quantiles carry DDSketch's 1 % relative error. */
export interface DistributionSummary {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

export const RELATIVE_ACCURACY = 0.01;

/**
 * Streaming statistics of one quantity: exact count, mean and max, quantiles from a DDSketch so
 * memory stays bounded (logarithmic in the value range) whatever the number of requests, and
 * sketches of shards merge exactly.
 */
export class LatencyStats {
  readonly sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  count = 0;
  sum = 0;
  max = 0;
  /** Observations above zero (for waits: requests that queued at all). */
  positive = 0;

  accept(valueS: number): void {
    this.sketch.accept(valueS);
    this.count++;
    this.sum += valueS;
    if (valueS > this.max) this.max = valueS;
    if (valueS > 0) this.positive++;
  }

  summary(): DistributionSummary {
    if (this.count === 0)
      return { mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null };
    const q = (p: number) => this.sketch.getValueAtQuantile(p);
    return {
      mean: this.sum / this.count,
      p50: q(0.5),
      p90: q(0.9),
      p95: q(0.95),
      p99: q(0.99),
      p999: q(0.999),
      max: this.max,
    };
  }
}
