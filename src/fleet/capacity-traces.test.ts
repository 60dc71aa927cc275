import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PriceSeries, readUnavailablePeriods } from './capacity-traces.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-capacity-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('price series', () => {
  it('integrates a piecewise-constant price over a replica life', () => {
    // $1/h until 1 h, $3/h until 2 h, then $2/h.
    const series = new PriceSeries(
      [
        [7200, 2],
        [3600, 3],
      ],
      1,
    );
    expect(series.costUsd(0, 3600e6)).toBeCloseTo(1, 12);
    expect(series.costUsd(1800e6, 5400e6)).toBeCloseTo(0.5 + 1.5, 12);
    expect(series.costUsd(3 * 3600e6, 4 * 3600e6)).toBeCloseTo(2, 12);
    expect(series.meanUsdPerHour(0, 7200e6)).toBeCloseTo(2, 12);
  });

  it('reads time,price rows and points at a bad one', () => {
    expect(PriceSeries.read(file('ok.csv', 'time,price\n60,0.5\n'), 1).costUsd(0, 120e6)).toBeCloseTo(
      (60 * 1 + 60 * 0.5) / 3600,
      12,
    );
    expect(() => PriceSeries.read(file('bad.csv', 'time,price\n60,cheap\n'), 1)).toThrow(
      'column "price": expected a number from 0 to 1,000,000, got "cheap"',
    );
  });
});

describe('unavailable periods', () => {
  it('reads start,end rows in time order and refuses a period that ends before it starts', () => {
    expect(readUnavailablePeriods(file('p.csv', 'start,end\n600,900\n100,200\n'))).toEqual([
      [100, 200],
      [600, 900],
    ]);
    expect(() => readUnavailablePeriods(file('q.csv', 'start,end\n600,500\n'))).toThrow(
      'end 500 is before start 600',
    );
  });
});
