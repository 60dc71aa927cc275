import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/index.js';
import { Count, MAX_BINS, MAX_CELLS, MAX_FIXED_BINS, maxBinsOf, TimeSeries } from './time-series.js';

const FLEETS = [{ name: 'gpu', slotsPerReplica: 2, priceUsdPerHour: 1.5 }];

/** The same events into each series: arrivals and waits at random whole microseconds, in time order. */
function feed(series: TimeSeries[], endUs: number): void {
  const uniform = createStreams(2).stream('series');
  let now = 0;
  for (;;) {
    now += Math.round(uniform() * 2e6);
    if (now >= endUs) return;
    const startUs = Math.max(0, now - Math.round(uniform() * 60e6));
    for (const s of series) {
      s.count(Count.arrivals, now);
      s.addWait(startUs, now);
      s.addBusy(0, startUs, now);
    }
  }
}

describe('TimeSeries', () => {
  it('an adaptive series widens its bins to stay under MAX_BINS, as if it had had the wide bins all along', () => {
    const endUs = 20 * MAX_BINS * 10e6;
    const adaptive = new TimeSeries(10e6, 1, true);
    const fixedNarrow = new TimeSeries(10e6, 1);
    feed([adaptive, fixedNarrow], endUs);
    const rows = adaptive.rows(endUs, FLEETS);
    // 20 x MAX_BINS bins of 10 s need the width doubled five times (32 x 10 s).
    expect(adaptive.intervalUs).toBe(320e6);
    expect(rows.length).toBeLessThan(MAX_BINS);
    const fixedWide = new TimeSeries(320e6, 1);
    feed([fixedWide], endUs);
    expect(rows).toEqual(fixedWide.rows(endUs, FLEETS));
    // A given interval is kept, however many rows it makes.
    expect(fixedNarrow.rows(endUs, FLEETS)).toHaveLength(20 * MAX_BINS);
  });

  it('a run that ends long after its last event still keeps under MAX_BINS rows', () => {
    const series = new TimeSeries(1e6, 1, true);
    series.count(Count.arrivals, 5e6);
    const rows = series.rows(50 * MAX_BINS * 1e6, FLEETS);
    expect(rows.length).toBeLessThan(MAX_BINS);
    expect(rows.reduce((sum, row) => sum + row.arrivals, 0)).toBe(1);
  });

  it('a series at a given interval widens too, only past MAX_FIXED_BINS rows, as if it had had the wide bins', () => {
    // 3 x MAX_FIXED_BINS bins of 1 s need the width doubled twice.
    const endUs = 3 * MAX_FIXED_BINS * 1e6;
    const given = new TimeSeries(1e6, 1);
    feed([given], endUs);
    expect(given.intervalUs).toBe(4e6);
    const wide = new TimeSeries(4e6, 1);
    feed([wide], endUs);
    const rows = given.rows(endUs, FLEETS);
    expect(rows.length).toBeLessThan(MAX_FIXED_BINS);
    expect(rows).toEqual(wide.rows(endUs, FLEETS));
    // One count a thousand years in, at 1 minute: a bounded series that still holds it.
    const far = new TimeSeries(60e6, 1);
    far.count(Count.arrivals, 0);
    far.count(Count.arrivals, 3.2e16);
    const farRows = far.rows(3.2e16 + 1, FLEETS);
    expect(farRows.length).toBeLessThan(MAX_FIXED_BINS);
    expect(farRows.reduce((sum, row) => sum + row.arrivals, 0)).toBe(2);
  });

  it('keeps the bounds on rows alone for the fleets of ordinary runs, and fewer rows for thousands of fleets', () => {
    expect(maxBinsOf(1, true)).toBe(MAX_BINS);
    expect(maxBinsOf(997, true)).toBe(MAX_BINS);
    expect(maxBinsOf(1, false)).toBe(MAX_FIXED_BINS);
    // A day in rows of 1 s.
    expect(maxBinsOf(9, false)).toBeGreaterThanOrEqual(86_400);
    expect(maxBinsOf(5000, true)).toBe(199);
    expect(maxBinsOf(5000, true) * (5 + 2 * 5000)).toBeLessThanOrEqual(MAX_CELLS);
    // More columns than MAX_CELLS still leaves two bins to merge.
    expect(maxBinsOf(2 * MAX_CELLS, false)).toBe(2);
  });

  it('a series of many fleets widens its interval before bins x columns pass MAX_CELLS, every count and integral kept', () => {
    const fleetCount = 2000;
    const columns = 5 + 2 * fleetCount;
    const fleets = Array.from({ length: fleetCount }, (_, f) => ({
      name: `f${f}`,
      slotsPerReplica: 1,
      priceUsdPerHour: 1,
    }));
    // 2,000 s at 1 s: 2,000 rows of 4,005 values, four times MAX_CELLS.
    const endUs = 2000e6;
    const events = (series: TimeSeries[]) => {
      const uniform = createStreams(3).stream('fleets');
      const sums = { arrivals: 0, waitUs: 0, busyUs: new Float64Array(fleetCount), liveUs: 0 };
      let now = 0;
      for (;;) {
        now += Math.round(uniform() * 0.5e6);
        if (now >= endUs) return sums;
        const fleet = Math.floor(uniform() * fleetCount);
        const startUs = Math.max(0, now - Math.round(uniform() * 30e6));
        for (const s of series) {
          s.count(Count.arrivals, now);
          s.addWait(startUs, now);
          s.addBusy(fleet, startUs, now);
        }
        sums.arrivals++;
        sums.waitUs += now - startUs;
        sums.busyUs[fleet] += now - startUs;
      }
    };
    const series = new TimeSeries(1e6, fleetCount);
    for (let f = 0; f < fleetCount; f += 7) series.addReplica(f, 0, endUs);
    const sums = events([series]);
    const rows = series.rows(endUs, fleets);
    // 499 bins keep under MAX_CELLS: 2,000 rows of 1 s take three doublings.
    expect(maxBinsOf(fleetCount, false)).toBe(499);
    expect(series.intervalUs).toBe(8e6);
    expect(rows).toHaveLength(250);
    expect(rows.length * columns).toBeLessThanOrEqual(MAX_CELLS);
    expect(rows.reduce((sum, row) => sum + row.arrivals, 0)).toBe(sums.arrivals);
    // Averages times the 8 s rows give back the integrals.
    const integral = (value: (row: (typeof rows)[number]) => number) =>
      rows.reduce((sum, row) => sum + value(row) * 8e6, 0);
    expect(integral((row) => row.queue_length)).toBeCloseTo(sums.waitUs, -1);
    for (const f of [0, 1, 999, 1999])
      expect(integral((row) => row.busy_slots_by_fleet[`f${f}`])).toBeCloseTo(sums.busyUs[f], -1);
    expect(integral((row) => row.replicas)).toBeCloseTo(Math.ceil(fleetCount / 7) * endUs, -1);
    // Exactly the rows of a series given the wide interval from the start.
    const wide = new TimeSeries(8e6, fleetCount);
    for (let f = 0; f < fleetCount; f += 7) wide.addReplica(f, 0, endUs);
    events([wide]);
    expect(rows).toEqual(wide.rows(endUs, fleets));
  });

  it('counts what happens at the very end of a run that ends on a bin boundary in the last row', () => {
    const series = new TimeSeries(1e6, 1);
    series.count(Count.completed, 1.5e6);
    series.count(Count.timed_out, 3e6);
    const rows = series.rows(3e6, FLEETS);
    expect(rows.map((row) => [row.time_s, row.completed, row.timed_out])).toEqual([
      [0, 0, 0],
      [1, 1, 0],
      [2, 0, 1],
    ]);
  });
});
