import { readFileSync } from 'node:fs';
import { CsvError, parse } from 'csv-parse/sync';
import { describeCsvError } from '../util/csv-error.js';
import { UserError } from './types.js';

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
      message: describeCsvError(error) ?? `invalid CSV (${error.code})`,
    });
  }
}
