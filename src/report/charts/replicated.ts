import type { Replicated } from './types.js';

/** The bounds of the 95 % confidence interval of a chart's `F` field, where replications give one. */
export type Bounds<F extends string> = { [K in `${F}_ci95_low` | `${F}_ci95_high`]?: number };

/**
 * A figure as charts draw it, as `{ [field]: value }`: without replications the run's own value;
 * with them their mean (replication 0 alone is one sample of it) and, when there is one, the 95 %
 * confidence interval as `<field>_ci95_low` and `_high`. Null when there is no value.
 */
export function estimated<F extends string>(
  field: F,
  own: number | null,
  replicated: Replicated | undefined,
  variant: string,
  key: string,
): (Record<F, number> & Bounds<F>) | null {
  const estimates = replicated?.variants.get(variant);
  const value = estimates === undefined ? own : (estimates.metrics[key] ?? null);
  if (value === null) return null;
  const halfWidth = estimates?.ci95?.[key] ?? null;
  return (
    halfWidth === null
      ? { [field]: value }
      : {
          [field]: value,
          [`${field}_ci95_low`]: value - halfWidth,
          [`${field}_ci95_high`]: value + halfWidth,
        }
  ) as Record<F, number> & Bounds<F>;
}

function hasBounds(row: object, field: string): boolean {
  return `${field}_ci95_low` in row;
}

/**
 * Whiskers over the 95 % confidence interval of `field` along `axis`, for the rows that have one,
 * placed by `at` (the other channels of the marks they go with); none when no row has one.
 */
export function errorBarLayers(
  rows: readonly object[],
  field: string,
  axis: 'x' | 'y',
  title: string,
  at: Record<string, unknown>,
) {
  const values = rows.filter((row) => hasBounds(row, field));
  if (values.length === 0) return [];
  return [
    {
      data: { values },
      mark: { type: 'errorbar' as const, ticks: { size: 10 }, color: '#333' },
      encoding: {
        ...at,
        [axis]: { field: `${field}_ci95_low`, type: 'quantitative' as const, title },
        [`${axis}2`]: { field: `${field}_ci95_high` },
      },
    },
  ];
}

/** The tooltip lines of the interval of `field` (`label`: what it measures); none without replications. */
export function boundsTooltip(
  replicated: Replicated | undefined,
  field: string,
  label: string,
  format: string,
) {
  if (replicated === undefined) return [];
  return [
    { field: `${field}_ci95_low`, type: 'quantitative' as const, title: `${label}: 95 % CI from`, format },
    { field: `${field}_ci95_high`, type: 'quantitative' as const, title: `${label}: 95 % CI to`, format },
  ];
}

/** The line a chart with error bars adds to its subtitle. */
export function replicatedNote(replicated: Replicated | undefined): string[] {
  return replicated === undefined
    ? []
    : [`Means of ${replicated.replications} replications; whiskers: their 95 % confidence intervals.`];
}
