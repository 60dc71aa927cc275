import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { type Bounds, boundsTooltip, errorBarLayers, estimated, replicatedNote } from './replicated.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  FORMAT,
  header,
  pickedOpacity,
  pickVariantParam,
  variantColor,
} from './theme.js';
import type { Replicated } from './types.js';

export interface CostLatencyPoint extends Bounds<'usd_per_1k'>, Bounds<'p99_s'> {
  variant: string;
  usd_per_1k: number;
  p99_s: number;
}

/**
 * The points no other point beats: none other is at most as expensive and at most as slow while
 * strictly better in one of the two. Identical points are all kept. In input order.
 */
export function paretoFrontier<P extends { usd_per_1k: number; p99_s: number }>(points: readonly P[]): P[] {
  return points.filter(
    (p) =>
      !points.some(
        (q) =>
          q.usd_per_1k <= p.usd_per_1k &&
          q.p99_s <= p.p99_s &&
          (q.usd_per_1k < p.usd_per_1k || q.p99_s < p.p99_s),
      ),
  );
}

/**
 * Variants with both a cost per 1k requests and a p99 latency (i.e. that completed requests); with
 * replications, their means and 95 % confidence intervals.
 */
export function costLatencyPoints(
  variants: readonly Pick<VariantResult, 'name' | 'latency_s' | 'cost_per_1k_requests_usd'>[],
  replicated?: Replicated,
): CostLatencyPoint[] {
  return variants.flatMap((v) => {
    const cost = estimated(
      'usd_per_1k',
      v.cost_per_1k_requests_usd,
      replicated,
      v.name,
      'cost_per_1k_requests_usd',
    );
    const p99 = estimated('p99_s', v.latency_s.p99, replicated, v.name, 'latency_s.p99');
    return cost === null || p99 === null ? [] : [{ variant: v.name, ...cost, ...p99 }];
  });
}

/**
 * Cost per 1k requests against p99 latency, one point per variant, the Pareto frontier joined by a
 * dashed line: a variant off the line is beaten on both by one on it. With replications, the
 * frontier is that of the means, and whiskers cross each point along both axes.
 */
export function costLatencyChart(
  variants: readonly Pick<VariantResult, 'name' | 'latency_s' | 'cost_per_1k_requests_usd' | 'requests'>[],
  replicated?: Replicated,
): TopLevelSpec | null {
  const points = costLatencyPoints(variants, replicated);
  if (points.length === 0) return null;
  const frontier = new Set(paretoFrontier(points).map((p) => p.variant));
  const lost = new Map(variants.map((v) => [v.name, v.requests.dropped + v.requests.timed_out]));
  const values = points.map((p) => ({
    ...p,
    frontier: frontier.has(p.variant) ? 'yes' : 'no',
    lost: lost.get(p.variant) ?? 0,
  }));
  const all = variants.map((v) => v.name);
  const names = points.map((p) => p.variant);
  const xTitle = 'cost per 1k requests (USD)';
  const x = {
    field: 'usd_per_1k',
    type: 'quantitative' as const,
    title: xTitle,
    scale: { zero: false, padding: 40 },
    axis: { format: '$,.3~g' },
  };
  const yTitle = 'p99 latency (s)';
  const y = {
    field: 'p99_s',
    type: 'quantitative' as const,
    title: yTitle,
    scale: { zero: false, padding: 30 },
  };
  return {
    ...header(
      'Cost against p99 latency',
      'Lower left is better. Filled: on the Pareto frontier (dashed); hollow: another variant is cheaper and faster.',
      ...replicatedNote(replicated),
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.frontier === 'yes'" }],
        mark: { type: 'line', color: '#888', strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'usd_per_1k', type: 'quantitative' } },
      },
      ...errorBarLayers(values, 'usd_per_1k', 'x', xTitle, { y }),
      ...errorBarLayers(values, 'p99_s', 'y', yTitle, { x }),
      {
        params: [pickVariantParam],
        mark: { type: 'point', size: 140, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: variantColor(all, names),
          fill: {
            condition: { test: "datum.frontier === 'yes'", ...variantColor(all, names) },
            value: 'white',
          },
          opacity: pickedOpacity,
          tooltip: [
            { field: 'variant', type: 'nominal' },
            { field: 'usd_per_1k', type: 'quantitative', title: 'cost per 1k requests', format: FORMAT.usd },
            ...boundsTooltip(replicated, 'usd_per_1k', 'cost per 1k requests', FORMAT.usd),
            { field: 'p99_s', type: 'quantitative', title: 'p99 latency (s)', format: FORMAT.seconds },
            ...boundsTooltip(replicated, 'p99_s', 'p99 latency', FORMAT.seconds),
            { field: 'lost', type: 'quantitative', title: 'dropped + timed out', format: FORMAT.count },
            { field: 'frontier', type: 'nominal', title: 'on the frontier' },
          ],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 10, dy: -8, fontSize: 11 },
        encoding: { x, y, text: { field: 'variant' }, opacity: pickedOpacity },
      },
    ],
  };
}
