import type { TopLevelSpec } from 'vega-lite';
import { formatWholePercent } from '../core/format.js';
import { CHART_HEIGHT, CHART_WIDTH, type Chart, FORMAT, header, writeCharts } from '../report/index.js';
import type { PurchaseMixResult } from './purchase-mix.js';
import { mixText } from './purchase-mix-output.js';

export const PURCHASE_MIX_CHART_NAMES = ['purchase-mix-frontier'] as const;
type PurchaseMixChartName = (typeof PURCHASE_MIX_CHART_NAMES)[number];

const STYLE = {
  'the pick': '#2e7d32',
  'on the frontier': '#4c78a8',
  dominated: '#bbbbbb',
} as const;
type Role = keyof typeof STYLE;
const VERDICTS = ['eligible', 'risk over tolerance', 'misses the objective'];

export interface FrontierPoint {
  mix: string;
  role: Role;
  verdict: string;
  usd_per_month: number;
  /** The 95 % interval of the monthly cost; the mean at both ends when the replications agree. */
  usd_low: number;
  usd_high: number;
  risk: number;
  risk_low: number;
  risk_high: number;
}

/** Every mix that ran, with its interval in both directions. */
export function frontierPoints(result: Pick<PurchaseMixResult, 'candidates' | 'pick'>): FrontierPoint[] {
  return result.candidates.flatMap((candidate) => {
    if (candidate.status !== 'ok' || candidate.monthly_cost_usd === null || candidate.risk === null)
      return [];
    const half = candidate.monthly_cost_ci95 ?? 0;
    const [riskLow, riskHigh] = candidate.risk_ci95 ?? [candidate.risk, candidate.risk];
    const role: Role =
      candidate === result.pick ? 'the pick' : candidate.frontier ? 'on the frontier' : 'dominated';
    return [
      {
        mix: mixText(candidate),
        role,
        verdict: candidate.eligible
          ? 'eligible'
          : candidate.meets_slo
            ? 'risk over tolerance'
            : 'misses the objective',
        usd_per_month: candidate.monthly_cost_usd,
        usd_low: candidate.monthly_cost_usd - half,
        usd_high: candidate.monthly_cost_usd + half,
        risk: candidate.risk,
        risk_low: riskLow,
        risk_high: riskHigh,
      },
    ];
  });
}

/**
 * Monthly cost against SLO risk: each mix a point with its 95 % intervals (cost across, risk up),
 * the frontier joined by a step line, the tolerance a dashed rule, the pick dark green.
 */
export function frontierChart(
  result: Pick<
    PurchaseMixResult,
    'candidates' | 'pick' | 'risk_tolerance' | 'replications' | 'hours_per_month'
  >,
): TopLevelSpec | null {
  const values = frontierPoints(result);
  if (values.length === 0) return null;
  const domain = (Object.keys(STYLE) as Role[]).filter((role) => values.some((v) => v.role === role));
  const color = {
    field: 'role',
    type: 'nominal' as const,
    title: null,
    scale: { domain, range: domain.map((role) => STYLE[role]) },
    // The interval bars share this channel; the legend shows the points' full colour.
    legend: { symbolOpacity: 1 },
  };
  const x = {
    field: 'usd_per_month',
    type: 'quantitative' as const,
    title: `cost (USD per month of ${result.hours_per_month} h; mean and 95 % interval)`,
    scale: { zero: false },
    axis: { format: '$,.0f' },
  };
  const y = {
    field: 'risk',
    type: 'quantitative' as const,
    title: `SLO risk (share of ${result.replications} replications missing it)`,
    scale: { domain: [0, 1] },
    axis: { format: '.0%' },
  };
  const frontier = values
    .filter((v) => v.role !== 'dominated')
    .sort((a, b) => a.usd_per_month - b.usd_per_month);
  return {
    ...header(
      'Purchase mix: monthly cost against SLO risk',
      'Each point a mix of reserved, spot and on-demand replicas, with 95 % intervals',
      '(cost: Student t over the replications; risk: Wilson). The line is the frontier:',
      'no other mix costs less with no more risk. Crosses miss the objective on the means.',
      `The pick: the cheapest mix that meets it, with a risk of at most ${formatWholePercent(result.risk_tolerance)} % (dashed).`,
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    layer: [
      {
        data: { values: [{ tolerance: result.risk_tolerance }] },
        mark: { type: 'rule' as const, strokeDash: [6, 4], color: '#e45756' },
        encoding: { y: { field: 'tolerance', type: 'quantitative' as const } },
      },
      {
        data: { values: frontier },
        mark: { type: 'line' as const, interpolate: 'step-after' as const, color: '#4c78a8', opacity: 0.6 },
        encoding: { x, y },
      },
      {
        data: { values },
        mark: { type: 'rule' as const, opacity: 0.5 },
        encoding: { x: { ...x, field: 'usd_low' }, x2: { field: 'usd_high' }, y, color },
      },
      {
        data: { values },
        mark: { type: 'rule' as const, opacity: 0.5 },
        encoding: { x, y: { ...y, field: 'risk_low' }, y2: { field: 'risk_high' }, color },
      },
      {
        data: { values: frontier },
        mark: { type: 'text' as const, align: 'left' as const, dx: 7, dy: -9, fontSize: 10, color: '#333' },
        encoding: { x, y, text: { field: 'mix', type: 'nominal' as const } },
      },
      {
        data: { values },
        mark: { type: 'point' as const, filled: true, size: 80, opacity: 1 },
        encoding: {
          x,
          y,
          color,
          shape: {
            field: 'verdict',
            type: 'nominal' as const,
            title: null,
            scale: { domain: VERDICTS, range: ['circle', 'triangle-down', 'cross'] },
          },
          tooltip: [
            { field: 'mix', type: 'nominal' as const },
            { field: 'verdict', type: 'nominal' as const },
            {
              field: 'usd_per_month',
              type: 'quantitative' as const,
              title: 'USD per month',
              format: '$,.0f',
            },
            { field: 'risk', type: 'quantitative' as const, title: 'SLO risk', format: FORMAT.percent },
            {
              field: 'risk_high',
              type: 'quantitative' as const,
              title: 'risk, 95 % upper',
              format: FORMAT.percent,
            },
          ],
        },
      },
    ],
  };
}

export function assemblePurchaseMixCharts(result: PurchaseMixResult): Chart<PurchaseMixChartName>[] {
  const spec = frontierChart(result);
  return spec === null ? [] : [{ name: 'purchase-mix-frontier', spec }];
}

/** The frontier chart as `.vl.json` and `.svg` (and with `png`, `.png`) beside purchase-mix.json. */
export function writePurchaseMixCharts(
  dir: string,
  result: PurchaseMixResult,
  { png = false }: { png?: boolean } = {},
): Promise<string[]> {
  return writeCharts(dir, assemblePurchaseMixCharts(result), PURCHASE_MIX_CHART_NAMES, { png });
}
