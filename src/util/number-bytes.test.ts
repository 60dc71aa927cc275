import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NUMBER_MAX_BYTES, writeNumber, writeSixDecimals } from './number-bytes.js';

const SENTINEL = 0xa5;

/** What `write` puts at an offset of 5 in a buffer of sentinels, checking it stays in its room. */
function written(write: (view: DataView, at: number, value: number) => number, value: number): string {
  const bytes = new Uint8Array(5 + NUMBER_MAX_BYTES + 8).fill(SENTINEL);
  const end = write(new DataView(bytes.buffer), 5, value);
  expect(bytes.subarray(0, 5).every((b) => b === SENTINEL)).toBe(true);
  expect(bytes.subarray(5 + NUMBER_MAX_BYTES).every((b) => b === SENTINEL)).toBe(true);
  return Buffer.from(bytes.subarray(5, end)).toString('latin1');
}

/**
 * The language's own texts, the truth both writers must match byte for byte: `String`, and
 * `toFixed(6)` with the zeros that end it and then a point cut, as requests.jsonl has always
 * written times (an exponent's zeros too, though no simulated time reaches 10^21 s).
 */
const shortest = (value: number) => String(value);
const sixDecimals = (value: number) => value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');

/** The doubles next to `value` on either side. */
function neighbours(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  return [-2n, -1n, 1n, 2n].map((step) => {
    view.setBigUint64(0, bits + step);
    return view.getFloat64(0);
  });
}

/** Values the fast paths see, and those at the edges of them. */
const tokens = fc.oneof(
  fc.double({ min: 1, max: 1e6, noNaN: true }),
  fc.double({ min: 0, max: 2 ** 53, noNaN: true }),
  // Decimals of few digits and the doubles next to them: where the shortest text is shortest.
  fc
    .tuple(
      fc.integer({ min: 1, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 12 }),
      fc.integer({ min: -2, max: 2 }),
    )
    .map(([digits, places, step]) => {
      const value = digits / 10 ** places;
      return step === 0 ? value : neighbours(value)[step < 0 ? step + 2 : step + 1];
    }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  fc.double(),
);

const seconds = fc.oneof(
  fc.double({ min: 0, max: 2 ** 32, noNaN: true }),
  // Microseconds over 10^6, as the simulator's times are, a half microsecond off, and next to either.
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 42 }), fc.constantFrom(0, 0.5), fc.integer({ min: -2, max: 2 }))
    .map(([micros, half, step]) => {
      const value = (micros + half) / 1e6;
      return step === 0 ? value : neighbours(value)[step < 0 ? step + 2 : step + 1];
    }),
  // Ties that are exact in binary: k / 2^7 is a multiple of 5 x 10^-7.
  fc.integer({ min: 0, max: 2 ** 30 }).map((k) => k / 128),
  fc.double(),
);

describe('writeNumber', () => {
  it('writes what String writes', () => {
    fc.assert(
      fc.property(tokens, (value) => {
        expect(written(writeNumber, value)).toBe(shortest(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes the shortest text that reads back, the nearest of those (hand-checked cases)', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [7, '7'],
      [2 ** 53, '9007199254740992'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1.5, '1.5'],
      [512.0000000000001, '512.0000000000001'],
      [123.456, '123.456'],
      [1 / 3 + 100, '100.33333333333333'],
      [9007199254740.992, '9007199254740.992'],
      [4503599627370495.5, '4503599627370495.5'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [-2.5, '-2.5'],
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
    ];
    for (const [value, text] of cases) expect(written(writeNumber, value)).toBe(text);
  });
});

describe('writeSixDecimals', () => {
  it('writes what toFixed(6) writes, without the zeros that end its fraction', () => {
    fc.assert(
      fc.property(seconds, (value) => {
        expect(written(writeSixDecimals, value)).toBe(sixDecimals(value));
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds as toFixed does (hand-checked cases)', () => {
    const cases: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [12.5, '12.5'],
      [0.000001, '0.000001'],
      // Just below 5 x 10^-7 as a double, so down.
      [0.0000005, '0'],
      // 1/128 = 0.0078125 exactly: a tie, which toFixed takes up.
      [1 / 128, '0.007813'],
      [2.9999996, '3'],
      [86399.999999, '86399.999999'],
      [4294967295.25, '4294967295.25'],
      [1e21, '1e+21'],
      [-1.25, '-1.25'],
      [Number.NaN, 'NaN'],
    ];
    for (const [value, text] of cases) expect(written(writeSixDecimals, value)).toBe(text);
  });
});
