import { formatNumber, formatSeconds, formatUsdCents as formatUsd } from '../core/format.js';
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

/** The candidates for the terminal, best first, with why the others missed. */
export function renderPlanTable(result: PlanResult): string {
  const paths = Object.keys(result.candidates[0]?.params ?? {});
  const variants = result.search.variants.length > 1;
  const header = [
    'rank',
    ...(variants ? ['variant'] : []),
    ...paths,
    '$/hour',
    'p99',
    '$/1k req',
    'max rate',
    'step times',
    ...(result.replications > 1 ? ['P(SLO)'] : []),
    'SLO',
  ];
  const body = result.candidates.map((entry, i) => [
    entry.status === 'infeasible' ? '-' : String(i + 1),
    ...(variants ? [entry.variant] : []),
    ...paths.map((path) => formatValue(entry.params[path])),
    formatUsd(entry.cost_usd_per_hour),
    formatSeconds(entry.metrics['latency_s.p99']),
    formatUsd(entry.cost_per_1k_requests_usd),
    entry.max_sustainable?.rate_rps == null
      ? '-'
      : `${entry.max_sustainable.bounded ? '' : '>'}${formatNumber(entry.max_sustainable.rate_rps)}/s`,
    performanceLabel(entry.performance),
    ...(result.replications > 1 ? [formatMetShare(entry.slo)] : []),
    entry.status === 'infeasible' ? 'infeasible' : entry.meets_slo ? 'met' : `missed: ${missed(entry)}`,
  ]);
  const reasons = renderInfeasible(
    result.candidates
      .filter((entry) => entry.status === 'infeasible')
      .map((entry) => ({
        reason: entry.reason,
        configuration: describeConfiguration(entry.params, variants ? entry.variant : null, 'candidate'),
      })),
  );
  return `${renderTable([header, ...body])}${reasons}`;
}

/** `fleets.0.replicas=3` (and the variant when there are several), for a sentence. */
function pickText(result: PlanResult, entry: PlanCandidate): string {
  const values = Object.entries(entry.params).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
  return `${values.join(', ')}${result.search.variants.length > 1 ? ` (variant ${entry.variant})` : ''}`;
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
  const variants = result.search.variants.length > 1;
  const paths = Object.keys(result.candidates[0]?.params ?? {});
  const replicated = result.replications > 1;
  const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const header = [
    'rank',
    ...(variants ? ['variant'] : []),
    ...paths,
    '$/hour',
    'p99',
    '$/1k req',
    'step times',
    ...(replicated ? ['P(meets SLO)'] : []),
    'SLO',
  ];
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
      : `**Pick:** ${escapeMarkdown(pickText(result, best))}, ${formatUsd(best.cost_usd_per_hour)} per hour, p99 latency ${formatSeconds(best.metrics['latency_s.p99'])}.${
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
    ...result.candidates.map((entry, i) =>
      row([
        entry.status === 'infeasible' ? '-' : String(i + 1),
        ...(variants ? [entry.variant] : []),
        ...paths.map((path) => formatValue(entry.params[path])),
        formatUsd(entry.cost_usd_per_hour),
        formatSeconds(entry.metrics['latency_s.p99']),
        formatUsd(entry.cost_per_1k_requests_usd),
        performanceLabel(entry.performance),
        ...(replicated ? [formatMetShare(entry.slo)] : []),
        entry.status === 'infeasible'
          ? `infeasible: ${entry.reason ?? ''}`
          : entry.meets_slo
            ? 'met'
            : `missed: ${missed(entry)}`,
      ]),
    ),
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
                  : `${escapeMarkdown(pickText(result, load.best))}${load.best.slo === null || !replicated ? '' : `, ${describeMetShare(load.best.slo)}`}`
              }`,
          ),
          '',
        ]),
  ].join('\n');
}
