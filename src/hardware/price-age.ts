import type { PriceSource } from './catalog.js';

/**
 * How old a price is. A run never reads the clock (its summary.json must repeat byte for byte), so
 * ages are counted to a date the user gives: the scenario's `as_of`, or `--as-of` of `catalog list`.
 */

/**
 * A price older than this many days at the scenario's `as_of` draws a STALE_PRICE warning. Cloud
 * list prices move a few times a year (AWS cut P4 and P5 on-demand prices by up to 45 % in June
 * 2025), so a half-year-old snapshot may be far from what a plan made today would pay.
 */
export const STALE_PRICE_DAYS = 180;

const MS_PER_DAY = 86_400_000;

/**
 * Whether `text` is a calendar date `YYYY-MM-DD` that exists. `Date` takes 2026-02-30 and rolls it
 * over to March 2, so the date must read back as it was written.
 */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** Whole days from `from` to `to`, both `YYYY-MM-DD` (UTC calendar days; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_DAY);
}

/** Today's UTC date, `YYYY-MM-DD`: the default reference of `catalog list`, never used by a run. */
export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

export interface StalePrice {
  /** The date of the price's source. */
  asOf: string;
  /** The date it was aged to. */
  reference: string;
  ageDays: number;
  /** The threshold it is past. */
  maxAgeDays: number;
  source: string;
}

/** The price's age at `reference` when it is past `STALE_PRICE_DAYS`, else null. */
export function stalePrice(price: PriceSource, reference: string): StalePrice | null {
  const ageDays = daysBetween(price.asOf, reference);
  if (!(ageDays > STALE_PRICE_DAYS)) return null;
  return { asOf: price.asOf, reference, ageDays, maxAgeDays: STALE_PRICE_DAYS, source: price.source };
}
