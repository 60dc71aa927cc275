import { CsvError, parse } from 'csv-parse/sync';
import { InvariantError, UserError } from '../scenario/types.js';
import { headerExcerpt } from '../util/excerpt.js';
import { ChunkedTextFile, DEFAULT_CHUNK_BYTES } from './chunked-text-file.js';

/** The rows of a CSV or JSONL trace, one at a time, with the requested fields picked out by name. */
export interface TraceRows {
  /** 1-based line in the file where the current row starts. */
  readonly line: number;
  /** Moves to the next row; false at the end of the file. */
  next(): boolean;
  /** Field `i` (as listed when opened) of the current row: a string for CSV, any JSON value for JSONL; undefined if absent. */
  value(i: number): unknown;
  /** 1-based column to report for field `i`: the CSV field number; 1 for JSONL. */
  column(i: number): number;
  /** Byte offset in the file where the current row starts; NaN unless opened with `offsets`. */
  readonly byteOffset: number;
  /**
   * Continues with the row starting at byte `offset` (a `byteOffset` seen before), which is on
   * line `line`; the CSV header stays the one read when opened.
   */
  seek(offset: number, line: number): void;
  close(): void;
}

export type TraceRowsKind = 'csv' | 'jsonl';

/** Throws a UserError for a missing file, a missing column or a malformed row. */
export function openTraceRows(
  path: string,
  kind: TraceRowsKind,
  fields: readonly string[],
  chunkBytes: number = DEFAULT_CHUNK_BYTES,
  offsets = false,
): TraceRows {
  const file = new ChunkedTextFile(path, chunkBytes);
  try {
    return kind === 'csv'
      ? new CsvRows(path, file, fields, offsets)
      : new JsonlRows(path, file, fields, offsets);
  } catch (error) {
    file.close();
    throw error;
  }
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * csv-parse/sync needs whole records, so each batch handed to it ends at the last newline outside
 * quotes; the partial record after it waits for the next chunk. The same scan notes the line where
 * each record starts, which csv-parse cannot report reliably (it counts CR and LF apart inside quotes).
 */
class CsvRows implements TraceRows {
  line = 0;
  readonly #path: string;
  readonly #file: ChunkedTextFile;
  readonly #fieldIndex: number[];
  readonly #headerLength: number;
  #pending = '';
  #scanPos = 0;
  /** Where in #pending the record being scanned starts: blank lines before it stay until a batch is cut. */
  #recordStart = 0;
  #inQuotes = false;
  #scanLine = 1;
  #recordLine = 1;
  #pendingStarts: number[] = [];
  #batch: string[][] = [];
  #batchLines: number[] = [];
  #batchIndex = 0;
  #row: string[] = [];
  // Byte offsets are counted only when asked for: they cost a second look at every character.
  readonly #offsets: boolean;
  /** Byte offset in the file of the first character of #pending. */
  #pendingByte = 0;
  /** Character index in #pending of each record start in #pendingStarts. */
  #pendingStartChars: number[] = [];
  #batchBytes: number[] = [];

  constructor(path: string, file: ChunkedTextFile, fields: readonly string[], offsets: boolean) {
    this.#path = path;
    this.#file = file;
    this.#offsets = offsets;
    this.#pendingByte = file.textStart;
    if (!this.#nextRecord()) {
      throw this.#error(1, 1, 'the trace is empty: expected a header row naming the columns');
    }
    const header = this.#row.map((name) => name.trim());
    this.#headerLength = header.length;
    this.#fieldIndex = fields.map((name) => {
      const index = header.indexOf(name);
      if (index < 0) {
        throw this.#error(
          this.line,
          1,
          `column "${name}" not found; the header has: ${headerExcerpt(header)}`,
        );
      }
      return index;
    });
  }

  next(): boolean {
    if (!this.#nextRecord()) return false;
    const length = this.#row.length;
    if (length !== this.#headerLength) {
      const col = Math.min(length, this.#headerLength) + 1;
      throw this.#error(
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

  get byteOffset(): number {
    return this.#offsets ? this.#batchBytes[this.#batchIndex - 1] : Number.NaN;
  }

  seek(offset: number, line: number): void {
    this.#file.seek(offset);
    this.#pending = '';
    this.#scanPos = 0;
    this.#recordStart = 0;
    this.#inQuotes = false;
    this.#scanLine = line;
    this.#recordLine = line;
    this.#pendingStarts = [];
    this.#pendingStartChars = [];
    this.#batch = [];
    this.#batchLines = [];
    this.#batchBytes = [];
    this.#batchIndex = 0;
    this.#pendingByte = offset;
  }

  close(): void {
    this.#file.close();
    this.#pending = '';
    this.#batch = [];
  }

  #nextRecord(): boolean {
    while (this.#batchIndex >= this.#batch.length) {
      if (!this.#readBatch()) return false;
    }
    this.#row = this.#batch[this.#batchIndex];
    this.line = this.#batchLines[this.#batchIndex];
    this.#batchIndex++;
    return true;
  }

  #readBatch(): boolean {
    for (;;) {
      const text = this.#file.read();
      if (text === null) {
        // The last record has no newline after it.
        if (isBlank(this.#pending, this.#recordStart, this.#pending.length)) return false;
        this.#pendingStarts.push(this.#recordLine);
        this.#pendingStartChars.push(this.#recordStart);
        this.#parseBatch(this.#pending);
        this.#pending = '';
        this.#scanPos = 0;
        this.#recordStart = 0;
        return true;
      }
      this.#pending += text;
      const boundary = this.#scan();
      if (this.#pendingStarts.length > 0) {
        this.#parseBatch(this.#pending.slice(0, boundary));
        if (this.#offsets) this.#pendingByte += utf8Length(this.#pending, 0, boundary);
        this.#pending = this.#pending.slice(boundary);
        this.#scanPos -= boundary;
        this.#recordStart -= boundary;
        return true;
      }
    }
  }

  /** Scans the new text for record ends; returns the offset just after the last one (0 if none). */
  #scan(): number {
    const text = this.#pending;
    let inQuotes = this.#inQuotes;
    let line = this.#scanLine;
    let recordStart = this.#recordStart;
    let boundary = 0;
    for (let pos = this.#scanPos; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      // An escaped quote ("") toggles twice, which leaves the state as it was.
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (c === NEWLINE) {
        line++;
        if (!inQuotes) {
          if (!isBlank(text, recordStart, pos)) {
            this.#pendingStarts.push(this.#recordLine);
            if (this.#offsets) this.#pendingStartChars.push(recordStart);
          }
          recordStart = pos + 1;
          boundary = recordStart;
          this.#recordLine = line;
        }
      }
    }
    this.#scanPos = text.length;
    this.#recordStart = recordStart;
    this.#inQuotes = inQuotes;
    this.#scanLine = line;
    return boundary;
  }

  #parseBatch(text: string): void {
    const starts = this.#pendingStarts;
    let records: string[][];
    try {
      records = parse(text, {
        relax_column_count: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
      });
    } catch (error) {
      if (!(error instanceof CsvError)) throw error;
      const failed = error as CsvError & { records?: number; index?: number };
      const line = starts[Math.min(failed.records ?? 0, starts.length - 1)];
      throw this.#error(line, (failed.index ?? 0) + 1, describeCsvError(failed));
    }
    if (records.length !== starts.length) {
      throw new InvariantError(
        `CSV batch of ${this.#path}: csv-parse found ${records.length} records where the scan found ${starts.length}`,
      );
    }
    this.#batch = records;
    this.#batchLines = starts;
    this.#batchIndex = 0;
    this.#pendingStarts = [];
    if (this.#offsets) {
      const chars = this.#pendingStartChars;
      const bytes: number[] = [];
      let byte = this.#pendingByte;
      let char = 0;
      for (const start of chars) {
        byte += utf8Length(text, char, start);
        char = start;
        bytes.push(byte);
      }
      this.#batchBytes = bytes;
      this.#pendingStartChars = [];
    }
  }

  #error(line: number, col: number, message: string): UserError {
    return new UserError({ code: 'BAD_TRACE_ROW', file: this.#path, line, col, message });
  }
}

/** Bytes of text[start, end) in UTF-8: two per character of a surrogate pair, as the pair is four. */
function utf8Length(text: string, start: number, end: number): number {
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c < 0xe000) ? 2 : 3;
  }
  return bytes;
}

/** True when text[start, end) is an empty line (a lone CR counts as empty, as csv-parse skips it too). */
function isBlank(text: string, start: number, end: number): boolean {
  return end === start || (end === start + 1 && text.charCodeAt(start) === CARRIAGE_RETURN);
}

/** csv-parse messages name a line within the batch, not the file; the diagnostic carries the real one. */
function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'invalid CSV: a quoted field is not closed before the end of the file';
    case 'INVALID_OPENING_QUOTE':
      return 'invalid CSV: a quote inside an unquoted field (quote the whole field and double the quote)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'invalid CSV: text after the closing quote of a field';
    default:
      return `invalid CSV: ${error.message.replace(/ at line \d+/, '')}`;
  }
}

/** One JSON object per line; blank lines are skipped. */
class JsonlRows implements TraceRows {
  line = 0;
  readonly #path: string;
  readonly #file: ChunkedTextFile;
  readonly #fields: readonly string[];
  #pending = '';
  #cursor = 0;
  #nextLine = 1;
  #eof = false;
  #row: Record<string, unknown> = {};
  readonly #offsets: boolean;
  /** Byte offset in the file of #pending[#cursor]. */
  #cursorByte = 0;
  #lineByte = Number.NaN;

  constructor(path: string, file: ChunkedTextFile, fields: readonly string[], offsets: boolean) {
    this.#path = path;
    this.#file = file;
    this.#fields = fields;
    this.#offsets = offsets;
    this.#cursorByte = file.textStart;
  }

  get byteOffset(): number {
    return this.#lineByte;
  }

  seek(offset: number, line: number): void {
    this.#file.seek(offset);
    this.#pending = '';
    this.#cursor = 0;
    this.#nextLine = line;
    this.#eof = false;
    this.#cursorByte = offset;
  }

  next(): boolean {
    for (;;) {
      if (this.#offsets) this.#lineByte = this.#cursorByte;
      const text = this.#nextText();
      if (text === null) return false;
      this.line = this.#nextLine++;
      if (text.trim() === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw this.#error(`invalid JSON: ${(error as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw this.#error(
          `expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`,
        );
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
    this.#pending = '';
    this.#eof = true;
  }

  /** The next line without its line ending, or null at the end of the file. */
  #nextText(): string | null {
    for (;;) {
      const newline = this.#pending.indexOf('\n', this.#cursor);
      if (newline >= 0) {
        const crlf = newline > this.#cursor && this.#pending.charCodeAt(newline - 1) === CARRIAGE_RETURN;
        const text = this.#pending.slice(this.#cursor, crlf ? newline - 1 : newline);
        if (this.#offsets) this.#cursorByte += utf8Length(this.#pending, this.#cursor, newline + 1);
        this.#cursor = newline + 1;
        return text;
      }
      const rest = this.#pending.slice(this.#cursor);
      this.#cursor = 0;
      if (this.#eof) {
        this.#pending = '';
        return rest === '' ? null : rest;
      }
      const text = this.#file.read();
      if (text === null) this.#eof = true;
      this.#pending = text === null ? rest : rest + text;
    }
  }

  #error(message: string): UserError {
    return new UserError({ code: 'BAD_TRACE_ROW', file: this.#path, line: this.line, col: 1, message });
  }
}
