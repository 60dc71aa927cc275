import { roundSignificant } from '../core/format.js';
import { ownValue } from '../core/records.js';
import type { VariantResult } from '../metrics/index.js';

/** The columns every row has, in file order; busy slots per fleet follow. */
export const TIMESERIES_COLUMNS = [
  'time_s',
  'arrivals',
  'completed',
  'dropped',
  'timed_out',
  'queue_length',
  'busy_slots',
  'utilization',
  'replicas',
  'cost_usd_per_hour',
] as const;

/**
 * All variants in one long table, one row per (variant, interval), with columns per fleet: busy
 * slots, live replicas and their cost per hour.
 */
export function renderTimeseriesCsv(results: readonly VariantResult[]): string {
  const fleets = [
    ...new Set(results.flatMap((r) => r.timeseries.flatMap((row) => Object.keys(row.busy_slots_by_fleet)))),
  ];
  const lines = [
    [
      'variant',
      ...TIMESERIES_COLUMNS,
      ...fleets.map((f) => `busy_slots.${f}`),
      ...fleets.map((f) => `replicas.${f}`),
      ...fleets.map((f) => `cost_usd_per_hour.${f}`),
    ].join(','),
  ];
  for (const result of results) {
    for (const row of result.timeseries) {
      const values = [
        csvField(result.name),
        ...TIMESERIES_COLUMNS.map((c) => formatNumber(row[c])),
        // A variant may rename or drop a fleet that another has.
        ...fleets.map((f) => formatNumber(ownValue(row.busy_slots_by_fleet, f) ?? 0)),
        ...fleets.map((f) => formatNumber(ownValue(row.replicas_by_fleet, f) ?? 0)),
        ...fleets.map((f) => formatNumber(ownValue(row.cost_usd_per_hour_by_fleet, f) ?? 0)),
      ];
      lines.push(values.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(roundSignificant(x, 8));
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
