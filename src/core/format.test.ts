import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatNumber,
  formatSeconds,
  formatSize,
  formatUsd,
  formatUsdCents,
  roundSignificant,
} from './format.js';

describe('formatSeconds', () => {
  it.each([
    [null, '-'],
    [undefined, '-'],
    [0, '0 s'],
    [0.25, '250 ms'],
    [0.0123, '12.3 ms'],
    [12.64, '12.6 s'],
    [999.4, '999 s'],
    [3562.4, '3562 s'],
    [86_400, '86400 s'],
  ])('%j reads %s, never with an exponent', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });
});

describe('formatNumber', () => {
  it.each([
    [null, 4, '-'],
    [5.5818, 4, '5.582'],
    [0.0001234, 4, '0.0001234'],
    [3.5, 4, '3.500'],
    [9999.4, 4, '9999'],
    [12_345.6, 4, '12346'],
    [86_400, 4, '86400'],
    [1_234_567.891, 6, '1234568'],
    [12.3456789, 6, '12.3457'],
  ])('%j to %i digits reads %s, never with an exponent', (x, digits, text) => {
    expect(formatNumber(x, digits)).toBe(text);
  });
});

describe('money', () => {
  it('tables: three significant digits, whole dollars from $100', () => {
    expect([formatUsd(null), formatUsd(0.012345), formatUsd(12.345), formatUsd(1234.5)]).toEqual([
      '-',
      '$0.0123',
      '$12.3',
      '$1235',
    ]);
  });

  it('sweep and plan rows: cents, four decimals below a dollar', () => {
    expect([formatUsdCents(undefined), formatUsdCents(0.012345), formatUsdCents(12.345)]).toEqual([
      '-',
      '$0.0123',
      '$12.35',
    ]);
  });
});

describe('scenario text', () => {
  it('picks the largest unit that keeps the number at least 1', () => {
    expect([formatDuration(90), formatDuration(0.25), formatDuration(7200), formatDuration(2e-5)]).toEqual([
      '1.5m',
      '250ms',
      '2h',
      '20us',
    ]);
    expect([formatSize(1500), formatSize(999), formatSize(2.5e12)]).toEqual(['1.5KB', '999B', '2.5TB']);
  });
});

describe('roundSignificant', () => {
  it('hides binary noise', () => {
    expect(roundSignificant(9.600000000000001, 10)).toBe(9.6);
    expect(roundSignificant(0.1 + 0.2, 10)).toBe(0.3);
  });

  it('keeps a number that would round up past the largest double, rather than making it Infinity', () => {
    expect(Number(Number.MAX_VALUE.toPrecision(10))).toBe(Number.POSITIVE_INFINITY);
    expect(roundSignificant(Number.MAX_VALUE, 10)).toBe(Number.MAX_VALUE);
    expect(roundSignificant(-Number.MAX_VALUE, 10)).toBe(-Number.MAX_VALUE);
    expect(roundSignificant(Number.POSITIVE_INFINITY, 10)).toBe(Number.POSITIVE_INFINITY);
  });
});
