/** Request events counted per interval. */
export const COUNT_COLUMNS = ['arrivals', 'completed', 'dropped', 'timed_out'] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

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

/**
 * Fixed-width bins of the run. Counts go to the bin of their instant; spans (a wait, a
 * service) are split across the bins they overlap, so each bin holds an exact time integral.
 */
export class TimeSeries {
  private readonly counts = new Map<CountColumn, number[]>(COUNT_COLUMNS.map((c) => [c, []]));
  private readonly queueUs: number[] = [];
  private readonly busyUs: number[][];

  constructor(
    readonly intervalUs: number,
    private readonly fleetCount: number,
  ) {
    this.busyUs = Array.from({ length: fleetCount }, () => []);
  }

  count(column: CountColumn, timeUs: number): void {
    const bins = this.counts.get(column)!;
    const bin = Math.floor(timeUs / this.intervalUs);
    while (bins.length <= bin) bins.push(0);
    bins[bin]++;
  }

  addWait(startUs: number, endUs: number): void {
    this.spread(this.queueUs, startUs, endUs);
  }

  addBusy(fleet: number, startUs: number, endUs: number): void {
    this.spread(this.busyUs[fleet], startUs, endUs);
  }

  private spread(bins: number[], startUs: number, endUs: number): void {
    const width = this.intervalUs;
    let bin = Math.floor(startUs / width);
    let from = startUs;
    while (from < endUs) {
      const binEnd = (bin + 1) * width;
      const to = endUs < binEnd ? endUs : binEnd;
      while (bins.length <= bin) bins.push(0);
      bins[bin] += to - from;
      from = to;
      bin++;
    }
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
        const fleetBusy = (this.busyUs[f][bin] ?? 0) / widthUs;
        busyByFleet[fleets[f].name] = fleetBusy;
        busy += fleetBusy;
      }
      rows.push({
        time_s: startUs / 1e6,
        arrivals: this.counts.get('arrivals')![bin] ?? 0,
        completed: this.counts.get('completed')![bin] ?? 0,
        dropped: this.counts.get('dropped')![bin] ?? 0,
        timed_out: this.counts.get('timed_out')![bin] ?? 0,
        queue_length: (this.queueUs[bin] ?? 0) / widthUs,
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
