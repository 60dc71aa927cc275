import {
  formatNumber,
  formatPercent,
  formatSeconds,
  formatThousands,
  formatUsdCents as formatUsd,
} from '../core/format.js';
import { describeMetShare, type SweepResult, type SweepRow } from './output.js';
import type { ReplicatedSloCheck } from './replications.js';
import type { RunMetrics } from './run-metrics.js';

/** Cloud price lists' month (AWS and GCP quote 730 hours). */
export const HOURS_PER_MONTH = 730;

/** What a study says when nothing meets the objective: loud, so that no table row reads as a pick. */
export const NO_PICK = 'NO CONFIGURATION MEETS THE OBJECTIVES';

export const SCALE_KEY = 'workload.scale';

/** Why the pick is the pick: `the cheapest per hour of the 3 that meet the objective`. */
export function pickBasis(met: number): string {
  return met === 1
    ? 'the only one that meets the objective'
    : `the cheapest per hour of the ${met} that meet the objective`;
}

/** `$1.86 per hour ($1,359 a month of 730 hours)`. */
export function hourlyCostText(hourly: number): string {
  return `${formatUsd(hourly)} per hour ($${formatThousands(Math.round(hourly * HOURS_PER_MONTH))} a month of ${HOURS_PER_MONTH} hours)`;
}

/** An objective's value against its limit: `ttft_p99 620 ms, 38 % under its 1.00 s limit`. */
export function marginText(objective: { objective: string; limit: number; value: number | null }): string {
  const drop = objective.objective === 'max_drop_rate';
  const show = (x: number) => (drop ? `${(x * 100).toPrecision(2)} %` : formatSeconds(x));
  const name = drop ? 'drop rate' : objective.objective;
  if (objective.value === null) return `${name}: not measured (limit ${show(objective.limit)})`;
  const margin = objective.limit > 0 ? (objective.limit - objective.value) / objective.limit : 0;
  const side = margin >= 0 ? 'under' : 'over';
  return `${name} ${show(objective.value)}, ${Math.abs(margin * 100).toFixed(0)} % ${side} its ${show(objective.limit)} limit`;
}

/** What a configuration missed: `PARTIAL run, stopped by ...`, `ttft_p99 1.40 s > 1.00 s`. */
export function missedText(slo: ReplicatedSloCheck | null): string {
  const partial = slo?.partial;
  return [
    ...(partial === undefined ? [] : [`PARTIAL run, stopped by ${partial}`]),
    ...(slo?.objectives ?? [])
      .filter((objective) => !objective.met)
      .map((objective) =>
        objective.objective === 'max_drop_rate'
          ? `drop rate ${objective.value === null ? '-' : formatPercent(objective.value)} > ${formatPercent(objective.limit)}`
          : `${objective.objective} ${formatSeconds(objective.value)} > ${formatSeconds(objective.limit)}`,
      ),
  ].join(', ');
}

function limitText(key: string, limit: number): string {
  return key === 'max_drop_rate' ? `${key} <= ${limit}` : `${key} <= ${formatSeconds(limit)}`;
}

/** `ttft_p99 <= 1.00 s, max_drop_rate <= 0.001`. */
export function objectiveText(slo: Record<string, number>): string {
  return Object.entries(slo)
    .map(([key, limit]) => limitText(key, limit))
    .join(', ');
}

/** Arrivals per second between the end of warmup and the end of arrivals; null when not measured. */
export function arrivalRate(metrics: RunMetrics): number | null {
  const arrived = metrics['requests.arrived'];
  const windowS = (metrics['simulated_s.arrivals_end'] ?? 0) - (metrics['simulated_s.warmup'] ?? 0);
  return typeof arrived === 'number' && windowS > 0 ? arrived / windowS : null;
}

/** `fleets.0.replicas=3` (and the variant when there are several), for a sentence. */
export function paramsText(params: Record<string, unknown>, variant: string | null): string {
  const values = Object.entries(params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return `${values.join(', ')}${variant === null ? '' : ` (variant ${variant})`}`;
}

/** How much load one configuration of a sweep carries within the objective, over the `workload.scale` values swept. */
export interface SustainedLoad {
  /** The configuration without its `workload.scale`. */
  params: Record<string, unknown>;
  variant: string;
  /** The largest scale swept before the first that misses; null when the smallest misses. */
  scale: number | null;
  /** Arrivals per second measured at that scale. */
  rate_rps: number | null;
  /** The smallest scale swept that misses (or cannot run); null when every one swept met. */
  missed_at: number | null;
}

export interface SweepAnswer {
  /** Whether `workload.scale` was swept: then each load has a pick of its own. */
  byLoad: boolean;
  /** The cheapest row that meets the objective at each load swept (one entry without a load); null where none does. */
  picks: { scale: number | null; row: SweepRow | null; met: number }[];
  /** With `byLoad`, per configuration. */
  sustained: SustainedLoad[];
  /** Rows without a verdict (sweeps saved before every run was judged): nothing can be picked. */
  unjudged: boolean;
}

const price = (row: SweepRow) => row.metrics.cost_usd_per_hour ?? Number.POSITIVE_INFINITY;
const runCost = (row: SweepRow) => row.metrics['cost_usd.total'] ?? Number.POSITIVE_INFINITY;

/**
 * The sweep's answer: at each load swept, the row that meets the objective at the lowest list
 * price (then run cost, then point order), as `plan` ranks; a row that misses it or cannot run is
 * never picked. With `workload.scale` swept, also how much of it each configuration sustains.
 */
export function sweepAnswer(result: Pick<SweepResult, 'rows' | 'parameters'>): SweepAnswer {
  const byLoad = result.parameters.some((parameter) => parameter.path === SCALE_KEY);
  const scaleOf = (row: SweepRow) => (byLoad ? (row.params[SCALE_KEY] as number) : null);
  const scales = [...new Set(result.rows.map(scaleOf))];
  const picks = scales.map((scale) => {
    const meeting = result.rows.filter(
      (row) => scaleOf(row) === scale && row.status === 'ok' && row.meets_slo === true,
    );
    const row = meeting.reduce<SweepRow | null>(
      (best, candidate) =>
        best === null ||
        price(candidate) < price(best) ||
        (price(candidate) === price(best) && runCost(candidate) < runCost(best))
          ? candidate
          : best,
      null,
    );
    return { scale, row, met: meeting.length };
  });
  const sustained: SustainedLoad[] = [];
  if (byLoad) {
    const groups = new Map<string, SweepRow[]>();
    for (const row of result.rows) {
      const { [SCALE_KEY]: _, ...rest } = row.params;
      const key = JSON.stringify([rest, row.variant]);
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const rows of groups.values()) {
      const sorted = [...rows].sort((a, b) => (scaleOf(a) as number) - (scaleOf(b) as number));
      const firstMiss = sorted.findIndex((row) => row.status !== 'ok' || row.meets_slo !== true);
      const held = firstMiss < 0 ? sorted.at(-1)! : firstMiss === 0 ? null : sorted[firstMiss - 1];
      const { [SCALE_KEY]: _, ...params } = sorted[0].params;
      sustained.push({
        params,
        variant: sorted[0].variant,
        scale: held === null ? null : scaleOf(held),
        rate_rps: held === null ? null : arrivalRate(held.metrics),
        missed_at: firstMiss < 0 ? null : scaleOf(sorted[firstMiss]),
      });
    }
  }
  return { byLoad, picks, sustained, unjudged: result.rows.some((row) => row.meets_slo === null) };
}

/** The pick in sentences: what it is, what it costs an hour and a month, how far each objective is from its limit. */
export function describeSweepPick(row: SweepRow, withVariant: boolean): string[] {
  const hourly = row.metrics.cost_usd_per_hour;
  const cost = typeof hourly === 'number' ? `, ${hourlyCostText(hourly)}` : '';
  const lines = [
    `${paramsText(row.params, withVariant ? row.variant : null)}${cost}, p99 latency ${formatSeconds(row.metrics['latency_s.p99'])}.`,
  ];
  const objectives = row.slo?.objectives ?? [];
  if (objectives.length > 0) lines.push(`Margins: ${objectives.map(marginText).join('; ')}.`);
  if (row.slo !== null && row.slo.met_by_replication.length > 1)
    lines.push(`It ${describeMetShare(row.slo)}.`);
  const caveated = Object.values(row.performance).filter((p) => p.caveat !== null);
  if (caveated.length > 0) {
    const kind = caveated.every((p) => p.source === 'calibrated') ? 'calibrated' : 'unvalidated';
    lines.push(`Its step times are ${kind}: see the caveat.`);
  }
  return lines;
}

/** `workload.scale 1.5, 8.25 requests/s (misses at 2)`: one configuration's sustained load. */
export function sustainedText(load: SustainedLoad): string {
  const rate = load.rate_rps === null ? '' : `, ${formatNumber(load.rate_rps)} requests/s`;
  if (load.scale === null) return `none of the loads swept (misses at ${SCALE_KEY} ${load.missed_at})`;
  return load.missed_at === null
    ? `at least ${SCALE_KEY} ${load.scale}${rate} (meets the objective at every load swept)`
    : `${SCALE_KEY} ${load.scale}${rate} (misses at ${SCALE_KEY} ${load.missed_at})`;
}

function withVariants(result: Pick<SweepResult, 'rows'>): boolean {
  return new Set(result.rows.map((row) => row.variant)).size > 1;
}

/**
 * The answer for people, as lines: the objective, the pick at each load (or that nothing meets the
 * objective, in capitals), and with `workload.scale` swept the load each configuration sustains.
 */
export function sweepAnswerLines(result: SweepResult): string[] {
  const answer = sweepAnswer(result);
  const variants = withVariants(result);
  const lines: string[] = [];
  if (result.slo !== null) lines.push(`Objective: ${objectiveText(result.slo)}.`);
  if (answer.unjudged) {
    lines.push('No configuration was judged against an objective: none is picked.');
    return lines;
  }
  for (const { scale, row, met } of answer.picks) {
    const at = scale === null ? '' : ` at ${SCALE_KEY} ${scale}`;
    if (row === null) {
      lines.push(`${NO_PICK}${at}: none is picked; the SLO column says what each missed.`);
      continue;
    }
    const [what, ...more] = describeSweepPick(row, variants);
    lines.push(`Pick${at} (${pickBasis(met)}): ${what}`);
    lines.push(...more.map((line) => `  ${line}`));
  }
  if (answer.byLoad) {
    lines.push(`Load each configuration sustains (the largest ${SCALE_KEY} swept before its first miss):`);
    for (const load of answer.sustained) {
      const name = paramsText(load.params, variants ? load.variant : null);
      lines.push(`  ${name === '' ? 'as written' : name}: ${sustainedText(load)}`);
    }
  }
  return lines;
}
