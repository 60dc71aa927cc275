import { resolve } from 'node:path';
import {
  detectTracePreset,
  fileProblem,
  type OnBadRow,
  type TimeUnit,
  type TraceFormat,
  type TraceSource,
  traceFields,
  traceSchema,
} from '../../scenario/index.js';
import { TRACE_PRESETS } from '../../scenario/trace-presets.js';
import { computeTraceStats, type TraceStats } from '../../workload/index.js';
import { type CliIo, UsageError } from '../io.js';

export interface TraceStatsArgs {
  file: string;
  format?: TraceFormat;
  timeColumn?: string;
  timeUnit?: TimeUnit;
  /** `attribute=column` pairs, as the scenario's `columns:`. */
  column?: string[];
  onBadRow?: OnBadRow;
  /** List the trace's columns and the attribute each becomes, instead of the statistics. */
  columns?: boolean;
  json: boolean;
}

export function traceStatsCommand(args: TraceStatsArgs, io: CliIo): number {
  const path = resolve(io.cwd, args.file);
  // Before the header is read: a FIFO or a device would block that read forever.
  const problem = fileProblem(path);
  if (problem !== null) throw new UsageError(`${args.file}: ${problem}`);
  const parsed = traceSchema.safeParse({
    path,
    format:
      args.format ?? (args.timeColumn === undefined ? (detectTracePreset(path) ?? undefined) : undefined),
    time_column: args.timeColumn,
    time_unit: args.timeUnit,
    columns: parseColumns(args.column ?? []),
    on_bad_row: args.onBadRow,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.path[0] === 'time_column') {
      throw new UsageError(
        `${args.file}: say which column holds the arrival time (--time-column, --time-unit), or name a preset with --format azure-llm|vidur|mooncake`,
      );
    }
    const flag = issue.path[0] === 'columns' ? 'column' : String(issue.path[0]).replaceAll('_', '-');
    throw new UsageError(
      `--${flag}: ${issue.message}${issue.path.length > 1 ? ` (${issue.path.slice(1).join('.')})` : ''}`,
    );
  }
  const { format } = parsed.data;
  if (args.columns) {
    const mapping = columnMapping(parsed.data);
    if (mapping === null) {
      throw new UsageError(`${args.file}: the first line is neither a CSV header nor a JSON object`);
    }
    io.stdout(
      args.json
        ? `${JSON.stringify({ format, ...mapping }, null, 2)}\n`
        : renderColumns(args.file, format, mapping),
    );
    return 0;
  }
  const stats = computeTraceStats(parsed.data);
  io.stdout(
    args.json ? `${JSON.stringify({ format, ...stats }, null, 2)}\n` : renderStats(args.file, format, stats),
  );
  return 0;
}

/** `input_tokens=prompt_len` pairs as the scenario's `columns:` object; the schema checks the attribute names. */
function parseColumns(pairs: readonly string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const columns: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0)
      throw new UsageError(`--column ${pair}: expected attribute=column, e.g. input_tokens=prompt_len`);
    columns[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return columns;
}

/** A trace's columns, each with what a run reads from it, and the mapped columns the file lacks. */
interface ColumnMapping {
  columns: { name: string; maps_to: string | null }[];
  missing: { maps_to: string; name: string }[];
}

/** `time` for the arrival time column, the request attribute for a mapped one, null for the rest. */
function columnMapping(trace: TraceSource): ColumnMapping | null {
  const fields = traceFields(
    trace.path,
    trace.format === 'csv' || isCsvPreset(trace.format) ? 'csv' : 'jsonl',
  );
  if (fields === null) return null;
  const targets = new Map<string, string[]>([[trace.timeColumn, ['time']]]);
  for (const [attribute, column] of Object.entries(trace.columns)) {
    if (column !== undefined) targets.set(column, [...(targets.get(column) ?? []), attribute]);
  }
  const present = new Set(fields);
  return {
    columns: fields.map((name) => ({ name, maps_to: targets.get(name)?.join(', ') ?? null })),
    missing: [...targets]
      .filter(([name]) => !present.has(name))
      .flatMap(([name, attributes]) => attributes.map((maps_to) => ({ maps_to, name }))),
  };
}

function isCsvPreset(format: TraceFormat): boolean {
  return format !== 'jsonl' && format !== 'csv' && TRACE_PRESETS[format].layout === 'csv';
}

function renderColumns(file: string, format: TraceFormat, mapping: ColumnMapping): string {
  const width = Math.max(6, ...mapping.columns.map((c) => c.name.length)) + 2;
  const lines = [
    `${file} (format ${format})`,
    `  ${'column'.padEnd(width)}fleetsim reads it as`,
    ...mapping.columns.map(({ name, maps_to }) => `  ${name.padEnd(width)}${maps_to ?? '- (not read)'}`),
  ];
  for (const { maps_to, name } of mapping.missing) {
    lines.push(`  ${maps_to} is to come from column "${name}", which the file does not have`);
  }
  lines.push(
    'A scenario maps columns with time_column (the arrival time) and columns: { attribute: column };',
    'attributes: input_tokens, output_tokens, request_bytes, response_bytes.',
  );
  return `${lines.join('\n')}\n`;
}

function renderStats(file: string, format: TraceFormat, stats: TraceStats): string {
  const n = (x: number | null) =>
    x === null ? '-' : Number.isInteger(x) || Math.abs(x) >= 1000 ? String(Math.round(x)) : x.toPrecision(4);
  // From a billion on, four significant figures: String() writes up to 22 characters (9.973851983400917e+307).
  const cell = (x: number) => (Math.abs(x) >= 1e9 ? x.toPrecision(4) : n(x));
  const lines = [
    `${file}`,
    `  format          ${format}`,
    `  requests        ${stats.requests}`,
    `  span            ${n(stats.span_s)} s`,
    `  mean rate       ${n(stats.mean_rate_rps)} req/s`,
    `  peak            ${stats.peak_requests_1s} in 1 s, ${stats.peak_requests_60s} in 60 s`,
  ];
  const rows = Object.entries(stats.attributes).flatMap(([name, a]) =>
    a === null ? [] : [{ name, cells: [a.mean, a.p50, a.p90, a.p99, a.max].map(cell) }],
  );
  if (rows.length > 0) {
    // Wide enough for the longest figure: columns that run together cannot be read.
    const width = Math.max(10, ...rows.flatMap(({ cells }) => cells.map((c) => c.length + 2)));
    lines.push(
      `  ${'attribute'.padEnd(16)}${['mean', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(width)).join('')}`,
    );
    for (const { name, cells } of rows) {
      lines.push(`  ${name.padEnd(16)}${cells.map((c) => c.padStart(width)).join('')}`);
    }
  }
  const skipped = stats.skipped_rows;
  if (skipped !== undefined) {
    lines.push(`  skipped rows    ${skipped.count} (on_bad_row: skip)`);
    for (const { line, col, message } of skipped.first) lines.push(`    ${file}:${line}:${col}: ${message}`);
    if (skipped.count > skipped.first.length)
      lines.push(`    and ${skipped.count - skipped.first.length} more`);
  }
  return `${lines.join('\n')}\n`;
}
