import { US_PER_S } from './time.js';

/**
 * The units a scenario may write quantities in: one table each for durations, sizes and rates,
 * read by the scenario parser for plain values and by the expression language for symbols, so a
 * spelling accepted in one place is accepted in every other.
 */

/** The micro sign keyboards type (U+00B5); Greek small mu (U+03BC) looks the same and is read as it. */
export const MICRO_SIGN = '\u00b5';
export const GREEK_MU = '\u03bc';

/**
 * Seconds per duration unit, case-sensitive (`MS` is no unit). `m` is a minute: scenario values
 * are times, never lengths.
 */
export const SECONDS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['us', 1e-6],
  [`${MICRO_SIGN}s`, 1e-6],
  ['ms', 1e-3],
  ['s', 1],
  ['sec', 1],
  ['min', 60],
  ['m', 60],
  ['h', 3600],
  ['hr', 3600],
  ['d', 86_400],
  ['day', 86_400],
]);

/** Seconds in one `unit`, undefined for no duration unit; Greek mu counts as the micro sign. */
export function secondsPerUnit(unit: string): number | undefined {
  return SECONDS_PER_UNIT.get(unit.replace(GREEK_MU, MICRO_SIGN));
}

/** Bytes per size unit; keys are lower case: sizes have no bit units, so `4kb` and `4KB` can only mean the same. */
export const BYTES_PER_UNIT: ReadonlyMap<string, number> = new Map([
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

/** Bytes per second per bandwidth unit, case-sensitive: `Mbps` is bits, `MB/s` bytes. */
export const BYTES_PER_SECOND_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['bps', 1 / 8],
  ['kbps', 1e3 / 8],
  ['Mbps', 1e6 / 8],
  ['Gbps', 1e9 / 8],
  ['B/s', 1],
  ['KB/s', 1e3],
  ['MB/s', 1e6],
  ['GB/s', 1e9],
]);

/** Watts per power unit, case-sensitive (`mW` is a milliwatt, `MW` a megawatt). */
export const WATTS_PER_UNIT: ReadonlyMap<string, number> = new Map([
  ['mW', 1e-3],
  ['W', 1],
  ['kW', 1e3],
  ['MW', 1e6],
]);

/**
 * Scenario quantities written with units: durations become seconds, sizes bytes. A plain number
 * is already in the base unit. Errors are messages for a Diagnostic, never throws. The units are
 * the tables above, shared with the expression language.
 */

export type Parsed = { ok: true; value: number } | { ok: false; message: string };

const QUANTITY = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z\u00b5\u03bc]*)\s*$/;

export const DURATION_EXAMPLE = 'a duration like 250ms, 30s, 5m, 2h, 1d';
export const SIZE_EXAMPLE = 'a size like 512B, 4KB, 2MiB, 1.5GB';
export const POWER_EXAMPLE = 'a power like 350W, 1.2kW';

function show(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : String(input);
}

function parseQuantity(
  input: unknown,
  scaleOf: (unit: string) => number | undefined,
  example: string,
): Parsed {
  const fail: Parsed = { ok: false, message: `expected ${example}; got ${show(input)}` };
  let value: number;
  if (typeof input === 'number') {
    value = input;
  } else if (typeof input === 'string') {
    const match = QUANTITY.exec(input);
    if (!match) return fail;
    const scale = match[2] === '' ? 1 : scaleOf(match[2]);
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
  return parseQuantity(input, secondsPerUnit, DURATION_EXAMPLE);
}

/** `"2MiB"` -> 2097152; a number is bytes. */
export function parseSize(input: unknown): Parsed {
  return parseQuantity(input, (unit) => BYTES_PER_UNIT.get(unit.toLowerCase()), SIZE_EXAMPLE);
}

/** `"1.2kW"` -> 1200; a number is watts. */
export function parsePower(input: unknown): Parsed {
  return parseQuantity(input, (unit) => WATTS_PER_UNIT.get(unit), POWER_EXAMPLE);
}

const BANDWIDTH = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z/]+)\s*$/;

/** Bytes per second: a positive number, or bits (`20Mbps`) or bytes (`5MB/s`) per second with a decimal unit. */
export function parseBandwidth(input: unknown): Parsed {
  if (typeof input === 'number' && input > 0) return { ok: true, value: input };
  const match = typeof input === 'string' ? BANDWIDTH.exec(input) : null;
  const factor = match ? BYTES_PER_SECOND_PER_UNIT.get(match[2]) : undefined;
  if (match && factor !== undefined && Number(match[1]) > 0)
    return { ok: true, value: Number(match[1]) * factor };
  const units = [...BYTES_PER_SECOND_PER_UNIT.keys()].join(', ');
  return {
    ok: false,
    message: `expected a positive bandwidth like 100Mbps or 5MB/s (units ${units}); got ${JSON.stringify(input)}`,
  };
}

/** Seconds -> integer microseconds, the clock of the simulator and its policies. */
export function secondsToUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}
