import { formatPercent, formatSeconds, formatUsd } from './format.js';
import type { RunSummary, VariantSummary } from './summary.js';

interface Column {
  title: string;
  value: (v: VariantSummary) => string;
}

const BASE_COLUMNS: Column[] = [
  { title: 'variant', value: (v) => v.name },
  { title: 'completed', value: (v) => String(v.requests.completed) },
  { title: 'dropped', value: (v) => String(v.requests.dropped + v.requests.timed_out) },
  { title: 'p50', value: (v) => formatSeconds(v.latency_s.p50) },
  { title: 'p99', value: (v) => formatSeconds(v.latency_s.p99) },
  { title: 'wait p99', value: (v) => formatSeconds(v.queue_wait_s.p99) },
  { title: 'req/s', value: (v) => v.throughput_rps.toPrecision(4) },
  {
    title: 'utilization',
    value: (v) =>
      Object.keys(v.utilization)
        .map((f) => formatPercent(v.utilization[f]))
        .join(' / '),
  },
  { title: 'cost', value: (v) => formatUsd(v.cost_usd.total) },
  { title: '$/1k req', value: (v) => formatUsd(v.cost_per_1k_requests_usd) },
];

/** For LLM runs, where end-to-end latency is the whole answer and the first token is what users wait for. */
const LLM_COLUMNS: Column[] = [
  { title: 'TTFT p50', value: (v) => formatSeconds(v.ttft_s.p50) },
  { title: 'TTFT p99', value: (v) => formatSeconds(v.ttft_s.p99) },
  { title: 'TPOT p50', value: (v) => formatSeconds(v.tpot_s.p50) },
  { title: '$/1M tok', value: (v) => formatUsd(v.cost_per_1m_tokens_usd.total) },
];

function columnsOf(summary: RunSummary): Column[] {
  const llm = summary.variants.some((v) => v.ttft_s.p50 !== null);
  return llm ? [...BASE_COLUMNS.slice(0, 6), ...LLM_COLUMNS, ...BASE_COLUMNS.slice(6)] : BASE_COLUMNS;
}

/** The per-variant table as rows of cells, header first. */
function cells(summary: RunSummary, columns: readonly Column[]): string[][] {
  return [columns.map((c) => c.title), ...summary.variants.map((v) => columns.map((c) => c.value(v)))];
}

/** A fixed-width table for the terminal. */
export function renderTextTable(summary: RunSummary): string {
  const columns = columnsOf(summary);
  const rows = cells(summary, columns);
  const widths = columns.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return `${[line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')}\n`;
}

export function renderMarkdownTable(summary: RunSummary): string {
  const columns = columnsOf(summary);
  const rows = cells(summary, columns);
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return [
    line(rows[0]),
    `|${columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
