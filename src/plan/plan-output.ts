import { formatNumber, formatSeconds, formatThousands, formatUsdCents as formatUsd } from '../core/format.js';
import { escapeMarkdown } from '../report/index.js';
import {
  describeConfiguration,
  describeMetShare,
  formatMetShare,
  formatValue,
  performanceCaveatsOf,
  performanceLabel,
  renderInfeasible,
  renderTable,
} from './output.js';
import type { PlanCandidate, PlanResult } from './plan.js';

function missed(entry: PlanCandidate): string {
  const partial = entry.slo?.partial;
  return [
    ...(partial === undefined ? [] : [`PARTIAL run, stopped by ${partial}`]),
    ...(entry.slo?.objectives ?? [])
      .filter((objective) => !objective.met)
      .map((objective) =>
        objective.objective === 'max_drop_rate'
          ? `drop rate ${objective.value ?? '-'} > ${objective.limit}`
          : `${objective.objective} ${formatSeconds(objective.value)} > ${formatSeconds(objective.limit)}`,
      ),
  ].join(', ');
}

/** The most load a candidate carries within the objective, `>` when even the most tried did. */
function maxRateText(entry: PlanCandidate): string {
  const load = entry.max_sustainable;
  return load?.rate_rps == null ? '-' : `${load.bounded ? '' : '>'}${formatNumber(load.rate_rps)}/s`;
}

/**
 * The ranked candidates as a header and rows, shared by the terminal table and plan.md, which
 * differ in the P(SLO) column's title and in how much of an infeasible candidate's reason they show.
 */
function candidateRows(
  result: PlanResult,
  probabilityTitle: string,
  infeasibleCell: (entry: PlanCandidate) => string,
): string[][] {
  const paths = Object.keys(result.candidates[0]?.params ?? {});
  const variants = result.search.variants.length > 1;
  const replicated = result.replications > 1;
  const header = [
    'rank',
    ...(variants ? ['variant'] : []),
    ...paths,
    '$/hour',
    'p99',
    '$/1k req',
    'max rate',
    'step times',
    ...(replicated ? [probabilityTitle] : []),
    'SLO',
  ];
  const body = result.candidates.map((entry, i) => [
    entry.status === 'infeasible' ? '-' : String(i + 1),
    ...(variants ? [entry.variant] : []),
    ...paths.map((path) => formatValue(entry.params[path])),
    formatUsd(entry.cost_usd_per_hour),
    formatSeconds(entry.metrics['latency_s.p99']),
    formatUsd(entry.cost_per_1k_requests_usd),
    maxRateText(entry),
    performanceLabel(entry.performance),
    ...(replicated ? [formatMetShare(entry.slo)] : []),
    entry.status === 'infeasible'
      ? infeasibleCell(entry)
      : entry.meets_slo
        ? 'met'
        : `missed: ${missed(entry)}`,
  ]);
  return [header, ...body];
}

/** The candidates for the terminal, best first, with why the others missed. */
export function renderPlanTable(result: PlanResult): string {
  const variants = result.search.variants.length > 1;
  const reasons = renderInfeasible(
    result.candidates
      .filter((entry) => entry.status === 'infeasible')
      .map((entry) => ({
        reason: entry.reason,
        configuration: describeConfiguration(entry.params, variants ? entry.variant : null, 'candidate'),
      })),
  );
  return `${renderTable(candidateRows(result, 'P(SLO)', () => 'infeasible'))}${reasons}`;
}

/** `fleets.0.replicas=3` (and the variant when there are several), for a sentence. */
function pickText(result: PlanResult, entry: PlanCandidate): string {
  const values = Object.entries(entry.params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return `${values.join(', ')}${result.search.variants.length > 1 ? ` (variant ${entry.variant})` : ''}`;
}

/** Cloud price lists' month (AWS and GCP quote 730 hours). */
const HOURS_PER_MONTH = 730;

/** An objective's value against its limit: `ttft_p99 620 ms, 38 % under its 1.00 s limit`. */
function marginText(objective: { objective: string; limit: number; value: number | null }): string {
  const drop = objective.objective === 'max_drop_rate';
  const show = (x: number) => (drop ? `${(x * 100).toPrecision(2)} %` : formatSeconds(x));
  const name = drop ? 'drop rate' : objective.objective;
  if (objective.value === null) return `${name}: not measured (limit ${show(objective.limit)})`;
  const margin = objective.limit > 0 ? (objective.limit - objective.value) / objective.limit : 0;
  const side = margin >= 0 ? 'under' : 'over';
  return `${name} ${show(objective.value)}, ${Math.abs(margin * 100).toFixed(0)} % ${side} its ${show(objective.limit)} limit`;
}

/**
 * The pick in sentences: what to buy, what it costs an hour and a month, how far each objective
 * is from its limit, and how much load it carries within them.
 */
export function describePick(result: PlanResult, best: PlanCandidate): string[] {
  const hourly = best.cost_usd_per_hour;
  const cost =
    hourly === null
      ? ''
      : `, ${formatUsd(hourly)} per hour ($${formatThousands(Math.round(hourly * HOURS_PER_MONTH))} a month of ${HOURS_PER_MONTH} hours)`;
  const lines = [
    `${pickText(result, best)}${cost}, p99 latency ${formatSeconds(best.metrics['latency_s.p99'])}.`,
  ];
  const objectives = best.slo?.objectives ?? [];
  if (objectives.length > 0) lines.push(`Margins: ${objectives.map(marginText).join('; ')}.`);
  const load = best.max_sustainable;
  if (load !== null && load.rate_rps !== null) {
    lines.push(
      `It carries ${load.bounded ? 'up to' : 'more than'} ${formatNumber(load.rate_rps)} requests/s within the objective, ` +
        `${load.growth.toFixed(2)}x the load planned for.`,
    );
  }
  return lines;
}

function limitText(key: string, limit: number): string {
  return key === 'max_drop_rate' ? `${key} <= ${limit}` : `${key} <= ${formatSeconds(limit)}`;
}

/**
 * plan.md: the objective and the search, the pick with the share of replications in which it met
 * the objective, the caveats of its step times, the candidates, and the pick at each load.
 */
export function renderPlanMarkdown(result: PlanResult): string {
  const best = result.best;
  const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const [header, ...body] = candidateRows(
    result,
    'P(meets SLO)',
    (entry) => `infeasible: ${entry.reason ?? ''}`,
  );
  const drawn = best?.model_uncertainty?.fleets ?? {};
  return [
    `# Plan: ${escapeMarkdown(result.scenario)}`,
    '',
    `Objective: ${Object.entries(result.slo)
      .map(([key, limit]) => limitText(key, limit))
      .join(
        ', ',
      )}. The fewest \`${escapeMarkdown(result.search.key)}\` that meet it, searched over ${result.search.values.length} value(s); seed ${result.seed}, ${result.replications} replication(s)${
      result.model_uncertainty ? ', each drawing the step-time parameters from their uncertainty' : ''
    }; the objective is judged on the means of the replications.`,
    '',
    best === null
      ? '**No candidate meets the objective.**'
      : `**Pick:** ${escapeMarkdown(describePick(result, best).join(' '))}${
          best.slo === null ? '' : ` It ${describeMetShare(best.slo)}.`
        }`,
    '',
    ...(best === null ? [] : performanceCaveatsOf(best.performance)).flatMap((caveat) => [
      `> **Caveat:** ${escapeMarkdown(caveat)}`,
      '',
    ]),
    ...Object.entries(drawn).flatMap(([fleet, { basis }]) => [
      `- Step-time parameters of fleet ${escapeMarkdown(fleet)} drawn from: ${escapeMarkdown(basis)}.`,
    ]),
    ...(Object.keys(drawn).length === 0 ? [] : ['']),
    row(header),
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map(row),
    '',
    ...(result.growth.length === 0
      ? []
      : [
          '## At other loads',
          '',
          ...result.growth.map(
            (load) =>
              `- workload.scale ${load.scale}: ${
                load.best === null
                  ? 'no candidate meets the objective'
                  : `${escapeMarkdown(pickText(result, load.best))}${load.best.slo === null || result.replications <= 1 ? '' : `, ${describeMetShare(load.best.slo)}`}`
              }`,
          ),
          '',
        ]),
  ].join('\n');
}
