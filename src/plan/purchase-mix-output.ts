import { formatSeconds, formatThousands, formatWholePercent } from '../core/format.js';
import { escapeMarkdown } from '../report/index.js';
import { missedText, NO_PICK, objectiveText } from './answer.js';
import { renderTable } from './output.js';
import type { MixCandidate, PurchaseMixResult } from './purchase-mix.js';

/** `$12,345`, with `± $67` when the replications differ. */
export function monthlyText(candidate: Pick<MixCandidate, 'monthly_cost_usd' | 'monthly_cost_ci95'>): string {
  if (candidate.monthly_cost_usd === null) return '-';
  const mean = `$${formatThousands(Math.round(candidate.monthly_cost_usd))}`;
  const half = candidate.monthly_cost_ci95;
  if (half === null) return mean;
  // Cents only where whole dollars would print a spread of $0.
  return `${mean} ± $${half < 0.5 ? half.toFixed(2) : formatThousands(Math.round(half))}`;
}

/** `0 % (0-31 %)`: the share of replications that missed the objective, with its 95 % Wilson interval. */
export function riskText(candidate: Pick<MixCandidate, 'risk' | 'risk_ci95'>): string {
  if (candidate.risk === null || candidate.risk_ci95 === null) return '-';
  const [low, high] = candidate.risk_ci95;
  return `${formatWholePercent(candidate.risk)} % (${formatWholePercent(low)}-${formatWholePercent(high)} %)`;
}

/** The mix in words: `2 reserved-3y + 1 reserved-1y + on-demand 1..8 + spot up to 4`. */
export function mixText(candidate: Pick<MixCandidate, 'mix'>): string {
  const { reserved_3y, reserved_1y, on_demand_floor, on_demand_max, spot_max } = candidate.mix;
  const parts = [
    ...(reserved_3y > 0 ? [`${reserved_3y} reserved-3y`] : []),
    ...(reserved_1y > 0 ? [`${reserved_1y} reserved-1y`] : []),
    ...(spot_max > 0 ? [`spot up to ${spot_max}`] : []),
    ...(on_demand_max > 0 ? [`on-demand ${on_demand_floor}..${on_demand_max}`] : []),
  ];
  return parts.length === 0 ? 'nothing' : parts.join(' + ');
}

function verdictText(result: PurchaseMixResult, candidate: MixCandidate): string {
  if (candidate.status === 'infeasible') return `infeasible: ${candidate.reason ?? ''}`;
  if (candidate === result.pick) return 'PICK';
  if (candidate.eligible) return 'eligible';
  if (!candidate.meets_slo) return `missed: ${missedText(candidate.slo)}`;
  return `risk over ${formatWholePercent(result.risk_tolerance)} %`;
}

/** The candidates as a header and rows, in rank order; `*` marks those on the frontier. */
export function mixRows(result: PurchaseMixResult): string[][] {
  const objectives = Object.keys(result.slo).filter((key) => key !== 'max_drop_rate');
  const header = [
    'rank',
    'reserved-3y',
    'reserved-1y',
    'on-demand floor',
    'on-demand max',
    'spot max',
    '$/month',
    'committed',
    'usage',
    ...objectives,
    'drop rate',
    'risk (95 % CI)',
    'frontier',
    'verdict',
  ];
  const body = result.candidates.map((candidate, i) => {
    const value = (objective: string) =>
      candidate.slo?.objectives.find((o) => o.objective === objective)?.value ?? null;
    const drop = candidate.metrics.drop_rate;
    return [
      candidate.status === 'infeasible' ? '-' : String(i + 1),
      String(candidate.mix.reserved_3y),
      String(candidate.mix.reserved_1y),
      String(candidate.mix.on_demand_floor),
      String(candidate.mix.on_demand_max),
      String(candidate.mix.spot_max),
      monthlyText(candidate),
      candidate.monthly_commitment_usd === null
        ? '-'
        : `$${formatThousands(Math.round(candidate.monthly_commitment_usd))}`,
      candidate.monthly_usage_usd === null
        ? '-'
        : `$${formatThousands(Math.round(candidate.monthly_usage_usd))}`,
      ...objectives.map((objective) => formatSeconds(value(objective))),
      typeof drop === 'number' ? `${(drop * 100).toPrecision(2)} %` : '-',
      riskText(candidate),
      candidate.frontier ? '*' : '',
      verdictText(result, candidate),
    ];
  });
  return [header, ...body];
}

/** The pick in a sentence, or that there is none, loudly. */
export function pickText(result: PurchaseMixResult): string {
  const pick = result.pick;
  const tolerance = `${formatWholePercent(result.risk_tolerance)} %`;
  if (pick === null) {
    return `${NO_PICK} within a risk of ${tolerance}: none is picked; the verdict column says what each candidate missed.`;
  }
  const replications = pick.slo?.met_by_replication ?? [];
  const missed = replications.filter((met) => !met).length;
  return (
    `Pick: ${mixText(pick)}, ${monthlyText(pick)} a month (committed $${formatThousands(Math.round(pick.monthly_commitment_usd!))}, usage $${formatThousands(Math.round(pick.monthly_usage_usd!))}); ` +
    `missed the objective in ${missed} of ${replications.length} replications (risk ${riskText(pick)}), within the tolerance of ${tolerance}: ` +
    `the cheapest of the ${result.candidates.filter((c) => c.eligible).length} eligible.`
  );
}

/** The frontier, cheapest first: what each step down in risk costs. */
export function frontierLines(result: PurchaseMixResult): string[] {
  return result.frontier.map(
    (candidate) => `${monthlyText(candidate)} a month, risk ${riskText(candidate)}: ${mixText(candidate)}`,
  );
}

/** The answer for the terminal: the objective, the pick, the frontier. */
export function purchaseMixAnswerLines(result: PurchaseMixResult): string[] {
  return [
    `Objective: ${objectiveText(result.slo)}; risk = share of ${result.replications} replication(s) that missed it.`,
    pickText(result),
    'Frontier (no other mix costs less with no more risk):',
    ...frontierLines(result).map((line) => `  ${line}`),
  ];
}

export function renderPurchaseMixTable(result: PurchaseMixResult): string {
  return renderTable(mixRows(result));
}

/** purchase-mix.md: the rule, the pick, the frontier, every candidate. */
export function renderPurchaseMixMarkdown(result: PurchaseMixResult): string {
  const row = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const [header, ...body] = mixRows(result);
  return [
    `# Purchase mix: ${escapeMarkdown(result.scenario)}`,
    '',
    `Objective: ${escapeMarkdown(objectiveText(result.slo))}. Seed ${result.seed}, ${result.replications} replication(s) of each mix, each with its own reclaims and arrivals. ` +
      `Risk is the share of replications that missed the objective (95 % Wilson interval); a mix is eligible when it meets the objective on the means of its replications and its risk is at most ${formatWholePercent(result.risk_tolerance)} %.`,
    '',
    `Monthly cost: ${escapeMarkdown(result.monthly_cost_rule)}. Mean over the replications, ± the 95 % half-width.`,
    '',
    `**${escapeMarkdown(pickText(result))}**`,
    '',
    '## Frontier',
    '',
    ...frontierLines(result).map((line) => `- ${escapeMarkdown(line)}`),
    '',
    '## Candidates',
    '',
    row(header),
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map(row),
    '',
  ].join('\n');
}
