import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isoDate } from '../catalog.js';
import { buildPricingFile, ImportError, type ImportResult, type ImportSource } from './build.js';
import {
  FORMAT_PROVIDER,
  IMPORT_FORMATS,
  type ImportFormat,
  PriceListError,
  readPriceList,
} from './formats.js';

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
  /** Reads a price list; `fs.readFileSync` by default. */
  read?: (path: string) => string;
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
    if (!isoDate.safeParse(at[1]).success) throw new ImportError(`--from "${argument}": ${at[1]} is no date`);
    asOf = at[1];
    path = path.slice(0, at.index);
  }
  if (path === '') throw new ImportError(`--from "${argument}": expected FORMAT=FILE`);
  return { format: format as ImportFormat, path, asOf };
}

/**
 * Reads every list and builds the file. A list is dated by the date it records itself (the AWS
 * price list's publicationDate), else by `@DATE` after its path, else by a YYYY-MM-DD in its file
 * name; one with none of these is refused, since every price needs a date.
 */
export function importPrices(request: ImportRequest): ImportResult {
  const read = request.read ?? ((path: string) => readFileSync(path, 'utf8'));
  if (request.from.length === 0) throw new ImportError('give at least one price list: --from FORMAT=FILE');
  const sources: ImportSource[] = request.from.map((argument) => {
    const { format, path, asOf: given } = parseFromArgument(argument);
    let text: string;
    try {
      text = read(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ImportError(
        `--from ${path}: ${code === 'ENOENT' ? 'file not found' : 'cannot read the file'}`,
      );
    }
    let parsed: ReturnType<typeof readPriceList>;
    try {
      parsed = readPriceList(format, text);
    } catch (error) {
      if (error instanceof PriceListError) throw new ImportError(`--from ${path}: ${error.message}`);
      throw error;
    }
    const named = DATE_IN_NAME.exec(basename(path))?.[1] ?? null;
    const asOf = parsed.asOf ?? given ?? (named !== null && isoDate.safeParse(named).success ? named : null);
    if (asOf === null)
      throw new ImportError(
        `--from ${path}: the file records no date; give the day it was published or downloaded: --from ${format}=${path}@YYYY-MM-DD`,
      );
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
