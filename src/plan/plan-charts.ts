import type { TopLevelSpec } from 'vega-lite';
import { formatThousands } from '../core/format.js';
import { CHART_HEIGHT, CHART_WIDTH, type Chart, FORMAT, header, writeCharts } from '../report/index.js';
import { arrivalRate, HOURS_PER_MONTH, missedText } from './answer.js';
import {
  number,
  P99,
  paramFields,
  paramTooltips,
  pickVerdictParam,
  shortLabel,
  verdictOpacity,
} from './charts.js';
import type { PlanResult } from './plan.js';

/** Charts of a plan, written beside plan.json. */
export const PLAN_CHART_NAMES = ['plan-candidates', 'capacity-curves'] as const;

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
          rate_rps: arrivalRate(candidate.metrics),
          cost_usd_per_hour: candidate.cost_usd_per_hour,
        },
      ];
    }),
  );
}

/** Clicking a legend entry of the capacity curves highlights that configuration's curve. */
const PICK_CONFIGURATION = 'pick_configuration';
const configurationOpacity = { condition: { param: PICK_CONFIGURATION, value: 1 }, value: 0.15 };

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
      { mark: { type: 'line' as const }, encoding: { x, y, color, opacity: configurationOpacity } },
      {
        params: [
          {
            name: PICK_CONFIGURATION,
            select: { type: 'point' as const, fields: ['configuration'] },
            bind: 'legend' as const,
          },
        ],
        mark: { type: 'point' as const, filled: true, size: 70 },
        encoding: {
          x,
          y,
          color,
          opacity: configurationOpacity,
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

const CANDIDATE_STYLE = {
  'the pick': { fill: '#2e7d32', stroke: '#2e7d32' },
  'meets SLO': { fill: '#a5d6a7', stroke: '#54a24b' },
  'misses SLO': { fill: 'transparent', stroke: '#e45756' },
} as const;
type CandidateVerdict = keyof typeof CANDIDATE_STYLE;

export interface CandidateBar {
  /** The candidate's values, and its variant when the plan has several. */
  candidate: string;
  rank: number;
  verdict: CandidateVerdict;
  usd_per_hour: number;
  usd_per_month: number;
  p99_s: number | null;
  /** Arrivals per second it carries within the objective (`max_sustainable`); null when not searched. */
  max_rate_rps: number | null;
  missed: string;
  /** The bar's caption: the monthly cost, or what it missed. */
  text: string;
  [param: `param${number}`]: string;
}

/** The candidates that ran and have a list price, in rank order. */
export function candidateBars(plan: Pick<PlanResult, 'candidates' | 'best' | 'search'>): CandidateBar[] {
  const variants = plan.search.variants.length > 1;
  const paths = Object.keys(plan.candidates[0]?.params ?? {});
  return plan.candidates.flatMap((entry, i) => {
    if (entry.status !== 'ok' || entry.cost_usd_per_hour === null) return [];
    const monthly = entry.cost_usd_per_hour * HOURS_PER_MONTH;
    const verdict: CandidateVerdict =
      entry === plan.best ? 'the pick' : entry.meets_slo ? 'meets SLO' : 'misses SLO';
    const missed = entry.meets_slo ? '' : missedText(entry.slo);
    return [
      {
        candidate: shortLabel(entry, variants),
        rank: i + 1,
        verdict,
        usd_per_hour: entry.cost_usd_per_hour,
        usd_per_month: monthly,
        p99_s: number(entry.metrics[P99]),
        max_rate_rps: entry.max_sustainable?.rate_rps ?? null,
        missed,
        text: entry.meets_slo
          ? `$${formatThousands(Math.round(monthly))} a month`
          : missed === ''
            ? 'misses the objective'
            : `misses: ${missed}`,
        ...paramFields(paths, entry),
      },
    ];
  });
}

/**
 * What each candidate's capacity costs a month (730 hours of its list price), a bar each in rank
 * order from zero: the pick solid dark green, others that meet the objective light green, those
 * that miss it even with the most tried a dashed red outline captioned with what they missed.
 */
export function planCandidatesChart(
  plan: Pick<PlanResult, 'candidates' | 'best' | 'search'>,
): TopLevelSpec | null {
  const values = candidateBars(plan);
  if (values.length === 0) return null;
  const variants = plan.search.variants.length > 1;
  const paths = Object.keys(plan.candidates[0]?.params ?? {});
  const domain = (Object.keys(CANDIDATE_STYLE) as CandidateVerdict[]).filter((v) =>
    values.some((value) => value.verdict === v),
  );
  const channel = (part: 'fill' | 'stroke') => ({
    field: 'verdict',
    type: 'nominal' as const,
    title: 'SLO',
    scale: { domain, range: domain.map((v) => CANDIDATE_STYLE[v][part]) },
  });
  const y = {
    field: 'candidate',
    type: 'nominal' as const,
    // The labels name each value; a long title would stand taller than a short plot.
    title: null,
    sort: values.map((v) => v.candidate),
    axis: { labelLimit: 320 },
  };
  const x = {
    field: 'usd_per_month',
    type: 'quantitative' as const,
    title: `list price of the capacity (USD per month of ${HOURS_PER_MONTH} hours)`,
    scale: { zero: true, domainMax: Math.max(...values.map((v) => v.usd_per_month)) * 1.45 },
    axis: { format: '$,.4~g' },
  };
  const infeasible = plan.candidates.filter((entry) => entry.status === 'infeasible').length;
  return {
    ...header(
      'Plan: what each candidate costs',
      `The fewest ${plan.search.key} that meet the objective for each candidate, at its list price; ranked as plan.md ranks them.`,
      'Those that miss it even with the most tried are dashed outlines: what they missed is beside them, their price is no choice.',
      ...(infeasible > 0 ? [`${infeasible} candidate(s) that cannot run at all are left out.`] : []),
    ),
    width: CHART_WIDTH,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        params: [pickVerdictParam],
        mark: { type: 'bar' as const, strokeWidth: 2, height: { band: 0.7 } },
        encoding: {
          x,
          y,
          fill: channel('fill'),
          stroke: channel('stroke'),
          strokeDash: {
            field: 'verdict',
            type: 'nominal' as const,
            title: 'SLO',
            scale: { domain, range: domain.map((v) => (v === 'misses SLO' ? [5, 3] : [1, 0])) },
          },
          opacity: verdictOpacity,
          tooltip: [
            ...paramTooltips(paths, variants),
            { field: 'rank', type: 'quantitative' as const },
            { field: 'verdict', type: 'nominal' as const, title: 'SLO' },
            { field: 'missed', type: 'nominal' as const, title: 'missed' },
            {
              field: 'usd_per_hour',
              type: 'quantitative' as const,
              title: 'USD per hour',
              format: FORMAT.usd,
            },
            {
              field: 'usd_per_month',
              type: 'quantitative' as const,
              title: `USD per month (${HOURS_PER_MONTH} h)`,
              format: '$,.0f',
            },
            {
              field: 'p99_s',
              type: 'quantitative' as const,
              title: 'p99 latency (s)',
              format: FORMAT.seconds,
            },
            {
              field: 'max_rate_rps',
              type: 'quantitative' as const,
              title: 'sustains up to (req/s)',
              format: FORMAT.number,
            },
          ],
        },
      },
      {
        mark: {
          type: 'text' as const,
          align: 'left' as const,
          dx: 6,
          fontSize: 10,
          color: '#333',
          limit: 300,
        },
        encoding: { x, y, text: { field: 'text', type: 'nominal' as const } },
      },
    ],
  };
}

type PlanChartName = (typeof PLAN_CHART_NAMES)[number];

export function assemblePlanCharts(
  result: Pick<PlanResult, 'growth' | 'search' | 'candidates' | 'best'>,
): Chart<PlanChartName>[] {
  const specs: [PlanChartName, TopLevelSpec | null][] = [
    ['plan-candidates', planCandidatesChart(result)],
    ['capacity-curves', capacityChart(result)],
  ];
  return specs.flatMap(([name, spec]) => (spec === null ? [] : [{ name, spec }]));
}

/** The plan's charts as `.vl.json` and `.svg` (and with `png`, `.png`) in `dir`, beside plan.json. */
export function writePlanCharts(
  dir: string,
  result: Pick<PlanResult, 'growth' | 'search' | 'candidates' | 'best'>,
  { png = false }: { png?: boolean } = {},
): Promise<string[]> {
  return writeCharts(dir, assemblePlanCharts(result), PLAN_CHART_NAMES, { png });
}
