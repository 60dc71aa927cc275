import { DDSketch } from '@datadog/sketches-js';
import { US_PER_S } from '../core/time.js';
import { MICROS_LIMIT, MIN_INDEXABLE, microsecondsKey, RELATIVE_ACCURACY, sketchKey } from './sketch-keys.js';

export { RELATIVE_ACCURACY } from './sketch-keys.js';

// Used for every value folded, as this module's own constants: optimized code folds them to their
// values. An imported binding is live: read in the loop it is reloaded and checked on every pass,
// and read once into a local it stays a value of unknown type, checked on every pass all the same.
const TABLE_LIMIT = MICROS_LIMIT;
const keyOfMicros = microsecondsKey;

/** Summary of a latency-like quantity in seconds. Quantiles carry DDSketch's 1 % relative error, capped at the exact max. */
export interface DistributionSummary {
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/** `[quantile, seconds]` pairs, ascending: enough points to draw a CDF. */
export type QuantilePoint = [number, number];

/** Every percent, then the tail in finer steps, where latency SLOs live. */
const CDF_QUANTILES = [...Array.from({ length: 99 }, (_, i) => (i + 1) / 100), 0.995, 0.999, 0.9995, 0.9999];

/** Keys added on either side when the key table grows: about half a decade of values at 1 % accuracy. */
const KEY_MARGIN = 64;
/** Values buffered by `accept` before they are folded into the statistics. */
const BATCH = 256;

/**
 * Streaming statistics of one quantity: exact count, mean and max, quantiles from a DDSketch so
 * memory stays bounded (logarithmic in the value range) whatever the number of requests, and
 * sketches of shards merge exactly.
 *
 * `accept` and `acceptMicros` only append to a small buffer. They are called for every request
 * from the simulation's completion handler, where V8 would not inline anything bigger (its
 * inlining budget per compiled function is spent by then), and out-of-line calls per request
 * were a measurable share of an M/M/c run (bench/mmc.ts). Each buffer is folded into the
 * statistics in a tight loop, in the order accepted, so runs are reproducible.
 *
 * A DDSketch is a count per key of its mapping. The fold computes the keys of the sketch's own
 * mapping (`sketchKey`, or the tables of `microsecondsKey`) into a typed-array count per key,
 * and the sketch receives each key's count once, when the quantiles are read: it ends with the
 * same keys and counts as if it had accepted every value itself, so the quantiles are identical,
 * without its per-value bookkeeping (weight check, sum, min and max we do not read, a
 * boxed-number array). Exact zeros, often most waits, are only counted.
 */
export class LatencyStats {
  private readonly sketch = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY });
  private readonly mapping = this.sketch.mapping;
  private readonly pending = new Float64Array(BATCH);
  private pendingCount = 0;
  private readonly pendingMicros = new Float64Array(BATCH);
  private pendingMicrosCount = 0;
  /** Values per key, for keys `firstKey .. firstKey + keyCounts.length - 1`, not yet in the sketch. */
  private keyCounts = new Float64Array(0);
  private firstKey = 0;
  private zeros = 0;
  private counted = 0;
  private sum = 0;
  private maxS = 0;
  /** Values given in microseconds are summed as integers, exactly, and converted once. */
  private sumMicros = 0;
  private maxMicros = 0;
  private positives = 0;

  accept(valueS: number): void {
    this.pending[this.pendingCount++] = valueS;
    if (this.pendingCount === BATCH) this.fold();
  }

  /** A value given as a whole, non-negative number of microseconds: its key comes from a table, not a logarithm. */
  acceptMicros(micros: number): void {
    this.pendingMicros[this.pendingMicrosCount++] = micros;
    if (this.pendingMicrosCount === BATCH) this.foldMicros();
  }

  get count(): number {
    this.fold();
    this.foldMicros();
    return this.counted;
  }

  /** Observations above zero (for waits: requests that queued at all). */
  get positive(): number {
    this.fold();
    this.foldMicros();
    return this.positives;
  }

  /**
   * Values whose key is at least two above `limitS`'s: every quantile that falls among them reads
   * above `limitS`, whatever bucket value the sketch answers with. A lower bound of that count
   * once `quantiles()` has been read (what it moved into the sketch is not counted again).
   */
  countClearlyAbove(limitS: number): number {
    this.fold();
    this.foldMicros();
    const from = Math.max(0, sketchKey(limitS) + 2 - this.firstKey);
    const keyCounts = this.keyCounts;
    let count = 0;
    for (let index = from; index < keyCounts.length; index++) count += keyCounts[index];
    return count;
  }

  private get max(): number {
    return Math.max(this.maxS, this.maxMicros / US_PER_S);
  }

  /** The sketch of every value accepted so far. */
  quantiles(): DDSketch {
    this.fold();
    this.foldMicros();
    const { sketch, mapping, keyCounts } = this;
    for (let index = 0; index < keyCounts.length; index++) {
      // value(key) lies inside the key's bucket, away from its edges, so it maps back to the key.
      if (keyCounts[index] > 0) sketch.accept(mapping.value(this.firstKey + index), keyCounts[index]);
    }
    keyCounts.fill(0);
    if (this.zeros > 0) sketch.accept(0, this.zeros);
    this.zeros = 0;
    return sketch;
  }

  private fold(): void {
    const { pending, pendingCount } = this;
    // Locals, written back once: fields would be reloaded after every call in the loop and
    // stored on every update.
    let { sum, maxS, zeros, positives, keyCounts, firstKey } = this;
    for (let i = 0; i < pendingCount; i++) {
      const value = pending[i];
      sum += value;
      if (value > maxS) maxS = value;
      if (value > MIN_INDEXABLE) {
        positives++;
        const index = sketchKey(value) - firstKey;
        if (index >= 0 && index < keyCounts.length) keyCounts[index]++;
        else {
          this.countOutside(index);
          keyCounts = this.keyCounts;
          firstKey = this.firstKey;
        }
      } else if (value === 0) {
        zeros++;
      } else {
        if (value > 0) positives++;
        // What the sketch cannot index (tiny or negative values) it takes itself.
        this.sketch.accept(value);
      }
    }
    this.counted += pendingCount;
    this.sum = sum;
    this.maxS = maxS;
    this.zeros = zeros;
    this.positives = positives;
    this.pendingCount = 0;
  }

  private foldMicros(): void {
    const { pendingMicros, pendingMicrosCount } = this;
    let { sumMicros, maxMicros, zeros, keyCounts, firstKey } = this;
    const zerosBefore = zeros;
    for (let i = 0; i < pendingMicrosCount; i++) {
      const micros = pendingMicros[i];
      sumMicros += micros;
      if (micros > maxMicros) maxMicros = micros;
      if (micros === 0) {
        zeros++;
        continue;
      }
      const key = micros < TABLE_LIMIT ? keyOfMicros(micros) : sketchKey(micros / US_PER_S);
      const index = key - firstKey;
      if (index >= 0 && index < keyCounts.length) keyCounts[index]++;
      else {
        this.countOutside(index);
        keyCounts = this.keyCounts;
        firstKey = this.firstKey;
      }
    }
    // Whole microseconds are never negative: all but the zeros are positive.
    this.positives += pendingMicrosCount - (zeros - zerosBefore);
    this.counted += pendingMicrosCount;
    this.sumMicros = sumMicros;
    this.maxMicros = maxMicros;
    this.zeros = zeros;
    this.pendingMicrosCount = 0;
  }

  /** Grows the key table to cover `index` (relative to the current first key) and counts it. */
  private countOutside(index: number): void {
    const old = this.keyCounts;
    const key = this.firstKey + index;
    let firstKey = key - KEY_MARGIN;
    let lastKey = key + KEY_MARGIN;
    if (old.length > 0) {
      firstKey = Math.min(firstKey, this.firstKey);
      lastKey = Math.max(lastKey, this.firstKey + old.length - 1);
    }
    const grown = new Float64Array(lastKey - firstKey + 1);
    if (old.length > 0) grown.set(old, this.firstKey - firstKey);
    this.keyCounts = grown;
    this.firstKey = firstKey;
    grown[key - firstKey]++;
  }

  /** The distribution as quantile points for charts: empty without observations, ends at the exact max. */
  cdf(): QuantilePoint[] {
    if (this.count === 0) return [];
    const sketch = this.quantiles();
    const points: QuantilePoint[] = CDF_QUANTILES.map((q) => [
      q,
      Math.min(sketch.getValueAtQuantile(q), this.max),
    ]);
    points.push([1, this.max]);
    return points;
  }

  summary(): DistributionSummary {
    if (this.count === 0)
      return { mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null };
    const sketch = this.quantiles();
    const max = this.max;
    // A sketch answers with the middle of a bucket, which for the top bucket can lie above every value seen.
    const q = (p: number) => Math.min(sketch.getValueAtQuantile(p), max);
    return {
      mean: (this.sum + this.sumMicros / US_PER_S) / this.count,
      p50: q(0.5),
      p90: q(0.9),
      p95: q(0.95),
      p99: q(0.99),
      p999: q(0.999),
      max,
    };
  }
}
