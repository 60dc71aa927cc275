/**
 * The JSON reports of benchmark clients that `calibrate` reads: GuideLLM's report and the result
 * of vLLM's serving benchmark. A bad value is a UserError at its position in the file.
 */
import { LineCounter, parseDocument } from 'yaml';
import { MAX_COUNT } from '../../core/schema-values.js';
import { MAX_SECONDS } from '../../core/time.js';
import { fileTree, type PathSegment, SourceMap } from '../../scenario/locate.js';
import { UserError } from '../../scenario/types.js';
import { readBoundedText } from '../../util/bounded-file.js';
import { describe, isTokenCount, type Row, TimeSpan, TOKEN_COUNT, wholeTokens } from './rows.js';

/** A JSON file whose bad values are located by their path in it. */
export interface JsonFile {
  path: string;
  value: unknown;
  text: string;
}

export function readJson(path: string): JsonFile {
  // V8 holds no string over 512 MiB: a larger report is refused with its size, not a crash.
  const read = readBoundedText(path, MAX_REPORT_BYTES);
  if (!read.ok) {
    const message =
      read.problem === 'too large'
        ? `the report is ${(read.bytes / 1e6).toFixed(0)} MB; at most ${MAX_REPORT_BYTES / 1e6} MB (a report of detailed results keeps its generated texts: drop them, or give the per-request columns as JSONL or CSV)`
        : read.problem === 'missing'
          ? 'file not found'
          : read.problem === 'not a file'
            ? 'not a file'
            : 'cannot read the file';
    throw new UserError({ code: 'BAD_TRACE_ROW', file: path, line: 1, col: 1, message });
  }
  const text = read.text;
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

/** The largest benchmark report read whole. */
export const MAX_REPORT_BYTES = 400_000_000;

/** Where JSON.parse stopped: its message gives the offset, or else the YAML parser (JSON is YAML) finds the spot. */
function syntaxErrorPosition(text: string, message: string): { line: number; col: number } {
  const at = /position (\d+)/.exec(message);
  if (at) return linePos(text, Number(at[1]));
  const lineCounter = new LineCounter();
  // JSON takes a repeated key; it is no syntax error here either.
  const [first] = parseDocument(text, { lineCounter, uniqueKeys: false }).errors;
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

  /**
   * Seconds the simulation clock can hold, or null: a span (`signed` false) from 0, a time on the
   * report's clock (`signed`) either way from 0, at most `MAX_SECONDS` (285 years) each.
   */
  seconds(value: unknown, at: readonly PathSegment[], what: string, signed: boolean): number | null {
    const n = this.number(value, at, what);
    if (n !== null && (n > MAX_SECONDS || n < (signed ? -MAX_SECONDS : 0))) {
      this.fail(
        at,
        `expected ${what} ${signed ? 'within' : 'from 0 to'} 285 years (the span of the simulation clock), got ${n}`,
      );
    }
    return n;
  }

  required(value: unknown, at: readonly PathSegment[], what: string): number {
    const n = this.number(value, at, what);
    if (n === null) this.fail(at, `expected ${what}, got nothing`);
    return n;
  }

  tokens(value: unknown, at: readonly PathSegment[]): number {
    const n = this.required(value, at, TOKEN_COUNT);
    if (!isTokenCount(n)) this.fail(at, `expected ${TOKEN_COUNT}, got ${n}`);
    return wholeTokens(n);
  }

  /** Takes a time of the run into `span`; `what` names it in the error. */
  within(span: TimeSpan, seconds: number, at: readonly PathSegment[], what: string): void {
    const problem = span.add(seconds, seconds);
    if (problem !== null) this.fail(at, `${what} ${problem}`);
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
export function guidellmRows(file: JsonFile, notes: string[]): Row[] {
  const json = new JsonReader(file);
  const top = json.object(file.value, []);
  const benchmarks = json.array(top.benchmarks, ['benchmarks'], 'a list of benchmarks');
  const rows: Row[] = [];
  const span = new TimeSpan();
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
        rows.push(
          guidellmRow(json, json.object(item, [...at, j]), [...at, j], status === 'successful', span),
        );
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
  if (rows.length === 0 && errored > 0) {
    json.fail(['benchmarks'], `all ${errored} requests errored: none is left to replay`);
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
  span: TimeSpan,
): Row {
  const time = (value: unknown, key: PathSegment[]) =>
    json.seconds(value, [...at, ...key], 'a Unix time', true);
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
  json.within(span, arrival, at, `the start ${arrival}`);
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
  // The first token lies between the two.
  json.within(span, finish, at, `the end ${finish}`);
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
export function vllmRows(file: JsonFile, notes: string[]): Row[] {
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
    const ttft =
      json.seconds(json.required(ttfts[i], ['ttfts', i], 'seconds'), ['ttfts', i], 'seconds', false) ?? 0;
    const gaps = json.array(itls[i], ['itls', i], 'a list of inter-token gaps');
    let latency = ttft;
    gaps.forEach((gap, g) => {
      latency +=
        json.seconds(json.required(gap, ['itls', i, g], 'seconds'), ['itls', i, g], 'seconds', false) ?? 0;
    });
    return { ok, ttft, latency, input, output: json.tokens(outputs[i], ['output_lens', i]) };
  });
  const arrivals = starts === null ? inferredStarts(json, top, sent, notes) : null;
  const span = new TimeSpan();
  // An inferred arrival is 0, the first one's, or when an earlier request ended: in the span already.
  if (arrivals !== null) span.add(0, 0);
  const rows: Row[] = [];
  let failed = 0;
  sent.forEach((request, i) => {
    if (!request.ok) {
      failed++;
      return;
    }
    let arrival = arrivals?.[i];
    if (arrival === undefined) {
      const at = ['start_times', i];
      arrival = json.seconds(json.required(starts?.[i], at, 'a time'), at, 'a time', true) ?? 0;
      json.within(span, arrival, at, `${arrival}`);
    }
    // The first token lies between the arrival and the last token.
    const finish = arrival + request.latency;
    json.within(span, finish, ['itls', i], `the last token (arrival plus TTFT plus these gaps, ${finish})`);
    rows.push({
      arrival,
      firstToken: arrival + request.ttft,
      finish,
      input: request.input,
      output: request.output,
    });
  });
  if (rows.length === 0 && failed > 0)
    json.fail(['errors'], `all ${failed} requests failed: none is left to replay`);
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
    const lost =
      rate === undefined || rate === null
        ? 'no "start_times" and no request_rate: the arrival times cannot be recovered'
        : `no "start_times", and request_rate ${describe(rate)} drew the arrival times at random: they cannot be recovered`;
    json.fail([], `${lost}; use a vLLM version whose --save-detailed writes start_times, or GuideLLM`);
  }
  const concurrency = json.number(top.max_concurrency, ['max_concurrency'], 'a positive integer');
  // The benchmark takes --max-concurrency as an integer; 0.5 would admit one request at a time, 0 none.
  if (
    concurrency !== null &&
    !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_COUNT)
  ) {
    json.fail(
      ['max_concurrency'],
      `expected a positive integer no larger than ${MAX_COUNT}, got ${concurrency}`,
    );
  }
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
