import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { US_PER_S } from '../../core/time.js';
import { fileTree, type PathSegment, SourceMap } from '../../scenario/locate.js';
import { UserError } from '../../scenario/types.js';
import { excerpt } from '../../util/excerpt.js';
import { openTraceRows, type TraceRowsKind } from '../../workload/trace-rows.js';

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

interface Row {
  arrival: number;
  firstToken: number | null;
  finish: number | null;
  input: number;
  output: number;
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

/** An LLM fleet serves whole tokens, at least one each way: so does the replay. */
function wholeTokens(value: number): number {
  return Math.max(1, Math.round(value));
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
      // Subtract before scaling: epoch milliseconds keep their precision only as a difference.
      const seconds = (value: number) => (value - origin) / unitsPerSecond;
      const arrival = seconds(raw);
      if (arrival < previous) ordered = false;
      previous = arrival;
      const firstRaw = number(1, 'a time or nothing');
      const finishRaw = number(2, 'a time or nothing');
      const firstToken = firstRaw === null ? null : seconds(firstRaw);
      const finish = finishRaw === null ? null : seconds(finishRaw);
      if (firstToken !== null && firstToken < arrival) {
        fail(1, `the first token (${firstRaw}) comes before the arrival (${raw})`);
      }
      if (finish !== null && firstToken !== null && finish < firstToken) {
        fail(2, `the finish (${finishRaw}) comes before the first token (${firstRaw})`);
      }
      const tokens = (i: number): number => {
        const value = number(i, 'a number of tokens');
        if (value === null || value < 0) {
          return fail(i, `expected a number of tokens, got ${describe(rows.value(i))}`);
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

function describe(value: unknown): string {
  if (value === null || value === '') return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return excerpt(value);
  return excerpt(JSON.stringify(value) ?? String(value));
}

/** A JSON file whose bad values are located by their path in it. */
interface JsonFile {
  path: string;
  value: unknown;
  text: string;
}

function readJson(path: string): JsonFile {
  const text = readFileSync(path, 'utf8');
  try {
    return { path, value: JSON.parse(text), text };
  } catch (error) {
    const message = (error as Error).message;
    const { line, col } = syntaxErrorPosition(text, message);
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line,
      col,
      message: `invalid JSON: ${message}`,
    });
  }
}

/** Where JSON.parse stopped: its message gives the offset, or else the YAML parser (JSON is YAML) finds the spot. */
function syntaxErrorPosition(text: string, message: string): { line: number; col: number } {
  const at = /position (\d+)/.exec(message);
  if (at) return linePos(text, Number(at[1]));
  const lineCounter = new LineCounter();
  const [first] = parseDocument(text, { lineCounter }).errors;
  return first === undefined ? { line: 1, col: 1 } : lineCounter.linePos(first.pos[0]);
}

function linePos(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

/** A UserError at the value `at` of a JSON file (found by parsing it again, with positions). */
function jsonError(file: JsonFile, at: readonly PathSegment[], message: string): UserError {
  const lineCounter = new LineCounter();
  const document = parseDocument(file.text, { lineCounter, uniqueKeys: false });
  const position = SourceMap.of(fileTree(document, lineCounter, file.path)).locate(at);
  return new UserError({
    code: 'BAD_TRACE_ROW',
    file: file.path,
    line: position.line,
    col: position.col,
    message: at.length === 0 ? message : `${jsonPath(at)}: ${message}`,
  });
}

function jsonPath(at: readonly PathSegment[]): string {
  return at.map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads values of one JSON file, failing at the value's position. */
class JsonReader {
  constructor(readonly file: JsonFile) {}

  fail(at: readonly PathSegment[], message: string): never {
    throw jsonError(this.file, at, message);
  }

  object(value: unknown, at: readonly PathSegment[]): Record<string, unknown> {
    if (!isObject(value)) this.fail(at, `expected an object, got ${describe(value ?? null)}`);
    return value;
  }

  array(value: unknown, at: readonly PathSegment[], what: string): unknown[] {
    if (!Array.isArray(value)) this.fail(at, `expected ${what}, got ${describe(value ?? null)}`);
    return value;
  }

  /** A finite number, or null for null or an absent key. */
  number(value: unknown, at: readonly PathSegment[], what: string): number | null {
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(at, `expected ${what}, got ${describe(value)}`);
    }
    return value;
  }

  required(value: unknown, at: readonly PathSegment[], what: string): number {
    const n = this.number(value, at, what);
    if (n === null) this.fail(at, `expected ${what}, got nothing`);
    return n;
  }

  tokens(value: unknown, at: readonly PathSegment[]): number {
    const n = this.required(value, at, 'a number of tokens');
    if (n < 0) this.fail(at, `expected a number of tokens, got ${n}`);
    return wholeTokens(n);
  }
}

/**
 * GuideLLM's report (`guidellm benchmark --output-path report.json`): `benchmarks[].requests`
 * holds the `successful`, `incomplete` and `errored` requests. Since GuideLLM 0.4 each one keeps
 * its timestamps under `info.timings` (`request_start`, `first_token_iteration`, `request_end`)
 * with the token counts in `prompt_tokens` and `output_tokens`; before, it had `start_time`,
 * `first_token_time`, `end_time`, `prompt_tokens` and `output_tokens`. Times are Unix seconds.
 * Incomplete requests (cancelled when the benchmark ended) were in the server: they are replayed
 * with the tokens they had received, and not compared. Errored requests are left out: an error
 * may mean the server never saw them.
 */
function guidellmRows(file: JsonFile, notes: string[]): Row[] {
  const json = new JsonReader(file);
  const top = json.object(file.value, []);
  const benchmarks = json.array(top.benchmarks, ['benchmarks'], 'a list of benchmarks');
  const rows: Row[] = [];
  let incomplete = 0;
  let errored = 0;
  benchmarks.forEach((value, b) => {
    const benchmark = json.object(value, ['benchmarks', b]);
    const requests = json.object(benchmark.requests, ['benchmarks', b, 'requests']);
    const successful = json.array(
      requests.successful,
      ['benchmarks', b, 'requests', 'successful'],
      'the list of successful requests',
    );
    checkNotSampled(json, benchmark, b, successful.length);
    for (const [status, list] of [
      ['successful', successful],
      ['incomplete', requests.incomplete ?? []],
    ] as const) {
      const at = ['benchmarks', b, 'requests', status];
      json.array(list, at, 'a list of requests').forEach((item, j) => {
        rows.push(guidellmRow(json, json.object(item, [...at, j]), [...at, j], status === 'successful'));
      });
      if (status === 'incomplete') incomplete += (list as unknown[]).length;
    }
    if (Array.isArray(requests.errored)) errored += requests.errored.length;
  });
  if (benchmarks.length > 1) {
    notes.push(
      `the ${benchmarks.length} benchmarks of the report are replayed as one run, each request at its own time`,
    );
  }
  if (incomplete > 0) {
    notes.push(
      `${incomplete} incomplete request(s) (cancelled when a benchmark ended) are replayed with the tokens they had received, and not compared`,
    );
  }
  if (errored > 0)
    notes.push(`${errored} errored request(s) are left out: the server may never have seen them`);
  return rows;
}

/** A report keeps a sample of its requests when asked to; a replay of a sample would under-load the server. */
function checkNotSampled(
  json: JsonReader,
  benchmark: Record<string, unknown>,
  b: number,
  listed: number,
): void {
  const made = isObject(benchmark.scheduler_metrics)
    ? (benchmark.scheduler_metrics as Record<string, unknown>).requests_made
    : benchmark.request_totals;
  const total = isObject(made) && typeof made.successful === 'number' ? made.successful : null;
  if (total !== null && total > listed) {
    json.fail(
      ['benchmarks', b, 'requests', 'successful'],
      `holds ${listed} of the ${total} successful requests: the report keeps a sample (GuideLLM --output-sampling or sample_size); calibration replays every request the server received, so save the report without sampling`,
    );
  }
}

function guidellmRow(
  json: JsonReader,
  item: Record<string, unknown>,
  at: PathSegment[],
  completed: boolean,
): Row {
  const time = (value: unknown, key: PathSegment[]) => json.number(value, [...at, ...key], 'a Unix time');
  let arrival: number | null;
  let firstToken: number | null;
  let finish: number | null;
  let input: unknown;
  let output: unknown;
  if (isObject(item.info)) {
    const timings = json.object(item.info.timings, [...at, 'info', 'timings']);
    const t = (key: string) => time(timings[key], ['info', 'timings', key]);
    arrival = t('request_start') ?? t('resolve_start');
    firstToken = t('first_token_iteration');
    finish = t('request_end') ?? t('resolve_end');
    input = item.prompt_tokens ?? (isObject(item.input_metrics) ? item.input_metrics.text_tokens : undefined);
    output =
      item.output_tokens ??
      (isObject(item.output_metrics) ? item.output_metrics.text_tokens : undefined) ??
      timings.token_iterations;
  } else {
    arrival = time(item.start_time, ['start_time']);
    firstToken = time(item.first_token_time, ['first_token_time']);
    finish = time(item.end_time, ['end_time']);
    input = item.prompt_tokens;
    output = item.output_tokens;
  }
  if (arrival === null) {
    json.fail(at, 'no start time (info.timings.request_start, or start_time in reports before GuideLLM 0.4)');
  }
  const inputTokens = json.tokens(input, [...at, 'prompt_tokens']);
  const outputTokens = json.tokens(output ?? 0, [...at, 'output_tokens']);
  if (!completed)
    return { arrival, firstToken: null, finish: null, input: inputTokens, output: outputTokens };
  if (firstToken === null || finish === null) {
    json.fail(
      at,
      'a successful request without its first-token and end times (was the benchmark run without streaming?)',
    );
  }
  if (firstToken < arrival || finish < firstToken) {
    json.fail(at, `times out of order: start ${arrival}, first token ${firstToken}, end ${finish}`);
  }
  return { arrival, firstToken, finish, input: inputTokens, output: outputTokens };
}

/**
 * The result JSON of vLLM's serving benchmark (`vllm bench serve --save-result --save-detailed`,
 * or `benchmarks/benchmark_serving.py` with the same flags): per request, in the order sent,
 * `input_lens`, `output_lens`, `ttfts` and `itls` (seconds) and `errors` (empty when it
 * succeeded); newer versions add `start_times` (the client's monotonic clock, seconds). The
 * latency is not saved: it is the TTFT plus the inter-token gaps, which end at the last token as
 * the benchmark's own latency does. Without `start_times`, arrivals are inferred where the
 * benchmark's settings fix them: `request_rate` inf sends every request at once, and with
 * `max_concurrency` N each request after the first N starts when a running one finishes (first
 * come, first served, as the benchmark's semaphore admits them). A rate-limited run without
 * `start_times` drew its arrivals at random: they cannot be recovered.
 */
function vllmRows(file: JsonFile, notes: string[]): Row[] {
  const json = new JsonReader(file);
  const top = json.object(file.value, []);
  const list = (key: string) => {
    if (top[key] === undefined) {
      json.fail([], `no "${key}": save the result with --save-detailed, which keeps the per-request values`);
    }
    return json.array(top[key], [key], 'a list with one value per request');
  };
  const inputs = list('input_lens');
  const outputs = list('output_lens');
  const ttfts = list('ttfts');
  const itls = list('itls');
  const errors = top.errors === undefined ? [] : json.array(top.errors, ['errors'], 'a list of error texts');
  const starts =
    top.start_times === undefined ? null : json.array(top.start_times, ['start_times'], 'a list of times');
  for (const [key, values] of [
    ['output_lens', outputs],
    ['ttfts', ttfts],
    ['itls', itls],
    ...(starts === null ? [] : [['start_times', starts] as const]),
  ] as const) {
    if (values.length !== inputs.length) {
      json.fail([key], `${values.length} values for ${inputs.length} requests (input_lens)`);
    }
  }
  interface Sent {
    ok: boolean;
    ttft: number;
    latency: number;
    input: number;
    output: number;
  }
  const sent: Sent[] = inputs.map((value, i) => {
    const error = errors[i];
    const ok = error === undefined || error === null || error === '';
    const input = json.tokens(value, ['input_lens', i]);
    if (!ok) return { ok, ttft: 0, latency: 0, input, output: 1 };
    const ttft = json.required(ttfts[i], ['ttfts', i], 'seconds');
    const gaps = json.array(itls[i], ['itls', i], 'a list of inter-token gaps');
    let latency = ttft;
    gaps.forEach((gap, g) => {
      latency += json.required(gap, ['itls', i, g], 'seconds');
    });
    if (ttft < 0) json.fail(['ttfts', i], `expected seconds, got ${ttft}`);
    return { ok, ttft, latency, input, output: json.tokens(outputs[i], ['output_lens', i]) };
  });
  const arrivals = starts === null ? inferredStarts(json, top, sent, notes) : null;
  const rows: Row[] = [];
  let failed = 0;
  sent.forEach((request, i) => {
    if (!request.ok) {
      failed++;
      return;
    }
    const arrival = arrivals?.[i] ?? json.required(starts?.[i], ['start_times', i], 'a time');
    rows.push({
      arrival,
      firstToken: arrival + request.ttft,
      finish: arrival + request.latency,
      input: request.input,
      output: request.output,
    });
  });
  if (failed > 0) notes.push(`${failed} failed request(s) are left out: the server may never have seen them`);
  return rows;
}

/** Arrival times a benchmark without `start_times` implies, or a UserError where nothing does. */
function inferredStarts(
  json: JsonReader,
  top: Record<string, unknown>,
  sent: { ok: boolean; latency: number }[],
  notes: string[],
): number[] {
  const rate = top.request_rate;
  const unlimited = rate === 'inf' || rate === Number.POSITIVE_INFINITY || rate === 'Infinity';
  if (!unlimited || top.ramp_up_strategy !== undefined) {
    json.fail(
      [],
      `no "start_times", and request_rate ${describe(rate ?? null)} drew the arrival times at random: they cannot be recovered; use a vLLM version whose --save-detailed writes start_times, or GuideLLM`,
    );
  }
  const concurrency = json.number(top.max_concurrency, ['max_concurrency'], 'a number of requests');
  if (concurrency === null) {
    notes.push('no start_times: request_rate inf sent every request at once, so all arrive at 0');
    return sent.map(() => 0);
  }
  // The benchmark's semaphore admits waiting requests first come, first served: the next one starts
  // as soon as any running request ends. A failed request held its slot for an unknown time; its
  // slot is taken as freed at once.
  const running: number[] = [];
  const starts = sent.map((request) => {
    let start = 0;
    if (running.length >= concurrency) {
      running.sort((a, b) => a - b);
      start = running.shift() as number;
    }
    running.push(start + (request.ok ? request.latency : 0));
    return start;
  });
  notes.push(
    `no start_times: with request_rate inf and max_concurrency ${concurrency}, the first ${concurrency} requests arrive at 0 and each later one when a running request finishes`,
  );
  return starts;
}
