import { formatNumber, formatPercent, formatSeconds, formatUsd } from '../core/format.js';
import type { ClassResult } from '../metrics/index.js';
import { dropRate } from '../metrics/slo.js';
import type { SloMetric, SloStatistic } from '../scenario/types.js';
import { escapeMarkdown } from './format.js';
import type { RunSummary, VariantSummary } from './summary.js';

interface Column {
  title: string;
  value: (v: VariantSummary) => string;
  /** The cell of a class's row (`workload.classes`); absent: the column has no per-class figure. */
  classValue?: (c: ClassResult) => string;
}

const METRIC_TITLES: Record<SloMetric, string> = {
  latency: '',
  queue_wait: 'wait ',
  ttft: 'TTFT ',
  tpot: 'TPOT ',
};

/** `latency_p99` -> `p99`, `ttft_p95` -> `TTFT p95`: the column a judged statistic appears in. */
function objectiveColumnTitle(metric: SloMetric, statistic: SloStatistic): string {
  return `${METRIC_TITLES[metric]}${statistic}`;
}

function statisticColumn(metric: SloMetric, statistic: SloStatistic): Column {
  return {
    title: objectiveColumnTitle(metric, statistic),
    value: (v) => formatSeconds(v[`${metric}_s`][statistic]),
    classValue: (c) => formatSeconds(c[`${metric}_s`][statistic]),
  };
}

/**
 * `meets`, or `MISSES` in capitals so that a failing row stands out in a plain terminal;
 * `PARTIAL` for a run a limit cut short (which fails too).
 */
function verdictText(v: VariantSummary): string {
  return v.partial !== undefined ? 'PARTIAL' : v.slo.met ? 'meets' : 'MISSES';
}

/**
 * Fleets whose figure a cell lists one by one; past them a cell gives the range and the count
 * (summary.json has each): a cell of every fleet's figure widened every row of the table with it,
 * 8 MB of terminal output for 1,000 fleets and 1,000 classes.
 */
const LISTED_FLEETS = 4;

/** Each fleet's share, `a / b / c`, or for many fleets `lowest to highest, N fleets`. */
function perFleet(shares: readonly (number | null)[]): string {
  if (shares.length <= LISTED_FLEETS) return shares.map(formatPercent).join(' / ');
  const known = shares.filter((share): share is number => share !== null);
  if (known.length === 0) return `-, ${shares.length} fleets`;
  const [low, high] = known.reduce(
    ([lo, hi], share) => [Math.min(lo, share), Math.max(hi, share)],
    [known[0], known[0]],
  );
  return `${formatPercent(low)} to ${formatPercent(high)}, ${shares.length} fleets`;
}

const lostText = (v: Pick<VariantSummary, 'requests'>) => {
  const r = v.requests;
  const lost = r.dropped + r.timed_out + r.in_flight_at_end;
  return lost === 0 ? '0' : `${lost} (${formatPercent(dropRate(r))})`;
};

const BASE_COLUMNS: Column[] = [
  { title: 'variant', value: (v) => v.name },
  { title: 'objective', value: verdictText, classValue: (c) => (c.slo.met ? 'meets' : 'MISSES') },
  {
    title: 'completed',
    value: (v) => String(v.requests.completed),
    classValue: (c) => String(c.requests.completed),
  },
  { title: 'lost', value: lostText, classValue: lostText },
  statisticColumn('latency', 'p50'),
  statisticColumn('latency', 'p99'),
  statisticColumn('queue_wait', 'p99'),
  { title: 'req/s', value: (v) => formatNumber(v.throughput_rps) },
  { title: 'utilization', value: (v) => perFleet(Object.values(v.utilization)) },
  {
    title: 'cost',
    value: (v) => formatUsd(v.cost_usd.total),
    classValue: (c) => formatUsd(c.cost_usd.total),
  },
  {
    title: '$/1k req',
    value: (v) => formatUsd(v.cost_per_1k_requests_usd),
    classValue: (c) => formatUsd(c.cost_per_1k_requests_usd),
  },
];
const AFTER_LATENCY = 7;

/** For LLM runs, where end-to-end latency is the whole answer and the first token is what users wait for. */
const LLM_COLUMNS: Column[] = [
  statisticColumn('ttft', 'p50'),
  statisticColumn('ttft', 'p99'),
  statisticColumn('tpot', 'p50'),
  {
    title: '$/1M tok',
    value: (v) => formatUsd(v.cost_per_1m_tokens_usd.total),
    classValue: (c) => formatUsd(c.cost_per_1m_tokens_usd.total),
  },
];

/**
 * Per LLM fleet, the share of prompt tokens found in its prefix cache (`off` where the fleet runs
 * without prefix caching); shown once some variant's prompts shared a cached prefix.
 */
const PREFIX_HIT_COLUMN: Column = {
  title: 'prefix hit',
  value: (v) => {
    const fleets = Object.values(v.llm?.fleets ?? {});
    if (fleets.length <= LISTED_FLEETS)
      return (
        fleets
          .map((f) => (f.prefix_cache === undefined ? 'off' : formatPercent(f.prefix_cache.hit_rate)))
          .join(' / ') || '-'
      );
    const cached = fleets.flatMap((f) => (f.prefix_cache === undefined ? [] : [f.prefix_cache.hit_rate]));
    if (cached.length === 0) return 'off';
    const off = fleets.length - cached.length;
    return `${perFleet(cached)}${off > 0 ? `, off on ${off}` : ''}`;
  },
};

const sharesPrefixes = (v: VariantSummary) =>
  Object.values(v.llm?.fleets ?? {}).some((f) => (f.prefix_cache?.cached_prompt_tokens ?? 0) > 0);

/**
 * The standard columns, plus one for every statistic the SLO judges that they lack (TTFT p95 when
 * `ttft_p95` is an objective), next to the latency columns, and goodput when the SLO limits latency.
 */
function columnsOf(summary: RunSummary): Column[] {
  const llm = summary.variants.some((v) => v.ttft_s.p50 !== null);
  const prefix = summary.variants.some(sharesPrefixes) ? [PREFIX_HIT_COLUMN] : [];
  const standard = llm
    ? [
        ...BASE_COLUMNS.slice(0, AFTER_LATENCY),
        ...LLM_COLUMNS,
        ...prefix,
        ...BASE_COLUMNS.slice(AFTER_LATENCY),
      ]
    : BASE_COLUMNS;
  const titles = new Set(standard.map((c) => c.title));
  const judged: Column[] = [];
  const objectives = summary.variants[0]?.slo.objectives ?? [];
  for (const { objective } of objectives) {
    const match = /^(latency|queue_wait|ttft|tpot)_(mean|p50|p90|p95|p99|p999)$/.exec(objective);
    if (match === null) continue;
    const column = statisticColumn(match[1] as SloMetric, match[2] as SloStatistic);
    if (!titles.has(column.title)) judged.push(column);
  }
  const goodput: Column[] = objectives.some((o) => o.objective !== 'max_drop_rate')
    ? [{ title: 'goodput/s', value: (v) => formatNumber(v.goodput_rps) }]
    : [];
  const at = standard.findIndex((c) => c.title === 'req/s');
  return [
    ...standard.slice(0, at),
    ...judged,
    ...standard.slice(at, at + 1),
    ...goodput,
    ...standard.slice(at + 1),
  ];
}

/**
 * The per-variant table as rows of cells, header first. With `workload.classes`, each variant's
 * row is followed by one per class (`baseline / chat`) and one for the idle capacity no class
 * used, whose costs add up to the variant's.
 */
function cells(summary: RunSummary, columns: readonly Column[]): string[][] {
  const rows = [columns.map((c) => c.title)];
  for (const v of summary.variants) {
    rows.push(columns.map((c) => c.value(v)));
    if (v.classes === undefined) continue;
    for (const [name, result] of Object.entries(v.classes)) {
      rows.push(columns.map((c, i) => (i === 0 ? `${v.name} / ${name}` : (c.classValue?.(result) ?? '-'))));
    }
    const idle = v.cost_attribution?.idle ?? null;
    rows.push(
      columns.map((c, i) => (i === 0 ? `${v.name} / idle` : c.title === 'cost' ? formatUsd(idle) : '-')),
    );
  }
  return rows;
}

/** A fixed-width table for the terminal. */
export function renderTextTable(summary: RunSummary): string {
  const columns = columnsOf(summary);
  const rows = cells(summary, columns);
  const widths = columns.map((_, i) => rows.reduce((width, r) => Math.max(width, r[i].length), 0));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return `${[line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')}\n`;
}

export function renderMarkdownTable(summary: RunSummary): string {
  const columns = columnsOf(summary);
  const rows = cells(summary, columns);
  const line = (row: string[]) => `| ${row.map(escapeMarkdown).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${columns.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
