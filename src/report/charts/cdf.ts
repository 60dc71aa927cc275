import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
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

const LABELS: Record<CdfMetric, { title: string; axis: string }> = {
  latency_s: { title: 'Latency distribution', axis: 'latency (s, log scale)' },
  ttft_s: { title: 'Time to first token', axis: 'time to first token (s, log scale)' },
  tpot_s: { title: 'Time per output token', axis: 'time per output token (s, log scale)' },
};

export interface CdfRow {
  variant: string;
  seconds: number;
  quantile: number;
}

/** The CDF points of every variant that has some; zero values are left out, as a log axis cannot place them. */
export function cdfRows(
  variants: readonly Pick<VariantResult, 'name' | 'distributions'>[],
  metric: CdfMetric,
) {
  return variants.flatMap((v) =>
    v.distributions[metric]
      .filter(([, seconds]) => seconds > 0)
      .map(([quantile, seconds]): CdfRow => ({ variant: v.name, seconds, quantile })),
  );
}

/** Share of requests at or below each value, one line per variant; null when no variant has the distribution. */
export function cdfChart(
  variants: readonly Pick<VariantResult, 'name' | 'distributions'>[],
  metric: CdfMetric,
): TopLevelSpec | null {
  const values = cdfRows(variants, metric);
  if (values.length === 0) return null;
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
    field: 'quantile',
    type: 'quantitative' as const,
    title: 'requests at or below (%)',
    scale: { domain: [0, 1] },
    axis: { format: '%' },
  };
  return {
    ...header(
      LABELS[metric].title,
      'Left and steep is better. Click a legend entry to highlight a variant; hover for values.',
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      {
        params: [pickVariantParam],
        mark: { type: 'line' },
        encoding: { x, y, color: variantColor(all, names), opacity: pickedOpacity },
      },
      hoverLayer('hover', {
        x,
        y,
        color: variantColor(all, names),
        tooltip: [
          { field: 'variant', type: 'nominal' as const, title: 'variant' },
          { field: 'quantile', type: 'quantitative' as const, title: 'quantile', format: '.2%' },
          { field: 'seconds', type: 'quantitative' as const, title: 'seconds', format: FORMAT.seconds },
        ],
      }),
    ],
  };
}
