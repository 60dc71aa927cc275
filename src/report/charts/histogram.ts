import type { TopLevelSpec } from 'vega-lite';
import type { UnitSpecWithFrame } from 'vega-lite/types_unstable/spec/unit.js';
import type { QuantilePoint, VariantResult } from '../../metrics/index.js';
import { completedShare } from '../../metrics/slo.js';
import { lostLabelExpr } from './objective.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  FORMAT,
  header,
  pickedOpacity,
  pickVariantParam,
  variantColor,
} from './theme.js';

/** Log-spaced bins across the range of all variants: about ten per decade for a typical latency spread. */
const BINS = 30;

export interface HistogramRow {
  variant: string;
  from_s: number;
  to_s: number;
  /**
   * Share of the variant's measured requests that completed in (from_s, to_s]; the first bin also
   * holds everything below it. The bins of a variant that lost requests add up to less than 1.
   */
  share: number;
}

/**
 * The CDF through the quantile points, read as a piecewise-uniform density: linear between
 * neighbouring points, a step where points repeat a value (many requests with the same latency),
 * 0 below the first point's value, whose quantile is a mass there, and 1 from the last on.
 */
export function cdfAt(points: readonly QuantilePoint[], seconds: number): number {
  if (points.length === 0 || seconds < points[0][1]) return 0;
  let i = 0;
  while (i + 1 < points.length && points[i + 1][1] <= seconds) i++;
  if (i + 1 === points.length) return 1;
  const [q0, x0] = points[i];
  const [q1, x1] = points[i + 1];
  return q0 + ((q1 - q0) * (seconds - x0)) / (x1 - x0);
}

/** Each variant's share of requests per bin, on bins shared by all variants so bars line up. */
export function histogramRows(
  variants: readonly Pick<VariantResult, 'name' | 'distributions' | 'requests'>[],
  bins = BINS,
): HistogramRow[] {
  const positive = variants.flatMap((v) => v.distributions.latency_s.map(([, s]) => s)).filter((s) => s > 0);
  if (positive.length === 0) return [];
  // A reduce, not Math.min(...positive): thousands of variants' points are more arguments than a call takes.
  const low = positive.reduce((a, b) => Math.min(a, b));
  const high = positive.reduce((a, b) => Math.max(a, b));
  const count = high > low ? bins : 1;
  const edges = Array.from({ length: count + 1 }, (_, k) =>
    k === count ? high : low * (high / low) ** (k / count),
  );
  return variants.flatMap((v) => {
    const points = v.distributions.latency_s;
    if (points.length === 0) return [];
    const completed = completedShare(v.requests) ?? 1;
    return edges.slice(0, -1).map((from, k) => ({
      variant: v.name,
      from_s: from,
      to_s: edges[k + 1],
      share: completed * (cdfAt(points, edges[k + 1]) - (k === 0 ? 0 : cdfAt(points, from))),
    }));
  });
}

/** Variants a histogram overlays in one panel; beyond them, a panel each. */
const MAX_OVERLAID = 3;
const SMALL_MULTIPLE_HEIGHT = 90;

/** Where measured requests' latencies fall, overlaid per variant (a panel each beyond three); null without latency data. */
export function latencyHistogramChart(
  variants: readonly Pick<VariantResult, 'name' | 'distributions' | 'requests'>[],
): TopLevelSpec | null {
  const values = histogramRows(variants);
  if (values.length === 0) return null;
  const all = variants.map((v) => v.name);
  const names = [...new Set(values.map((r) => r.variant))];
  const lostLabels = lostLabelExpr(variants.filter((v) => names.includes(v.name)));
  const color = variantColor(all, names, lostLabels);
  const small = names.length > MAX_OVERLAID;
  const layer: UnitSpecWithFrame<string> = {
    params: [pickVariantParam],
    mark: { type: 'rect', fillOpacity: small ? 0.45 : 0.25, strokeWidth: 1.5 },
    encoding: {
      x: {
        field: 'from_s',
        type: 'quantitative',
        title: 'latency (s, log scale)',
        scale: { type: 'log' },
        axis: { format: '~g' },
      },
      x2: { field: 'to_s' },
      y: {
        field: 'share',
        type: 'quantitative',
        title: small ? 'requests' : 'measured requests (%)',
        axis: { format: '%' },
      },
      y2: { datum: 0 },
      color,
      stroke: color,
      opacity: pickedOpacity,
      tooltip: [
        { field: 'variant', type: 'nominal', title: 'variant' },
        { field: 'from_s', type: 'quantitative', title: 'from (s)', format: FORMAT.seconds },
        { field: 'to_s', type: 'quantitative', title: 'to (s)', format: FORMAT.seconds },
        { field: 'share', type: 'quantitative', title: 'requests', format: '.2%' },
      ],
    },
  };
  const title = header(
    'Latency histogram',
    'Share of measured requests per latency bin (bins equally wide on the log axis), read from the quantile points.',
    ...(small ? ['A panel per variant, all on one scale.'] : []),
    ...(lostLabels === undefined
      ? []
      : ['Requests that were dropped or timed out are in no bin: see the share lost in the legend.']),
  );
  if (!small) return { ...title, ...layer, width: CHART_WIDTH, height: CHART_HEIGHT, data: { values } };
  // Overlaid, more than a few variants hide one another's bins: small multiples, one per row.
  return {
    ...title,
    data: { values },
    facet: {
      row: {
        field: 'variant',
        type: 'nominal',
        sort: names,
        title: null,
        header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' },
      },
    },
    spacing: 8,
    spec: { ...layer, width: CHART_WIDTH, height: SMALL_MULTIPLE_HEIGHT },
  };
}
