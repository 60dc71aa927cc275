import { BYTES_PER_UNIT, SECONDS_PER_UNIT } from './units.js';

/**
 * How numbers, durations and money read in fleetsim's outputs: the terminal, Markdown and HTML
 * tables, and messages. Tables use three significant digits with units spelled out; scenario text
 * (`formatDuration`, `formatSize`) is written so that it parses back to the same value.
 */

/** `-` for no value, `0 s`, `250 ms`, `3.56 s`, `3562 s`: never an exponent, which toPrecision writes from 1000 on. */
export function formatSeconds(x: number | null | undefined): string {
  if (x === null || x === undefined) return '-';
  if (x === 0) return '0 s';
  if (x < 1) return `${(x * 1000).toPrecision(3)} ms`;
  return x < 1000 ? `${x.toPrecision(3)} s` : `${x.toFixed(0)} s`;
}

/** Three significant digits, whole dollars from $100 on: `$0.0123`, `$12.3`, `$1234`. */
export function formatUsd(x: number | null): string {
  return x === null ? '-' : x >= 100 ? `$${x.toFixed(0)}` : `$${x.toPrecision(3)}`;
}

/** Cents, four decimals below a dollar: sweep and plan rows, whose costs differ by cents. */
export function formatUsdCents(usd: number | null | undefined): string {
  return usd === null || usd === undefined ? '-' : `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** Cents, or two significant digits below a dollar so that a small run's amounts do not read $0.00. */
export function formatUsdInText(amount: number): string {
  return `$${amount >= 1 || amount === 0 ? amount.toFixed(2) : amount.toPrecision(2)}`;
}

/** A fraction as a percentage with one decimal: `0.0123` -> `1.2 %`. */
export function formatPercent(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)} %`;
}

/**
 * A probability as a whole percentage without the sign, 0 and 100 only for exactly none and all:
 * a share of 0.996 reads 99, never the certainty that 100 would claim.
 */
export function formatWholePercent(share: number): string {
  const percent = share <= 0 ? 0 : share >= 1 ? 100 : Math.min(99, Math.max(1, Math.round(100 * share)));
  return String(percent);
}

export function formatCount(x: number | null): string {
  return x === null ? '-' : String(x);
}

/** `1234567` -> `1,234,567`. */
export function formatThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * `digits` significant digits, trailing zeros kept so a column lines up, and whole numbers from
 * 10^digits on: `toPrecision` alone would write `1.235e+4`.
 */
export function formatNumber(x: number | null, digits = 4): string {
  if (x === null) return '-';
  return Math.abs(x) >= 10 ** digits ? x.toFixed(0) : x.toPrecision(digits);
}

/** Six significant digits: enough to recognise a value in a message without float noise (0.30000000000000004). */
export function formatMessageNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

function formatWith(value: number, units: readonly (readonly [string, number])[]): string {
  for (const [unit, scale] of units) {
    const scaled = value / scale;
    // Twelve significant digits keep binary noise (0.1 + 0.2) out of the text without losing
    // anything a scenario author could have typed.
    if (Math.abs(scaled) >= 1) return `${Number(scaled.toPrecision(12))}${unit}`;
  }
  const [unit, scale] = units[units.length - 1];
  return `${Number((value / scale).toPrecision(12))}${unit}`;
}

/** The spellings durations are written in, largest first. */
const DURATION_OUTPUT_UNITS = ['d', 'h', 'm', 's', 'ms', 'us'].map(
  (unit) => [unit, SECONDS_PER_UNIT.get(unit) as number] as const,
);

/** The decimal size units sizes are written in, largest first. */
const SIZE_OUTPUT_UNITS = ['TB', 'GB', 'MB', 'KB', 'B'].map(
  (unit) => [unit, BYTES_PER_UNIT.get(unit.toLowerCase()) as number] as const,
);

/** Seconds -> the largest unit that keeps the number >= 1 (`90` -> `"1.5m"`); for reports and docs. */
export function formatDuration(seconds: number): string {
  return seconds === 0 ? '0s' : formatWith(seconds, DURATION_OUTPUT_UNITS);
}

/** Bytes -> the largest decimal unit that keeps the number >= 1 (`1500` -> `"1.5KB"`). */
export function formatSize(bytes: number): string {
  return bytes === 0 ? '0B' : formatWith(bytes, SIZE_OUTPUT_UNITS);
}

/**
 * `x` to `digits` significant digits, as a number: outputs print figures this way to hide binary
 * noise (9.600000000000001) deterministically. A number within one such step of the largest
 * double would round up past it, to Infinity, and is kept as it is.
 */
export function roundSignificant(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const rounded = Number(x.toPrecision(digits));
  return Number.isFinite(rounded) ? rounded : x;
}
