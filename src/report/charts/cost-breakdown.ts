import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { type ChartedFleets, chartedFleets, lastOf } from './selection.js';
import { FORMAT, header } from './theme.js';
import type { CostUsd } from './types.js';

export type CostSplit = 'fleet' | 'market' | 'kind';

export interface CostPartRow {
  variant: string;
  part: string;
  usd: number;
}

/**
 * The parts of each variant's cost along one breakdown, zero parts left out; empty when no
 * variant has that breakdown. `idle` is the part of `compute` paid for replicas serving nothing and
 * `recompute` the part LLM fleets spent redoing preempted work, so the kinds are compute minus
 * both (`serving`), `recompute`, `idle`, `transfer` and `energy`, which add up to the total.
 * Markets split `compute` only: transfer and electricity paid apart (`energy`, owned or edge
 * hardware) are parts of their own there too, so that every panel adds up to the total.
 */
export function costPartRows(
  variants: readonly Pick<VariantResult, 'name' | 'cost_usd'>[],
  by: CostSplit,
  fleets: ChartedFleets = chartedFleets(variants),
): CostPartRow[] {
  return variants.flatMap((v) => {
    const cost: CostUsd = v.cost_usd;
    const parts: [string, number | undefined][] =
      by === 'fleet'
        ? fleetParts(cost.by_fleet, fleets)
        : by === 'market'
          ? [...Object.entries(cost.by_market ?? {}), ['transfer', cost.transfer], ['energy', cost.energy]]
          : cost.compute === undefined || cost.idle === undefined
            ? []
            : [
                ['serving', cost.compute - cost.idle - (cost.recompute ?? 0)],
                ['recompute', cost.recompute],
                ['idle', cost.idle],
                ['transfer', cost.transfer],
                ['energy', cost.energy],
              ];
    return parts.flatMap(([part, usd]) =>
      usd === undefined || usd === 0 ? [] : [{ variant: v.name, part, usd }],
    );
  });
}

/** Each fleet's cost, those not drawn apart summed as one part. */
function fleetParts(byFleet: Record<string, number>, fleets: ChartedFleets): [string, number][] {
  const { apart, others } = fleets;
  if (apart === null) return Object.entries(byFleet);
  let rest = 0;
  const parts: [string, number][] = [];
  for (const [fleet, usd] of Object.entries(byFleet)) {
    if (apart.has(fleet)) parts.push([fleet, usd]);
    else rest += usd;
  }
  return [...parts, [others, rest]];
}

/** Markets and kinds have fixed colours and order (idle in grey: money for nothing); fleets take the scheme's. */
const PANELS: {
  by: CostSplit;
  title: string;
  legend: string;
  parts?: { domain: string[]; range: string[] };
}[] = [
  { by: 'fleet', title: 'by fleet', legend: 'fleet' },
  {
    by: 'market',
    title: 'by market',
    legend: 'market',
    parts: {
      domain: ['on-demand', 'spot', 'reserved', 'reserved-3y', 'transfer', 'energy'],
      range: ['#4c78a8', '#f58518', '#54a24b', '#2f7d32', '#e45756', '#eeca3b'],
    },
  },
  {
    by: 'kind',
    title: 'serving, recompute, idle, transfer',
    legend: 'cost',
    parts: {
      domain: ['serving', 'recompute', 'idle', 'transfer', 'energy'],
      range: ['#4c78a8', '#9d755d', '#bab0ac', '#e45756', '#eeca3b'],
    },
  },
];

/** A panel says something beyond the total only when it splits the cost into more than one part somewhere. */
function splits(rows: readonly CostPartRow[]): boolean {
  return new Set(rows.map((r) => r.part)).size > 1;
}

/** Stacked bars of each variant's cost, one panel per breakdown the results carry. */
export function costBreakdownChart(
  variants: readonly Pick<VariantResult, 'name' | 'cost_usd'>[],
): TopLevelSpec | null {
  const names = variants.map((v) => v.name);
  const fleets = chartedFleets(variants);
  // The per-fleet panel stays even for one fleet: it is the chart's base, the others are detail.
  const panels = PANELS.map((panel) => ({
    ...panel,
    values: costPartRows(variants, panel.by, fleets),
  })).filter((panel) => (panel.by === 'fleet' ? panel.values.length > 0 : splits(panel.values)));
  if (panels.length === 0) return null;
  const width = Math.max(160, Math.min(320, 60 * names.length));
  return {
    ...header('Cost breakdown', 'Cost of the whole run (warmup included), stacked by part.', ...fleets.note),
    hconcat: panels.map((panel) => ({
      title:
        panel.by === 'kind' && panel.values.some((r) => r.part === 'energy')
          ? `${panel.title}, energy`
          : panel.title,
      width,
      height: 280,
      data: { values: panel.values },
      mark: { type: 'bar' },
      encoding: {
        x: {
          field: 'variant',
          type: 'nominal',
          title: 'variant',
          sort: names,
          axis: { labelAngle: names.some((n) => n.length > 8) ? -30 : 0 },
        },
        y: { field: 'usd', type: 'quantitative', aggregate: 'sum', title: 'cost (USD)' },
        color: {
          field: 'part',
          type: 'nominal',
          title: panel.legend,
          ...(panel.parts === undefined
            ? // The others drawn as one after the fleets drawn apart.
              fleets.apart === null
              ? {}
              : {
                  sort: lastOf(
                    panel.values.map((r) => r.part),
                    fleets.others,
                  ),
                }
            : {
                scale: panel.parts,
                sort: panel.parts.domain,
                legend: { values: panel.parts.domain.filter((p) => panel.values.some((r) => r.part === p)) },
              }),
        },
        tooltip: [
          { field: 'variant', type: 'nominal' },
          { field: 'part', type: 'nominal', title: panel.legend },
          { field: 'usd', type: 'quantitative', aggregate: 'sum', title: 'cost (USD)', format: FORMAT.usd },
        ],
      },
    })),
    resolve: { scale: { color: 'independent' } },
  };
}
