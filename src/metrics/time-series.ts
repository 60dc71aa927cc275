import { US_PER_S } from '../core/time.js';
/** Request events counted per interval, in column order. */
export const COUNT_COLUMNS = ['arrivals', 'completed', 'dropped', 'timed_out'] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];
export const Count = { arrivals: 0, completed: 1, dropped: 2, timed_out: 3 } as const satisfies Record<
  CountColumn,
  number
>;

export interface TimeSeriesRow {
  time_s: number;
  arrivals: number;
  completed: number;
  dropped: number;
  timed_out: number;
  /** Time-averaged requests waiting, all fleets. */
  queue_length: number;
  /** Time-averaged requests in service, all fleets. */
  busy_slots: number;
  /** Busy slots over the slots of live replicas, all fleets. */
  utilization: number;
  /** Time-averaged live replicas (provisioning, ready or draining), all fleets. */
  replicas: number;
  cost_usd_per_hour: number;
  /** Per fleet: time-averaged busy slots. */
  busy_slots_by_fleet: Record<string, number>;
  /** Per fleet: time-averaged live replicas, and what they cost per hour (absent in folders written before them). */
  replicas_by_fleet?: Record<string, number>;
  cost_usd_per_hour_by_fleet?: Record<string, number>;
}

const COUNTS = COUNT_COLUMNS.length;
/** Span columns: requests waiting, then busy slots of each fleet, then live replicas of each fleet. */
const WAITING = 0;

/** An adaptive series keeps fewer bins than this: a run that outgrows them doubles the interval. */
export const MAX_BINS = 1000;

/**
 * A series at a given `metrics.interval` keeps fewer bins than this (a day at 1 s is 86,400): a
 * run that outgrows them doubles the interval as an adaptive one does, and says so. Otherwise a
 * run of simulated years at one row a minute holds more rows than memory.
 */
export const MAX_FIXED_BINS = 100_000;

/**
 * The values a series keeps, bins x columns (four counts, the wait, and per fleet its busy slots
 * and live replicas). The bins are 16 MB at most, twice that while they grow by doubling, but each
 * value also becomes a field of a row, a cell of timeseries.csv and a number the report reads
 * back: 1,000 fleets near the bound (900 rows, 1.8 million values) peak at about 390 MB in all,
 * where an hour of them at `1s` (7.2 million) took 1.7 GB. A series past it doubles its interval
 * as at MAX_BINS or MAX_FIXED_BINS. The bounds on rows bind first up to 997 fleets at an adaptive
 * interval, the default, and up to 9 for a day in rows of 1 s (86,400): a run of a handful of
 * fleets, as every shipped scenario is, never meets it.
 */
export const MAX_CELLS = 2_000_000;

/** The bins a series of `fleetCount` fleets keeps fewer than, at an adaptive or a given interval. */
export function maxBinsOf(fleetCount: number, adaptive: boolean): number {
  const byCells = Math.floor(MAX_CELLS / (COUNTS + 1 + 2 * fleetCount));
  // Two bins at least: they merge in pairs.
  return Math.max(2, Math.min(adaptive ? MAX_BINS : MAX_FIXED_BINS, byCells));
}

/**
 * Fixed-width bins of the run. Counts go to the bin of their instant; spans (a wait, a
 * service) are split across the bins they overlap, so each bin holds an exact time integral.
 * Called on every request event, so it allocates nothing on that path.
 *
 * An adaptive series (the interval was picked, not given) stays under MAX_BINS bins, one at a
 * given interval under MAX_FIXED_BINS, and either under MAX_CELLS values: when time reaches the
 * last bin, the interval doubles and neighbouring bins merge, which keeps every count and integral
 * exact. A trace of unknown length would otherwise get a row per 10 s however long it ran, and its
 * report a chart point per row.
 */
export class TimeSeries {
  /** Bins the columns below have room for, a power of two; they grow together, by doubling. */
  private capacity: number;
  /** All count columns in one array, `bin * COUNTS + column`, so a count is one indexed add. */
  private counts: Float64Array;
  private readonly spans: Float64Array[];
  // The bin of the latest count and its bounds. Counts come at non-decreasing times and most
  // spans end at that time, so nearly every call lands here and needs neither a division nor a
  // bounds check.
  private bin = 0;
  private binStartUs = 0;
  private binEndUs: number;
  private readonly maxBins: number;

  constructor(
    private widthUs: number,
    private readonly fleetCount: number,
    adaptive = false,
  ) {
    this.maxBins = maxBinsOf(fleetCount, adaptive);
    // Thousands of fleets may keep fewer bins than 64.
    this.capacity = Math.min(64, 2 ** Math.ceil(Math.log2(this.maxBins)));
    this.counts = new Float64Array(this.capacity * COUNTS);
    this.spans = Array.from({ length: 1 + 2 * fleetCount }, () => new Float64Array(this.capacity));
    this.binEndUs = widthUs;
  }

  /** Width of a bin now; an adaptive series widens it as the run goes on. */
  get intervalUs(): number {
    return this.widthUs;
  }

  /** `column` is a `Count` index. */
  count(column: number, timeUs: number): void {
    if (!(timeUs < this.binEndUs && timeUs >= this.binStartUs)) this.enter(timeUs);
    this.counts[this.bin * COUNTS + column]++;
  }

  addWait(startUs: number, endUs: number): void {
    this.spread(WAITING, startUs, endUs);
  }

  /** `slots` busy from `startUs` to `endUs` (a continuous-batching iteration keeps one per sequence busy). */
  addBusy(fleet: number, startUs: number, endUs: number, slots = 1): void {
    this.spread(1 + fleet, startUs, endUs, slots);
  }

  /** A replica of `fleet` alive (launched, not yet gone) from `startUs` to `endUs`. */
  addReplica(fleet: number, startUs: number, endUs: number): void {
    this.spread(1 + this.fleetCount + fleet, startUs, endUs);
  }

  private enter(timeUs: number): void {
    const bin = this.binOf(timeUs);
    this.reserve(bin);
    this.moveTo(bin);
  }

  private moveTo(bin: number): void {
    this.bin = bin;
    this.binStartUs = bin * this.widthUs;
    this.binEndUs = this.binStartUs + this.widthUs;
  }

  /** The bin of `timeUs`, after widening the bins until it is below the series' bound. */
  private binOf(timeUs: number): number {
    let bin = Math.floor(timeUs / this.widthUs);
    while (bin >= this.maxBins) {
      this.mergePairs();
      bin = Math.floor(timeUs / this.widthUs);
    }
    return bin;
  }

  /** Doubles the interval: bins 2b and 2b + 1 become bin b, in place. */
  private mergePairs(): void {
    const half = this.capacity / 2;
    const counts = this.counts;
    for (let b = 0; b < half; b++) {
      for (let c = 0; c < COUNTS; c++)
        counts[b * COUNTS + c] = counts[2 * b * COUNTS + c] + counts[(2 * b + 1) * COUNTS + c];
    }
    counts.fill(0, half * COUNTS);
    for (const values of this.spans) {
      for (let b = 0; b < half; b++) values[b] = values[2 * b] + values[2 * b + 1];
      values.fill(0, half);
    }
    this.widthUs *= 2;
    this.moveTo(Math.floor(this.bin / 2));
  }

  private spread(span: number, startUs: number, endUs: number, weight = 1): void {
    if (startUs >= this.binStartUs && endUs < this.binEndUs)
      this.spans[span][this.bin] += (endUs - startUs) * weight;
    else this.spreadAcross(span, startUs, endUs, weight);
  }

  /** Out of line: `spread` is inlined into the simulation's handlers, and this path is rare. */
  private spreadAcross(span: number, startUs: number, endUs: number, weight: number): void {
    const lastBin = this.binOf(endUs);
    const width = this.widthUs;
    let bin = Math.floor(startUs / width);
    this.reserve(lastBin);
    const values = this.spans[span];
    if (bin === lastBin) {
      values[bin] += (endUs - startUs) * weight;
      return;
    }
    values[bin] += ((bin + 1) * width - startUs) * weight;
    for (bin++; bin < lastBin; bin++) values[bin] += width * weight;
    values[lastBin] += (endUs - lastBin * width) * weight;
  }

  private reserve(bin: number): void {
    if (bin < this.capacity) return;
    let capacity = this.capacity * 2;
    while (capacity <= bin) capacity *= 2;
    this.counts = grown(this.counts, capacity * COUNTS);
    for (let s = 0; s < this.spans.length; s++) this.spans[s] = grown(this.spans[s], capacity);
    this.capacity = capacity;
  }

  private countAt(bin: number, column: number): number {
    return bin < this.capacity ? this.counts[bin * COUNTS + column] : 0;
  }

  private spanAt(bin: number, span: number): number {
    return bin < this.capacity ? this.spans[span][bin] : 0;
  }

  /** Rows from 0 to `endUs`; the last row's averages cover only the part of its interval before `endUs`. */
  rows(
    endUs: number,
    fleets: readonly { name: string; slotsPerReplica: number; priceUsdPerHour: number }[],
  ): TimeSeriesRow[] {
    const rows: TimeSeriesRow[] = [];
    // A run that ends after its last event still keeps under the bound.
    this.binOf(Math.max(0, endUs - 1));
    const binCount = Math.max(1, Math.ceil(endUs / this.intervalUs));
    // What happens at the very end (the departure that ends the run) is counted in the bin that
    // starts there when the run ends on a bin boundary: it belongs to the last row.
    const endBin = endUs > 0 && endUs % this.intervalUs === 0 ? binCount : -1;
    const countAt = (bin: number, column: number) =>
      this.countAt(bin, column) + (bin === endBin - 1 ? this.countAt(endBin, column) : 0);
    // Copies of an object that has every fleet's key fill in about four times faster than objects
    // built key by key, which a thousand fleets make slow.
    const byFleet = Object.fromEntries(fleets.slice(0, this.fleetCount).map((fleet) => [fleet.name, 0]));
    for (let bin = 0; bin < binCount; bin++) {
      const startUs = bin * this.intervalUs;
      const widthUs = Math.min(this.intervalUs, endUs - startUs) || this.intervalUs;
      const busyByFleet: Record<string, number> = { ...byFleet };
      const replicasByFleet: Record<string, number> = { ...byFleet };
      const costByFleet: Record<string, number> = { ...byFleet };
      let busy = 0;
      let replicas = 0;
      let totalSlots = 0;
      let costRate = 0;
      for (let f = 0; f < this.fleetCount; f++) {
        const fleetBusy = this.spanAt(bin, 1 + f) / widthUs;
        busyByFleet[fleets[f].name] = fleetBusy;
        busy += fleetBusy;
        const live = this.spanAt(bin, 1 + this.fleetCount + f) / widthUs;
        replicas += live;
        replicasByFleet[fleets[f].name] = live;
        totalSlots += live * fleets[f].slotsPerReplica;
        costByFleet[fleets[f].name] = live * fleets[f].priceUsdPerHour;
        costRate += costByFleet[fleets[f].name];
      }
      rows.push({
        time_s: startUs / US_PER_S,
        arrivals: countAt(bin, Count.arrivals),
        completed: countAt(bin, Count.completed),
        dropped: countAt(bin, Count.dropped),
        timed_out: countAt(bin, Count.timed_out),
        queue_length: this.spanAt(bin, WAITING) / widthUs,
        busy_slots: busy,
        utilization: totalSlots > 0 ? busy / totalSlots : 0,
        replicas,
        cost_usd_per_hour: costRate,
        busy_slots_by_fleet: busyByFleet,
        replicas_by_fleet: replicasByFleet,
        cost_usd_per_hour_by_fleet: costByFleet,
      });
    }
    return rows;
  }
}

function grown(values: Float64Array, length: number): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(length);
  bigger.set(values);
  return bigger;
}
