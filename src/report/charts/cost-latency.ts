import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { describeSlo, describeSloMisses, type Slo } from '../slo.js';
import { chartObjective, judgeVariant, OBJECTIVE_COLOR } from './objective.js';
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

/** How a configuration stands: `frontier` and `beaten` meet the objective, `fails` does not. */
export type CostLatencyStatus = 'frontier' | 'beaten' | 'fails';

const FAILS_LEGEND = 'misses objective';

/**
 * Cost per 1k requests against p99 latency, one point per variant, the Pareto frontier of the
 * variants that meet the objective joined by a dashed line: a variant off the line is beaten on
 * both by one on it. A variant that misses the objective (`slo`, with at most
 * `DEFAULT_MAX_DROP_RATE` lost where it sets no limit on that) is a cross and never on the
 * frontier: its cost and p99 count only the requests it served. With replications, points and
 * frontier are those of the means, and whiskers cross each point along both axes.
 */
export function costLatencyChart(
  variants: readonly Pick<
    VariantResult,
    'name' | 'latency_s' | 'ttft_s' | 'tpot_s' | 'queue_wait_s' | 'cost_per_1k_requests_usd' | 'requests'
  >[],
  replicated?: Replicated,
  slo?: Slo,
): TopLevelSpec | null {
  const points = costLatencyPoints(variants, replicated);
  if (points.length === 0) return null;
  const checks = new Map(variants.map((v) => [v.name, judgeVariant(slo, v, replicated)]));
  const frontier = new Set(
    paretoFrontier(points.filter((p) => checks.get(p.variant)?.met)).map((p) => p.variant),
  );
  const lost = new Map(variants.map((v) => [v.name, v.requests.dropped + v.requests.timed_out]));
  const values = points.map((p) => {
    const check = checks.get(p.variant)!;
    const status: CostLatencyStatus = !check.met ? 'fails' : frontier.has(p.variant) ? 'frontier' : 'beaten';
    return {
      ...p,
      status,
      frontier: frontier.has(p.variant) ? 'yes' : 'no',
      objective: check.met ? 'met' : describeSloMisses(check).join('; '),
      lost: lost.get(p.variant) ?? 0,
    };
  });
  const failing = values.some((v) => v.status === 'fails');
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
  const tooltip = [
    { field: 'variant', type: 'nominal' as const },
    { field: 'usd_per_1k', type: 'quantitative' as const, title: 'cost per 1k requests', format: FORMAT.usd },
    ...boundsTooltip(replicated, 'usd_per_1k', 'cost per 1k requests', FORMAT.usd),
    { field: 'p99_s', type: 'quantitative' as const, title: 'p99 latency (s)', format: FORMAT.seconds },
    ...boundsTooltip(replicated, 'p99_s', 'p99 latency', FORMAT.seconds),
    { field: 'lost', type: 'quantitative' as const, title: 'dropped + timed out', format: FORMAT.count },
    { field: 'objective', type: 'nominal' as const, title: 'objective' },
    { field: 'frontier', type: 'nominal' as const, title: 'on the frontier' },
  ];
  const passes = "datum.status !== 'fails'";
  // Names of the dearest points go to their left, or they would run into the legend.
  const cheapest = values.reduce((low, v) => Math.min(low, v.usd_per_1k), Infinity);
  const dearest = values.reduce((high, v) => Math.max(high, v.usd_per_1k), -Infinity);
  const leftOf = cheapest + 0.8 * (dearest - cheapest);
  const nameLayer = (side: 'left' | 'right') => ({
    transform: [{ filter: `datum.usd_per_1k ${side === 'left' ? '>' : '<='} ${leftOf}` }],
    mark: {
      type: 'text' as const,
      align: side === 'left' ? ('right' as const) : ('left' as const),
      dx: side === 'left' ? -10 : 10,
      dy: -8,
      fontSize: 11,
    },
    encoding: {
      x,
      y,
      text: { field: 'variant' },
      color: { condition: { test: passes, value: '#222' }, value: OBJECTIVE_COLOR },
      opacity: pickedOpacity,
    },
  });
  return {
    ...header(
      'Cost against p99 latency',
      'Lower left is better. Filled: on the Pareto frontier (dashed) of the configurations that meet the objective;',
      'hollow: one of those is cheaper and faster.',
      ...(failing
        ? [
            `Cross: misses the objective (${describeSlo(chartObjective(slo))}), so never on the frontier;`,
            'its cost and p99 count only the requests it served.',
          ]
        : []),
      ...replicatedNote(replicated),
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.status === 'frontier'" }],
        mark: { type: 'line', color: '#888', strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'usd_per_1k', type: 'quantitative' } },
      },
      ...errorBarLayers(values, 'usd_per_1k', 'x', xTitle, { y }),
      ...errorBarLayers(values, 'p99_s', 'y', yTitle, { x }),
      {
        params: [pickVariantParam],
        transform: [{ filter: passes }],
        mark: { type: 'point', size: 140, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color: variantColor(all, names),
          fill: {
            condition: { test: "datum.status === 'frontier'", ...variantColor(all, names) },
            value: 'white',
          },
          opacity: pickedOpacity,
          tooltip,
        },
      },
      ...(failing
        ? [
            {
              transform: [{ filter: `!(${passes})` }, { calculate: `'${FAILS_LEGEND}'`, as: 'failing' }],
              mark: { type: 'point' as const, size: 160, strokeWidth: 2, filled: true },
              encoding: {
                x,
                y,
                color: variantColor(all, names),
                shape: {
                  field: 'failing',
                  type: 'nominal' as const,
                  title: null,
                  scale: { domain: [FAILS_LEGEND], range: ['cross'] },
                  legend: { symbolFillColor: OBJECTIVE_COLOR, symbolStrokeColor: OBJECTIVE_COLOR },
                },
                opacity: pickedOpacity,
                tooltip,
              },
            },
          ]
        : []),
      ...(leftOf < dearest ? [nameLayer('left')] : []),
      nameLayer('right'),
    ],
  };
}
