import { formatSeconds, formatUsdCents, formatWholePercent } from '../core/format.js';
import type { FleetPerformance, PerformanceSourceKind } from '../metrics/index.js';
import type { Slo, SweepParameter, SweepSampling } from '../scenario/types.js';
import type { Shard } from './points.js';
import type { ReplicatedSloCheck } from './replications.js';
import type { RunMetrics } from './run-metrics.js';

/** Whether a configuration ran, or cannot run at all (the model does not fit its accelerators...). */
export type RowStatus = 'ok' | 'infeasible';

/** One variant of one point: a row of sweep.csv and an entry of `rows` in sweep.json. */
export interface SweepRow {
  point: number;
  variant: string;
  /** Swept path -> value at this point. */
  params: Record<string, unknown>;
  /** `infeasible`: this configuration cannot run (`reason` says why) and has no metrics. */
  status: RowStatus;
  reason: string | null;
  /** Against `slo:` (on the means of replications); null without an SLO; false when infeasible. */
  meets_slo: boolean | null;
  /** On the cost (`cost_usd.total`) vs `latency_s.p99` Pareto frontier of all rows. */
  pareto: boolean;
  replications: number;
  /** Every summary figure by dotted key (mean over replications), as in sweep.csv. */
  metrics: RunMetrics;
  /** 95 % confidence half-width of each metric; null with one replication. */
  ci95: RunMetrics | null;
  slo: ReplicatedSloCheck | null;
  /** Every replication drew the step-time parameters from their uncertainty (`model_uncertainty`). */
  model_draws: boolean;
  warnings: string[];
  /** Per fleet, where its step or service times come from, as in summary.json. */
  performance: Record<string, FleetPerformance>;
}

/** `sweep.json`: its field names are a public contract, like summary.json's. */
export interface SweepResult {
  scenario: string;
  seed: number;
  replications: number;
  sampling: SweepSampling;
  parameters: SweepParameter[];
  /** The SLO as written in the scenario (seconds; `max_drop_rate` a share), or null. */
  slo: Record<string, number> | null;
  /** Points in the whole sweep; a shard's file holds only its own. */
  points: number;
  /**
   * null for a whole sweep, including one merged from shards. A shard records `digest`: a hash of
   * the resolved scenario, the fleetsim version and the contents of its input files, so that
   * `merge` refuses shards of sweeps that differ in any of them.
   */
  shard: (Shard & { digest: string }) | null;
  rows: SweepRow[];
}

export function sloKeys(slo: Slo): Record<string, number> {
  const keys: Record<string, number> = {};
  for (const { metric, statistic, seconds } of slo.limits) keys[`${metric}_${statistic}`] = seconds;
  if (slo.maxDropRate !== null) keys.max_drop_rate = slo.maxDropRate;
  return keys;
}

const COST = 'cost_usd.total';
const P99 = 'latency_s.p99';

/**
 * Marks the rows that meet the objective and that no other such row beats on both cost and p99
 * latency (ties count as not beaten): a row that misses its objective is no choice, however cheap
 * or fast. Sorted by cost, a row is on the frontier when its p99 is below every cheaper row's and
 * no row of the same cost has a lower one.
 */
export function markPareto(rows: SweepRow[]): void {
  const measured = rows.filter(
    (row) =>
      row.status === 'ok' &&
      row.meets_slo !== false &&
      typeof row.metrics[COST] === 'number' &&
      typeof row.metrics[P99] === 'number',
  );
  for (const row of rows) row.pareto = false;
  measured.sort((a, b) => (a.metrics[COST] as number) - (b.metrics[COST] as number));
  let bestP99 = Number.POSITIVE_INFINITY;
  for (let i = 0; i < measured.length; ) {
    const cost = measured[i].metrics[COST];
    let j = i;
    while (j < measured.length && measured[j].metrics[COST] === cost) j++;
    const group = measured.slice(i, j);
    const lowest = group.reduce((low, row) => Math.min(low, row.metrics[P99] as number), Infinity);
    if (lowest < bestP99) for (const row of group) row.pareto = row.metrics[P99] === lowest;
    bestP99 = Math.min(bestP99, lowest);
    i = j;
  }
}

const SHORT_SOURCE: Readonly<Record<PerformanceSourceKind, string>> = {
  'measured profile': 'measured profile',
  calibrated: 'calibrated',
  'validated catalog entry': 'validated',
  'profiled efficiencies (unvalidated)': 'unvalidated (profiled)',
  'class default (unvalidated)': 'unvalidated (class default)',
  scenario: 'scenario',
};

/** The sources of a configuration's fleets for a table cell: one fleet's alone, or `fleet: source` pairs. */
export function performanceLabel(performance: Record<string, FleetPerformance>): string {
  const entries = Object.entries(performance);
  if (entries.length === 1) return SHORT_SOURCE[entries[0][1].source];
  return entries.map(([fleet, p]) => `${fleet}: ${SHORT_SOURCE[p.source]}`).join('; ');
}

/** The caveat lines of a configuration: one per fleet whose times rest on an unvalidated part. */
export function performanceCaveatsOf(performance: Record<string, FleetPerformance>): string[] {
  return Object.values(performance).flatMap((p) => (p.caveat === null ? [] : [p.caveat]));
}

export function renderSweepJson(result: SweepResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * P(SLO) of a row: the share of its replications that met the objective, that share's 95 %
 * interval and whether each replication drew the step-time parameters, or empty cells where there is none to estimate (one replication, no SLO check,
 * infeasible). A cell beside `meets_slo`, never instead of it.
 */
function metShareCells(row: SweepRow): [number | null, number | null, number | null, boolean | null] {
  const slo = row.slo;
  if (slo === null || (slo.met_by_replication?.length ?? 0) < 2) return [null, null, null, null];
  // Sweeps saved before rows said whether they drew have no answer to give.
  return [slo.met_share, slo.met_share_ci95[0], slo.met_share_ci95[1], row.model_draws ?? null];
}

/**
 * One row per point and variant: the swept values, the SLO verdict and with replications the
 * share of them that met it, every metric, and half-widths with replications.
 */
export function renderSweepCsv(result: SweepResult): string {
  const metricKeys = [...new Set(result.rows.flatMap((row) => Object.keys(row.metrics)))];
  const withCi = result.rows.some((row) => row.ci95 !== null);
  const paths = result.parameters.map((parameter) => parameter.path);
  const header = [
    'point',
    'variant',
    ...paths,
    'status',
    'meets_slo',
    'met_share',
    'met_share_ci95_low',
    'met_share_ci95_high',
    'model_draws',
    'pareto',
    ...metricKeys,
    ...(withCi ? metricKeys.map((key) => `${key}.ci95`) : []),
    'performance',
    'warnings',
    'reason',
  ];
  const lines = [header.map(csvCell).join(',')];
  for (const row of result.rows) {
    lines.push(
      [
        row.point,
        row.variant,
        ...paths.map((path) => row.params[path]),
        row.status,
        row.meets_slo,
        ...metShareCells(row),
        row.pareto,
        ...metricKeys.map((key) => row.metrics[key]),
        ...(withCi ? metricKeys.map((key) => row.ci95?.[key]) : []),
        Object.entries(row.performance)
          .map(([fleet, p]) => `${fleet}: ${p.source}`)
          .join('; '),
        row.warnings.join('; '),
        row.reason,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A fixed-width table: first column left-aligned, the others right-aligned. */
export function renderTable(rows: readonly string[][]): string {
  // A reduce, not Math.max(...): a sweep's rows may be more arguments than a call takes.
  const widths = rows[0].map((_, i) => rows.reduce((width, row) => Math.max(width, row[i].length), 0));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n')}\n`;
}

/** `sweep point fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=2`, with the variant when there are several. */
export function describeConfiguration(
  params: Record<string, unknown>,
  variant: string | null,
  label = 'sweep point',
): string {
  const values = Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return `${label} ${values.join(', ')}${variant === null ? '' : ` (variant "${variant}")`}`;
}

/**
 * Under a table: each distinct reason configurations could not run for, once, with the first
 * configuration it stopped and how many others it stopped.
 */
export function renderInfeasible(
  entries: readonly { reason: string | null; configuration: string }[],
): string {
  const byReason = new Map<string, string[]>();
  for (const { reason, configuration } of entries) {
    const list = byReason.get(reason ?? '') ?? [];
    list.push(configuration);
    byReason.set(reason ?? '', list);
  }
  return [...byReason]
    .map(([reason, configurations]) => {
      const others = configurations.length > 1 ? ` and ${configurations.length - 1} more` : '';
      return `infeasible, skipped: ${configurations[0]}${others}: ${reason}\n`;
    })
    .join('');
}

/** `90 % (70-97 %)`: the share of replications that met the SLO, with its 95 % interval; `-` without a check. */
export function formatMetShare(slo: ReplicatedSloCheck | null): string {
  if (slo === null || slo.met_by_replication.length === 0) return '-';
  const [low, high] = slo.met_share_ci95;
  return `${formatWholePercent(slo.met_share)} % (${formatWholePercent(low)}-${formatWholePercent(high)} %)`;
}

/** `met the SLO in 18 of 20 replications: probability 90 % (95 % interval 70-97 %)`. */
export function describeMetShare(slo: ReplicatedSloCheck): string {
  const runs = slo.met_by_replication;
  const [low, high] = slo.met_share_ci95;
  return `met the SLO in ${runs.filter(Boolean).length} of ${runs.length} replications: probability ${formatWholePercent(slo.met_share)} % (95 % interval ${formatWholePercent(low)}-${formatWholePercent(high)} %)`;
}

/** The rows for the terminal: swept values, p99, wait p99, cost, and the SLO verdict; then why infeasible rows cannot run. */
export function renderSweepTable(result: SweepResult): string {
  const paths = result.parameters.map((parameter) => parameter.path);
  const variants = new Set(result.rows.map((row) => row.variant)).size > 1;
  const infeasible = result.rows.filter((row) => row.status === 'infeasible');
  const header = [
    'point',
    ...(variants ? ['variant'] : []),
    ...paths,
    'p99',
    'wait p99',
    'cost',
    '$/1k req',
    'step times',
    ...(result.replications > 1 ? ['P(SLO)'] : []),
    'SLO',
  ];
  // Sweeps saved before every run was judged have no verdict: `ok` says only that the row ran.
  const status = (row: SweepRow) =>
    row.status === 'infeasible'
      ? 'infeasible'
      : row.meets_slo === null
        ? 'ok'
        : row.meets_slo
          ? 'met'
          : 'missed';
  const body = result.rows.map((row) => [
    String(row.point),
    ...(variants ? [row.variant] : []),
    ...paths.map((path) => formatValue(row.params[path])),
    formatSeconds(row.metrics['latency_s.p99']),
    formatSeconds(row.metrics['queue_wait_s.p99']),
    formatUsdCents(row.metrics[COST]),
    formatUsdCents(row.metrics.cost_per_1k_requests_usd),
    performanceLabel(row.performance),
    ...(result.replications > 1 ? [formatMetShare(row.slo)] : []),
    status(row),
  ]);
  const reasons = renderInfeasible(
    infeasible.map((row) => ({
      reason: row.reason,
      configuration: describeConfiguration(row.params, variants ? row.variant : null),
    })),
  );
  return `${renderTable([header, ...body])}${reasons}`;
}
