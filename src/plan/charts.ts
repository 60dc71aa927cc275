import type { TopLevelSpec } from 'vega-lite';
import { CHART_HEIGHT, CHART_WIDTH, type Chart, FORMAT, header, writeCharts } from '../report/index.js';
import { HOURS_PER_MONTH, missedText, sweepAnswer } from './answer.js';
import { formatValue, type SweepResult, type SweepRow } from './output.js';

/** Charts of a sweep, written beside sweep.json; also the names `writeSweepCharts` removes when not drawn. */
export const SWEEP_CHART_NAMES = ['cost-vs-p99', 'cost-per-1m-tokens-by-hardware'] as const;

const COST = 'cost_usd.total';
export const P99 = 'latency_s.p99';
const TOKEN_COST = 'cost_per_1m_tokens_usd.total';
const INSTANCE_KEY = /^fleets\.\d+\.instance$/;

const SLO_COLORS = { 'meets SLO': '#54a24b', 'misses SLO': '#e45756', 'no SLO': '#4c78a8' } as const;
type Verdict = keyof typeof SLO_COLORS;

/**
 * A cross drawn with strokes only: a point that misses the objective is an outline, never a
 * filled dot that could pass for a choice.
 */
const CROSS = 'M-1,-1L1,1M-1,1L1,-1';
const SLO_SHAPES: Record<Verdict, string> = {
  'meets SLO': 'circle',
  'misses SLO': CROSS,
  'no SLO': 'circle',
};
const SLO_FILLS: Record<Verdict, string> = {
  'meets SLO': SLO_COLORS['meets SLO'],
  'misses SLO': 'transparent',
  'no SLO': SLO_COLORS['no SLO'],
};

function verdict(row: Pick<SweepRow, 'meets_slo'>): Verdict {
  return row.meets_slo === null ? 'no SLO' : row.meets_slo ? 'meets SLO' : 'misses SLO';
}

/**
 * Colour, outline, fill and shape by the SLO verdict, one legend for all four: a filled green
 * dot meets the objective, a hollow red cross misses it.
 */
function verdictEncoding(verdicts: readonly Verdict[]) {
  const domain = (Object.keys(SLO_COLORS) as Verdict[]).filter((v) => verdicts.includes(v));
  const channel = (range: readonly string[]) => ({
    field: 'verdict',
    type: 'nominal' as const,
    title: 'SLO',
    scale: { domain, range: [...range] },
  });
  return {
    color: channel(domain.map((v) => SLO_COLORS[v])),
    fill: channel(domain.map((v) => SLO_FILLS[v])),
    shape: channel(domain.map((v) => SLO_SHAPES[v])),
  };
}

/** Clicking an entry of the SLO legend highlights those points (shift-click adds more). */
const PICK_VERDICT = 'pick_verdict';
export const pickVerdictParam = {
  name: PICK_VERDICT,
  select: { type: 'point' as const, fields: ['verdict'] },
  bind: 'legend' as const,
};
export const verdictOpacity = { condition: { param: PICK_VERDICT, value: 0.95 }, value: 0.12 };

/** Up to this many configurations carry a text label beside their point; more would print over each other. */
export const MAX_LABELLED = 5;

/** A cost (or latency) axis's domain: the values with a margin, never below zero. */
export function costDomain(costs: readonly number[]): [number, number] {
  const low = Math.min(...costs);
  const high = Math.max(...costs);
  const margin = (high - low || Math.abs(high) || 1) * 0.06;
  return [Math.max(0, low - margin), high + margin];
}

/** `fleets.0.replicas=4, fleets.0.instance=aws/g6.xlarge`, and the variant when the sweep has several. */
export function describeRow(row: Pick<SweepRow, 'params' | 'variant'>, withVariant: boolean): string {
  const params = Object.entries(row.params).map(([path, value]) =>
    typeof value === 'string' ? `${path}=${value}` : `${path}=${JSON.stringify(value)}`,
  );
  return [...params, ...(withVariant ? [`variant ${row.variant}`] : [])].join(', ');
}

/** `instance=aws/g6.xlarge, replicas=4`: each value under the last part of its path, for a label beside a point. */
export function shortLabel(row: Pick<SweepRow, 'params' | 'variant'>, withVariant: boolean): string {
  return [
    ...Object.entries(row.params).map(([path, value]) => `${path.split('.').at(-1)}=${formatValue(value)}`),
    ...(withVariant ? [`variant ${row.variant}`] : []),
  ].join(', ');
}

/**
 * The swept values as fields `param0`, `param1`, ... (a path's dots would read as nested fields)
 * and their tooltip entries, titled by path.
 */
export function paramFields(paths: readonly string[], row: Pick<SweepRow, 'params'>): Record<string, string> {
  return Object.fromEntries(paths.map((path, i) => [`param${i}`, formatValue(row.params[path])]));
}

export function paramTooltips(paths: readonly string[], withVariant: boolean) {
  return [
    ...paths.map((path, i) => ({ field: `param${i}`, type: 'nominal' as const, title: path })),
    ...(withVariant ? [{ field: 'variant', type: 'nominal' as const, title: 'variant' }] : []),
  ];
}

export const number = (value: number | null | undefined) => (typeof value === 'number' ? value : null);

export interface SweepCostPoint {
  configuration: string;
  /** The swept values alone, for the label beside the point. */
  label: string;
  variant: string;
  cost_usd: number;
  /** The fleets' list price, and that for a month of 730 hours. */
  usd_per_hour: number | null;
  usd_per_month: number | null;
  p99_s: number;
  /** p99 ± its 95 % confidence half-width, with replications; else both the p99. */
  p99_low_s: number;
  p99_high_s: number;
  wait_p99_s: number | null;
  usd_per_1k_requests: number | null;
  verdict: Verdict;
  /** What it missed; empty when it meets the objective. */
  missed: string;
  frontier: 'yes' | 'no';
  /** The sweep's pick (at its load, when `workload.scale` is swept). */
  pick: 'yes' | 'no';
  [param: `param${number}`]: string;
}

/** Configurations that cannot run are never drawn: a caption line says how many were left out. */
function infeasibleNote(rows: readonly Pick<SweepRow, 'status'>[]): string[] {
  const count = rows.filter((row) => row.status === 'infeasible').length;
  return count === 0 ? [] : [`${count} infeasible configuration(s), which cannot run at all, are left out.`];
}

/** Rows that ran with a cost and a p99 (those that completed requests), as chart points. */
export function sweepCostPoints(result: Pick<SweepResult, 'rows' | 'parameters'>): SweepCostPoint[] {
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  const paths = result.parameters.map((parameter) => parameter.path);
  const picks = new Set(sweepAnswer(result).picks.map((pick) => pick.row));
  return result.rows.flatMap((row) => {
    if (row.status === 'infeasible') return [];
    const cost = number(row.metrics[COST]);
    const p99 = number(row.metrics[P99]);
    if (cost === null || p99 === null) return [];
    const halfWidth = number(row.ci95?.[P99]) ?? 0;
    const hourly = number(row.metrics.cost_usd_per_hour);
    return [
      {
        configuration: describeRow(row, variants),
        label: shortLabel(row, variants),
        variant: row.variant,
        ...paramFields(paths, row),
        cost_usd: cost,
        usd_per_hour: hourly,
        usd_per_month: hourly === null ? null : hourly * HOURS_PER_MONTH,
        p99_s: p99,
        p99_low_s: p99 - halfWidth,
        p99_high_s: p99 + halfWidth,
        wait_p99_s: number(row.metrics['queue_wait_s.p99']),
        usd_per_1k_requests: number(row.metrics.cost_per_1k_requests_usd),
        verdict: verdict(row),
        missed: row.meets_slo === false ? missedText(row.slo) : '',
        frontier: row.pareto ? 'yes' : 'no',
        pick: picks.has(row) ? 'yes' : 'no',
      },
    ];
  });
}

/**
 * Cost of the run against p99 latency, a point per configuration: a filled green dot meets the
 * objective, a hollow red cross misses it, and a ring marks the pick. The Pareto frontier
 * (sweep.json's `pareto`, on the same two figures) is joined by a dashed line; with replications,
 * the 95 % confidence interval of each p99 is an error bar. Up to `MAX_LABELLED` configurations
 * carry their values beside their point; every point's tooltip has its values and figures.
 */
export function sweepCostLatencyChart(result: Pick<SweepResult, 'rows' | 'parameters'>): TopLevelSpec | null {
  const values = sweepCostPoints(result);
  if (values.length === 0) return null;
  const replicated = result.rows.some((row) => row.ci95 !== null);
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  const paths = result.parameters.map((parameter) => parameter.path);
  const x = {
    field: 'cost_usd',
    type: 'quantitative' as const,
    title: 'cost of the run (USD)',
    scale: { domain: costDomain(values.map((v) => v.cost_usd)), zero: false },
    axis: { format: '$,.3~g', tickCount: 8 },
  };
  const latencies = values.flatMap((v) => [v.p99_low_s, v.p99_high_s]);
  // Latencies that span orders of magnitude (a queue that grows without bound beside one that
  // keeps up) would press every point that meets the objective onto the axis.
  const logarithmic =
    !replicated && Math.min(...latencies) > 0 && Math.max(...latencies) / Math.min(...latencies) > 30;
  const y = {
    field: 'p99_s',
    type: 'quantitative' as const,
    title: `p99 latency (s${logarithmic ? ', log scale' : ''})`,
    scale: logarithmic ? { type: 'log' as const } : { domain: costDomain(latencies), zero: false },
  };
  const picked = values.some((v) => v.pick === 'yes');
  const labelled = values.length <= MAX_LABELLED;
  return {
    ...header(
      'Sweep: cost against p99 latency',
      'A point per configuration; lower left is better. Filled dot: meets the objective; hollow cross: misses it.',
      `${picked ? 'Ringed: the pick, the cheapest per hour that meets the objective. ' : ''}Dashed: the Pareto frontier of those that meet it.`,
      ...(replicated ? ['Bars: 95 % confidence interval of the p99.'] : []),
      ...(labelled ? [] : ['Hover a point for its configuration.']),
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
      ...(picked
        ? [
            {
              transform: [{ filter: "datum.pick === 'yes'" }],
              mark: { type: 'point' as const, shape: 'circle', size: 420, strokeWidth: 2, color: '#222' },
              encoding: { x, y },
            },
          ]
        : []),
      {
        params: [pickVerdictParam],
        mark: { type: 'point' as const, filled: false, size: 90, strokeWidth: 2 },
        encoding: {
          x,
          y,
          ...verdictEncoding(values.map((v) => v.verdict)),
          opacity: verdictOpacity,
          tooltip: [
            ...paramTooltips(paths, variants),
            { field: 'verdict', type: 'nominal' as const, title: 'SLO' },
            { field: 'missed', type: 'nominal' as const, title: 'missed' },
            { field: 'pick', type: 'nominal' as const, title: 'the pick' },
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
              field: 'cost_usd',
              type: 'quantitative' as const,
              title: 'cost of the run (USD)',
              format: FORMAT.usd,
            },
            {
              field: 'p99_s',
              type: 'quantitative' as const,
              title: 'p99 latency (s)',
              format: FORMAT.seconds,
            },
            {
              field: 'wait_p99_s',
              type: 'quantitative' as const,
              title: 'queue wait p99 (s)',
              format: FORMAT.seconds,
            },
            {
              field: 'usd_per_1k_requests',
              type: 'quantitative' as const,
              title: 'USD per 1k requests',
              format: FORMAT.usd,
            },
            { field: 'frontier', type: 'nominal' as const, title: 'on the frontier' },
          ],
        },
      },
      ...(labelled
        ? [
            {
              mark: {
                type: 'text' as const,
                align: 'left' as const,
                dx: 9,
                dy: -7,
                fontSize: 10,
                color: '#333',
              },
              encoding: { x, y, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  };
}

export interface HardwareCostPoint {
  /** The values of the swept `fleets.N.instance` keys, joined with ` + `. */
  hardware: string;
  configuration: string;
  label: string;
  variant: string;
  usd_per_1m_tokens: number;
  verdict: Verdict;
  missed: string;
  [param: `param${number}`]: string;
}

/** Rows with a cost per 1M tokens, by the instance types they ran on; empty when no instance key was swept. */
export function hardwareCostPoints(result: Pick<SweepResult, 'rows' | 'parameters'>): HardwareCostPoint[] {
  const paths = result.parameters.map((p) => p.path);
  const keys = paths.filter((path) => INSTANCE_KEY.test(path));
  if (keys.length === 0) return [];
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  return result.rows.flatMap((row) => {
    const usd = number(row.metrics[TOKEN_COST]);
    if (row.status === 'infeasible' || usd === null) return [];
    return [
      {
        hardware: keys.map((key) => String(row.params[key])).join(' + '),
        configuration: describeRow(row, variants),
        label: shortLabel(row, variants),
        variant: row.variant,
        ...paramFields(paths, row),
        usd_per_1m_tokens: usd,
        verdict: verdict(row),
        missed: row.meets_slo === false ? missedText(row.slo) : '',
      },
    ];
  });
}

/**
 * Cost per 1M tokens (input + output) for each instance type swept: a mark per configuration on
 * it (a filled dot meets the SLO, a hollow cross misses it), and a bar up to the cheapest that
 * meets the SLO (the cheapest of all without an SLO). Instance types where nothing meets the SLO
 * have marks only. The axis starts at zero.
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
    scale: { zero: true },
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
  const paths = result.parameters.map((p) => p.path);
  const variants = new Set(values.map((v) => v.variant)).size > 1;
  const sloGiven = values.some((v) => v.verdict !== 'no SLO');
  const labelled = values.length <= MAX_LABELLED;
  return {
    ...header(
      'Sweep: cost per 1M tokens by hardware',
      `A mark per configuration (filled dot: meets the objective; hollow cross: misses it); bars: the cheapest ${sloGiven ? 'that meets the SLO' : 'configuration'} on each instance type.`,
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
        params: [pickVerdictParam],
        mark: { type: 'point' as const, filled: false, size: 80, strokeWidth: 2 },
        encoding: {
          x,
          y,
          ...verdictEncoding(values.map((v) => v.verdict)),
          opacity: verdictOpacity,
          tooltip: [
            ...paramTooltips(paths, variants),
            tooltip[1],
            { field: 'verdict', type: 'nominal' as const, title: 'SLO' },
            { field: 'missed', type: 'nominal' as const, title: 'missed' },
          ],
        },
      },
      ...(labelled
        ? [
            {
              data: { values },
              mark: { type: 'text' as const, align: 'left' as const, dx: 9, fontSize: 10, color: '#333' },
              encoding: { x, y, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  };
}

type SweepChartName = (typeof SWEEP_CHART_NAMES)[number];

export function assembleSweepCharts(
  result: Pick<SweepResult, 'rows' | 'parameters'>,
): Chart<SweepChartName>[] {
  const specs: [SweepChartName, TopLevelSpec | null][] = [
    ['cost-vs-p99', sweepCostLatencyChart(result)],
    ['cost-per-1m-tokens-by-hardware', hardwareCostChart(result)],
  ];
  return specs.flatMap(([name, spec]) => (spec === null ? [] : [{ name, spec }]));
}

/** The sweep's charts as `.vl.json` and `.svg` (and with `png`, `.png`) in `dir`, beside sweep.json. */
export function writeSweepCharts(
  dir: string,
  result: Pick<SweepResult, 'rows' | 'parameters'>,
  { png = false }: { png?: boolean } = {},
): Promise<string[]> {
  return writeCharts(dir, assembleSweepCharts(result), SWEEP_CHART_NAMES, { png });
}
