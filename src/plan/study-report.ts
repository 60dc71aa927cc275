import { join } from 'node:path';
import { formatSeconds, formatThousands, formatUsdCents as formatUsd } from '../core/format.js';
import {
  type Chart,
  escapeHtml,
  escapeMarkdown,
  figuresHtml,
  htmlDocument,
  performanceCaveats,
  scenariosHtml,
  scrollBox,
  writeFileAtomic,
} from '../report/index.js';
import {
  describeSweepPick,
  HOURS_PER_MONTH,
  missedText,
  NO_PICK,
  objectiveText,
  paramsText,
  pickBasis,
  SCALE_KEY,
  sustainedText,
  sweepAnswer,
} from './answer.js';
import { assembleSweepCharts, writeSweepCharts } from './charts.js';
import {
  describeConfiguration,
  formatMetShare,
  formatValue,
  performanceLabel,
  renderInfeasible,
  type SweepResult,
  type SweepRow,
} from './output.js';
import type { PlanResult } from './plan.js';
import { assemblePlanCharts, writePlanCharts } from './plan-charts.js';
import { candidateRows, describePick, growthLines, sustainedLines } from './plan-output.js';

/** The scenario as written, for the report's last section; null when not known (a merged sweep). */
export interface StudySource {
  name: string;
  yaml: string | null;
}

/** Answers and failing rows stand out; a row never reads as chosen unless it is the pick. */
const STUDY_STYLE = `
.answer { font-size: 15px; background: #eef6ea; border-left: 4px solid #2e7d32; padding: 8px 12px; margin: 8px 0; }
.nopick { font-size: 17px; font-weight: bold; color: #b71c1c; background: #fdecea; border-left: 4px solid #b71c1c; padding: 8px 12px; margin: 8px 0; }
tr.missed td, tr.missed th { color: #8a1c1c; }
tr.infeasible td, tr.infeasible th { color: #888; }
tr.pick td, tr.pick th, .scroll tbody tr.pick th:first-child { background: #eef6ea; font-weight: bold; }
#configurations td:last-child, #candidates td:last-child { text-align: left; }
`;

function withVariants(rows: readonly { variant: string }[]): boolean {
  return new Set(rows.map((row) => row.variant)).size > 1;
}

/** A row's verdict for tables: `met`, `MISSED: what`, `infeasible: why`, or `-` for rows never judged. */
function sweepVerdict(row: SweepRow): string {
  if (row.status === 'infeasible') return `infeasible: ${row.reason ?? ''}`;
  if (row.meets_slo === null) return '-';
  return row.meets_slo ? 'met' : `MISSED: ${missedText(row.slo)}`;
}

/** Every row of a sweep for summary.md and report.html: swept values, prices, latency, the verdict. */
export function sweepRows(result: SweepResult): string[][] {
  const paths = result.parameters.map((parameter) => parameter.path);
  const variants = withVariants(result.rows);
  const replicated = result.replications > 1;
  const header = [
    'point',
    ...(variants ? ['variant'] : []),
    ...paths,
    '$/hour',
    '$/month',
    'cost of run',
    'p99',
    'wait p99',
    '$/1k req',
    'step times',
    ...(replicated ? ['P(meets SLO)'] : []),
    'SLO',
  ];
  const body = result.rows.map((row) => {
    const hourly = row.metrics.cost_usd_per_hour;
    return [
      String(row.point),
      ...(variants ? [row.variant] : []),
      ...paths.map((path) => formatValue(row.params[path])),
      formatUsd(hourly),
      typeof hourly === 'number' ? `$${formatThousands(Math.round(hourly * HOURS_PER_MONTH))}` : '-',
      formatUsd(row.metrics['cost_usd.total']),
      formatSeconds(row.metrics['latency_s.p99']),
      formatSeconds(row.metrics['queue_wait_s.p99']),
      formatUsd(row.metrics.cost_per_1k_requests_usd),
      performanceLabel(row.performance),
      ...(replicated ? [formatMetShare(row.slo)] : []),
      sweepVerdict(row),
    ];
  });
  return [header, ...body];
}

function markdownTable(rows: readonly string[][]): string[] {
  const row = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  const [header, ...body] = rows;
  return [
    row(header),
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...body.map(row),
  ];
}

/** The pick of each load in sentences, or the loud line that none meets the objective. */
function sweepPickSentences(result: SweepResult): { scale: number | null; text: string; picked: boolean }[] {
  const answer = sweepAnswer(result);
  if (answer.unjudged) return [];
  const variants = withVariants(result.rows);
  return answer.picks.map(({ scale, row, met }) => ({
    scale,
    picked: row !== null,
    text:
      row === null
        ? `${NO_PICK}${scale === null ? '' : ` at ${SCALE_KEY} ${scale}`}: none is picked.`
        : `${scale === null ? '' : `At ${SCALE_KEY} ${scale}: `}${describeSweepPick(row, variants).join(' ')} Picked as ${pickBasis(met)}.`,
  }));
}

function sweepLead(result: SweepResult): string {
  const rows = result.rows.length;
  const infeasible = result.rows.filter((row) => row.status === 'infeasible').length;
  return `${rows} configuration(s) (points x variants)${infeasible > 0 ? `, ${infeasible} of them infeasible` : ''}; ${result.sampling} sampling, seed ${result.seed}, ${result.replications} replication(s); the objective is judged on the means of the replications.`;
}

/** summary.md of a sweep: the objective, the pick (or that none meets it), the load each configuration sustains, every row. */
export function renderSweepMarkdown(result: SweepResult): string {
  const answer = sweepAnswer(result);
  const variants = withVariants(result.rows);
  const caveats = performanceCaveats(
    result.rows.map((row) => ({ label: `point ${row.point}`, performance: row.performance })),
  );
  const picks = sweepPickSentences(result);
  return [
    `# Sweep: ${escapeMarkdown(result.scenario)}`,
    '',
    `${result.slo === null ? '' : `Objective: ${escapeMarkdown(objectiveText(result.slo))}. `}${sweepLead(result)}`,
    '',
    ...(answer.unjudged ? ['No configuration was judged against an objective: none is picked.', ''] : []),
    ...picks.flatMap(({ text, picked }) => [
      picked ? `**Pick:** ${escapeMarkdown(text)}` : `**${escapeMarkdown(text)}**`,
      '',
    ]),
    ...(answer.byLoad
      ? [
          `## Load each configuration sustains`,
          '',
          `The largest \`${SCALE_KEY}\` swept before the first that misses the objective.`,
          '',
          ...answer.sustained.map(
            (load) =>
              `- ${escapeMarkdown(paramsText(load.params, variants ? load.variant : null) || 'as written')}: ${escapeMarkdown(sustainedText(load))}`,
          ),
          '',
        ]
      : []),
    ...caveats.flatMap((caveat) => [`> **Caveat:** ${escapeMarkdown(caveat)}`, '']),
    '## Configurations',
    '',
    ...markdownTable(sweepRows(result)),
    '',
  ].join('\n');
}

function htmlTable(id: string, rows: readonly string[][], rowClass: (i: number) => string): string {
  const [header, ...body] = rows;
  const head = header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('');
  const lines = body.map((cells, i) => {
    const cls = rowClass(i);
    return `<tr${cls === '' ? '' : ` class="${cls}"`}>${cells
      .map((cell, j) =>
        j === 0 ? `<th scope="row">${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`,
      )
      .join('')}</tr>`;
  });
  return scrollBox(
    `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${lines.join('')}</tbody></table>`,
    body.length > 20,
  );
}

function caveatsHtml(caveats: readonly string[]): string {
  return caveats
    .map((caveat) => `<p class="caveat"><strong>Caveat:</strong> ${escapeHtml(caveat)}</p>`)
    .join('\n');
}

function chartsSection(charts: readonly Chart<string>[]): string {
  if (charts.length === 0) return '';
  return `<h2>Charts</h2>
<p class="lead">Hover a point for its configuration and figures; click a legend entry to highlight those points (shift-click for more); the menu of each chart exports SVG and PNG.</p>
${figuresHtml(charts)}`;
}

function scenarioSection(source: StudySource | null): string {
  return source === null ? '' : `<h2>Scenario</h2>\n${scenariosHtml([source])}`;
}

/** report.html of a sweep: the answer first, then the charts, every configuration, and the scenario. */
export function renderSweepHtml(
  result: SweepResult,
  charts: readonly Chart<string>[],
  source: StudySource | null,
): string {
  const answer = sweepAnswer(result);
  const variants = withVariants(result.rows);
  const picked = new Set(answer.picks.flatMap(({ row }) => (row === null ? [] : [row])));
  const picks = sweepPickSentences(result);
  const objective = result.slo === null ? '' : `<p>Objective: ${escapeHtml(objectiveText(result.slo))}.</p>`;
  const answers = answer.unjudged
    ? '<p class="nopick">No configuration was judged against an objective: none is picked.</p>'
    : picks
        .map(({ text, picked: ok }) =>
          ok
            ? `<p class="answer"><strong>Pick:</strong> ${escapeHtml(text)}</p>`
            : `<p class="nopick">${escapeHtml(text)}</p>`,
        )
        .join('\n');
  const sustained = answer.byLoad
    ? `<h3>Load each configuration sustains</h3>
<p class="lead">The largest <code>${SCALE_KEY}</code> swept before the first that misses the objective.</p>
${htmlTable(
  'sustained',
  [
    ['configuration', 'sustains'],
    ...answer.sustained.map((load) => [
      paramsText(load.params, variants ? load.variant : null) || 'as written',
      sustainedText(load),
    ]),
  ],
  (i) => (answer.sustained[i].scale === null ? 'missed' : ''),
)}`
    : '';
  const rowClass = (i: number) => {
    const row = result.rows[i];
    if (picked.has(row)) return 'pick';
    return row.status === 'infeasible' ? 'infeasible' : row.meets_slo === false ? 'missed' : '';
  };
  const reasons = renderInfeasible(
    result.rows
      .filter((row) => row.status === 'infeasible')
      .map((row) => ({
        reason: row.reason,
        configuration: describeConfiguration(row.params, variants ? row.variant : null),
      })),
  );
  const caveats = performanceCaveats(
    result.rows.map((row) => ({ label: `point ${row.point}`, performance: row.performance })),
  );
  return htmlDocument(
    `Sweep: ${result.scenario}`,
    `<header>
<h1>Sweep: ${escapeHtml(result.scenario)}</h1>
<p class="lead">fleetsim sweep: ${escapeHtml(sweepLead(result))}</p>
${caveatsHtml(caveats)}
</header>
<h2>Answer</h2>
${objective}
<div id="answer">${answers}</div>
${sustained}
${chartsSection(charts)}
<h2>Configurations</h2>
<p class="lead">Every configuration; the pick highlighted, those that miss the objective in red with what they missed.</p>
${htmlTable('configurations', sweepRows(result), rowClass)}
${
  reasons === ''
    ? ''
    : `<ul class="notes">${reasons
        .trim()
        .split('\n')
        .map((line) => `<li>${escapeHtml(line)}</li>`)
        .join('')}</ul>`
}
${scenarioSection(source)}`,
    charts,
    STUDY_STYLE,
  );
}

/** report.html of a plan: the answer first, then the charts, the candidates, the picks at other loads, the scenario. */
export function renderPlanHtml(
  result: PlanResult,
  charts: readonly Chart<string>[],
  source: StudySource | null,
): string {
  const best = result.best;
  const answer =
    best === null
      ? `<p class="nopick">${escapeHtml(`${NO_PICK}: none is picked.`)} The SLO column says what each candidate missed, even with the most ${escapeHtml(result.search.key)} tried.</p>`
      : `<p class="answer"><strong>Pick:</strong> ${escapeHtml(describePick(result, best).join(' '))}</p>`;
  const loads = [
    ...sustainedLines(result).map((line) => `Sustains within the objective: ${line}`),
    ...growthLines(result),
  ];
  const rows = candidateRows(result, 'P(meets SLO)', (entry) => `infeasible: ${entry.reason ?? ''}`);
  const rowClass = (i: number) => {
    const entry = result.candidates[i];
    if (entry === best) return 'pick';
    return entry.status === 'infeasible' ? 'infeasible' : entry.meets_slo ? '' : 'missed';
  };
  const caveats = best === null ? [] : performanceCaveats([{ label: 'pick', performance: best.performance }]);
  return htmlDocument(
    `Plan: ${result.scenario}`,
    `<header>
<h1>Plan: ${escapeHtml(result.scenario)}</h1>
<p class="lead">fleetsim plan: the fewest <code>${escapeHtml(result.search.key)}</code> that meet the objective, searched over ${result.search.values.length} value(s) for each of ${result.candidates.length} candidate(s); ${result.configurations} configuration(s) run, seed ${result.seed}, ${result.replications} replication(s).</p>
${caveatsHtml(caveats)}
</header>
<h2>Answer</h2>
<p>Objective: ${escapeHtml(objectiveText(result.slo))}.</p>
<div id="answer">${answer}</div>
${
  loads.length === 0
    ? ''
    : `<ul class="notes">${loads.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`
}
${chartsSection(charts)}
<h2>Candidates</h2>
<p class="lead">Ranked: those that meet the objective, cheapest per hour first; then those that miss it even with the most ${escapeHtml(result.search.key)} tried (in red); then those that cannot run.</p>
${htmlTable('candidates', rows, rowClass)}
${scenarioSection(source)}`,
    charts,
    STUDY_STYLE,
  );
}

/** Charts, summary.md and report.html of a whole sweep, beside sweep.json. */
export async function writeSweepReport(
  dir: string,
  result: SweepResult,
  source: StudySource | null,
  { png = false }: { png?: boolean } = {},
): Promise<{ charts: string[]; files: string[] }> {
  const charts = await writeSweepCharts(dir, result, { png });
  const files: [string, string][] = [
    ['summary.md', renderSweepMarkdown(result)],
    ['report.html', renderSweepHtml(result, assembleSweepCharts(result), source)],
  ];
  return { charts, files: files.map(([name, content]) => write(dir, name, content)) };
}

/** Charts and report.html of a plan, beside plan.json and plan.md. */
export async function writePlanReport(
  dir: string,
  result: PlanResult,
  source: StudySource | null,
  { png = false }: { png?: boolean } = {},
): Promise<{ charts: string[]; files: string[] }> {
  const charts = await writePlanCharts(dir, result, { png });
  const html = write(dir, 'report.html', renderPlanHtml(result, assemblePlanCharts(result), source));
  return { charts, files: [html] };
}

function write(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileAtomic(path, content);
  return path;
}
