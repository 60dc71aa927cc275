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
  /** Busy slots over total slots, all fleets. */
  utilization: number;
  replicas: number;
  cost_usd_per_hour: number;
  /** Per fleet: time-averaged busy slots. */
  busy_slots_by_fleet: Record<string, number>;
}

/** A Float64Array that grows (by doubling) to hold any bin it is asked for. */
class Column {
  values = new Float64Array(64);

  at(bin: number): Float64Array {
    if (bin >= this.values.length) {
      let length = this.values.length * 2;
      while (length <= bin) length *= 2;
      const bigger = new Float64Array(length);
      bigger.set(this.values);
      this.values = bigger;
    }
    return this.values;
  }

  get(bin: number): number {
    return bin < this.values.length ? this.values[bin] : 0;
  }
}

/**
 * Fixed-width bins of the run. Counts go to the bin of their instant; spans (a wait, a
 * service) are split across the bins they overlap, so each bin holds an exact time integral.
 * Called on every request event, so it allocates nothing on that path.
 */
export class TimeSeries {
  private readonly counts = COUNT_COLUMNS.map(() => new Column());
  private readonly waitingUs = new Column();
  private readonly busyUs: Column[];

  constructor(
    readonly intervalUs: number,
    private readonly fleetCount: number,
  ) {
    this.busyUs = Array.from({ length: fleetCount }, () => new Column());
  }

  /** `column` is a `Count` index. */
  count(column: number, timeUs: number): void {
    const bin = Math.floor(timeUs / this.intervalUs);
    this.counts[column].at(bin)[bin]++;
  }

  addWait(startUs: number, endUs: number): void {
    this.spread(this.waitingUs, startUs, endUs);
  }

  addBusy(fleet: number, startUs: number, endUs: number): void {
    this.spread(this.busyUs[fleet], startUs, endUs);
  }

  private spread(column: Column, startUs: number, endUs: number): void {
    const width = this.intervalUs;
    let bin = Math.floor(startUs / width);
    const lastBin = Math.floor(endUs / width);
    const values = column.at(lastBin);
    if (bin === lastBin) {
      values[bin] += endUs - startUs;
      return;
    }
    values[bin] += (bin + 1) * width - startUs;
    for (bin++; bin < lastBin; bin++) values[bin] += width;
    values[lastBin] += endUs - lastBin * width;
  }

  /** Rows from 0 to `endUs`; the last row's averages cover only the part of its interval before `endUs`. */
  rows(
    endUs: number,
    fleets: readonly { name: string; replicas: number; slots: number; priceUsdPerHour: number }[],
  ): TimeSeriesRow[] {
    const rows: TimeSeriesRow[] = [];
    const binCount = Math.max(1, Math.ceil(endUs / this.intervalUs));
    const totalSlots = fleets.reduce((sum, f) => sum + f.slots, 0);
    const replicas = fleets.reduce((sum, f) => sum + f.replicas, 0);
    const costRate = fleets.reduce((sum, f) => sum + f.replicas * f.priceUsdPerHour, 0);
    for (let bin = 0; bin < binCount; bin++) {
      const startUs = bin * this.intervalUs;
      const widthUs = Math.min(this.intervalUs, endUs - startUs) || this.intervalUs;
      const busyByFleet: Record<string, number> = {};
      let busy = 0;
      for (let f = 0; f < this.fleetCount; f++) {
        const fleetBusy = this.busyUs[f].get(bin) / widthUs;
        busyByFleet[fleets[f].name] = fleetBusy;
        busy += fleetBusy;
      }
      rows.push({
        time_s: startUs / 1e6,
        arrivals: this.counts[Count.arrivals].get(bin),
        completed: this.counts[Count.completed].get(bin),
        dropped: this.counts[Count.dropped].get(bin),
        timed_out: this.counts[Count.timed_out].get(bin),
        queue_length: this.waitingUs.get(bin) / widthUs,
        busy_slots: busy,
        utilization: totalSlots > 0 ? busy / totalSlots : 0,
        replicas,
        cost_usd_per_hour: costRate,
        busy_slots_by_fleet: busyByFleet,
      });
    }
    return rows;
  }
}
