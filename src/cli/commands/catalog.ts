import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ImportError, importPrices, readInputFile } from '../../hardware/import/index.js';
import {
  ACCELERATOR_IDS,
  type Catalog,
  citationGroups,
  closestAccelerators,
  type DateCheck,
  DEFAULT_REGION,
  daysBetween,
  findInstance,
  type InstanceEntry,
  isCalendarDate,
  listInstances,
  MARKET_PRICE,
  MARKETS,
  PRICE_KEYS,
  PROVIDERS,
  todayUtc,
  withUserCatalogs,
} from '../../hardware/index.js';
import { writeFileAtomic } from '../../report/index.js';
import { ScenarioError } from '../../run.js';
import { closestNames } from '../../util/closest-names.js';
import { type CliIo, UsageError } from '../io.js';

export interface CatalogListArgs {
  provider?: string;
  accelerator?: string;
  maxPrice?: number;
  region?: string;
  market?: string;
  /** User catalog files on top of the shipped catalog. */
  catalog?: string[];
  /** The date prices are aged to (default: today, UTC). */
  asOf?: string;
  json: boolean;
}

/**
 * The shipped catalog with the `--catalog` files on top (relative to `cwd`); a mistake in one is a
 * user error at its place in the file.
 */
export function catalogWithFiles(
  cwd: string,
  files: readonly string[] | undefined,
  checkDate?: DateCheck,
): Catalog {
  const loaded = withUserCatalogs(
    (files ?? []).map((file) => resolve(cwd, file)),
    undefined,
    checkDate,
  );
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  return loaded.catalog;
}

/** A flag value, matched without regard to case; a mistake names the closest allowed values. */
function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  closestTo: (value: string) => string[] = (word) => closestNames(word, allowed, { count: 3 }),
): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase());
  if (found !== undefined) return found;
  const closest = closestTo(value);
  throw new UsageError(
    `--${flag} "${value}" is not one of ${allowed.join(', ')}; closest: ${closest.join(', ')}`,
  );
}

/**
 * The day `catalog list` ages prices to, and how messages name it. A price dated after it would get
 * an age below zero, which says nothing.
 */
function referenceDate(asOf: string | undefined): { date: string; named: string } {
  if (asOf === undefined) {
    const today = todayUtc();
    return { date: today, named: `today, ${today} (UTC)` };
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf))
    throw new UsageError(`--as-of: expected a date YYYY-MM-DD, got "${asOf}"`);
  if (!isCalendarDate(asOf)) throw new UsageError(`--as-of: expected a date that exists, got "${asOf}"`);
  return { date: asOf, named: `--as-of ${asOf}` };
}

function accelerators(entry: InstanceEntry): string {
  return entry.accelerators ? `${entry.accelerators.count} x ${entry.accelerators.model}` : '-';
}

function money(value: number | undefined): string {
  return value === undefined ? '-' : `$${value < 1 ? value.toFixed(4) : value.toFixed(2)}`;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}\n`;
}

/**
 * `fleetsim catalog list`: the entries priced in the chosen region (each provider's default region
 * when none is given), cheapest first in the chosen market (default on-demand), with the date of
 * that price and its age. Flag values are matched without regard to case.
 */
export function catalogListCommand(args: CatalogListArgs, io: CliIo): number {
  const { date: reference, named } = referenceDate(args.asOf);
  const catalog = catalogWithFiles(io.cwd, args.catalog, (asOf) =>
    asOf > reference ? `${asOf} is after ${named}, the day ages are counted to` : null,
  );
  const providers = [...new Set([...PROVIDERS, ...[...catalog.entries.values()].map((e) => e.provider)])];
  const provider = oneOf('provider', args.provider, providers);
  const accelerator = oneOf('accelerator', args.accelerator, ACCELERATOR_IDS, closestAccelerators);
  const market = oneOf('market', args.market, MARKETS) ?? 'on-demand';
  if (args.maxPrice !== undefined && !(args.maxPrice >= 0))
    throw new UsageError(`--max-price expects a non-negative number of USD per hour, got ${args.maxPrice}`);
  const rows = listInstances(
    {
      ...(provider !== undefined && { provider }),
      ...(accelerator !== undefined && { accelerator }),
    },
    catalog,
  ).flatMap((entry) => {
    const wanted = args.region ?? DEFAULT_REGION[entry.provider];
    const region = [...entry.prices.keys()].find((at) => at.toLowerCase() === wanted?.toLowerCase());
    const prices = region === undefined ? undefined : entry.prices.get(region);
    const price = prices?.[MARKET_PRICE[market]];
    if (!region || !prices || price === undefined || (args.maxPrice !== undefined && price > args.maxPrice))
      return [];
    const asOf = entry.citations.get(region)![MARKET_PRICE[market]]!.asOf;
    return [{ entry, region, prices, price, asOf, ageDays: daysBetween(asOf, reference) }];
  });
  // The user's files were checked as they were read: a shipped price this new means an early
  // --as-of, or a clock that is behind.
  const newest = rows.reduce<(typeof rows)[number] | undefined>(
    (found, row) => (row.asOf > (found?.asOf ?? reference) ? row : found),
    undefined,
  );
  if (newest !== undefined) {
    const [day, remedy] =
      args.asOf === undefined
        ? [`today, ${reference} (UTC),`, `--as-of ${newest.asOf}`]
        : [`--as-of: ${reference}`, newest.asOf];
    throw new UsageError(
      `${day} is before ${newest.asOf}, the date of the ${market} price of ${newest.entry.key} in ${newest.region}: ages are counted from a price's date, so give ${remedy} or a later day`,
    );
  }
  rows.sort((a, b) => a.price - b.price || a.entry.key.localeCompare(b.entry.key));
  if (args.json) {
    const json = rows.map(({ entry, region, prices, asOf, ageDays }) => ({
      key: entry.key,
      vcpus: entry.vcpus ?? null,
      memory_gib: entry.memoryGib ?? null,
      accelerators: entry.accelerators ?? null,
      region,
      usd_per_hour: {
        on_demand: prices.on_demand ?? null,
        spot: prices.spot ?? null,
        reserved_1y: prices.reserved_1y ?? null,
        reserved_3y: prices.reserved_3y ?? null,
      },
      price_as_of: asOf,
      age_days: ageDays,
    }));
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stderr(
      `no instance has ${market === 'on-demand' ? 'an' : 'a'} ${market} price matching these flags\n`,
    );
    return 0;
  }
  io.stdout(
    table(
      [
        'instance',
        'vCPUs',
        'memory',
        'accelerators',
        'region',
        'on-demand/h',
        'spot/h',
        'reserved 1y/h',
        'reserved 3y/h',
        'price date',
        'age (days)',
      ],
      rows.map(({ entry, region, prices, asOf, ageDays }) => [
        entry.key,
        entry.vcpus === undefined ? '-' : String(entry.vcpus),
        entry.memoryGib === undefined ? '-' : `${entry.memoryGib} GiB`,
        accelerators(entry),
        region,
        money(prices.on_demand),
        money(prices.spot),
        money(prices.reserved_1y),
        money(prices.reserved_3y),
        asOf,
        String(ageDays),
      ]),
    ),
  );
  io.stdout(
    `ages are counted to ${reference}${args.asOf === undefined ? ' (today; --as-of sets another day)' : ''}\n`,
  );
  return 0;
}

/** `fleetsim catalog show <instance>`: every field, every region's prices and where each price comes from. */
export function catalogShowCommand(
  args: { instance: string; json: boolean; catalog?: string[] },
  io: CliIo,
): number {
  const catalog = catalogWithFiles(io.cwd, args.catalog);
  const found = findInstance(args.instance, catalog);
  if (!found.ok) throw new UsageError(found.message);
  const { entry } = found;
  const groups = citationGroups(entry);
  const everywhere = (regions: string[]) => regions.length === entry.prices.size;
  if (args.json) {
    io.stdout(
      `${JSON.stringify(
        {
          key: entry.key,
          vcpus: entry.vcpus ?? null,
          memory_gib: entry.memoryGib ?? null,
          accelerators: entry.accelerators ?? null,
          billing_s: entry.billing,
          usd_per_hour: Object.fromEntries(entry.prices),
          sources: groups.map(({ key, source, regions }) => ({
            price: key,
            source: source.source,
            as_of: source.asOf,
            regions,
          })),
          ...(entry.owned && { owned: entry.owned }),
          ...(entry.userFile !== undefined && { user_catalog: entry.userFile }),
        },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const lines = [
    entry.key,
    `  vCPUs         ${entry.vcpus ?? '-'}`,
    `  memory        ${entry.memoryGib === undefined ? '-' : `${entry.memoryGib} GiB`}`,
    `  accelerators  ${accelerators(entry)}${entry.accelerators?.memoryGib === undefined ? '' : ` (${entry.accelerators.memoryGib} GiB each)`}`,
    `  billing       per ${entry.billing.increment} s, at least ${entry.billing.minimum} s`,
  ];
  if (entry.owned) {
    const { purchaseUsd, lifetimeYears, powerWatts } = entry.owned;
    lines.push(
      `  owned         $${purchaseUsd} over ${lifetimeYears} years + ${powerWatts} W at the region's electricity price`,
    );
  }
  io.stdout(`${lines.join('\n')}\n\n`);
  io.stdout(
    table(
      ['region', ...PRICE_KEYS.map((key) => `${key}/h`)],
      [...entry.prices].map(([region, prices]) => [region, ...PRICE_KEYS.map((key) => money(prices[key]))]),
    ),
  );
  io.stdout('\nsources\n');
  for (const { key, source, regions } of groups) {
    const where = everywhere(regions) ? '' : ` [${regions.join(', ')}]`;
    io.stdout(`  ${key}${where} (as of ${source.asOf}): ${source.source}\n`);
  }
  return 0;
}

export interface CatalogImportArgs {
  from?: string[];
  base?: string;
  provider?: string;
  types?: string;
  regions?: string;
  out: string;
  force: boolean;
  quiet: boolean;
}

function list(text: string | undefined, flag: string): string[] | null {
  if (text === undefined) return null;
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new UsageError(`${flag}: expected a comma-separated list`);
  return items;
}

/**
 * `fleetsim catalog import`: a pricing file rebuilt or extended from price lists the user
 * downloaded, offline. The output is refused over an existing file without `--force`.
 */
export function catalogImportCommand(args: CatalogImportArgs, io: CliIo): number {
  const out = resolve(io.cwd, args.out);
  if (existsSync(out) && !args.force)
    throw new UsageError(`--out: ${out} exists; pass --force to replace it`);
  let result: ReturnType<typeof importPrices>;
  try {
    const basePath = args.base === undefined ? null : resolve(io.cwd, args.base);
    const base = basePath === null ? null : { text: readInputFile(basePath, '--base'), path: basePath };
    result = importPrices({
      from: (args.from ?? []).map((argument) => {
        const equals = argument.indexOf('=');
        return equals < 0
          ? argument
          : `${argument.slice(0, equals + 1)}${resolve(io.cwd, argument.slice(equals + 1))}`;
      }),
      base,
      ...(args.provider !== undefined && { provider: args.provider }),
      types: list(args.types, '--types') ?? [],
      regions: list(args.regions, '--regions'),
    });
  } catch (error) {
    if (error instanceof ImportError) throw new UsageError(error.message);
    throw error;
  }
  writeFileAtomic(out, result.text);
  if (!args.quiet) {
    const say = (what: string, keys: string[]) =>
      keys.length > 0 ? io.stderr(`${what} ${keys.length}: ${keys.join(', ')}\n`) : undefined;
    say('re-priced', result.repriced);
    say('added', result.added);
    say('kept as they were (no list prices them)', result.kept);
    io.stderr(`wrote ${out}\n`);
  }
  return 0;
}
