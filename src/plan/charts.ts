import type { TopLevelSpec } from 'vega-lite';
import { CHART_HEIGHT, CHART_WIDTH, type Chart, FORMAT, header, writeCharts } from '../report/index.js';
import type { SweepResult, SweepRow } from './output.js';
import type { PlanCandidate, PlanResult } from './plan.js';

/** Charts of a sweep, written beside sweep.json; also the names `writeSweepCharts` removes when not drawn. */
export const SWEEP_CHART_NAMES = ['cost-vs-p99', 'cost-per-1m-tokens-by-hardware'] as const;
/** Charts of a plan, written beside plan.json. */
export const PLAN_CHART_NAMES = ['capacity-curves'] as const;

const COST = 'cost_usd.total';
const P99 = 'latency_s.p99';
const TOKEN_COST = 'cost_per_1m_tokens_usd.total';
const INSTANCE_KEY = /^fleets\.\d+\.instance$/;

const SLO_COLORS = { 'meets SLO': '#54a24b', 'misses SLO': '#e45756', 'no SLO': '#4c78a8' } as const;
type Verdict = keyof typeof SLO_COLORS;

function verdict(row: Pick<SweepRow, 'meets_slo'>): Verdict {
  return row.meets_slo === null ? 'no SLO' : row.meets_slo ? 'meets SLO' : 'misses SLO';
}

function sloColor(verdicts: readonly Verdict[]) {
  const domain = (Object.keys(SLO_COLORS) as Verdict[]).filter((v) => verdicts.includes(v));
  return {
    field: 'verdict',
    type: 'nominal' as const,
    title: null,
    scale: { domain, range: domain.map((v) => SLO_COLORS[v]) },
  };
}

/** `fleets.0.replicas=4, fleets.0.instance=aws/g6.xlarge`, and the variant when the sweep has several. */
export function describeRow(row: Pick<SweepRow, 'params' | 'variant'>, withVariant: boolean): string {
  const params = Object.entries(row.params).map(([path, value]) =>
    typeof value === 'string' ? `${path}=${value}` : `${path}=${JSON.stringify(value)}`,
  );
  return [...params, ...(withVariant ? [`variant ${row.variant}`] : [])].join(', ');
}

const number = (value: number | null | undefined) => (typeof value === 'number' ? value : null);

export interface SweepCostPoint {
  configuration: string;
  cost_usd: number;
  p99_s: number;
  /** p99 ± its 95 % confidence half-width, with replications; else both the p99. */
  p99_low_s: number;
  p99_high_s: number;
  verdict: Verdict;
  frontier: 'yes' | 'no';
}

/** Configurations that cannot run are never drawn: a caption line says how many were left out. */
function infeasibleNote(rows: readonly Pick<SweepRow, 'status'>[]): string[] {
  const count = rows.filter((row) => row.status === 'infeasible').length;
  return count === 0 ? [] : [`${count} infeasible configuration(s), which cannot run at all, are left out.`];
}

/** Rows that ran with a cost and a p99 (those that completed requests), as chart points. */
export function sweepCostPoints(result: Pick<SweepResult, 'rows'>): SweepCostPoint[] {
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  return result.rows.flatMap((row) => {
    if (row.status === 'infeasible') return [];
    const cost = number(row.metrics[COST]);
    const p99 = number(row.metrics[P99]);
    if (cost === null || p99 === null) return [];
    const halfWidth = number(row.ci95?.[P99]) ?? 0;
    return [
      {
        configuration: describeRow(row, variants),
        cost_usd: cost,
        p99_s: p99,
        p99_low_s: p99 - halfWidth,
        p99_high_s: p99 + halfWidth,
        verdict: verdict(row),
        frontier: row.pareto ? 'yes' : 'no',
      },
    ];
  });
}

/**
 * Cost of the run against p99 latency, a point per configuration coloured by the SLO verdict; the
 * Pareto frontier (sweep.json's `pareto`, on the same two figures) joined by a dashed line; with
 * replications, the 95 % confidence interval of each p99 as an error bar.
 */
export function sweepCostLatencyChart(result: Pick<SweepResult, 'rows'>): TopLevelSpec | null {
  const values = sweepCostPoints(result);
  if (values.length === 0) return null;
  const replicated = result.rows.some((row) => row.ci95 !== null);
  const x = {
    field: 'cost_usd',
    type: 'quantitative' as const,
    title: 'cost of the run (USD)',
    scale: { zero: false, padding: 20 },
    axis: { format: '$,.3~g' },
  };
  const y = {
    field: 'p99_s',
    type: 'quantitative' as const,
    title: 'p99 latency (s)',
    scale: { zero: false, padding: 20 },
  };
  return {
    ...header(
      'Sweep: cost against p99 latency',
      `A point per configuration; lower left is better. Dashed: the Pareto frontier, where nothing is both cheaper and faster.${replicated ? ' Bars: 95 % confidence interval of the p99.' : ''}`,
      ...infeasibleNote(result.rows),
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      ...(replicated
        ? [
            {
              mark: { type: 'rule' as const, color: '#999' },
              encoding: { x, y: { ...y, field: 'p99_low_s' }, y2: { field: 'p99_high_s' } },
            },
          ]
        : []),
      {
        transform: [{ filter: "datum.frontier === 'yes'" }],
        mark: { type: 'line' as const, color: '#888', strokeDash: [5, 4], strokeWidth: 1.5 },
        encoding: { x, y, order: { field: 'cost_usd', type: 'quantitative' as const } },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 70, opacity: 0.85 },
        encoding: {
          x,
          y,
          color: sloColor(values.map((v) => v.verdict)),
          tooltip: [
            { field: 'configuration', type: 'nominal' as const },
            { field: 'cost_usd', type: 'quantitative' as const, title: 'cost (USD)', format: FORMAT.usd },
            {
              field: 'p99_s',
              type: 'quantitative' as const,
              title: 'p99 latency (s)',
              format: FORMAT.seconds,
            },
            { field: 'verdict', type: 'nominal' as const, title: 'SLO' },
            { field: 'frontier', type: 'nominal' as const, title: 'on the frontier' },
          ],
        },
      },
    ],
  };
}

export interface HardwareCostPoint {
  /** The values of the swept `fleets.N.instance` keys, joined with ` + `. */
  hardware: string;
  configuration: string;
  usd_per_1m_tokens: number;
  verdict: Verdict;
}

/** Rows with a cost per 1M tokens, by the instance types they ran on; empty when no instance key was swept. */
export function hardwareCostPoints(result: Pick<SweepResult, 'rows' | 'parameters'>): HardwareCostPoint[] {
  const keys = result.parameters.map((p) => p.path).filter((path) => INSTANCE_KEY.test(path));
  if (keys.length === 0) return [];
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  return result.rows.flatMap((row) => {
    const usd = number(row.metrics[TOKEN_COST]);
    if (row.status === 'infeasible' || usd === null) return [];
    return [
      {
        hardware: keys.map((key) => String(row.params[key])).join(' + '),
        configuration: describeRow(row, variants),
        usd_per_1m_tokens: usd,
        verdict: verdict(row),
      },
    ];
  });
}

/**
 * Cost per 1M tokens (input + output) for each instance type swept: a dot per configuration on it,
 * coloured by the SLO verdict, and a bar up to the cheapest that meets the SLO (the cheapest of all
 * without an SLO). Instance types where nothing meets the SLO have dots only.
 */
export function hardwareCostChart(result: Pick<SweepResult, 'rows' | 'parameters'>): TopLevelSpec | null {
  const values = hardwareCostPoints(result);
  if (values.length === 0) return null;
  const hardware = [...new Set(values.map((v) => v.hardware))];
  const best = hardware.flatMap((name) => {
    const eligible = values.filter((v) => v.hardware === name && v.verdict !== 'misses SLO');
    if (eligible.length === 0) return [];
    const cheapest = eligible.reduce((a, b) => (b.usd_per_1m_tokens < a.usd_per_1m_tokens ? b : a));
    return [
      {
        hardware: name,
        usd_per_1m_tokens: cheapest.usd_per_1m_tokens,
        configuration: cheapest.configuration,
      },
    ];
  });
  const x = {
    field: 'hardware',
    type: 'nominal' as const,
    title: 'instance type',
    sort: hardware,
    axis: { labelAngle: hardware.some((h) => h.length > 12) ? -30 : 0, labelLimit: 220 },
  };
  const y = {
    field: 'usd_per_1m_tokens',
    type: 'quantitative' as const,
    title: 'cost per 1M tokens (USD)',
  };
  const tooltip = [
    { field: 'configuration', type: 'nominal' as const },
    {
      field: 'usd_per_1m_tokens',
      type: 'quantitative' as const,
      title: 'USD per 1M tokens',
      format: FORMAT.usd,
    },
  ];
  const sloGiven = values.some((v) => v.verdict !== 'no SLO');
  return {
    ...header(
      'Sweep: cost per 1M tokens by hardware',
      `A dot per configuration; bars: the cheapest ${sloGiven ? 'that meets the SLO' : 'configuration'} on each instance type.`,
      ...infeasibleNote(result.rows),
    ),
    width: Math.max(240, Math.min(CHART_WIDTH, 110 * hardware.length)),
    height: CHART_HEIGHT,
    layer: [
      {
        data: { values: best },
        mark: { type: 'bar' as const, color: '#c6dbef', width: { band: 0.6 } },
        encoding: { x, y, tooltip },
      },
      {
        data: { values },
        mark: { type: 'point' as const, filled: true, size: 60, opacity: 0.85 },
        encoding: {
          x,
          y,
          color: sloColor(values.map((v) => v.verdict)),
          tooltip: [...tooltip, { field: 'verdict', type: 'nominal' as const, title: 'SLO' }],
        },
      },
    ],
  };
}

export interface CapacityPoint {
  /** The values of the other varied keys (`capacityLegend` names them) and the variant the curve is for. */
  configuration: string;
  /** `workload.scale` of the load. */
  load: number;
  /** The fewest of the searched key that met the SLO at that load. */
  needed: number;
  rate_rps: number | null;
  cost_usd_per_hour: number | null;
}

function arrivalRate(candidate: PlanCandidate): number | null {
  const arrived = number(candidate.metrics['requests.arrived']);
  const windowS =
    (number(candidate.metrics['simulated_s.arrivals_end']) ?? 0) -
    (number(candidate.metrics['simulated_s.warmup']) ?? 0);
  return arrived === null || windowS <= 0 ? null : arrived / windowS;
}

/** What tells the curves apart: the plan's other varied keys, and the variant when there are several. */
function capacityLegend(plan: Pick<PlanResult, 'search'>): string {
  const parts = [
    ...plan.search.choices.map((choice) => choice.path),
    ...(plan.search.variants.length > 1 ? ['variant'] : []),
  ];
  return parts.length === 0 ? 'configuration' : parts.join(', ');
}

/**
 * Per load of plan.json's `growth` and per candidate that met the SLO there, the value the plan
 * found for its searched key. Candidates that missed even at the largest value tried, or cannot
 * run at all, are left out.
 */
export function capacityPoints(plan: Pick<PlanResult, 'growth' | 'search'>): CapacityPoint[] {
  const variants = plan.search.variants.length > 1;
  return plan.growth.flatMap((level) =>
    level.candidates.flatMap((candidate) => {
      const needed = candidate.params[plan.search.key];
      if (!candidate.meets_slo || typeof needed !== 'number') return [];
      const parts = [
        ...plan.search.choices.map(({ path }) => {
          const value = candidate.params[path];
          return typeof value === 'string' ? value : JSON.stringify(value);
        }),
        ...(variants ? [candidate.variant] : []),
      ];
      return [
        {
          configuration: parts.length === 0 ? 'as written' : parts.join(', '),
          load: level.scale,
          needed,
          rate_rps: arrivalRate(candidate),
          cost_usd_per_hour: candidate.cost_usd_per_hour,
        },
      ];
    }),
  );
}

function infeasibleCandidates(plan: Pick<PlanResult, 'growth'>): boolean {
  return plan.growth.some((level) => level.candidates.some((entry) => entry.status === 'infeasible'));
}

/**
 * What the fewest replicas (or slots) that meet the SLO cost per hour as load grows: arrivals per
 * second against dollars per hour, a line per candidate, the count needed in each point's tooltip.
 * Without an arrival rate (or a price) for every point, the load is `workload.scale` (or the axis
 * the count needed). Candidates that need the same at every load share a line; their marks differ
 * in shape.
 */
export function capacityChart(plan: Pick<PlanResult, 'growth' | 'search'>): TopLevelSpec | null {
  const values = capacityPoints(plan);
  if (values.length === 0) return null;
  const byRate = values.every((point) => point.rate_rps !== null);
  const byCost = values.every((point) => point.cost_usd_per_hour !== null);
  const x = byRate
    ? {
        field: 'rate_rps',
        type: 'quantitative' as const,
        title: 'load (arrivals, req/s)',
        scale: { zero: true },
      }
    : {
        field: 'load',
        type: 'quantitative' as const,
        title: 'load (workload.scale)',
        scale: { zero: false },
      };
  const y = byCost
    ? {
        field: 'cost_usd_per_hour',
        type: 'quantitative' as const,
        title: 'cost of the capacity needed (USD per hour)',
        scale: { zero: true },
        axis: { format: '$,.4~g' },
      }
    : {
        field: 'needed',
        type: 'quantitative' as const,
        title: `${plan.search.key} needed`,
        scale: { zero: true },
        axis: { tickMinStep: 1 },
      };
  const legend = capacityLegend(plan);
  const color = { field: 'configuration', type: 'nominal' as const, title: legend };
  const left = infeasibleCandidates(plan) ? ', and so are those that cannot run at all' : '';
  return {
    ...header(
      'Plan: what capacity costs as load grows',
      `${byCost ? 'The hourly cost of the fewest' : 'The fewest'} ${plan.search.key} that meet the SLO at each load (the count in each point's tooltip).`,
      `Configurations that miss it even at the most tried are left out${left}.`,
    ),
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    data: { values },
    layer: [
      { mark: { type: 'line' as const }, encoding: { x, y, color } },
      {
        mark: { type: 'point' as const, filled: true, size: 70 },
        encoding: {
          x,
          y,
          color,
          shape: { field: 'configuration', type: 'nominal' as const, title: legend },
          tooltip: [
            { field: 'configuration', type: 'nominal' as const, title: legend },
            { field: 'load', type: 'quantitative' as const, title: 'workload.scale', format: '.4~g' },
            {
              field: 'rate_rps',
              type: 'quantitative' as const,
              title: 'arrivals (req/s)',
              format: FORMAT.number,
            },
            { field: 'needed', type: 'quantitative' as const, title: plan.search.key },
            {
              field: 'cost_usd_per_hour',
              type: 'quantitative' as const,
              title: 'USD per hour',
              format: FORMAT.usd,
            },
          ],
        },
      },
    ],
  };
}

type SweepChartName = (typeof SWEEP_CHART_NAMES)[number];
type PlanChartName = (typeof PLAN_CHART_NAMES)[number];

export function assembleSweepCharts(
  result: Pick<SweepResult, 'rows' | 'parameters'>,
): Chart<SweepChartName>[] {
  const specs: [SweepChartName, TopLevelSpec | null][] = [
    ['cost-vs-p99', sweepCostLatencyChart(result)],
    ['cost-per-1m-tokens-by-hardware', hardwareCostChart(result)],
  ];
  return specs.flatMap(([name, spec]) => (spec === null ? [] : [{ name, spec }]));
}

/** The sweep's charts as `.vl.json`, `.svg` and `.png` in `dir`, beside sweep.json. */
export function writeSweepCharts(
  dir: string,
  result: Pick<SweepResult, 'rows' | 'parameters'>,
): Promise<string[]> {
  return writeCharts(dir, assembleSweepCharts(result), SWEEP_CHART_NAMES);
}

export function assemblePlanCharts(result: Pick<PlanResult, 'growth' | 'search'>): Chart<PlanChartName>[] {
  const spec = capacityChart(result);
  return spec === null ? [] : [{ name: 'capacity-curves', spec }];
}

/** The plan's charts as `.vl.json`, `.svg` and `.png` in `dir`, beside plan.json. */
export function writePlanCharts(
  dir: string,
  result: Pick<PlanResult, 'growth' | 'search'>,
): Promise<string[]> {
  return writeCharts(dir, assemblePlanCharts(result), PLAN_CHART_NAMES);
}
