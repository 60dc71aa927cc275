import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { US_PER_S } from '../../core/time.js';
import { UserError } from '../../scenario/types.js';
import { openTraceRows, type TraceRowsKind } from '../../workload/trace-rows.js';
import { guidellmRows, readJson, vllmRows } from './client-reports.js';
import { describe, isTokenCount, type Row, TimeSpan, TOKEN_COUNT, wholeTokens } from './rows.js';

/**
 * Layouts of a measured run: a table with a row per request (`jsonl`, `csv`: the columns of
 * requests.jsonl, or others named with `columns`), GuideLLM's report JSON, or the result JSON of
 * vLLM's serving benchmark saved with its per-request details.
 */
export const MEASURED_FORMATS = ['jsonl', 'csv', 'guidellm', 'vllm'] as const;
export type MeasuredFormat = (typeof MEASURED_FORMATS)[number];

/** What a row of a table layout must give, by the names of requests.jsonl. */
export const MEASURED_COLUMNS = [
  'arrival',
  'first_token',
  'finish',
  'input_tokens',
  'output_tokens',
] as const;
export type MeasuredColumn = (typeof MEASURED_COLUMNS)[number];

export const MEASURED_TIME_UNITS = ['s', 'ms', 'us'] as const;
export type MeasuredTimeUnit = (typeof MEASURED_TIME_UNITS)[number];
const UNITS_PER_SECOND: Record<MeasuredTimeUnit, number> = { s: 1, ms: 1e3, us: 1e6 };

export interface MeasuredOptions {
  /** Default: from the file (see `detectMeasuredFormat`). */
  format?: MeasuredFormat;
  /** Table layouts: the column (CSV header or JSON key) holding each value; default its own name. */
  columns?: Partial<Record<MeasuredColumn, string>>;
  /** Table layouts: the unit of arrival, first_token and finish. Default `s`. */
  timeUnit?: MeasuredTimeUnit;
}

/** How a scenario's trace replays a table layout as it is: its path and the column mapping. */
export interface DirectReplay {
  format: 'csv' | 'jsonl';
  timeColumn: string;
  timeUnit: MeasuredTimeUnit;
  inputColumn: string;
  outputColumn: string;
}

/**
 * A measured run, one entry per request the server received, ordered as the simulator replays
 * them: by arrival (to the microsecond), simultaneous ones as the file lists them. Times are seconds after
 * the first arrival; a request that did not complete, or whose first token was not recorded, has
 * NaN for TTFT, TPOT and latency (as does TPOT with fewer than two output tokens).
 */
export interface MeasuredRun {
  path: string;
  format: MeasuredFormat;
  count: number;
  arrivalS: Float64Array;
  ttftS: Float64Array;
  tpotS: Float64Array;
  latencyS: Float64Array;
  /** Whole tokens, at least one, as an LLM fleet serves them. */
  inputTokens: Float64Array;
  outputTokens: Float64Array;
  /** Requests with a TTFT and a latency. */
  completed: number;
  /** The file itself is a trace the replay can read (a table in arrival order); null when a copy is needed. */
  direct: DirectReplay | null;
  /** What was inferred rather than read, for the user. */
  notes: string[];
}

/** `csv` for `.csv`; for `.json` the benchmark client whose keys the top level has; else `jsonl`. */
export function detectMeasuredFormat(path: string): MeasuredFormat {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension !== '.json') return 'jsonl';
  const head = readHead(path, 1 << 20);
  if (/"benchmarks"\s*:/.test(head)) return 'guidellm';
  if (/"(ttfts|input_lens)"\s*:/.test(head)) return 'vllm';
  throw new UserError({
    code: 'BAD_TRACE_ROW',
    file: path,
    line: 1,
    col: 1,
    message:
      'neither a GuideLLM report (no "benchmarks") nor a vLLM benchmark result (no "ttfts"): name the layout with --format jsonl|csv|guidellm|vllm',
  });
}

function readHead(path: string, bytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const read = readSync(fd, buffer, 0, bytes, 0);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads a measured run; a bad value is a UserError at its line and column. */
export function readMeasuredRun(path: string, options: MeasuredOptions = {}): MeasuredRun {
  const format = options.format ?? detectMeasuredFormat(path);
  if (format === 'csv' || format === 'jsonl') return readTable(path, format, options);
  if (options.columns !== undefined || options.timeUnit !== undefined) {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: 1,
      col: 1,
      message: `--columns and --time-unit describe a table (jsonl, csv); a ${format} file has its own layout`,
    });
  }
  const document = readJson(path);
  const notes: string[] = [];
  const rows = format === 'guidellm' ? guidellmRows(document, notes) : vllmRows(document, notes);
  return measuredRun(path, format, rows, null, notes);
}

function measuredRun(
  path: string,
  format: MeasuredFormat,
  rows: Row[],
  direct: DirectReplay | null,
  notes: string[],
): MeasuredRun {
  if (rows.length === 0) {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: 1,
      col: 1,
      message: 'no requests in the file',
    });
  }
  let origin = Number.POSITIVE_INFINITY;
  for (const row of rows) origin = Math.min(origin, row.arrival);
  // Stable: requests sent at the same instant keep the order they were sent (or listed) in, which
  // is the order a server admits them.
  const us = (row: Row) => Math.round((row.arrival - origin) * US_PER_S);
  rows.sort((a, b) => us(a) - us(b));
  const n = rows.length;
  const run: MeasuredRun = {
    path,
    format,
    count: n,
    arrivalS: new Float64Array(n),
    ttftS: new Float64Array(n).fill(Number.NaN),
    tpotS: new Float64Array(n).fill(Number.NaN),
    latencyS: new Float64Array(n).fill(Number.NaN),
    inputTokens: new Float64Array(n),
    outputTokens: new Float64Array(n),
    completed: 0,
    direct,
    notes,
  };
  rows.forEach((row, i) => {
    run.arrivalS[i] = row.arrival - origin;
    run.inputTokens[i] = row.input;
    run.outputTokens[i] = row.output;
    if (row.firstToken === null || row.finish === null) return;
    run.ttftS[i] = row.firstToken - row.arrival;
    run.latencyS[i] = row.finish - row.arrival;
    if (row.output > 1) run.tpotS[i] = (row.finish - row.firstToken) / (row.output - 1);
    run.completed++;
  });
  return run;
}

function readTable(path: string, kind: TraceRowsKind, options: MeasuredOptions): MeasuredRun {
  const names = MEASURED_COLUMNS.map((column) => options.columns?.[column] ?? column);
  const defaultLayout = options.columns === undefined;
  // requests.jsonl of a run with variants holds each variant's requests: one run is calibrated at a time.
  const fields = kind === 'jsonl' && defaultLayout ? [...names, 'variant'] : names;
  const unitsPerSecond = UNITS_PER_SECOND[options.timeUnit ?? 's'];
  const rows = openTraceRows(path, kind, fields);
  const fail = (i: number, message: string): never => {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: rows.line,
      col: rows.column(i),
      message: `${kind === 'csv' ? 'column' : 'key'} "${fields[i]}": ${message}`,
    });
  };
  const number = (i: number, what: string): number | null => {
    const value = rows.value(i);
    if (value === undefined) return fail(i, 'missing (write null where there is no value)');
    if (value === null || (typeof value === 'string' && value.trim() === '')) return null;
    const n = typeof value === 'number' || kind === 'csv' ? Number(value) : Number.NaN;
    if (!Number.isFinite(n)) fail(i, `expected ${what}, got ${describe(value)}`);
    return n;
  };
  const span = new TimeSpan();
  const out: Row[] = [];
  let origin = Number.NaN;
  let previous = Number.NEGATIVE_INFINITY;
  let ordered = true;
  let variant: unknown;
  try {
    while (rows.next()) {
      const raw = number(0, 'a time');
      if (raw === null) return fail(0, 'expected a time, got nothing');
      if (Number.isNaN(origin)) origin = raw;
      const seconds = (i: number, value: number) => {
        // Subtract before scaling: epoch milliseconds keep their precision only as a difference.
        const since = (value - origin) / unitsPerSecond;
        const problem = span.add(since, value);
        if (problem !== null) fail(i, `${value} ${problem}`);
        return since;
      };
      const arrival = seconds(0, raw);
      if (arrival < previous) ordered = false;
      previous = arrival;
      const firstRaw = number(1, 'a time or nothing');
      const finishRaw = number(2, 'a time or nothing');
      const firstToken = firstRaw === null ? null : seconds(1, firstRaw);
      const finish = finishRaw === null ? null : seconds(2, finishRaw);
      if (firstToken !== null && firstToken < arrival) {
        fail(1, `the first token (${firstRaw}) comes before the arrival (${raw})`);
      }
      if (finish !== null && firstToken !== null && finish < firstToken) {
        fail(2, `the finish (${finishRaw}) comes before the first token (${firstRaw})`);
      }
      const tokens = (i: number): number => {
        const value = number(i, TOKEN_COUNT);
        if (value === null || !isTokenCount(value)) {
          return fail(i, `expected ${TOKEN_COUNT}, got ${describe(rows.value(i))}`);
        }
        return wholeTokens(value);
      };
      const input = tokens(3);
      const output = tokens(4);
      if (fields.length > MEASURED_COLUMNS.length) {
        const name = rows.value(MEASURED_COLUMNS.length);
        if (variant === undefined) variant = name;
        else if (name !== undefined && name !== variant) {
          fail(
            MEASURED_COLUMNS.length,
            `requests of a second variant (${describe(name)} after ${describe(variant)}): calibrate one run at a time (keep the lines of one variant)`,
          );
        }
      }
      out.push({ arrival, firstToken, finish, input, output });
    }
  } finally {
    rows.close();
  }
  const direct: DirectReplay | null = ordered
    ? {
        format: kind,
        timeColumn: names[0],
        timeUnit: options.timeUnit ?? 's',
        inputColumn: names[3],
        outputColumn: names[4],
      }
    : null;
  return measuredRun(path, kind, out, direct, []);
}
