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
