import { readFileSync } from 'node:fs';
import { CsvError, parse } from 'csv-parse/sync';
import { UserError } from './types.js';

/** What csv-parse found wrong, in words that do not repeat the file's contents. */
function describe(error: CsvError): string {
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const counts = /columns length is (\d+), got (\d+)/.exec(error.message);
      return counts === null
        ? 'invalid CSV: a row has another number of fields than the header'
        : `invalid CSV: a row of ${counts[2]} field(s) where the header has ${counts[1]}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'invalid CSV: a quoted field is not closed before the end of the file';
    case 'INVALID_OPENING_QUOTE':
      return 'invalid CSV: a quote inside an unquoted field (quote the whole field and double the quote)';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'invalid CSV: text after the closing quote of a field';
    default:
      return `invalid CSV (${error.code})`;
  }
}

/**
 * The rows of a small CSV data file with a header (an empirical distribution, a capacity or price
 * trace), read whole, as objects without a prototype. A malformed file is a user error at the
 * line where csv-parse stopped.
 */
export function readCsvRecords(path: string): Record<string, string>[] {
  const text = readFileSync(path, 'utf8');
  try {
    const records: Record<string, string>[] = parse(text, { columns: true, skip_empty_lines: true });
    // Without a prototype, `column in record` holds for the file's own columns only, never for
    // `toString` or `constructor`.
    return records.map((record) => Object.assign(Object.create(null) as Record<string, string>, record));
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: path,
      line: Math.max(1, Number(error.lines) || 1),
      col: 1,
      message: describe(error),
    });
  }
}
