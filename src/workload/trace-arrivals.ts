import { formatMessageNumber } from '../core/format.js';
import { MAX_SECONDS } from '../core/time.js';
import { TRACE_PRESETS } from '../scenario/trace-presets.js';
import {
  type Diagnostic,
  REQUEST_ATTRIBUTES,
  type TimeUnit,
  type TraceSource,
  UserError,
} from '../scenario/types.js';
import { closestNames, typoTolerance } from '../util/closest-names.js';
import { excerpt, excerptJson } from '../util/excerpt.js';
import {
  type ArrivalRecord,
  type ArrivalSource,
  createArrivalRecord,
  type PromptPrefix,
  type SkippedRows,
} from './arrival-source.js';

import { BadRowError, badRow, openTraceRows, type TraceRows, type TraceRowsKind } from './trace-rows.js';
import { parseDateTime } from './trace-time.js';

const UNITS_PER_SECOND: Record<Exclude<TimeUnit, 'datetime'>, number> = { s: 1, ms: 1e3, us: 1e6 };
const UNIT_NAMES: Record<Exclude<TimeUnit, 'datetime'>, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
};

/** Bad rows a replay keeps to show with its count: enough to see what is wrong, few enough for one warning. */
const SKIPPED_ROWS_SHOWN = 3;

/** The presets are CSV or JSONL underneath; they differ only in the column names they fill in. */
function rowsKindOf(format: TraceSource['format']): TraceRowsKind {
  return format === 'csv' || format === 'jsonl' ? format : TRACE_PRESETS[format].layout;
}

export interface TraceReadOptions {
  chunkBytes?: number;
  maxRowBytes?: number;
  /** Replayed seconds (after `speed`) at which the window ends: the first row at or after it is not read. */
  endS?: number;
  /** How many skipped rows to keep with their location (default SKIPPED_ROWS_SHOWN). */
  shown?: number;
  /** createTraceArrivals gives times before `speed` divides them (it still ends the window as `speed` says). */
  unscaled?: boolean;
}

/**
 * A trace file opened for replay: its good rows, with their time and request attributes. A bad
 * row (malformed, too long, a value that is not what its column needs) throws, or under
 * `on_bad_row: skip` is counted and passed over; a decreasing time always throws, as it is the
 * order of the whole file that is wrong.
 */
export interface TraceReader {
  readonly rows: TraceRows;
  /**
   * Moves to the next good row in the window: sets `out.timeS` to its time in seconds after the
   * first good row's (before `speed`) and fills its request attributes (NaN where the trace has
   * none). False at the end of the file or of the window (`cut` then tells which).
   */
  next(out: ArrivalRecord): boolean;
  /** True once `next` stopped at a row at or after the end of the window. */
  readonly cut: boolean;
  readonly skipped: SkippedRows;
  /**
   * For a second pass over rows the first one read, in another order (a bootstrap's draws): the
   * bad rows are not counted again, and order and window are not checked.
   */
  rereading: boolean;
  /** Throws a BAD_TRACE_ROW UserError about field `i` (0: the time) of the current row. */
  fail(i: number, message: string): never;
}

/** Opens `trace` and checks its header. */
export function openTraceReader(trace: TraceSource, options: TraceReadOptions = {}): TraceReader {
  const kind = rowsKindOf(trace.format);
  const fields = [trace.timeColumn];
  // Index in `fields` of each request attribute, in REQUEST_ATTRIBUTES order; -1 = not in the trace.
  const attributeField = REQUEST_ATTRIBUTES.map((attribute) => {
    const column = trace.columns[attribute];
    if (column === undefined) return -1;
    fields.push(column);
    return fields.length - 1;
  });
  const prefixBlocks = trace.prefixBlocks ?? null;
  const prefixField = prefixBlocks === null ? -1 : fields.push(prefixBlocks.column) - 1;
  const classColumn = trace.classColumn ?? null;
  const classField = classColumn === null ? -1 : fields.push(classColumn.column) - 1;
  const classIndex = new Map(classColumn?.names.map((name, i) => [name, i]));
  const modelField = trace.modelColumn == null ? -1 : fields.push(trace.modelColumn) - 1;
  const adapterField = trace.adapterColumn == null ? -1 : fields.push(trace.adapterColumn) - 1;
  const rows = openTraceRows(trace.path, kind, fields, options);
  const label = (i: number) => `${kind === 'csv' ? 'column' : 'key'} "${fields[i]}"`;
  const located = (i: number, message: string): Diagnostic => ({
    code: 'BAD_TRACE_ROW',
    file: trace.path,
    line: rows.line,
    col: rows.column(i),
    message: `${label(i)}: ${message}`,
  });
  const bad = (i: number, message: string): never => {
    const { file, line, col, message: text } = located(i, message);
    throw badRow(file, line, col, text);
  };
  const readAttribute = (field: number): number => {
    if (field < 0) return Number.NaN;
    const value = toNumber(rows.value(field));
    if (!(value >= 0)) bad(field, `expected a non-negative number, got ${describe(rows.value(field))}`);
    return value;
  };
  const time = createTimeReader(trace.timeUnit, rows, bad);
  const skip = trace.onBadRow === 'skip';
  const shown = options.shown ?? SKIPPED_ROWS_SHOWN;
  const endS = options.endS ?? Number.POSITIVE_INFINITY;
  let previousS = 0;
  let cut = false;
  const reader: TraceReader = {
    rows,
    get cut() {
      return cut;
    },
    skipped: { count: 0, first: [] },
    rereading: false,
    next(out) {
      for (;;) {
        try {
          if (!rows.next()) return false;
          time.parse();
          if (time.started() && !reader.rereading) {
            // Before the attributes: a row past the window is not the replay's to judge.
            const traceS = time.sinceFirst();
            if (traceS < previousS) {
              reader.fail(
                0,
                `arrival times must not decrease (previous ${formatMessageNumber(previousS)} s, ` +
                  `this ${formatMessageNumber(traceS)} s after the first request): sort the file by time first, ` +
                  `e.g. ${sortCommand(trace, kind, rows.column(0))}`,
              );
            }
            if (!(traceS / trace.speed < endS)) {
              cut = true;
              return false;
            }
            if (!(traceS / trace.speed <= MAX_SECONDS)) {
              reader.fail(
                0,
                `this row is replayed ${formatMessageNumber(traceS / trace.speed)} s after the first request, later than ` +
                  `the ${formatMessageNumber(MAX_SECONDS)} s (about 285 years) a run can simulate exactly`,
              );
            }
          }
          out.input_tokens = readAttribute(attributeField[0]);
          out.output_tokens = readAttribute(attributeField[1]);
          out.request_bytes = readAttribute(attributeField[2]);
          out.response_bytes = readAttribute(attributeField[3]);
          if (classField >= 0)
            out.classIndex = readClass(rows.value(classField), classIndex, (message) =>
              bad(classField, message),
            );
          if (modelField >= 0) out.model = readName(rows.value(modelField), (m) => bad(modelField, m));
          if (adapterField >= 0)
            out.adapter = readName(rows.value(adapterField), (m) => bad(adapterField, m));
          if (prefixField >= 0) {
            readPrefixBlocks(
              rows.value(prefixField),
              (prefixBlocks as { blockTokens: number }).blockTokens,
              out.input_tokens,
              out.prefix,
              (message) => bad(prefixField, message),
            );
          }
        } catch (error) {
          if (!(skip && error instanceof BadRowError)) throw error;
          if (!reader.rereading) {
            reader.skipped.count++;
            if (reader.skipped.first.length < shown) reader.skipped.first.push(error.diagnostic);
          }
          continue;
        }
        out.timeS = time.start();
        previousS = out.timeS;
        return true;
      }
    },
    fail(i, message) {
      throw new UserError(located(i, message));
    },
  };
  return reader;
}

/** A name a row gives (a model's, an adapter's): text or a number; empty, null or missing: ''. */
function readName(value: unknown, bad: (message: string) => never): string {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return '';
  return bad(`expected a name, got ${describe(value)}`);
}

/** The index of the class a row's class value names; a value that names none is a bad row, with the nearest name. */
function readClass(
  value: unknown,
  classes: ReadonlyMap<string, number>,
  bad: (message: string) => never,
): number {
  const name = typeof value === 'number' ? String(value) : value;
  if (typeof name === 'string') {
    const index = classes.get(name.trim());
    if (index !== undefined) return index;
  }
  const names = [...classes.keys()];
  const text = typeof name === 'string' ? name.trim() : '';
  return bad(
    `expected a class of workload.classes, got ${describe(value)}${text === '' ? `; expected one of: ${names.join(', ')}` : suggest(text, names)}`,
  );
}

/**
 * A shell command that writes the trace sorted by its time column next to it: GNU sort keeps
 * its memory bounded by spilling to temporary files, so it sorts a file of any length. A line
 * sort, so it suits CSV files without line breaks inside quoted fields; a date-time column
 * sorts as text, which is time order for times written alike (same format, same zone).
 */
function sortCommand(trace: TraceSource, kind: TraceRowsKind, column: number): string {
  const path = trace.path;
  const sorted = path.replace(/(\.[^./\\]*)?$/, '.sorted$1');
  const key = trace.timeUnit === 'datetime' ? '-k1,1' : '-k1,1g';
  if (kind === 'csv') {
    const field = key.replaceAll('1', String(column));
    return `(head -n 1 ${shellQuote(path)} && tail -n +2 ${shellQuote(path)} | LC_ALL=C sort -s -t, ${field}) > ${shellQuote(sorted)}`;
  }
  // Each record behind its time and a tab: compact JSON never holds a raw tab.
  const program = `"\\(.[${JSON.stringify(trace.timeColumn)}])\\t\\(tojson)"`;
  return `jq -r ${shellQuote(program)} ${shellQuote(path)} | LC_ALL=C sort -s -t "$(printf '\\t')" ${key} | cut -f 2- > ${shellQuote(sorted)}`;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** An empty JSONL file and a CSV file with a header alone are the same mistake, told the same way. */
export function noRequests(trace: TraceSource, reader: TraceReader): UserError {
  const { count, first } = reader.skipped;
  const skipped =
    count === 0
      ? ''
      : `: on_bad_row: skip passed over all ${count} of its rows, the first at line ${first[0].line} (${first[0].message})`;
  return new UserError({
    code: 'BAD_TRACE_ROW',
    file: trace.path,
    line: Math.max(1, reader.rows.line),
    col: 1,
    message: `the trace has no requests${skipped}`,
  });
}

/**
 * Replays a trace file, streamed: times rebased so the first request is at 0 and divided by
 * `speed`; stops after `limit` requests, or at the first request at or after `duration` or
 * `durationS` (replayed seconds). Attributes the trace does not map are NaN. `bootstrap` is not
 * applied here (see createBootstrapArrivals).
 */
export function createTraceArrivals(
  trace: TraceSource,
  durationS: number | null,
  options: TraceReadOptions = {},
): ArrivalSource {
  const reader = openTraceReader(trace, { ...options, endS: replayEndS(trace, durationS) });
  const limit = trace.limit ?? Number.POSITIVE_INFINITY;
  const speed = options.unscaled === true ? 1 : trace.speed;
  let produced = 0;
  return fileArrivals(trace, reader, (out, finish) => {
    if (produced >= limit) return finish();
    if (!reader.next(out)) {
      if (produced === 0 && limit > 0) throw noRequests(trace, reader);
      return finish();
    }
    out.timeS /= speed;
    produced++;
    return true;
  });
}

/**
 * An arrival source that reads with `step` (which calls `finish` when the replay is over). A bad
 * row that stops the replay ends it too: the file is released even if the caller never calls close().
 */
export function fileArrivals(
  trace: TraceSource,
  reader: TraceReader,
  step: (out: ArrivalRecord, finish: () => false) => boolean,
): ArrivalSource {
  const { rows } = reader;
  let done = false;
  const finish = (): false => {
    done = true;
    rows.close();
    return false;
  };
  const source: ArrivalSource = {
    next(out: ArrivalRecord): boolean {
      if (done) return false;
      try {
        return step(out, finish);
      } catch (error) {
        finish();
        throw error;
      }
    },
    close(): void {
      done = true;
      rows.close();
    },
  };
  if (trace.onBadRow === 'skip') source.skippedRows = () => reader.skipped;
  return source;
}

/** Replayed seconds at which `duration` or the run's `durationS`, whichever is sooner, ends a replay. */
export function replayEndS(trace: TraceSource, durationS: number | null): number {
  return Math.min(trace.duration ?? Number.POSITIVE_INFINITY, durationS ?? Number.POSITIVE_INFINITY);
}

interface TimeReader {
  /** Reads the current row's time; throws a BadRowError when it is not one. */
  parse(): void;
  /** Whether a row's time has been taken as the origin. */
  started(): boolean;
  /** The parsed time in seconds after the origin. */
  sinceFirst(): number;
  /** The same, first taking the parsed time as the origin if there is none yet. */
  start(): number;
}

/**
 * Reads times in seconds after the first good row's (before `speed`). Parsing and taking the
 * origin are apart, so that a row skipped for a bad attribute does not set the origin.
 */
function createTimeReader(
  unit: TimeUnit,
  rows: TraceRows,
  bad: (i: number, message: string) => never,
): TimeReader {
  if (unit === 'datetime') {
    let originWholeS = Number.NaN;
    let originFractionS = 0;
    let wholeS = 0;
    let fractionS = 0;
    const sinceFirst = () => wholeS - originWholeS + (fractionS - originFractionS);
    return {
      parse() {
        const raw = rows.value(0);
        const instant = typeof raw === 'string' ? parseDateTime(raw) : null;
        if (instant === null) {
          return bad(
            0,
            `expected a date-time such as "2023-11-16 18:17:03.0000000" or "2023-11-16T18:17:03Z", got ${describe(raw)}`,
          );
        }
        wholeS = instant.wholeS;
        fractionS = instant.fractionS;
      },
      started: () => !Number.isNaN(originWholeS),
      sinceFirst,
      start() {
        if (Number.isNaN(originWholeS)) {
          originWholeS = wholeS;
          originFractionS = fractionS;
        }
        return sinceFirst();
      },
    };
  }
  const unitsPerSecond = UNITS_PER_SECOND[unit];
  let origin = Number.NaN;
  let value = 0;
  // Subtract before scaling: epoch milliseconds (~1.7e12) keep their precision only as a difference.
  const sinceFirst = () => (value - origin) / unitsPerSecond;
  return {
    parse() {
      const raw = rows.value(0);
      value = toNumber(raw);
      if (!Number.isFinite(value)) bad(0, `expected a number of ${UNIT_NAMES[unit]}, got ${describe(raw)}`);
    },
    started: () => !Number.isNaN(origin),
    sinceFirst,
    start() {
      if (Number.isNaN(origin)) origin = value;
      return sinceFirst();
    },
  };
}

/** Ids below 2^53 stay exact as numbers. */
function isBlockId(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/**
 * Fills `prefix` from a trace's list of prefix-block ids (a JSON array, or text of integers
 * separated by spaces or semicolons): block `i` ends at (i + 1) x `blockTokens`, or with the
 * prompt (`inputTokens`, when known); blocks past the prompt's end are dropped. Nothing (a
 * missing key, null, an empty list): the prompt shares nothing.
 */
function readPrefixBlocks(
  raw: unknown,
  blockTokens: number,
  inputTokens: number,
  prefix: PromptPrefix,
  bad: (message: string) => never,
): void {
  prefix.segments = 0;
  if (raw === undefined || raw === null) return;
  let ids: ArrayLike<unknown>;
  if (Array.isArray(raw)) {
    ids = raw;
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    ids = text === '' ? [] : text.split(/[\s;]+/);
  } else {
    bad(`expected a list of prefix-block ids (non-negative integers), got ${describe(raw)}`);
  }
  const count = ids.length;
  if (count > prefix.hashes.length) {
    const size = Math.max(count, 2 * prefix.hashes.length);
    prefix.hashes = new Float64Array(size);
    prefix.ends = new Float64Array(size);
  }
  const limit = Number.isNaN(inputTokens) ? Number.POSITIVE_INFINITY : inputTokens;
  let segments = 0;
  for (let i = 0; i < count; i++) {
    const item = ids[i];
    const id =
      typeof item === 'number'
        ? item
        : typeof item === 'string' && /^\d+$/.test(item)
          ? Number(item)
          : Number.NaN;
    if (!isBlockId(id)) {
      bad(
        `prefix block ${i + 1} of ${count}: expected a non-negative integer id below 2^53, got ${describe(item)}`,
      );
    }
    const start = i * blockTokens;
    if (start >= limit) continue;
    prefix.hashes[segments] = id;
    prefix.ends[segments] = Math.min(start + blockTokens, limit);
    segments++;
  }
  prefix.segments = segments;
}

/** A finite number from a JSON number or numeric text; NaN otherwise (Number('') would be 0). */
function toNumber(raw: unknown): number {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : Number.NaN;
  if (typeof raw !== 'string' || raw.trim() === '') return Number.NaN;
  const value = Number(raw);
  return Number.isFinite(value) ? value : Number.NaN;
}

function describe(raw: unknown): string {
  if (raw === undefined) return 'nothing (the field is missing)';
  return typeof raw === 'string' ? excerpt(raw) : excerptJson(raw);
}

/**
 * Reads the rows a replay would (the window `limit`, `duration` and `durationS` leave) and notes
 * every bad one whatever `on_bad_row` says, keeping the first `shown` located: what `fleetsim
 * validate` reports. Throws what stops a replay either way: a missing file or column, a decreasing
 * time, and a trace without a request (unless bad rows are what it holds and they are errors).
 */
export function findBadRows(
  trace: TraceSource,
  durationS: number | null,
  shown: number,
): { requests: number; badRows: SkippedRows } {
  const reader = openTraceReader(
    { ...trace, onBadRow: 'skip' },
    { endS: replayEndS(trace, durationS), shown },
  );
  const limit = trace.limit ?? Number.POSITIVE_INFINITY;
  const record = createArrivalRecord();
  let requests = 0;
  try {
    while (requests < limit && reader.next(record)) requests++;
  } finally {
    reader.rows.close();
  }
  const badRows = reader.skipped;
  if (requests === 0 && limit > 0 && (trace.onBadRow === 'skip' || badRows.count === 0)) {
    throw noRequests(trace, reader);
  }
  return { requests, badRows };
}

/** `; did you mean "chat"?` for a near miss, else the names the value could have been. */
function suggest(word: string, names: readonly string[]): string {
  const [best] = closestNames(word, names, { count: 1, maxDistance: typoTolerance(word) });
  return best !== undefined ? `; did you mean "${best}"?` : `; expected one of: ${names.join(', ')}`;
}
