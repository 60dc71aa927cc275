import { DDSketch } from '@datadog/sketches-js';
import { REQUEST_ATTRIBUTES, type RequestAttribute, type TraceSource } from '../scenario/types.js';
import { createArrivalRecord, type SkippedRows } from './arrival-source.js';
import { createTraceArrivals } from './trace-arrivals.js';

/** Summary of one attribute over the replayed requests. */
export interface AttributeStats {
  count: number;
  mean: number;
  /** From a DDSketch (relative accuracy 1 %): the lower-rank value, within 1 % of the exact quantile. */
  p50: number;
  p90: number;
  p99: number;
  /** Exact. */
  max: number;
}

/** What `fleetsim trace stats` prints. Plain data, JSON-serialisable. */
export interface TraceStats {
  requests: number;
  /** Replayed seconds from the first request to the last. */
  span_s: number;
  /** requests / span_s; null when the span is 0. */
  mean_rate_rps: number | null;
  /** Most requests in one fixed 1 s bin, bins counted from the first request. */
  peak_requests_1s: number;
  /** Most requests in one fixed 60 s bin, bins counted from the first request. */
  peak_requests_60s: number;
  /** Per request attribute; null when the trace does not map it. */
  attributes: Record<RequestAttribute, AttributeStats | null>;
  /** With `on_bad_row: skip`: the bad rows passed over, and where the first few are. */
  skipped_rows?: { count: number; first: { line: number; col: number; message: string }[] };
}

// Matches the 1 % used by the simulator's latency metrics; TOOLCHAIN.md measured p99 within 0.3 % at this setting.
const SKETCH_RELATIVE_ACCURACY = 0.01;

/**
 * Streams the trace once as it would be replayed (`speed`, `limit`, `duration` and `on_bad_row`
 * apply), in memory independent of its length. Throws the same UserErrors as replay.
 */
export function computeTraceStats(trace: TraceSource): TraceStats {
  const source = createTraceArrivals(trace, null);
  const record = createArrivalRecord();
  const accumulators = REQUEST_ATTRIBUTES.map((attribute) =>
    trace.columns[attribute] !== undefined ? new AttributeAccumulator() : null,
  );
  const peak1s = new PeakBinCounter(1);
  const peak60s = new PeakBinCounter(60);
  let requests = 0;
  let lastS = 0;
  try {
    while (source.next(record)) {
      requests++;
      lastS = record.timeS;
      peak1s.add(record.timeS);
      peak60s.add(record.timeS);
      accumulators[0]?.add(record.input_tokens);
      accumulators[1]?.add(record.output_tokens);
      accumulators[2]?.add(record.request_bytes);
      accumulators[3]?.add(record.response_bytes);
    }
  } finally {
    source.close();
  }
  const attributes = {} as Record<RequestAttribute, AttributeStats | null>;
  REQUEST_ATTRIBUTES.forEach((attribute, i) => {
    attributes[attribute] = accumulators[i]?.summarise() ?? null;
  });
  const skipped = source.skippedRows?.();
  return {
    requests,
    span_s: lastS,
    mean_rate_rps: lastS > 0 ? requests / lastS : null,
    peak_requests_1s: peak1s.peak,
    peak_requests_60s: peak60s.peak,
    attributes,
    ...(skipped && { skipped_rows: located(skipped) }),
  };
}

function located({ count, first }: SkippedRows): NonNullable<TraceStats['skipped_rows']> {
  return { count, first: first.map(({ line, col, message }) => ({ line, col, message })) };
}

class AttributeAccumulator {
  readonly #sketch = new DDSketch({ relativeAccuracy: SKETCH_RELATIVE_ACCURACY });
  #count = 0;
  #sum = 0;
  // Where the sum overflows (two counts of 1e308), a running mean, a few ulps less exact, stands in.
  #mean = 0;
  #max = Number.NEGATIVE_INFINITY;

  add(value: number): void {
    this.#sketch.accept(value);
    this.#count++;
    this.#sum += value;
    this.#mean += (value - this.#mean) / this.#count;
    if (value > this.#max) this.#max = value;
  }

  summarise(): AttributeStats | null {
    if (this.#count === 0) return null;
    return {
      count: this.#count,
      mean: Number.isFinite(this.#sum) ? this.#sum / this.#count : this.#mean,
      p50: this.#sketch.getValueAtQuantile(0.5),
      p90: this.#sketch.getValueAtQuantile(0.9),
      p99: this.#sketch.getValueAtQuantile(0.99),
      max: this.#max,
    };
  }
}

/** Counts per fixed bin of `widthS`; arrival times never decrease, so only the current bin is kept. */
class PeakBinCounter {
  peak = 0;
  readonly #widthS: number;
  #bin = -1;
  #count = 0;

  constructor(widthS: number) {
    this.#widthS = widthS;
  }

  add(timeS: number): void {
    const bin = Math.floor(timeS / this.#widthS);
    if (bin !== this.#bin) {
      this.#bin = bin;
      this.#count = 0;
    }
    this.#count++;
    if (this.#count > this.peak) this.peak = this.#count;
  }
}
