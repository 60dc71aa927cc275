import type { CsvError } from 'csv-parse/sync';

/**
 * What csv-parse found wrong, in words that do not repeat the file's contents (its own messages
 * quote the offending field); null for a code without such words, which each reader describes
 * its own way.
 */
export function describeCsvError(error: CsvError): string | null {
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
      return null;
  }
}
