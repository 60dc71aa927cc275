import { CsvError, parse } from 'csv-parse/sync';
import { type Diagnostic, InvariantError, UserError } from '../scenario/types.js';
import { describeCsvError } from '../util/csv-error.js';
import { excerpt, excerptJson, headerExcerpt } from '../util/excerpt.js';
import { ChunkedFile, DEFAULT_CHUNK_BYTES, MAX_ROW_BYTES } from './chunked-text-file.js';

/** The rows of a CSV or JSONL trace, one at a time, with the requested fields picked out by name. */
export interface TraceRows {
  /** 1-based line in the file where the current row starts. */
  readonly line: number;
  /**
   * Moves to the next row; false at the end of the file. A malformed row throws a BadRowError
   * located at it; the next call goes on with the row after it.
   */
  next(): boolean;
  /** Field `i` (as listed when opened) of the current row: a string for CSV, any JSON value for JSONL; undefined if absent. */
  value(i: number): unknown;
  /** 1-based column to report for field `i`: the CSV field number; 1 for JSONL. */
  column(i: number): number;
  /** Byte offset in the file where the current row starts. */
  readonly byteOffset: number;
  /**
   * Continues with the row starting at byte `offset` (a `byteOffset` seen before), which is on
   * line `line`; the CSV header stays the one read when opened.
   */
  seek(offset: number, line: number): void;
  close(): void;
}

export type TraceRowsKind = 'csv' | 'jsonl';

/**
 * One row the reader cannot use (malformed, too long, a bad value), as opposed to a problem with
 * the file as a whole: a caller may pass over it and read on.
 */
export class BadRowError extends UserError {
  override name = 'BadRowError';
}

export function badRow(file: string, line: number, col: number, message: string): BadRowError {
  const diagnostic: Diagnostic = { code: 'BAD_TRACE_ROW', file, line, col, message };
  return new BadRowError(diagnostic);
}

export interface TraceRowsOptions {
  chunkBytes?: number;
  /** Longer rows are refused as bad rows (see MAX_ROW_BYTES). */
  maxRowBytes?: number;
}

/** Throws a UserError for a missing file or a missing column, and for a malformed header row. */
export function openTraceRows(
  path: string,
  kind: TraceRowsKind,
  fields: readonly string[],
  options: TraceRowsOptions = {},
): TraceRows {
  const maxRowBytes = options.maxRowBytes ?? MAX_ROW_BYTES;
  const file = new ChunkedFile(path, options.chunkBytes ?? DEFAULT_CHUNK_BYTES, maxRowBytes);
  try {
    return kind === 'csv'
      ? new CsvRows(path, file, fields, maxRowBytes)
      : new JsonlRows(path, file, fields, maxRowBytes);
  } catch (error) {
    file.close();
    throw error;
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const OPEN_BRACE = 0x7b;

/**
 * The error for a row over the limit. `quotedLines`: a CSV record whose quoted field runs on
 * over line breaks, most often a quote that is never closed.
 */
function tooLong(path: string, line: number, maxRowBytes: number, quotedLines = false): BadRowError {
  return badRow(
    path,
    line,
    1,
    quotedLines
      ? `row is longer than ${maxRowBytes} bytes, the most one trace row may hold: a quoted field from this line runs on over line breaks (is a quote not closed?)`
      : `line is longer than ${maxRowBytes} bytes, the most one trace row may hold`,
  );
}

/** Where the scan of a CSV record is: the states csv-parse moves through, as far as they decide where a record ends. */
const Field = { Start: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;

/**
 * csv-parse/sync needs whole records, so each batch handed to it ends at the last record end;
 * the partial record after it waits for the next chunk. The scan that finds record ends notes
 * the line where each record starts, which csv-parse cannot report reliably (it counts CR and LF
 * apart inside quotes). A quote opens a quoted field only at the start of a field, as csv-parse
 * reads it, so a stray quote inside a field spoils its own record alone.
 */
class CsvRows implements TraceRows {
  line = 0;
  byteOffset = Number.NaN;
  readonly #path: string;
  readonly #file: ChunkedFile;
  readonly #maxRowBytes: number;
  readonly #fieldIndex: number[];
  readonly #headerLength: number;
  /** Bytes after `file.start` already scanned. */
  #scanned = 0;
  #state: number = Field.Start;
  /** Line at the scan position, and where the partial record (at `file.start`) starts. */
  #scanLine = 1;
  #recordLine = 1;
  /** Inside a record too long to keep: its bytes are dropped up to its end. */
  #discarding = false;
  /** Records found by the last scan: buffer positions and lines. */
  #foundStarts: number[] = [];
  #foundEnds: number[] = [];
  #foundLines: number[] = [];
  /** Buffer position just after the last record end the last scan found. */
  #boundary = 0;
  #batch: string[][] = [];
  #batchLines: number[] = [];
  #batchBytes: number[] = [];
  /** Bad records of the batch, by index. */
  #batchErrors: Map<number, BadRowError> | null = null;
  #batchIndex = 0;
  #row: string[] = [];

  constructor(path: string, file: ChunkedFile, fields: readonly string[], maxRowBytes: number) {
    this.#path = path;
    this.#file = file;
    this.#maxRowBytes = maxRowBytes;
    if (!this.#nextRecord()) {
      throw badRow(path, 1, 1, 'the trace is empty: expected a header row naming the columns');
    }
    const header = this.#row.map((name) => name.trim());
    this.#headerLength = header.length;
    this.#fieldIndex = fields.map((name) => {
      const index = header.indexOf(name);
      if (index < 0) {
        throw new UserError({
          code: 'BAD_TRACE_ROW',
          file: path,
          line: this.line,
          col: 1,
          message: `column "${name}" not found; the header has: ${headerExcerpt(header)}`,
        });
      }
      return index;
    });
  }

  next(): boolean {
    if (!this.#nextRecord()) return false;
    const length = this.#row.length;
    if (length !== this.#headerLength) {
      const col = Math.min(length, this.#headerLength) + 1;
      throw badRow(
        this.#path,
        this.line,
        col,
        `expected ${this.#headerLength} fields as in the header, got ${length}`,
      );
    }
    return true;
  }

  value(i: number): unknown {
    return this.#row[this.#fieldIndex[i]];
  }

  column(i: number): number {
    return this.#fieldIndex[i] + 1;
  }

  seek(offset: number, line: number): void {
    this.#file.seek(offset);
    this.#scanned = 0;
    this.#state = Field.Start;
    this.#scanLine = line;
    this.#recordLine = line;
    this.#discarding = false;
    this.#batch = [];
    this.#batchIndex = 0;
  }

  close(): void {
    this.#file.close();
    this.#batch = [];
  }

  /** Moves to the next record (the header, the first time); throws the BadRowError of a bad one. */
  #nextRecord(): boolean {
    while (this.#batchIndex >= this.#batch.length) {
      if (!this.#readBatch()) return false;
    }
    const i = this.#batchIndex++;
    this.#row = this.#batch[i];
    this.line = this.#batchLines[i];
    this.byteOffset = this.#batchBytes[i];
    const error = this.#batchErrors?.get(i);
    if (error !== undefined) throw error;
    return true;
  }

  /** Reads on until at least one record (good or bad) is complete; false at the end of the file. */
  #readBatch(): boolean {
    const file = this.#file;
    for (;;) {
      if (this.#scan() > 0) {
        this.#takeFound();
        return true;
      }
      // Blank lines alone: nothing to parse, but their bytes are done with.
      file.start = this.#boundary;
      this.#scanned = file.end - file.start;
      if (this.#discarding) {
        file.discard();
        this.#scanned = 0;
      } else if (file.end - file.start > this.#maxRowBytes) {
        this.#setBatch([[]], [this.#recordLine], [file.base + file.start]);
        this.#batchErrors = new Map([[0, this.#tooLong(file.start, this.#recordLine)]]);
        this.#discarding = true;
        file.discard();
        this.#scanned = 0;
        return true;
      }
      if (!file.fill()) {
        // The file ends inside the record being dropped, or the last record has no line break after it.
        if (this.#discarding || isBlank(file.buffer, file.start, file.end)) return false;
        this.#foundStarts.push(file.start);
        this.#foundEnds.push(withoutCr(file.buffer, file.start, file.end));
        this.#foundLines.push(this.#recordLine);
        this.#boundary = file.end;
        this.#takeFound();
        return true;
      }
    }
  }

  /**
   * Scans the new bytes for record ends; returns how many non-blank records it found. Outside
   * quotes it looks byte by byte only at quotes: a line without one ends a record at its line
   * feed, found by Buffer.indexOf, which is what makes the scan cheap for most traces.
   */
  #scan(): number {
    const file = this.#file;
    const buffer = file.buffer;
    const end = file.end;
    let state = this.#state;
    let line = this.#scanLine;
    let recordStart = file.start;
    this.#boundary = file.start;
    let pos = file.start + this.#scanned;
    // The next quote and line feed at or after `pos` (`end` if none), each searched for once.
    let quote = -1;
    let newline = -1;
    while (pos < end) {
      if (quote < pos) quote = find(buffer, QUOTE, pos, end);
      if (newline < pos) newline = find(buffer, NEWLINE, pos, end);
      if (state === Field.Quoted) {
        while (newline < quote) {
          line++;
          newline = find(buffer, NEWLINE, newline + 1, end);
        }
        if (quote === end) break;
        state = Field.QuoteInQuoted;
        pos = quote + 1;
        continue;
      }
      if (state === Field.QuoteInQuoted) {
        const c = buffer[pos];
        if (c !== NEWLINE) {
          state = c === QUOTE ? Field.Quoted : c === COMMA ? Field.Start : Field.Unquoted;
          pos++;
          continue;
        }
      } else if (quote < newline) {
        // A quote opens a field only where a field starts.
        const atFieldStart = quote === pos ? state === Field.Start : buffer[quote - 1] === COMMA;
        state = atFieldStart ? Field.Quoted : Field.Unquoted;
        pos = quote + 1;
        continue;
      } else if (newline === end) {
        state = buffer[end - 1] === COMMA ? Field.Start : Field.Unquoted;
        break;
      }
      line++;
      state = Field.Start;
      if (this.#discarding) this.#discarding = false;
      else if (!isBlank(buffer, recordStart, newline)) {
        this.#foundStarts.push(recordStart);
        this.#foundEnds.push(withoutCr(buffer, recordStart, newline));
        this.#foundLines.push(this.#recordLine);
      }
      pos = newline + 1;
      recordStart = pos;
      this.#boundary = pos;
      this.#recordLine = line;
    }
    this.#scanned = end - file.start;
    this.#state = state;
    this.#scanLine = line;
    return this.#foundStarts.length;
  }

  /**
   * The error for a record at buffer position `start` found longer than the limit. Whether a line
   * break comes within the limit decides the message: it depends on the record, not on where a
   * chunk happened to end.
   */
  #tooLong(start: number, line: number): BadRowError {
    const limitEnd = start + this.#maxRowBytes + 1;
    return tooLong(
      this.#path,
      line,
      this.#maxRowBytes,
      find(this.#file.buffer, NEWLINE, start, limitEnd) < limitEnd,
    );
  }

  /** Parses the records the scan found into the batch, and consumes their bytes. */
  #takeFound(): void {
    const file = this.#file;
    const starts = this.#foundStarts;
    const ends = this.#foundEnds;
    const bytes = starts.map((start) => file.base + start);
    const records = this.#parseAll(starts, ends);
    this.#setBatch(records ?? starts.map(() => []), this.#foundLines, bytes);
    if (records === null) this.#parseEach(starts, ends);
    this.#foundStarts = [];
    this.#foundEnds = [];
    this.#foundLines = [];
    file.start = this.#boundary;
    this.#scanned = file.end - file.start;
  }

  #setBatch(records: string[][], lines: number[], bytes: number[]): void {
    this.#batch = records;
    this.#batchLines = lines;
    this.#batchBytes = bytes;
    this.#batchErrors = null;
    this.#batchIndex = 0;
  }

  /** All the records in one call to csv-parse; null when one of them is bad or too long. */
  #parseAll(starts: number[], ends: number[]): string[][] | null {
    for (let i = 0; i < starts.length; i++) {
      if (ends[i] - starts[i] > this.#maxRowBytes) return null;
    }
    // Bytes, not text: csv-parse reads bytes, and would encode text back into them.
    const bytes = this.#file.buffer.subarray(starts[0], ends[ends.length - 1]);
    try {
      const records = parseCsv(bytes);
      return records.length === starts.length ? records : null;
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      return null;
    }
  }

  /** Parses each record on its own, so that a bad one is located and the others kept. */
  #parseEach(starts: number[], ends: number[]): void {
    const errors = new Map<number, BadRowError>();
    const buffer = this.#file.buffer;
    for (let i = 0; i < starts.length; i++) {
      const line = this.#batchLines[i];
      if (ends[i] - starts[i] > this.#maxRowBytes) {
        errors.set(i, this.#tooLong(starts[i], line));
        continue;
      }
      try {
        const records = parseCsv(buffer.subarray(starts[i], ends[i]));
        if (records.length !== 1) {
          throw new InvariantError(
            `CSV record at ${this.#path}:${line}: csv-parse found ${records.length} records where the scan found 1`,
          );
        }
        this.#batch[i] = records[0];
      } catch (error) {
        if (!(error instanceof CsvError)) throw error;
        const failed = error as CsvError & { index?: number };
        errors.set(i, badRow(this.#path, line, (failed.index ?? 0) + 1, describeCsvText(failed)));
      }
    }
    this.#batchErrors = errors;
  }
}

function parseCsv(bytes: Buffer): string[][] {
  return parse(bytes, {
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: ['\r\n', '\n'],
  });
}

/**
 * Position of the first `byte` in buffer[from, to), or `to`. indexOf may look past `to`, at bytes
 * of an earlier read; callers search each stretch once.
 */
function find(buffer: Buffer, byte: number, from: number, to: number): number {
  if (from >= to) return to;
  const at = buffer.indexOf(byte, from);
  return at < 0 || at > to ? to : at;
}

/** The end of a record at `end` without the CR of a CRLF line ending. */
function withoutCr(buffer: Buffer, start: number, end: number): number {
  return end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
}

/** True when buffer[start, end) is an empty line (a lone CR counts as empty, as csv-parse skips it too). */
function isBlank(buffer: Buffer, start: number, end: number): boolean {
  return end === start || (end === start + 1 && buffer[start] === CARRIAGE_RETURN);
}

/**
 * V8 quotes the text it could not parse in its message, raw and up to a few dozen characters;
 * the message keeps its reason, with control characters escaped, and quotes the line as an excerpt.
 */
function describeJsonError(error: Error, text: string): string {
  const reason = error.message
    .replace(/,? (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `invalid JSON: ${reason}; the line reads ${excerpt(text)}`;
}

/** Marks `#lineEnd`'s answer for a line that outgrew the limit before its line break arrived. */
const TOO_LONG = -2;

/** One JSON object per line; blank lines are skipped. */
class JsonlRows implements TraceRows {
  line = 0;
  byteOffset = Number.NaN;
  readonly #path: string;
  readonly #file: ChunkedFile;
  readonly #fields: readonly string[];
  readonly #maxRowBytes: number;
  #nextLine = 1;
  /** Bytes after `file.start` already searched for a line feed. */
  #scanned = 0;
  /** Inside a line too long to keep: its bytes are dropped up to its line feed. */
  #discarding = false;
  #row: Record<string, unknown> = {};

  constructor(path: string, file: ChunkedFile, fields: readonly string[], maxRowBytes: number) {
    this.#path = path;
    this.#file = file;
    this.#fields = fields;
    this.#maxRowBytes = maxRowBytes;
  }

  seek(offset: number, line: number): void {
    this.#file.seek(offset);
    this.#nextLine = line;
    this.#scanned = 0;
    this.#discarding = false;
  }

  next(): boolean {
    const file = this.#file;
    for (;;) {
      const newline = this.#lineEnd();
      if (newline === -1) return false;
      const start = file.start;
      if (newline === TOO_LONG) {
        this.#startLine(start);
        this.#discarding = true;
        file.discard();
        this.#scanned = 0;
        throw tooLong(this.#path, this.line, this.#maxRowBytes);
      }
      file.start = Math.min(newline + 1, file.end);
      this.#scanned = 0;
      if (this.#discarding) {
        // The end of a line already reported as too long.
        this.#discarding = false;
        continue;
      }
      this.#startLine(start);
      if (newline - start > this.#maxRowBytes) throw tooLong(this.#path, this.line, this.#maxRowBytes);
      const text = file.buffer.toString('utf8', start, withoutCr(file.buffer, start, newline));
      // Nearly every line starts its object at once: only the others need looking at for blankness.
      if (file.buffer[start] !== OPEN_BRACE && text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw this.#error(describeJsonError(error as Error, text));
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        const got = typeof parsed === 'string' ? excerpt(parsed) : excerptJson(parsed);
        throw this.#error(`expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : got}`);
      }
      this.#row = parsed as Record<string, unknown>;
      return true;
    }
  }

  value(i: number): unknown {
    const key = this.#fields[i];
    return Object.hasOwn(this.#row, key) ? this.#row[key] : undefined;
  }

  column(): number {
    return 1;
  }

  close(): void {
    this.#file.close();
    this.#row = {};
  }

  #startLine(start: number): void {
    this.line = this.#nextLine++;
    this.byteOffset = this.#file.base + start;
  }

  /**
   * Buffer position of the line feed ending the line at `file.start` (`file.end` when the file
   * ends without one), -1 at the end of the file, or TOO_LONG. Only bytes not searched before are.
   */
  #lineEnd(): number {
    const file = this.#file;
    for (;;) {
      const from = file.start + this.#scanned;
      if (from < file.end) {
        // indexOf may look past `end`, at bytes of an earlier read: a line feed found there is not one.
        const found = file.buffer.indexOf(NEWLINE, from);
        if (found >= 0 && found < file.end) return found;
      }
      this.#scanned = file.end - file.start;
      if (this.#discarding) {
        file.discard();
        this.#scanned = 0;
      } else if (this.#scanned > this.#maxRowBytes) {
        return TOO_LONG;
      }
      if (!file.fill()) return file.end > file.start ? file.end : -1;
    }
  }

  #error(message: string): BadRowError {
    return badRow(this.#path, this.line, 1, message);
  }
}

/** csv-parse messages name a line within the batch, not the file; the diagnostic carries the real one. */
function describeCsvText(error: CsvError): string {
  return describeCsvError(error) ?? `invalid CSV: ${error.message.replace(/ at line \d+/, '')}`;
}
