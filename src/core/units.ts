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
