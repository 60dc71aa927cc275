/**
 * Scenario quantities written with units: durations become seconds, sizes bytes. A plain number
 * is already in the base unit. Errors are messages for a Diagnostic, never throws.
 */

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

/** `m` is a minute: scenario values are times, never lengths (the same rule as expressions). */
const SECONDS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['us', 1e-6],
  ['µs', 1e-6],
  ['ms', 1e-3],
  ['s', 1],
  ['m', 60],
  ['min', 60],
  ['h', 3600],
  ['d', 86_400],
]);

/** Keys are lower case: sizes have no bit units, so `4kb` and `4KB` can only mean the same. */
const BYTES_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['b', 1],
  ['kb', 1e3],
  ['mb', 1e6],
  ['gb', 1e9],
  ['tb', 1e12],
  ['kib', 1024],
  ['mib', 1024 ** 2],
  ['gib', 1024 ** 3],
  ['tib', 1024 ** 4],
]);

const QUANTITY = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Zµ]*)\s*$/;

export const DURATION_EXAMPLE = 'a duration like 250ms, 30s, 5m, 2h, 1d';
export const SIZE_EXAMPLE = 'a size like 512B, 4KB, 2MiB, 1.5GB';

function show(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : String(input);
}

function parseQuantity(
  input: unknown,
  units: ReadonlyMap<string, number>,
  normalise: (unit: string) => string,
  example: string,
): Parsed {
  const fail: Parsed = { ok: false, message: `expected ${example}; got ${show(input)}` };
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'string') {
    const match = QUANTITY.exec(input);
    if (!match) return fail;
    const scale = match[2] === '' ? 1 : units.get(normalise(match[2]));
    if (scale === undefined) return fail;
    // Dividing by 1000 rather than multiplying by 0.001 keeps `100us` exactly 1e-4.
    value = scale < 1 ? Number(match[1]) / Math.round(1 / scale) : Number(match[1]) * scale;
  } else {
    return fail;
  }
  if (!Number.isFinite(value) || value < 0) {
    return { ok: false, message: `expected a non-negative finite ${example.slice(2)}; got ${show(input)}` };
  }
  return { ok: true, value };
}

/** `"250ms"` -> 0.25; a number is seconds. */
export function parseDuration(input: unknown): Parsed {
  return parseQuantity(input, SECONDS_PER_UNIT, (unit) => unit, DURATION_EXAMPLE);
}

/** `"2MiB"` -> 2097152; a number is bytes. */
export function parseSize(input: unknown): Parsed {
  return parseQuantity(input, BYTES_PER_UNIT, (unit) => unit.toLowerCase(), SIZE_EXAMPLE);
}

function formatWith(value: number, units: readonly [string, number][]): string {
  for (const [unit, scale] of units) {
    const scaled = value / scale;
    // Twelve significant digits keep binary noise (0.1 + 0.2) out of the text without losing
    // anything a scenario author could have typed.
    if (Math.abs(scaled) >= 1) return `${Number(scaled.toPrecision(12))}${unit}`;
  }
  const [unit, scale] = units[units.length - 1];
  return `${Number((value / scale).toPrecision(12))}${unit}`;
}

/** Seconds -> the largest unit that keeps the number >= 1 (`90` -> `"1.5m"`); for reports and docs. */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  return formatWith(seconds, [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
    ['ms', 1e-3],
    ['us', 1e-6],
  ]);
}

/** Bytes -> the largest decimal unit that keeps the number >= 1 (`1500` -> `"1.5KB"`). */
export function formatSize(bytes: number): string {
  if (bytes === 0) return '0B';
  return formatWith(bytes, [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
    ['B', 1],
  ]);
}

const US_PER_S = 1e6;

/** Seconds -> integer microseconds, the clock of the simulator and its policies. */
export function secondsToUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}
