import { formatPercent, formatSeconds, formatThousands, formatUsd } from '../core/format.js';
import { formatDelta, verdictWord } from './comparison-text.js';
import {
  countText,
  type Diff,
  type DiffConfiguration,
  type DiffMetric,
  type DiffSide,
  type DiffVerdict,
  HOURS_PER_MONTH,
} from './diff.js';
import { escapeMarkdown } from './format.js';
import { roundNumbers } from './summary.js';

/** The line a bot looks for to update its own comment instead of adding one per push. */
export const DIFF_COMMENT_MARKER = '<!-- fleetsim-diff -->';

function formatValue(m: DiffMetric, x: number | null): string {
  if (x === null) return '-';
  switch (m.unit) {
    case 'usd':
      return x >= 1000 ? `$${formatThousands(Math.round(x))}` : formatUsd(x);
    case 's':
      return formatSeconds(x);
    case 'fraction':
      return formatPercent(x);
    default:
      return countText(x);
  }
}

/** `+12.3 %`, `2.0x` from twice on, `from 0`; a count by its difference, `+310`. */
function changeText(m: DiffMetric, old: number, now: number, delta: number | null): string {
  if (m.unit === 'count') return `${now > old ? '+' : ''}${countText(now - old)}`;
  if (delta === null) return 'from 0';
  // The tables mark noise themselves, by the diff's own rule.
  return formatDelta({ ...m, quantile: false }, delta);
}

/** Lost requests with their share of arrivals: `310 (1.7 %)`, `0`. */
function lostText(count: number | null, share: number | null): string {
  if (count === null) return '-';
  return count === 0 ? '0' : `${countText(count)} (${formatPercent(share)})`;
}

const ARROW = '→';

/** Old and new (with the change) where a figure changed beyond noise; the value (with a `~` change) where it did not. */
function metricCell(c: DiffConfiguration, m: DiffMetric, tilde: string): string {
  const change = c.metrics[m.key];
  if (m.key === 'requests.lost') {
    const share = c.metrics.drop_rate;
    const old = lostText(change.old, share.old);
    const now = lostText(change.new, share.new);
    if (c.status === 'added') return now;
    if (c.status === 'removed') return old;
    return change.changed ? `${old} ${ARROW} ${now}` : now;
  }
  if (c.status === 'added') return formatValue(m, change.new);
  if (c.status === 'removed') return formatValue(m, change.old);
  if (change.old === null || change.new === null || change.old === change.new) {
    return change.changed
      ? `${formatValue(m, change.old)} ${ARROW} ${formatValue(m, change.new)}`
      : formatValue(m, change.new);
  }
  const text = changeText(m, change.old, change.new, change.delta_pct);
  if (change.changed) return `${formatValue(m, change.old)} ${ARROW} ${formatValue(m, change.new)} (${text})`;
  // A drift that rounds to no change at all (a drain second billed) needs no mark.
  return /^[+-]0\.0 %$/.test(text)
    ? formatValue(m, change.new)
    : `${formatValue(m, change.new)} (${tilde}${text})`;
}

const word = (v: DiffVerdict) => verdictWord({ slo_met: v.met, partial: v.partial ? true : undefined });

function verdictCell(c: DiffConfiguration): string {
  const { old, new: now } = c.slo;
  if (old === null) return word(now!);
  if (now === null) return word(old);
  const moved = old.met !== now.met || c.slo.newly_missed.length > 0;
  return moved ? `${word(old)} ${ARROW} ${word(now)}` : word(now);
}

/** The figures the tables show: cost, unit cost, the latencies a reviewer reads, those an objective limits, lost requests. */
function tableMetrics(d: Diff): DiffMetric[] {
  const keys = [
    'cost_usd_per_month',
    d.llm ? 'cost_per_1m_tokens_usd' : 'cost_per_1k_requests_usd',
    ...(d.llm
      ? ['ttft_s.p50', 'ttft_s.p99', 'tpot_s.p50', 'tpot_s.p99']
      : ['latency_s.p50', 'latency_s.p99']),
  ];
  const judged = d.metrics.filter(
    (m) => m.judged && m.unit === 's' && !keys.includes(m.key) && m.key !== 'requests.lost',
  );
  const shown = keys.map((key) => d.metrics.find((m) => m.key === key)!);
  const field = (m: DiffMetric) => m.key.slice(0, m.key.indexOf('.'));
  // Each judged statistic beside the others of its metric (TTFT p95 after TTFT p99), else at the end.
  for (const m of judged) {
    const last = shown.findLastIndex((other) => field(other) === field(m));
    shown.splice(last < 0 ? shown.length : last + 1, 0, m);
  }
  return [...shown, lostMetric(d)];
}

function lostMetric(d: Diff): DiffMetric {
  return d.metrics.find((m) => m.key === 'requests.lost')!;
}

/** How a cell marks a change within noise: Markdown would read a pair of `~` in a line as strikethrough. */
const TEXT_TILDE = '~';
const MARKDOWN_TILDE = '\\~';

function cells(d: Diff, rows: readonly DiffConfiguration[], tilde: string, status: boolean): string[][] {
  const metrics = tableMetrics(d);
  return [
    ['configuration', ...(status ? ['change'] : []), 'objective', ...metrics.map((m) => m.column)],
    ...rows.map((c) => [
      c.name,
      ...(status ? [c.status] : []),
      verdictCell(c),
      ...metrics.map((m) => metricCell(c, m, tilde)),
    ]),
  ];
}

function describeSide(s: DiffSide): string {
  return s.label === s.file
    ? `${s.file} (${s.scenario}, seed ${s.seed})`
    : `${s.label} (${s.file}, seed ${s.seed})`;
}

/** The verdicts no reader may miss: objectives newly missed, first, then configurations that still miss. */
function alarms(d: Diff): { newly: string[]; still: string[] } {
  const newly = d.configurations
    .filter((c) => c.slo.newly_missed.length > 0)
    .map(
      (c) =>
        `${c.name}${c.status === 'added' ? ' (added)' : ''} NEWLY MISSES its objective: ${c.slo.newly_missed.join('; ')}`,
    );
  const still = d.configurations
    .filter((c) => c.slo.new !== null && !c.slo.new.met && c.slo.newly_missed.length === 0)
    .map((c) => `${c.name} still MISSES its objective: ${c.slo.new!.misses.join('; ')}`);
  return { newly, still };
}

function failOnLines(d: Diff): string[] {
  return d.fail_on.map((r) =>
    r.tripped ? `--fail-on ${r.rule}: TRIPPED: ${r.by.join('; ')}` : `--fail-on ${r.rule}: passed`,
  );
}

/** How to read the tables: the noise rule, the cost per month, the objectives, the seeds. */
export function diffNotes(d: Diff): string[] {
  const notes = [
    d.noise.rule === 'threshold'
      ? `One run per side: a figure that moved by at most ${d.noise.threshold_pct} % is taken as unchanged, a percentile by less than ${d.noise.quantile_pct} % always (the quantile sketch's error); any change of lost requests or of the verdict is shown. With --replications N a change is judged by confidence intervals instead.`
      : `Means of ${d.replications} replications per side with the same seeds: a figure changed when the 95 % confidence interval of its differences, replication by replication, leaves out 0, and a percentile only when it moved by ${d.noise.quantile_pct} % or more (the quantile sketch's error).`,
    `Cost / month: the run's cost over its simulated time, as a ${HOURS_PER_MONTH}-hour month. A ~ marks a change within noise.`,
    d.old.slo === d.new.slo
      ? `Objective: ${d.old.slo}.`
      : `Objectives differ: old ${d.old.slo}; new ${d.new.slo}. Each side is judged against its own.`,
  ];
  if (d.old.seed !== d.new.seed) {
    notes.push(
      `The sides ran with different seeds (${d.old.seed}, ${d.new.seed}): their differences include sampling noise.`,
    );
  }
  return notes;
}

function partition(d: Diff) {
  return {
    shown: d.configurations.filter((c) => c.status !== 'unchanged'),
    unchanged: d.configurations.filter((c) => c.status === 'unchanged'),
  };
}

/** Columns aligned, the first `left` to the left (names), the others to the right (numbers). */
function textTable(rows: string[][], left = 1): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i < left ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

/**
 * One line per figure that changed (every figure of an added or removed configuration), under
 * the configuration's verdict: old, new and the change side by side, narrower than the wide table.
 */
function changeLines(d: Diff, shown: readonly DiffConfiguration[]): string[][] {
  const metrics = tableMetrics(d);
  const rows = [['configuration', 'figure', 'old', 'new', 'change']];
  for (const c of shown) {
    const { old, new: now } = c.slo;
    const verdict =
      c.slo.newly_missed.length > 0
        ? 'NEWLY MISSES'
        : old !== null && now !== null && old.met !== now.met
          ? 'now meets'
          : '';
    rows.push([
      `${c.name}${c.status === 'changed' ? '' : ` (${c.status})`}`,
      'objective',
      old === null ? '-' : word(old),
      now === null ? '-' : word(now),
      verdict,
    ]);
    for (const m of metrics) {
      const change = c.metrics[m.key];
      if (c.status === 'changed' && !change.changed) continue;
      const lost = m.key === 'requests.lost';
      const show = (x: number | null, share: number | null) =>
        lost ? lostText(x, share) : formatValue(m, x);
      const both = change.old !== null && change.new !== null && c.status === 'changed';
      rows.push([
        '',
        m.column,
        c.status === 'added' ? '-' : show(change.old, c.metrics.drop_rate.old),
        c.status === 'removed' ? '-' : show(change.new, c.metrics.drop_rate.new),
        both ? changeText(m, change.old!, change.new!, change.delta_pct) : '',
      ]);
    }
  }
  return rows;
}

/** The diff for a terminal. */
export function renderDiffTable(d: Diff): string {
  const { shown, unchanged } = partition(d);
  const { newly, still } = alarms(d);
  const lines = [`fleetsim diff: ${describeSide(d.old)} ${ARROW} ${describeSide(d.new)}`, ''];
  if (newly.length + still.length > 0) lines.push(...newly, ...still, '');
  if (shown.length === 0) lines.push('No configuration changed beyond noise.');
  else lines.push(...textTable(changeLines(d, shown), 2));
  if (unchanged.length > 0) {
    lines.push('', 'Unchanged beyond noise:', ...textTable(cells(d, unchanged, TEXT_TILDE, false)));
  }
  const failOn = failOnLines(d);
  if (failOn.length > 0) lines.push('', ...failOn);
  lines.push('', ...diffNotes(d));
  return `${lines.join('\n')}\n`;
}

function markdownTable(rows: string[][]): string[] {
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [
    line(rows[0]),
    `|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map(line),
  ];
}

/** Names and files escaped for Markdown; numbers and fixed words as they are. */
function escaped(d: Diff): Diff {
  const side = (s: DiffSide): DiffSide => ({
    ...s,
    label: escapeMarkdown(s.label),
    file: escapeMarkdown(s.file),
    scenario: escapeMarkdown(s.scenario),
  });
  return {
    ...d,
    old: side(d.old),
    new: side(d.new),
    configurations: d.configurations.map((c) => ({ ...c, name: escapeMarkdown(c.name) })),
    fail_on: d.fail_on.map((r) => ({ ...r, rule: escapeMarkdown(r.rule), by: r.by.map(escapeMarkdown) })),
  };
}

/**
 * The diff as Markdown. `comment`: for a pull-request comment, with `DIFF_COMMENT_MARKER` on
 * top, newly missed objectives as a GitHub caution alert, and the unchanged configurations
 * folded into a details section.
 */
export function renderDiffMarkdown(diff: Diff, comment = false): string {
  const d = escaped(diff);
  const { shown, unchanged } = partition(d);
  const { newly, still } = alarms(d);
  const lines = [
    ...(comment ? [DIFF_COMMENT_MARKER] : []),
    `## fleetsim diff: ${describeSide(d.old)} ${ARROW} ${describeSide(d.new)}`,
    '',
  ];
  if (newly.length > 0) {
    lines.push(...(comment ? ['> [!CAUTION]'] : []), ...newly.map((line) => `> **${line}**  `), '');
  }
  if (still.length > 0) lines.push(...still.map((line) => `- ${line}`), '');
  if (shown.length === 0) lines.push('No configuration changed beyond noise.');
  else lines.push(...markdownTable(cells(d, shown, MARKDOWN_TILDE, true)));
  if (unchanged.length > 0) {
    const table = markdownTable(cells(d, unchanged, MARKDOWN_TILDE, false));
    const title = `${unchanged.length} configuration${unchanged.length === 1 ? '' : 's'} unchanged beyond noise`;
    if (comment) lines.push('', `<details><summary>${title}</summary>`, '', ...table, '', '</details>');
    else lines.push('', `### ${title}`, '', ...table);
  }
  const failOn = failOnLines(d);
  if (failOn.length > 0) lines.push('', ...failOn.map((line) => `- ${line}`));
  lines.push('', ...diffNotes(diff).map((note) => `- ${escapeMarkdown(note)}`));
  return `${lines.join('\n')}\n`;
}

/** diff.json: the diff and its notes, numbers to ten significant digits. */
export function renderDiffJson(d: Diff): string {
  return `${JSON.stringify({ ...roundNumbers(d), notes: diffNotes(d) }, null, 2)}\n`;
}
