import { TRACE_PRESETS } from '../scenario/trace-presets.js';
import { REQUEST_ATTRIBUTES, type TimeUnit, type TraceSource, UserError } from '../scenario/types.js';
import { excerpt } from '../util/excerpt.js';
import type { ArrivalRecord, ArrivalSource } from './arrival-source.js';
import { DEFAULT_CHUNK_BYTES } from './chunked-text-file.js';
import { formatNumber } from './format-number.js';
import { openTraceRows, type TraceRows, type TraceRowsKind } from './trace-rows.js';
import { parseDateTime } from './trace-time.js';

const UNITS_PER_SECOND: Record<Exclude<TimeUnit, 'datetime'>, number> = { s: 1, ms: 1e3, us: 1e6 };
const UNIT_NAMES: Record<Exclude<TimeUnit, 'datetime'>, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
};

/** The presets are CSV or JSONL underneath; they differ only in the column names they fill in. */
function rowsKindOf(format: TraceSource['format']): TraceRowsKind {
  return format === 'csv' || format === 'jsonl' ? format : TRACE_PRESETS[format].layout;
}

/** A trace file opened for replay: its rows, with the time and request attributes read from the current one. */
export interface TraceReader {
  readonly rows: TraceRows;
  /** The current row's time in seconds after the first row's, before `speed`. */
  timeS(): number;
  /** Fills `out`'s request attributes from the current row (NaN where the trace has none). */
  readAttributes(out: ArrivalRecord): void;
  /** Throws a BAD_TRACE_ROW UserError about field `i` (0: the time) of the current row. */
  fail(i: number, message: string): never;
}

/** Opens `trace` and checks its header; `offsets` makes `rows.byteOffset` available (see TraceRows). */
export function openTraceReader(trace: TraceSource, chunkBytes: number, offsets = false): TraceReader {
  const kind = rowsKindOf(trace.format);
  const fields = [trace.timeColumn];
  // Index in `fields` of each request attribute, in REQUEST_ATTRIBUTES order; -1 = not in the trace.
  const attributeField = REQUEST_ATTRIBUTES.map((attribute) => {
    const column = trace.columns[attribute];
    if (column === undefined) return -1;
    fields.push(column);
    return fields.length - 1;
  });
  const rows = openTraceRows(trace.path, kind, fields, chunkBytes, offsets);
  const label = (i: number) => `${kind === 'csv' ? 'column' : 'key'} "${fields[i]}"`;
  const fail = (i: number, message: string): never => {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: trace.path,
      line: rows.line,
      col: rows.column(i),
      message: `${label(i)}: ${message}`,
    });
  };
  const readAttribute = (field: number): number => {
    if (field < 0) return Number.NaN;
    const value = toNumber(rows.value(field));
    if (!(value >= 0)) fail(field, `expected a non-negative number, got ${describe(rows.value(field))}`);
    return value;
  };
  return {
    rows,
    timeS: createTimeReader(trace.timeUnit, rows, fail),
    readAttributes(out) {
      out.input_tokens = readAttribute(attributeField[0]);
      out.output_tokens = readAttribute(attributeField[1]);
      out.request_bytes = readAttribute(attributeField[2]);
      out.response_bytes = readAttribute(attributeField[3]);
    },
    fail,
  };
}

/** An empty JSONL file and a CSV file with a header alone are the same mistake, told the same way. */
export function noRequests(trace: TraceSource, rows: TraceRows): UserError {
  return new UserError({
    code: 'BAD_TRACE_ROW',
    file: trace.path,
    line: Math.max(1, rows.line),
    col: 1,
    message: 'the trace has no requests',
  });
}

/** Throws unless `traceS` (after `previousS`, both before `speed`) keeps the arrivals in order. */
export function checkOrder(reader: TraceReader, previousS: number, traceS: number): void {
  if (traceS < previousS) {
    reader.fail(
      0,
      `arrival times must not decrease (previous ${formatNumber(previousS)} s, ` +
        `this ${formatNumber(traceS)} s after the first request)`,
    );
  }
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
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
): ArrivalSource {
  const reader = openTraceReader(trace, chunkBytes);
  const { rows } = reader;
  const limit = trace.limit ?? Number.POSITIVE_INFINITY;
  const endS = replayEndS(trace, durationS);
  let produced = 0;
  let previousS = 0;
  return fileArrivals(rows, (out, finish) => {
    if (produced >= limit) return finish();
    if (!rows.next()) {
      if (produced === 0 && limit > 0) throw noRequests(trace, rows);
      return finish();
    }
    const traceS = reader.timeS();
    checkOrder(reader, previousS, traceS);
    previousS = traceS;
    const timeS = traceS / trace.speed;
    if (!(timeS < endS)) return finish();
    out.timeS = timeS;
    reader.readAttributes(out);
    produced++;
    return true;
  });
}

/**
 * An arrival source that reads `rows` with `step` (which calls `finish` when the replay is over).
 * A bad row ends the replay too: the file is released even if the caller never calls close().
 */
export function fileArrivals(
  rows: TraceRows,
  step: (out: ArrivalRecord, finish: () => false) => boolean,
): ArrivalSource {
  let done = false;
  const finish = (): false => {
    done = true;
    rows.close();
    return false;
  };
  return {
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
}

/** Replayed seconds at which `duration` or the run's `durationS`, whichever is sooner, ends a replay. */
export function replayEndS(trace: TraceSource, durationS: number | null): number {
  return Math.min(trace.duration ?? Number.POSITIVE_INFINITY, durationS ?? Number.POSITIVE_INFINITY);
}

/** Returns a reader of the current row's time in seconds after the first row's (before `speed`). */
function createTimeReader(
  unit: TimeUnit,
  rows: TraceRows,
  fail: (i: number, message: string) => never,
): () => number {
  if (unit === 'datetime') {
    let originWholeS = Number.NaN;
    let originFractionS = 0;
    return () => {
      const raw = rows.value(0);
      const instant = typeof raw === 'string' ? parseDateTime(raw) : null;
      if (instant === null) {
        return fail(
          0,
          `expected a date-time such as "2023-11-16 18:17:03.0000000" or "2023-11-16T18:17:03Z", got ${describe(raw)}`,
        );
      }
      if (Number.isNaN(originWholeS)) {
        originWholeS = instant.wholeS;
        originFractionS = instant.fractionS;
      }
      return instant.wholeS - originWholeS + (instant.fractionS - originFractionS);
    };
  }
  const unitsPerSecond = UNITS_PER_SECOND[unit];
  let origin = Number.NaN;
  return () => {
    const raw = rows.value(0);
    const value = toNumber(raw);
    if (!Number.isFinite(value)) fail(0, `expected a number of ${UNIT_NAMES[unit]}, got ${describe(raw)}`);
    if (Number.isNaN(origin)) origin = value;
    // Subtract before scaling: epoch milliseconds (~1.7e12) keep their precision only as a difference.
    return (value - origin) / unitsPerSecond;
  };
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
  return typeof raw === 'string' ? excerpt(raw) : excerpt(JSON.stringify(raw) ?? String(raw));
}
