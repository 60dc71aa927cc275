import { statSync } from 'node:fs';
import { isMap, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import * as z from 'zod';
import { readBoundedText } from '../util/bounded-file.js';
import { DUPLICATE_KEY, documentValue, duplicateKeyOffset } from '../util/yaml-keys.js';
import {
  type Catalog,
  checkRegionPrices,
  entryFromRaw,
  entrySchema,
  type InstanceEntry,
  PRICE_KEYS,
  type PriceKey,
  type PriceSource,
  type RawRegionPrices,
  type RawSources,
  type RegionPrices,
  regionPricesSchema,
  shippedCatalog,
  sourcesSchema,
} from './catalog.js';

/**
 * User catalog files: private or negotiated prices on top of the shipped catalog, without editing
 * the package (`--catalog FILE`, the scenario key `catalog`). The format is the shipped one with
 * `provider/type` keys:
 *
 *   instances:
 *     aws/p5.48xlarge:                 # in the shipped catalog: prices and sources only
 *       prices: { us-east-1: { reserved_1y: 30.1 } }
 *       sources: { reserved_1y: { source: our 2026 agreement, as_of: 2026-11-02 } }
 *     lab/h100-box:                    # a new instance: a whole entry, as in pricing/<provider>.yaml
 *       ...
 *
 * A price given for an instance the catalog has replaces that one price in that region (with its
 * citation); the others stay. Mistakes are user errors, each located in the file.
 */

export interface CatalogFileError {
  /** As the scenario loader's diagnostics name them. */
  code: 'MISSING_FILE' | 'YAML_SYNTAX' | 'INVALID_VALUE' | 'UNKNOWN_KEY';
  file: string;
  line: number;
  col: number;
  message: string;
}

export type CatalogLoad = { ok: true; catalog: Catalog } | { ok: false; errors: CatalogFileError[] };

const KEY_PATTERN = /^([a-z0-9][a-z0-9-]*)\/(\S+)$/;

const overrideSchema = z.strictObject({
  prices: z.record(z.string(), regionPricesSchema),
  sources: sourcesSchema,
});

type Located = { path: PropertyKey[]; key?: string; message: string; code?: CatalogFileError['code'] };

interface ParsedFile {
  /** Entries by key, raw and validated on their own, with where each price sits. */
  entries: { key: string; raw: unknown }[];
  errors: CatalogFileError[];
  locate: (problem: Located) => CatalogFileError;
}

const cache = new Map<string, { mtimeMs: number; size: number; parsed: ParsedFile }>();

/** `instances["aws/p5.48xlarge"].prices.us-east-1.spot` */
function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((segment, i) => {
      const text = String(segment);
      if (typeof segment === 'number') return `[${text}]`;
      if (/^[A-Za-z_][\w-]*$/.test(text)) return i === 0 ? text : `.${text}`;
      return `[${JSON.stringify(text)}]`;
    })
    .join('');
}

/**
 * The largest user catalog file read. A private catalog holds tens or hundreds of instance types,
 * and parsing alone is slow: the yaml package took over 20 s and 1.1 GB for 10 MB (38,653 types)
 * on a busy 2-core machine, so a larger file would stall every command that loads it.
 */
export const MAX_CATALOG_BYTES = 1_000_000;

function problemAt(
  file: string,
  line: number,
  col: number,
  message: string,
  code: CatalogFileError['code'] = 'INVALID_VALUE',
): CatalogFileError {
  return { code, file, line, col, message };
}

function failed(
  file: string,
  message: string,
  code: CatalogFileError['code'],
  line = 1,
  col = 1,
): ParsedFile {
  return {
    entries: [],
    errors: [problemAt(file, line, col, message, code)],
    locate: () => problemAt(file, 1, 1, message),
  };
}

function tooLarge(file: string, bytes: number): ParsedFile {
  return failed(
    file,
    `the catalog file is ${(bytes / 1e6).toFixed(1)} MB; at most ${MAX_CATALOG_BYTES / 1e6} MB (some 4,000 instance types)`,
    'INVALID_VALUE',
  );
}

function readParsed(file: string): ParsedFile {
  const read = readBoundedText(file, MAX_CATALOG_BYTES);
  if (read.ok) return parseText(read.text, file);
  switch (read.problem) {
    case 'too large':
      return tooLarge(file, read.bytes);
    case 'not a file':
      return failed(file, `the catalog file ${file} is not a file`, 'MISSING_FILE');
    case 'missing':
      return failed(file, `catalog file not found: ${file}`, 'MISSING_FILE');
    default:
      return failed(file, `cannot read the catalog file ${file}`, 'MISSING_FILE');
  }
}

function parseText(text: string, file: string): ParsedFile {
  const lineCounter = new LineCounter();
  // The yaml package's own check of repeated keys is quadratic in the keys of a mapping.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const repeated = duplicateKeyOffset(document);
  const first = document.errors[0];
  if (repeated !== null && (first === undefined || repeated < first.pos[0])) {
    const { line, col } = lineCounter.linePos(repeated);
    return failed(file, DUPLICATE_KEY, 'YAML_SYNTAX', line, col);
  }
  if (first !== undefined) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return failed(file, first.message.split('\n')[0], 'YAML_SYNTAX', line, col);
  }
  const position = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
  };
  const locate = ({ path, key, message, code }: Located): CatalogFileError => {
    // The deepest node of the path that the file has; for a key, the key itself.
    let node: Node | null = null;
    for (let depth = path.length; depth >= 0 && node === null; depth--) {
      node = (document.getIn(path.slice(0, depth), true) as Node | undefined) ?? null;
    }
    if (key !== undefined && isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
      if (pair) node = pair.key as Node;
    }
    const { line, col } = position(node);
    const where = pathText(key === undefined ? path : [...path, key]);
    return problemAt(file, line, col, where === '' ? message : `${where}: ${message}`, code);
  };
  const plain = documentValue(document);
  if (!plain.ok) {
    const { line, col } = lineCounter.linePos(plain.offset);
    return failed(file, plain.message, 'YAML_SYNTAX', line, col);
  }
  const value = plain.value;
  const top = z.strictObject({ instances: z.record(z.string(), z.unknown()) }).safeParse(value);
  if (!top.success) {
    const issue = top.error.issues[0];
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    const message =
      value === null || typeof value !== 'object'
        ? 'expected a mapping with an instances: section'
        : issue.message;
    return { entries: [], errors: [locate({ path: issue.path, key, message })], locate };
  }
  return {
    entries: Object.entries(top.data.instances).map(([key, raw]) => ({ key, raw })),
    errors: [],
    locate,
  };
}

/** The file read and checked once per version of it: a sweep loads its scenario once per point. */
function parsedFile(file: string): ParsedFile {
  let stat: { mtimeMs: number; size: number } | undefined;
  try {
    stat = statSync(file);
  } catch {
    return readParsed(file);
  }
  const known = cache.get(file);
  if (known && known.mtimeMs === stat.mtimeMs && known.size === stat.size) return known.parsed;
  const parsed = readParsed(file);
  cache.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, parsed });
  return parsed;
}

/** zod's issues of the entry `raw` at `base`; a key it requires and the file leaves out is said so, as in scenarios. */
function zodProblems(error: z.ZodError, base: PropertyKey[], raw: unknown): Located[] {
  return error.issues.map((issue) => {
    let value = raw;
    for (const segment of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[segment];
    if (issue.code === 'invalid_type' && value === undefined && issue.path.length > 0)
      return { path: [...base, ...issue.path], message: 'missing required key' };
    if (issue.code === 'unrecognized_keys')
      return {
        path: [...base, ...issue.path],
        key: issue.keys[0],
        message: `unknown key "${issue.keys[0]}"`,
        code: 'UNKNOWN_KEY' as const,
      };
    return { path: [...base, ...issue.path], message: issue.message };
  });
}

function cite(source: { source: string; as_of: string }): PriceSource {
  return { source: source.source, asOf: source.as_of };
}

/** `entry` with the user's prices of `raw` replacing its own, one price of one region at a time. */
function override(
  entry: InstanceEntry,
  raw: z.infer<typeof overrideSchema>,
  file: string,
  base: PropertyKey[],
): { entry: InstanceEntry } | { problems: Located[] } {
  const problems: Located[] = [];
  const prices = new Map<string, RegionPrices>([...entry.prices].map(([r, p]) => [r, { ...p }]));
  const citations = new Map([...entry.citations].map(([r, c]) => [r, { ...c }]));
  for (const [region, given] of Object.entries(raw.prices)) {
    const merged: RegionPrices = { ...(prices.get(region) ?? {}) };
    const cited = { ...(citations.get(region) ?? {}) };
    for (const key of PRICE_KEYS) {
      const price = given[key];
      if (price === undefined) continue;
      const source = raw.sources[key];
      if (source === undefined) {
        problems.push({ path: [...base, 'sources'], message: `${key} prices need sources.${key}` });
        continue;
      }
      merged[key] = price;
      cited[key] = cite(source);
    }
    if (merged.on_demand === undefined) {
      problems.push({
        path: [...base, 'prices', region],
        message: `${entry.key} has no price in region "${region}": a new region needs on_demand`,
      });
    }
    checkRegionPrices(region, merged as RawRegionPrices, (message, path) =>
      problems.push({ path: [...base, ...path], message }),
    );
    prices.set(region, merged);
    citations.set(region, cited as Partial<Record<PriceKey, PriceSource>>);
  }
  if (problems.length > 0) return { problems };
  return { entry: { ...entry, prices, citations, userFile: file } };
}

/** Why a price dated `asOf` cannot be used, or null when it can. */
export type DateCheck = (asOf: string) => string | null;

/**
 * `base` (default: the shipped catalog) with each user catalog file applied in turn, or every
 * mistake found in them, located. `files` are absolute paths. `checkDate` refuses a date a command
 * cannot use, at the `as_of` that gives it (`catalog list`: one after the day it ages prices to).
 */
export function withUserCatalogs(
  files: readonly string[],
  base: Catalog = shippedCatalog(),
  checkDate?: DateCheck,
): CatalogLoad {
  if (files.length === 0) return { ok: true, catalog: base };
  return applied(
    files.map((file) => ({ file, parsed: parsedFile(file) })),
    base,
    checkDate,
  );
}

/**
 * What the shipped catalog with `text` on top as user catalog file `file` would be refused for
 * (nothing: an empty list), without writing it: `catalog import` checks its output with it.
 */
export function userCatalogTextErrors(text: string, file: string): CatalogFileError[] {
  const bytes = Buffer.byteLength(text);
  const parsed = bytes > MAX_CATALOG_BYTES ? tooLarge(file, bytes) : parseText(text, file);
  const loaded = applied([{ file, parsed }], shippedCatalog());
  return loaded.ok ? [] : loaded.errors;
}

function applied(
  files: readonly { file: string; parsed: ParsedFile }[],
  base: Catalog,
  checkDate?: DateCheck,
): CatalogLoad {
  const entries = new Map(base.entries);
  const errors: CatalogFileError[] = [];
  for (const { file, parsed } of files) {
    errors.push(...parsed.errors);
    const datesRefused = (path: PropertyKey[], sources: RawSources): boolean => {
      const refused = PRICE_KEYS.flatMap((key) => {
        const asOf = sources[key]?.as_of;
        const message = asOf === undefined ? null : (checkDate?.(asOf) ?? null);
        return message === null ? [] : [parsed.locate({ path: [...path, 'sources', key, 'as_of'], message })];
      });
      errors.push(...refused);
      return refused.length > 0;
    };
    for (const { key, raw } of parsed.entries) {
      const path: PropertyKey[] = ['instances', key];
      const match = KEY_PATTERN.exec(key);
      if (match === null) {
        errors.push(
          parsed.locate({
            path: ['instances'],
            key,
            message:
              'expected provider/type with a lower-case provider, e.g. aws/p5.48xlarge or lab/h100-box',
          }),
        );
        continue;
      }
      const known = entries.get(key);
      const extra = Object.keys((raw ?? {}) as object).find(
        (name) => name !== 'prices' && name !== 'sources',
      );
      // An instance no shipped file has may be described again whole by a later file, replacing it.
      if (known === undefined || (extra !== undefined && !base.entries.has(key))) {
        const checked = entrySchema.safeParse(raw);
        if (!checked.success) {
          errors.push(...zodProblems(checked.error, path, raw).map(parsed.locate));
          continue;
        }
        if (datesRefused(path, checked.data.sources)) continue;
        entries.set(key, { ...entryFromRaw(match[1], match[2], checked.data), userFile: file });
        continue;
      }
      if (extra !== undefined) {
        errors.push(
          parsed.locate({
            path,
            key: extra,
            message: `${key} is in the catalog already: give only its prices and sources (its hardware and billing stay)`,
          }),
        );
        continue;
      }
      const checked = overrideSchema.safeParse(raw);
      if (!checked.success) {
        errors.push(...zodProblems(checked.error, path, raw).map(parsed.locate));
        continue;
      }
      if (datesRefused(path, checked.data.sources)) continue;
      const result = override(known, checked.data, file, path);
      if ('problems' in result) errors.push(...result.problems.map(parsed.locate));
      else entries.set(key, result.entry);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, catalog: { entries, files: [...base.files, ...files.map(({ file }) => file)] } };
}
