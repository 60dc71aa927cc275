import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { formatSeconds } from '../format.js';
import type { Slo } from '../slo.js';
import { type Bounds, boundsTooltip, errorBarLayers, estimated, replicatedNote } from './replicated.js';
import { CHART_HEIGHT, CHART_WIDTH, FORMAT, header } from './theme.js';
import type { Replicated } from './types.js';

const PERCENTILES = [
  ['p50', 'p50'],
  ['p90', 'p90'],
  ['p99', 'p99'],
] as const;

export interface PercentileRow extends Bounds<'seconds'> {
  variant: string;
  percentile: string;
  seconds: number;
}

export function percentileRows(
  variants: readonly Pick<VariantResult, 'name' | 'latency_s'>[],
  replicated?: Replicated,
): PercentileRow[] {
  return variants.flatMap((v) =>
    PERCENTILES.flatMap(([stat, label]) => {
      const seconds = estimated('seconds', v.latency_s[stat], replicated, v.name, `latency_s.${stat}`);
      return seconds === null ? [] : [{ variant: v.name, percentile: label, ...seconds }];
    }),
  );
}

/**
 * p50/p90/p99 latency side by side per variant, with a line for each latency target of the SLO;
 * with replications, their means and 95 % confidence intervals.
 */
export function percentileBarsChart(
  variants: readonly Pick<VariantResult, 'name' | 'latency_s'>[],
  slo?: Slo,
  replicated?: Replicated,
): TopLevelSpec | null {
  const values = percentileRows(variants, replicated);
  if (values.length === 0) return null;
  const names = variants.map((v) => v.name);
  const targets = (slo?.limits ?? [])
    .filter((l) => l.metric === 'latency')
    .map((l) => ({
      seconds: l.seconds,
      label: `SLO: latency_${l.statistic} <= ${formatSeconds(l.seconds)}`,
    }));
  const place = {
    x: {
      field: 'variant',
      type: 'nominal' as const,
      title: 'variant',
      sort: names,
      axis: { labelAngle: names.some((n) => n.length > 12) ? -30 : 0 },
    },
    xOffset: { field: 'percentile', type: 'nominal' as const, sort: PERCENTILES.map(([, l]) => l) },
  };
  const bars = {
    data: { values },
    mark: { type: 'bar' as const },
    encoding: {
      ...place,
      y: { field: 'seconds', type: 'quantitative' as const, title: 'latency (s)' },
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
        { field: 'seconds', type: 'quantitative' as const, title: 'latency (s)', format: FORMAT.seconds },
        ...boundsTooltip(replicated, 'seconds', 'latency', FORMAT.seconds),
      ],
    },
  };
  const head = header(
    'Latency percentiles',
    targets.length > 0 ? 'Bars above a red line miss the SLO.' : 'Lower is better.',
    ...replicatedNote(replicated),
  );
  const whiskers = errorBarLayers(values, 'seconds', 'y', 'latency (s)', place);
  if (targets.length === 0 && whiskers.length === 0) {
    return { ...head, width: CHART_WIDTH, height: CHART_HEIGHT, ...bars };
  }
  const target = { field: 'seconds', type: 'quantitative' as const };
  const sloLines =
    targets.length === 0
      ? []
      : [
          {
            data: { values: targets },
            mark: { type: 'rule' as const, color: '#d62728', strokeDash: [6, 4], strokeWidth: 2 },
            encoding: { y: target, tooltip: { field: 'label' } },
          },
          {
            data: { values: targets },
            mark: {
              type: 'text' as const,
              color: '#d62728',
              align: 'right' as const,
              baseline: 'bottom' as const,
              dy: -3,
              x: 'width' as const,
            },
            encoding: { y: target, text: { field: 'label' } },
          },
        ];
  return { ...head, width: CHART_WIDTH, height: CHART_HEIGHT, layer: [bars, ...whiskers, ...sloLines] };
}
