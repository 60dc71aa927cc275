import { formatCount, formatSeconds, formatUsd } from '../core/format.js';
import type { ClassResult } from '../metrics/index.js';
import { escapeMarkdown } from './format.js';
import { describeSloMisses } from './slo.js';
import type { VariantSummary } from './summary.js';

/** The cells of one class of a variant, in the order of `CLASS_HEADERS`. */
function classCells(name: string, c: ClassResult): string[] {
  const r = c.requests;
  const verdict = c.slo.met ? 'meets' : `MISSES: ${describeSloMisses(c.slo).join('; ')}`;
  return [
    name,
    c.tenant,
    String(c.priority),
    verdict,
    formatCount(r.completed),
    formatCount(r.dropped + r.timed_out + r.in_flight_at_end),
    formatSeconds(c.latency_s.p50),
    formatSeconds(c.latency_s.p99),
    formatSeconds(c.ttft_s.p99),
    formatUsd(c.cost_usd.total),
    formatUsd(c.cost_usd.idle_share),
    formatUsd(c.cost_per_1k_requests_usd),
    formatUsd(c.cost_per_1m_tokens_usd.input),
    formatUsd(c.cost_per_1m_tokens_usd.output),
  ];
}

const CLASS_HEADERS = [
  'class',
  'tenant',
  'priority',
  'objective',
  'completed',
  'lost',
  'p50',
  'p99',
  'TTFT p99',
  'cost',
  'idle share',
  '$/1k req',
  '$/1M in',
  '$/1M out',
];

/** What the cost columns mean, in one sentence under each table. */
function attributionSentence(v: VariantSummary): string {
  const idle = v.cost_attribution?.idle ?? 0;
  return (
    `Cost: each class's busy replica time and response bytes (${formatUsd(v.cost_usd.total - idle)} in all), ` +
    `plus ${formatUsd(idle)} of idle capacity no request used: ${formatUsd(v.cost_usd.total)}. ` +
    "Idle share: the idle cost spread by each class's busy time; unit costs carry it, over the whole run " +
    '(docs/classes.md).'
  );
}

/** A variant's classes in summary.md: a table and how its costs add up; nothing without classes. */
export function classesMarkdown(v: VariantSummary): string[] {
  if (v.classes === undefined) return [];
  const line = (cells: string[]) => `| ${cells.map(escapeMarkdown).join(' | ')} |`;
  return [
    line(CLASS_HEADERS),
    `|${CLASS_HEADERS.map((_, i) => (i < 4 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...Object.entries(v.classes).map(([name, c]) => line(classCells(name, c))),
    '',
    attributionSentence(v),
    '',
  ];
}

/** The report's per-class section: every configuration's classes; empty without classes. */
export function classesHtml(
  runs: readonly { label: string; summary: VariantSummary }[],
  escapeHtml: (text: string) => string,
): string {
  if (!runs.some((run) => run.summary.classes !== undefined)) return '';
  const head = ['configuration', ...CLASS_HEADERS].map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const rows = runs.flatMap(({ label, summary }) =>
    Object.entries(summary.classes ?? {}).map(([name, c]) => {
      const cells = classCells(name, c).map((cell, i) =>
        i === 3
          ? `<td class="detail">${c.slo.met ? 'meets' : `<span class="worse">${escapeHtml(cell)}</span>`}</td>`
          : // Names read from the left, figures from the right.
            `<td${i < 2 ? ' class="name"' : ''}>${escapeHtml(cell)}</td>`,
      );
      return `<tr><th scope="row">${escapeHtml(label)}</th>${cells.join('')}</tr>`;
    }),
  );
  const notes = runs
    .filter((run) => run.summary.classes !== undefined)
    .map(
      ({ label, summary }) => `<li>${escapeHtml(label)}: ${escapeHtml(attributionSentence(summary))}</li>`,
    );
  return `<h2>Classes</h2>
<p class="lead">Each class judged on its own requests against its own objective (or the scenario's); a configuration meets its objective only if every class meets its own.</p>
<div class="scroll"><table id="classes"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>
<ul class="notes">${notes.join('')}</ul>`;
}
