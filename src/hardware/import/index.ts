import { basename } from 'node:path';
import { readBoundedText } from '../../util/bounded-file.js';
import { isCalendarDate, todayUtc } from '../price-age.js';
import { MAX_CATALOG_BYTES } from '../user-catalog.js';
import { buildPricingFile, ImportError, type ImportResult, type ImportSource } from './build.js';
import { FORMAT_PROVIDER, IMPORT_FORMATS, type ImportFormat, readPriceList } from './formats.js';
import { PriceListError } from './price-list-json.js';

export { buildPricingFile, ImportError, type ImportResult, type ImportSource } from './build.js';
export { IMPORT_FORMATS, type ImportFormat, readPriceList } from './formats.js';

export interface ImportRequest {
  /** `FORMAT=PATH` or `FORMAT=PATH@YYYY-MM-DD`, in order of precedence (the first list with a price wins). */
  from: readonly string[];
  /** The file to refresh or extend; its text and path. */
  base: { text: string; path: string } | null;
  provider?: string;
  types: readonly string[];
  regions: readonly string[] | null;
  /** Reads a price list; `readInputFile` by default. */
  read?: (path: string) => string;
  /** Today's date, `YYYY-MM-DD` (UTC) by default: no list is dated after it. */
  today?: string;
}

/**
 * The largest price list read. The biggest public one, AWS's EC2 price list for a region, is a
 * few hundred MB; V8 holds no string over 512 MiB, so a larger file would fail while being read.
 */
const MAX_PRICE_LIST_BYTES = 400_000_000;

const LIMITS = {
  '--from': { bytes: MAX_PRICE_LIST_BYTES, what: 'a price list' },
  // The base is a pricing file or user catalog, and the YAML reader is slow on large mappings.
  '--base': { bytes: MAX_CATALOG_BYTES, what: 'a --base file' },
} as const;

/**
 * The text of a file `catalog import` reads, refused before reading unless it is a regular file
 * within its flag's limit: a FIFO would block forever, and /dev/zero fill memory.
 */
export function readInputFile(path: string, flag: keyof typeof LIMITS): string {
  const { bytes, what } = LIMITS[flag];
  const read = readBoundedText(path, bytes);
  if (read.ok) return read.text;
  switch (read.problem) {
    case 'too large':
      throw new ImportError(
        `${flag} ${path}: the file is ${(read.bytes / 1e6).toFixed(1)} MB; ${what} may be at most ${bytes / 1e6} MB`,
      );
    case 'missing':
      throw new ImportError(`${flag} ${path}: file not found`);
    case 'not a file':
      throw new ImportError(`${flag} ${path}: not a file`);
    default:
      throw new ImportError(`${flag} ${path}: cannot read the file`);
  }
}

const DATE_IN_NAME = /(\d{4}-\d{2}-\d{2})/;

/** `FORMAT=PATH[@DATE]` split up and checked. */
export function parseFromArgument(argument: string): {
  format: ImportFormat;
  path: string;
  asOf: string | null;
} {
  const equals = argument.indexOf('=');
  const format = equals < 0 ? '' : argument.slice(0, equals);
  if (!(IMPORT_FORMATS as readonly string[]).includes(format))
    throw new ImportError(
      `--from "${argument}": expected FORMAT=FILE with FORMAT one of ${IMPORT_FORMATS.join(', ')}`,
    );
  let path = argument.slice(equals + 1);
  let asOf: string | null = null;
  const at = /@(\d{4}-\d{2}-\d{2})$/.exec(path);
  if (at) {
    if (!isCalendarDate(at[1])) throw new ImportError(`--from "${argument}": ${at[1]} is no date`);
    asOf = at[1];
    path = path.slice(0, at.index);
  }
  if (path === '') throw new ImportError(`--from "${argument}": expected FORMAT=FILE`);
  return { format: format as ImportFormat, path, asOf };
}

/**
 * The date of a list: the one it records itself (the AWS price list's publicationDate), else `@DATE`
 * after its path, else a YYYY-MM-DD in its file name. One with none, or with one that does not
 * exist or is after today, is refused: every price needs a date, and `catalog list` ages it.
 */
function listDate(
  list: { format: ImportFormat; path: string; given: string | null; recorded: string | null },
  today: string,
): string {
  const { format, path, given, recorded } = list;
  const named = DATE_IN_NAME.exec(basename(path))?.[1] ?? null;
  const [asOf, what] =
    recorded !== null
      ? [recorded, 'the date the file records']
      : given !== null
        ? [given, 'the date after @']
        : [named, 'the date in its name'];
  // A date the file records wins over @DATE, so only a date from outside the file can be given again.
  const giveIt =
    recorded === null
      ? `; give the day it was published or downloaded: --from ${format}=${path}@YYYY-MM-DD`
      : '';
  if (asOf === null) throw new ImportError(`--from ${path}: the file records no date${giveIt}`);
  if (!isCalendarDate(asOf))
    throw new ImportError(
      `--from ${path}: ${what}, "${asOf}", is not a date YYYY-MM-DD that exists${giveIt}`,
    );
  if (asOf > today)
    throw new ImportError(`--from ${path}: ${what}, ${asOf}, is after today, ${today} (UTC)${giveIt}`);
  return asOf;
}

/** Reads every list, dates it (`listDate`) and builds the file. */
export function importPrices(request: ImportRequest): ImportResult {
  const read = request.read ?? ((path: string) => readInputFile(path, '--from'));
  const today = request.today ?? todayUtc();
  if (request.from.length === 0) throw new ImportError('give at least one price list: --from FORMAT=FILE');
  const sources: ImportSource[] = request.from.map((argument) => {
    const { format, path, asOf: given } = parseFromArgument(argument);
    const text = read(path);
    let parsed: ReturnType<typeof readPriceList>;
    try {
      parsed = readPriceList(format, text);
    } catch (error) {
      if (error instanceof PriceListError) throw new ImportError(`--from ${path}: ${error.message}`);
      throw error;
    }
    const asOf = listDate({ format, path, given, recorded: parsed.asOf }, today);
    return { format, path, asOf, parsed };
  });
  const providers = [
    ...new Set(sources.map((source) => FORMAT_PROVIDER[source.format]).filter((p) => p !== null)),
  ];
  const fromBase = request.base && /^([a-z0-9-]+)\.yaml$/.exec(basename(request.base.path))?.[1];
  const provider = request.provider ?? (providers.length === 1 ? providers[0] : undefined);
  if (provider === undefined)
    throw new ImportError(
      providers.length > 1
        ? `the lists hold prices of ${providers.join(' and ')}: import one provider at a time`
        : `say which provider the prices are for: --provider NAME${fromBase ? ` (e.g. ${fromBase})` : ''}`,
    );
  const foreign = providers.find((p) => p !== provider);
  if (foreign !== undefined)
    throw new ImportError(`--provider ${provider}, but a list given holds ${foreign} prices`);
  return buildPricingFile({
    provider,
    base: request.base,
    sources,
    types: request.types,
    regions: request.regions,
  });
}
