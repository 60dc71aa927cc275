import { extname } from 'node:path';
import { UserError } from '../scenario/types.js';
import { EXCERPT_CHARS, excerpt } from '../util/excerpt.js';
import { DEFAULT_CHUNK_BYTES } from './chunked-text-file.js';
import { openTraceRows, type TraceRowsKind } from './trace-rows.js';

/**
 * How a measured request ended: the buckets of summary.json's `requests`, except that a request
 * an LLM fleet could never hold (`rejected`, which summary.json counts as `dropped` and names in
 * `llm.fleets.<fleet>.rejected`) is told apart from one turned away by a full queue.
 */
export const REQUEST_OUTCOMES = [
  'completed',
  'dropped',
  'rejected',
  'timed_out',
  'in_flight_at_end',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** The keys of a line of requests.jsonl, in the order written; the header of the same table as CSV. */
export const REQUEST_COLUMNS = [
  'arrival',
  'first_token',
  'finish',
  'input_tokens',
  'output_tokens',
  'fleet',
  'replica',
  'outcome',
  'variant',
] as const;

/**
 * One measured request. Times are seconds from the run's start (time 0 of the simulation, or of a
 * measured run), as the client sees them: a request's way over a modelled network is included.
 */
export interface RequestRecord {
  arrival: number;
  /** When its first token reached the client: completed requests on LLM fleets; null otherwise. */
  first_token: number | null;
  /** When it completed, was turned away (its arrival), or gave up waiting; null while still in flight. */
  finish: number | null;
  /** null when the workload gives requests no such attribute. */
  input_tokens: number | null;
  output_tokens: number | null;
  /** The simulator always names it; a measured file may leave it empty. */
  fleet: string | null;
  /** Its replica's number in the fleet, counted in launch order from 0; null if it never reached one. */
  replica: number | null;
  outcome: RequestOutcome;
  /** The simulator always names it; a measured file may leave it empty. */
  variant: string | null;
  /** Its request class: present (after `variant`) only when the workload has more than one. */
  class?: string;
}

/**
 * Microsecond resolution, without the zeros that end a fraction: `toFixed` rounds as the language
 * defines it, so the text is the same on every platform (and formats several times faster than
 * the shortest round-trip text of a rounded number).
 */
function seconds(value: number | null): string {
  if (value === null) return 'null';
  const fixed = value.toFixed(6);
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === ZERO) end--;
  if (fixed.charCodeAt(end - 1) === DOT) end--;
  return fixed.slice(0, end);
}

const ZERO = 0x30;
const DOT = 0x2e;

function count(value: number | null): string {
  return value === null ? 'null' : String(value);
}

function text(value: string | null): string {
  return value === null ? 'null' : JSON.stringify(value);
}

/** One line of requests.jsonl, newline included: the keys of `REQUEST_COLUMNS` in their order, then `class` when the record has one. */
export function formatRequestLine(r: RequestRecord): string {
  return `{"arrival":${seconds(r.arrival)},"first_token":${seconds(r.first_token)},"finish":${seconds(
    r.finish,
  )},"input_tokens":${count(r.input_tokens)},"output_tokens":${count(r.output_tokens)},"fleet":${text(
    r.fleet,
  )},"replica":${count(r.replica)},"outcome":"${r.outcome}","variant":${text(r.variant)}${
    r.class === undefined ? '' : `,"class":${text(r.class)}`
  }}\n`;
}

export interface ReadRequestsOptions {
  /** Default: `csv` for a `.csv` file, else `jsonl`. */
  format?: TraceRowsKind;
  chunkBytes?: number;
}

/**
 * The records of a requests file (requests.jsonl as `fleetsim run --requests` writes it, or a CSV
 * with the same columns), one at a time, so memory does not grow with the file. Every column must
 * be there (CSV header or JSON keys, in any order; others are ignored); a value may be empty (CSV)
 * or null (JSON) where the record allows null. Throws a BAD_TRACE_ROW UserError located at the
 * line and column of the first bad value. Breaking out of the loop closes the file.
 */
export function* readRequestRecords(
  path: string,
  options: ReadRequestsOptions = {},
): Generator<RequestRecord> {
  const kind = options.format ?? (extname(path).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const rows = openTraceRows(path, kind, REQUEST_COLUMNS, {
    chunkBytes: options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
  });

  function fail(i: number, message: string): never {
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: rows.line,
      col: rows.column(i),
      message: `${kind === 'csv' ? 'column' : 'key'} "${REQUEST_COLUMNS[i]}": ${message}`,
    });
  }
  /** The field's value; null for an empty CSV field or a JSON null. */
  function raw(i: number): unknown {
    const value = rows.value(i);
    if (value === undefined) fail(i, 'missing (write null where there is no value)');
    if (kind === 'jsonl') return value;
    const field = (value as string).trim();
    return field === '' ? null : field;
  }
  function number(i: number, what: string, integer = false): number | null {
    const value = raw(i);
    if (value === null) return null;
    const n = typeof value === 'number' || kind === 'csv' ? Number(value) : Number.NaN;
    if (!(Number.isFinite(n) && n >= 0 && (!integer || Number.isInteger(n)))) {
      fail(i, `expected ${what}, got ${describe(value)}`);
    }
    return n;
  }
  function name(i: number): string | null {
    const value = raw(i);
    if (value === null || typeof value === 'string') return value;
    return fail(i, `expected a name, got ${describe(value)}`);
  }

  try {
    while (rows.next()) {
      const arrival = number(0, 'seconds (a non-negative number)');
      if (arrival === null) fail(0, 'expected seconds (a non-negative number), got nothing');
      const firstToken = number(1, 'seconds (a non-negative number) or nothing');
      const finish = number(2, 'seconds (a non-negative number) or nothing');
      const outcome = raw(7);
      if (!REQUEST_OUTCOMES.includes(outcome as RequestOutcome)) {
        fail(7, `expected one of ${REQUEST_OUTCOMES.join(', ')}, got ${describe(outcome)}`);
      }
      if (outcome === 'completed' && finish === null) fail(2, 'a completed request needs its finish time');
      if (outcome === 'in_flight_at_end' && finish !== null) {
        fail(2, 'a request still in flight at the end has no finish time (leave it empty)');
      }
      if (firstToken !== null && firstToken < arrival) {
        fail(1, `the first token (${firstToken} s) comes before the arrival (${arrival} s)`);
      }
      if (finish !== null && finish < (firstToken ?? arrival)) {
        const before =
          firstToken === null ? `the arrival (${arrival} s)` : `the first token (${firstToken} s)`;
        fail(2, `the finish (${finish} s) comes before ${before}`);
      }
      yield {
        arrival,
        first_token: firstToken,
        finish,
        input_tokens: number(3, 'a non-negative number or nothing'),
        output_tokens: number(4, 'a non-negative number or nothing'),
        fleet: name(5),
        replica: number(6, 'a replica number (a non-negative integer) or nothing', true),
        outcome: outcome as RequestOutcome,
        variant: name(8),
      };
    }
  } finally {
    rows.close();
  }
}

/** A value for a message: text quoted as an excerpt, JSON values as written (cut as long as an excerpt). */
function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (typeof value === 'string') return excerpt(value);
  const json = JSON.stringify(value);
  return json.length > EXCERPT_CHARS ? `${json.slice(0, EXCERPT_CHARS)}…` : json;
}
