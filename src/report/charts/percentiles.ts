import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import type { SloMetric } from '../../scenario/types.js';
import type { Slo } from '../slo.js';
import { lostLabelExpr, METRIC_NAMES, objectiveLayers, objectiveLines } from './objective.js';
import { type Bounds, boundsTooltip, errorBarLayers, estimated, replicatedNote } from './replicated.js';
import { CHART_HEIGHT, CHART_WIDTH, FORMAT, header } from './theme.js';
import type { Replicated } from './types.js';

const PERCENTILES = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
] as const;

/** Latency always has a panel; the other metrics one where the SLO limits them. */
const PANEL_ORDER: readonly SloMetric[] = ['latency', 'ttft', 'tpot', 'queue_wait'];

const PANEL_TITLES: Record<SloMetric, string> = {
  latency: 'latency',
  ttft: 'time to first token',
  tpot: 'time per output token',
  queue_wait: 'queue wait',
};

export type PercentileInput = Pick<
  VariantResult,
  'name' | 'latency_s' | 'ttft_s' | 'tpot_s' | 'queue_wait_s' | 'requests'
>;

export interface PercentileRow extends Bounds<'seconds'> {
  variant: string;
  percentile: string;
  seconds: number;
}

export function percentileRows(
  variants: readonly PercentileInput[],
  replicated?: Replicated,
  metric: SloMetric = 'latency',
): PercentileRow[] {
  const key = `${metric}_s` as const;
  return variants.flatMap((v) =>
    PERCENTILES.flatMap(([stat, label]) => {
      const seconds = estimated('seconds', v[key][stat], replicated, v.name, `${key}.${stat}`);
      return seconds === null ? [] : [{ variant: v.name, percentile: label, ...seconds }];
    }),
  );
}

function panel(
  metric: SloMetric,
  values: PercentileRow[],
  names: readonly string[],
  lostLabels: string | undefined,
  slo: Slo | undefined,
  replicated: Replicated | undefined,
) {
  const title = `${PANEL_TITLES[metric]} (s)`;
  const place = {
    x: {
      field: 'variant',
      type: 'nominal' as const,
      title: 'variant',
      sort: [...names],
      axis: {
        labelAngle: names.some((n) => n.length > 12) || lostLabels !== undefined ? -30 : 0,
        labelLimit: 400,
        ...(lostLabels === undefined ? {} : { labelExpr: lostLabels }),
      },
    },
    xOffset: { field: 'percentile', type: 'nominal' as const, sort: PERCENTILES.map(([, l]) => l) },
  };
  const bars = {
    data: { values },
    mark: { type: 'bar' as const },
    encoding: {
      ...place,
      y: { field: 'seconds', type: 'quantitative' as const, title },
      color: {
        field: 'percentile',
        type: 'nominal' as const,
        title: 'percentile',
        sort: PERCENTILES.map(([, l]) => l),
        scale: { range: ['#9ecae1', '#4292c6', '#08306b'] },
      },
      tooltip: [
        { field: 'variant', type: 'nominal' as const },
        { field: 'percentile', type: 'nominal' as const },
        { field: 'seconds', type: 'quantitative' as const, title, format: FORMAT.seconds },
        ...boundsTooltip(replicated, 'seconds', METRIC_NAMES[metric], FORMAT.seconds),
      ],
    },
  };
  const layers = [
    ...errorBarLayers(values, 'seconds', 'y', title, place),
    ...objectiveLayers(objectiveLines(slo, metric), 'y'),
  ];
  const size = { width: CHART_WIDTH, height: CHART_HEIGHT };
  return layers.length === 0 ? { ...size, ...bars } : { ...size, layer: [bars, ...layers] };
}

/**
 * p50/p90/p99 of completed requests side by side per variant, latency and each other metric the
 * SLO limits, with a line at each limit (also of statistics the bars do not show); with
 * replications, their means and 95 % confidence intervals. Variants that lost requests say how
 * many beside their name: their percentiles leave those out.
 */
export function percentileBarsChart(
  variants: readonly PercentileInput[],
  slo?: Slo,
  replicated?: Replicated,
): TopLevelSpec | null {
  const limited = new Set((slo?.limits ?? []).map((l) => l.metric));
  const panels = PANEL_ORDER.filter((m) => m === 'latency' || limited.has(m)).flatMap((metric) => {
    const values = percentileRows(variants, replicated, metric);
    return values.length === 0 ? [] : [{ metric, values }];
  });
  if (panels.length === 0) return null;
  const names = variants.map((v) => v.name);
  const lostLabels = lostLabelExpr(variants);
  const head = header(
    panels.length === 1 ? 'Latency percentiles' : 'Percentiles',
    (slo?.limits ?? []).length > 0 ? 'Bars above a red line miss the SLO.' : 'Lower is better.',
    ...(lostLabels === undefined
      ? []
      : ['Percentiles of completed requests only: a configuration that lost requests says how many.']),
    ...replicatedNote(replicated),
  );
  const drawn = panels.map((p) => panel(p.metric, p.values, names, lostLabels, slo, replicated));
  if (drawn.length === 1) return { ...head, ...drawn[0] };
  return {
    ...head,
    vconcat: drawn.map((view, i) => ({ ...view, title: PANEL_TITLES[panels[i].metric] })),
  };
}
