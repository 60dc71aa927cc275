import { US_PER_S } from '../core/time.js';
import { readCsvRecords } from '../scenario/csv-records.js';
import { MAX_PRICE_USD_PER_HOUR, UserError } from '../scenario/types.js';
import { excerpt, headerExcerpt } from '../util/excerpt.js';

/**
 * Time series a fleet can be given as CSV files: periods when no capacity can be launched, and a
 * spot price that changes over time. Times are seconds from the start of the simulation.
 */

function rowsOf(
  path: string,
  columns: readonly string[],
): { rows: Record<string, string>[]; cols: number[] } {
  const rows: Record<string, string>[] = readCsvRecords(path);
  const header = rows.length > 0 ? Object.keys(rows[0]) : [];
  for (const column of columns) {
    if (rows.length > 0 && !header.includes(column)) {
      throw new UserError({
        code: 'BAD_TRACE_ROW',
        file: path,
        line: 1,
        col: 1,
        message: `no column "${column}"; columns: ${headerExcerpt(header)}`,
      });
    }
  }
  return { rows, cols: columns.map((c) => header.indexOf(c) + 1) };
}

function numberAt(
  path: string,
  rows: Record<string, string>[],
  i: number,
  column: string,
  col: number,
  max = Number.POSITIVE_INFINITY,
): number {
  const text = rows[i][column];
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > max) {
    const range = max === Number.POSITIVE_INFINITY ? '>= 0' : `from 0 to ${max.toLocaleString('en-US')}`;
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: i + 2,
      col,
      message: `column "${column}": expected a number ${range}, got ${excerpt(text)}`,
    });
  }
  return value;
}

/** `start,end` rows (seconds): periods in which launches fail. Sorted; overlaps are kept as given. */
export function readUnavailablePeriods(path: string): [number, number][] {
  const { rows, cols } = rowsOf(path, ['start', 'end']);
  const periods = rows.map((_, i): [number, number] => {
    const start = numberAt(path, rows, i, 'start', cols[0]);
    const end = numberAt(path, rows, i, 'end', cols[1]);
    if (end < start) {
      throw new UserError({
        code: 'BAD_TRACE_ROW',
        file: path,
        line: i + 2,
        col: cols[1],
        message: `end ${end} is before start ${start}`,
      });
    }
    return [start, end];
  });
  return periods.sort((a, b) => a[0] - b[0]);
}

/**
 * A price that changes at given times (`time,price` rows: seconds, USD per hour), holding each
 * price until the next row; before the first row, `initialUsdPerHour` (the catalog's price).
 */
export class PriceSeries {
  private readonly timesUs: Float64Array;
  private readonly prices: Float64Array;

  constructor(rows: readonly [number, number][], initialUsdPerHour: number) {
    const sorted = [...rows].sort((a, b) => a[0] - b[0]);
    this.timesUs = Float64Array.from([0, ...sorted.map((r) => r[0] * US_PER_S)]);
    this.prices = Float64Array.from([initialUsdPerHour, ...sorted.map((r) => r[1])]);
  }

  static read(path: string, initialUsdPerHour: number): PriceSeries {
    const { rows, cols } = rowsOf(path, ['time', 'price']);
    return new PriceSeries(
      rows.map((_, i): [number, number] => [
        numberAt(path, rows, i, 'time', cols[0]),
        numberAt(path, rows, i, 'price', cols[1], MAX_PRICE_USD_PER_HOUR),
      ]),
      initialUsdPerHour,
    );
  }

  /** The spans, in seconds `[start, end)`, in which the price is above `maxUsdPerHour`; the last may be endless. */
  spansAbove(maxUsdPerHour: number): [number, number][] {
    const spans: [number, number][] = [];
    const { timesUs, prices } = this;
    for (let i = 0; i < timesUs.length; i++) {
      if (!(prices[i] > maxUsdPerHour)) continue;
      const end = i + 1 < timesUs.length ? timesUs[i + 1] / US_PER_S : Number.POSITIVE_INFINITY;
      const last = spans[spans.length - 1];
      if (last !== undefined && last[1] === timesUs[i] / US_PER_S) last[1] = end;
      else spans.push([timesUs[i] / US_PER_S, end]);
    }
    return spans;
  }

  /** USD for one replica from `fromUs` to `toUs`: the price integrated over the span. */
  costUsd(fromUs: number, toUs: number): number {
    let total = 0;
    const { timesUs, prices } = this;
    for (let i = 0; i < timesUs.length; i++) {
      const start = Math.max(fromUs, timesUs[i]);
      const end = Math.min(toUs, i + 1 < timesUs.length ? timesUs[i + 1] : Number.POSITIVE_INFINITY);
      if (end > start) total += ((end - start) / 3600e6) * prices[i];
    }
    return total;
  }

  /** The mean price over a span, USD per hour (the price at `fromUs` for an empty span). */
  meanUsdPerHour(fromUs: number, toUs: number): number {
    if (toUs <= fromUs) return this.costUsd(fromUs, fromUs + 1) * 3600e6;
    return (this.costUsd(fromUs, toUs) * 3600e6) / (toUs - fromUs);
  }
}
