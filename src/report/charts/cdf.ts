import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { completedShare } from '../../metrics/slo.js';
import type { SloMetric } from '../../scenario/types.js';
import type { Slo } from '../slo.js';
import { lostLabelExpr, objectiveLayers, objectiveLines } from './objective.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  FORMAT,
  header,
  hoverLayer,
  pickedOpacity,
  pickVariantParam,
  variantColor,
} from './theme.js';

export type CdfMetric = 'latency_s' | 'ttft_s' | 'tpot_s';

const LABELS: Record<CdfMetric, { title: string; axis: string; slo: SloMetric }> = {
  latency_s: { title: 'Latency distribution', axis: 'latency (s, log scale)', slo: 'latency' },
  ttft_s: { title: 'Time to first token', axis: 'time to first token (s, log scale)', slo: 'ttft' },
  tpot_s: { title: 'Time per output token', axis: 'time per output token (s, log scale)', slo: 'tpot' },
};

export interface CdfRow {
  variant: string;
  seconds: number;
  /** Share of the completed requests at or below `seconds`. */
  quantile: number;
  /** Share of the measured requests (arrived after warmup) that completed at or below `seconds`. */
  measured: number;
}

/**
 * The CDF points of every variant that has some; zero values are left out, as a log axis cannot
 * place them. Distributions hold completed requests only (TPOT those with two or more output
 * tokens), so `measured` scales each quantile by the share of measured requests that completed:
 * a variant that lost 30 % of its requests ends at 70 %.
 */
export function cdfRows(
  variants: readonly Pick<VariantResult, 'name' | 'distributions' | 'requests'>[],
  metric: CdfMetric,
) {
  return variants.flatMap((v) => {
    const share = completedShare(v.requests) ?? 1;
    return v.distributions[metric]
      .filter(([, seconds]) => seconds > 0)
      .map(
        ([quantile, seconds]): CdfRow => ({ variant: v.name, seconds, quantile, measured: quantile * share }),
      );
  });
}

/**
 * Share of measured requests at or below each value, one line per variant, ending below 100 % by
 * what a variant lost (its legend entry says how much), with a rule at each limit of `slo` on this
 * metric; null when no variant has the distribution.
 */
export function cdfChart(
  variants: readonly Pick<VariantResult, 'name' | 'distributions' | 'requests'>[],
  metric: CdfMetric,
  slo?: Slo,
): TopLevelSpec | null {
  const values = cdfRows(variants, metric);
  if (values.length === 0) return null;
  const drawn = variants.filter((v) => values.some((r) => r.variant === v.name));
  const lostLabels = lostLabelExpr(drawn);
  const all = variants.map((v) => v.name);
  const names = [...new Set(values.map((r) => r.variant))];
  const x = {
    field: 'seconds',
    type: 'quantitative' as const,
    title: LABELS[metric].axis,
    scale: { type: 'log' as const },
    axis: { format: '~g' },
  };
  const y = {
    field: 'measured',
    type: 'quantitative' as const,
    title: 'measured requests at or below (%)',
    scale: { domain: [0, 1] },
    axis: { format: '%' },
  };
  const color = variantColor(all, names, lostLabels);
  return {
    ...header(
      LABELS[metric].title,
      'Left and steep is better. Click a legend entry to highlight a variant; hover for values.',
      ...(lostLabels === undefined
        ? []
        : [
            'Share of measured requests: a curve ends at the share that completed; the rest were dropped or timed out (legend).',
          ]),
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      {
        params: [pickVariantParam],
        mark: { type: 'line' },
        encoding: { x, y, color, opacity: pickedOpacity },
      },
      hoverLayer('hover', {
        x,
        y,
        color,
        tooltip: [
          { field: 'variant', type: 'nominal' as const, title: 'variant' },
          { field: 'measured', type: 'quantitative' as const, title: 'of measured', format: '.2%' },
          { field: 'quantile', type: 'quantitative' as const, title: 'of completed', format: '.2%' },
          { field: 'seconds', type: 'quantitative' as const, title: 'seconds', format: FORMAT.seconds },
        ],
      }),
      ...objectiveLayers(objectiveLines(slo, LABELS[metric].slo), 'x'),
    ],
  };
}
