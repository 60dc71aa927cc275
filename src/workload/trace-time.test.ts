import { describe, expect, it } from 'vitest';
import { parseDateTime } from './trace-time.js';

describe('parseDateTime', () => {
  it('reads the Azure form as UTC and keeps all seven fractional digits', () => {
    expect(parseDateTime('2023-11-16 18:15:46.6805900')).toEqual({
      wholeS: Date.UTC(2023, 10, 16, 18, 15, 46) / 1000,
      fractionS: 0.68059,
    });
    expect(parseDateTime('2023-11-16 18:15:46.0000001')?.fractionS).toBe(1e-7);
  });

  it('reads ISO 8601 with T and a zone', () => {
    const utc = parseDateTime('2023-11-16T18:15:46.25Z');
    const plusOne = parseDateTime('2023-11-16T19:15:47.5+01:00');
    const minusHalf = parseDateTime('2023-11-16T17:45:46-0030');
    expect(utc).toEqual({ wholeS: Date.UTC(2023, 10, 16, 18, 15, 46) / 1000, fractionS: 0.25 });
    expect(plusOne!.wholeS - utc!.wholeS).toBe(1);
    expect(minusHalf!.wholeS).toBe(utc!.wholeS);
  });

  it('accepts a date alone, a time without seconds, and spaces around', () => {
    expect(parseDateTime('2024-02-29')?.wholeS).toBe(Date.UTC(2024, 1, 29) / 1000);
    expect(parseDateTime(' 2000-02-29 00:00:00.5 Z ')).toEqual({
      wholeS: Date.UTC(2000, 1, 29) / 1000,
      fractionS: 0.5,
    });
    expect(parseDateTime('2023-11-16 18:15:46+05')?.wholeS).toBe(Date.UTC(2023, 10, 16, 13, 15, 46) / 1000);
    expect(parseDateTime('2024-02-29 06:30')?.wholeS).toBe(Date.UTC(2024, 1, 29, 6, 30) / 1000);
  });

  it('rejects days and times that do not exist rather than rolling them over', () => {
    for (const text of [
      '2023-02-29 00:00:00',
      '2023-11-16 25:00:00',
      '2023-13-01',
      '2023-11-16 18:60:00',
      '',
      '12.5',
    ]) {
      expect(parseDateTime(text), text).toBeNull();
    }
  });
});
