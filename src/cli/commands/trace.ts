import { resolve } from 'node:path';
import {
  detectTracePreset,
  fileProblem,
  type TimeUnit,
  type TraceFormat,
  traceSchema,
} from '../../scenario/index.js';
import { computeTraceStats, type TraceStats } from '../../workload/index.js';
import { type CliIo, UsageError } from '../io.js';

export interface TraceStatsArgs {
  file: string;
  format?: TraceFormat;
  timeColumn?: string;
  timeUnit?: TimeUnit;
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
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.path[0] === 'time_column') {
      throw new UsageError(
        `${args.file}: say which column holds the arrival time (--time-column, --time-unit), or name a preset with --format azure-llm|vidur|mooncake`,
      );
    }
    throw new UsageError(`--${String(issue.path[0])}: ${issue.message}`);
  }
  const { format } = parsed.data;
  const stats = computeTraceStats(parsed.data);
  io.stdout(
    args.json ? `${JSON.stringify({ format, ...stats }, null, 2)}\n` : renderStats(args.file, format, stats),
  );
  return 0;
}

function renderStats(file: string, format: TraceFormat, stats: TraceStats): string {
  const n = (x: number | null) =>
    x === null ? '-' : Number.isInteger(x) || Math.abs(x) >= 1000 ? String(Math.round(x)) : x.toPrecision(4);
  const lines = [
    `${file}`,
    `  format          ${format}`,
    `  requests        ${stats.requests}`,
    `  span            ${n(stats.span_s)} s`,
    `  mean rate       ${n(stats.mean_rate_rps)} req/s`,
    `  peak            ${stats.peak_requests_1s} in 1 s, ${stats.peak_requests_60s} in 60 s`,
  ];
  const attributes = Object.entries(stats.attributes).filter(([, a]) => a !== null);
  if (attributes.length > 0) {
    lines.push(
      `  ${'attribute'.padEnd(16)}${['mean', 'p50', 'p90', 'p99', 'max'].map((h) => h.padStart(10)).join('')}`,
    );
    for (const [name, a] of attributes) {
      if (a === null) continue;
      lines.push(
        `  ${name.padEnd(16)}${[a.mean, a.p50, a.p90, a.p99, a.max].map((x) => n(x).padStart(10)).join('')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
