import type { VariantResult } from '../../metrics/index.js';
import { dropRate } from '../../metrics/slo.js';
import { judgeVariant } from './objective.js';
import type { ChartInput } from './types.js';

/**
 * At most this many configurations are drawn in one report: the palette has as many colours, so
 * no two of them share one, and a legend, a bar per configuration or a line each stays readable.
 */
export const MAX_CHARTED = 10;

export interface ChartedVariants {
  /** In the order of the input: the colours follow it. */
  variants: readonly VariantResult[];
  /** Subtitle lines of every chart that says what was left out; empty when all are drawn. */
  note: string[];
}

/** Ascending, with null (nothing to compare) last. */
function byValue(a: number | null, b: number | null): number {
  if (a === null || b === null) return (a === null ? 1 : 0) - (b === null ? 1 : 0);
  return a - b;
}

/**
 * The configurations a report draws. Up to `MAX_CHARTED` all; beyond, the first (the baseline of
 * the comparison), then those that meet the objective (as `judgeVariant` judges it), cheapest per
 * 1k requests first, then those that miss it, fewest requests lost first. The comparison table and
 * summary list every one.
 */
export function chartedVariants(input: ChartInput): ChartedVariants {
  const { variants, slo, replicated } = input;
  if (variants.length <= MAX_CHARTED) return { variants, note: [] };
  const ranked = variants.slice(1).map((v, i) => {
    const means = replicated?.variants.get(v.name)?.metrics;
    return {
      index: i + 1,
      met: judgeVariant(slo, v, replicated).met,
      cost: means?.cost_per_1k_requests_usd ?? v.cost_per_1k_requests_usd,
      lost: means?.drop_rate ?? dropRate(v.requests),
    };
  });
  ranked.sort((a, b) =>
    a.met !== b.met ? (a.met ? -1 : 1) : a.met ? byValue(a.cost, b.cost) : byValue(a.lost, b.lost),
  );
  const chosen = ranked.slice(0, MAX_CHARTED - 1);
  const missing = chosen.filter((r) => !r.met).length;
  const keep = new Set([0, ...chosen.map((r) => r.index)]);
  return {
    variants: variants.filter((_, i) => keep.has(i)),
    note: [
      `${MAX_CHARTED} of ${variants.length} configurations drawn; the tables list every one.`,
      `Drawn: the first, then those that meet the objective, cheapest per 1k requests first${
        missing > 0 ? ', then those that miss it, fewest requests lost first' : ''
      }.`,
    ],
  };
}

/**
 * At most this many fleets are drawn apart where a chart splits by fleet (the cost breakdown, the
 * timeline's fleet panels): the costliest, the others as one more, so every bar still adds up to
 * the total. Three thousand fleets drawn apart made a 166 MB timeline and took 2.5 GB to draw.
 */
export const MAX_FLEETS_CHARTED = 10;

export interface ChartedFleets {
  /** The fleets drawn apart; null when every fleet is. */
  apart: ReadonlySet<string> | null;
  /** What the others are drawn as (`2991 other fleets`: no fleet name has a space). */
  others: string;
  /** Subtitle lines of the charts that split by fleet; empty when every fleet is drawn apart. */
  note: string[];
}

/** The fleets of `variants` drawn apart: all up to `MAX_FLEETS_CHARTED`, beyond it the costliest over all variants. */
export function chartedFleets(variants: readonly Pick<VariantResult, 'cost_usd'>[]): ChartedFleets {
  const cost = new Map<string, number>();
  for (const v of variants) {
    for (const [fleet, usd] of Object.entries(v.cost_usd.by_fleet))
      cost.set(fleet, (cost.get(fleet) ?? 0) + usd);
  }
  if (cost.size <= MAX_FLEETS_CHARTED) return { apart: null, others: '', note: [] };
  const ranked = [...cost].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  const apart = new Set(ranked.slice(0, MAX_FLEETS_CHARTED - 1).map(([fleet]) => fleet));
  const others = `${cost.size - apart.size} other fleets`;
  return {
    apart,
    others,
    note: [
      `${apart.size} of ${cost.size} fleets drawn apart, the costliest; the ${others} as one. The tables list every one.`,
    ],
  };
}

/** The distinct `names` in the default (alphabetical) order, with `last` moved last. */
export function lastOf(names: readonly string[], last: string): string[] {
  return [...[...new Set(names)].filter((name) => name !== last).sort(), last];
}
