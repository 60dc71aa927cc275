import { formatNumber, formatSeconds, formatUsdCents as formatUsd } from '../core/format.js';
import { escapeMarkdown } from '../report/index.js';
import {
  hourlyCostText,
  marginText,
  missedText,
  NO_PICK,
  objectiveText,
  paramsText,
  pickBasis,
  SCALE_KEY,
} from './answer.js';
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
  return missedText(entry.slo);
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
export function candidateRows(
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
  return paramsText(entry.params, result.search.variants.length > 1 ? entry.variant : null);
}

/**
 * The pick in sentences: what to buy, what it costs an hour and a month, how far each objective
 * is from its limit, and how much load it carries within them.
 */
export function describePick(result: PlanResult, best: PlanCandidate): string[] {
  const hourly = best.cost_usd_per_hour;
  const cost = hourly === null ? '' : `, ${hourlyCostText(hourly)}`;
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

/** `aws/g6e.xlarge, 1: up to 5.488 requests/s (1.09x the load planned for)` per candidate that meets the objective. */
export function sustainedLines(result: PlanResult): string[] {
  const variants = result.search.variants.length > 1;
  return result.candidates.flatMap((entry) => {
    const load = entry.max_sustainable;
    if (load === null || load.rate_rps === null) return [];
    const name = paramsText(entry.params, variants ? entry.variant : null);
    return [
      `${name}: ${load.bounded ? 'up to' : 'more than'} ${formatNumber(load.rate_rps)} requests/s (${SCALE_KEY} ${load.scale}, ${load.growth.toFixed(2)}x the load planned for)`,
    ];
  });
}

/**
 * The answer for the terminal: the pick with its cost per month and margins (or that nothing
 * meets the objective, in capitals), the load each candidate sustains, and the pick at each other
 * load searched.
 */
export function planAnswerLines(result: PlanResult): string[] {
  const lines = [`Objective: ${objectiveText(result.slo)}.`];
  const best = result.best;
  if (best === null) {
    lines.push(
      `${NO_PICK}: none is picked; the SLO column says what each candidate missed, even with the most ${result.search.key} tried.`,
    );
  } else {
    const [what, ...more] = describePick(result, best);
    lines.push(`Pick (${pickBasis(result.candidates.filter((c) => c.meets_slo).length)}): ${what}`);
    lines.push(...more.map((line) => `  ${line}`));
  }
  const sustained = sustainedLines(result);
  // One candidate's load is in the pick's sentences already.
  if (sustained.length > 1) {
    lines.push(`Load each candidate sustains within the objective (${SCALE_KEY} searched to within 2 %):`);
    lines.push(...sustained.map((line) => `  ${line}`));
  }
  lines.push(...growthLines(result));
  return lines;
}

/** The pick at each other load searched (`--vary workload.scale=...`), a line each. */
export function growthLines(result: PlanResult): string[] {
  return result.growth.map((load) =>
    load.best === null
      ? `At ${SCALE_KEY} ${load.scale}: ${NO_PICK}.`
      : `At ${SCALE_KEY} ${load.scale}: pick ${pickText(result, load.best)}${
          load.best.cost_usd_per_hour === null ? '' : `, ${hourlyCostText(load.best.cost_usd_per_hour)}`
        }.`,
  );
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
    `Objective: ${objectiveText(result.slo)}. The fewest \`${escapeMarkdown(result.search.key)}\` that meet it, searched over ${result.search.values.length} value(s); seed ${result.seed}, ${result.replications} replication(s)${
      result.model_uncertainty ? ', each drawing the step-time parameters from their uncertainty' : ''
    }; the objective is judged on the means of the replications.`,
    '',
    best === null
      ? `**${NO_PICK}: none is picked.** The SLO column says what each candidate missed, even with the most ${escapeMarkdown(result.search.key)} tried.`
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
