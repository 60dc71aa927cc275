import { roundSignificant } from '../core/format.js';
import type { VariantResult } from '../metrics/index.js';

export type VariantSummary = Omit<
  VariantResult,
  'timeseries' | 'distributions' | 'capacity_events' | 'cost_allocation'
>;

/** `summary.json`: its field names are a public contract (scripts read them). */
export interface RunSummary {
  scenario: string;
  seed: number;
  variants: VariantSummary[];
}

export function summarize(scenario: string, seed: number, results: readonly VariantResult[]): RunSummary {
  return {
    scenario,
    seed,
    variants: results.map(
      ({ timeseries: _t, distributions: _d, capacity_events: _c, cost_allocation: _a, ...summary }) =>
        roundNumbers(summary),
    ),
  };
}

/**
 * Ten significant digits: more than any simulated figure deserves, and it hides binary noise
 * such as 9.600000000000001 while staying deterministic.
 */
export function roundNumbers<T>(value: T): T {
  if (typeof value === 'number') return roundSignificant(value, 10) as T;
  if (Array.isArray(value)) return value.map(roundNumbers) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundNumbers(v)])) as T;
  }
  return value;
}

export function renderSummaryJson(summary: RunSummary): string {
  return `${JSON.stringify(summary, null, 2)}\n`;
}
