import {
  ACCELERATOR_IDS,
  closestAccelerators,
  DEFAULT_REGION,
  findInstance,
  type InstanceEntry,
  listInstances,
  MARKETS,
  type Market,
  PRICE_KEYS,
  PROVIDERS,
  type RegionPrices,
} from '../../hardware/index.js';
import { closestNames } from '../../util/closest-names.js';
import { type CliIo, UsageError } from '../io.js';

export interface CatalogListArgs {
  provider?: string;
  accelerator?: string;
  maxPrice?: number;
  region?: string;
  market?: string;
  json: boolean;
}

const PRICE_OF_MARKET: Readonly<Record<Market, keyof RegionPrices>> = {
  'on-demand': 'on_demand',
  spot: 'spot',
  reserved: 'reserved_1y',
};

function oneOf<T extends string>(
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  closestTo: (value: string) => string[] = (word) => closestNames(word, allowed, { count: 3 }),
): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  const closest = closestTo(value);
  throw new UsageError(
    `--${flag} "${value}" is not one of ${allowed.join(', ')}; closest: ${closest.join(', ')}`,
  );
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
 * when none is given), cheapest first in the chosen market (default on-demand).
 */
export function catalogListCommand(args: CatalogListArgs, io: CliIo): number {
  const provider = oneOf('provider', args.provider, PROVIDERS);
  const accelerator = oneOf('accelerator', args.accelerator, ACCELERATOR_IDS, closestAccelerators);
  const market = oneOf('market', args.market, MARKETS) ?? 'on-demand';
  if (args.maxPrice !== undefined && !(args.maxPrice >= 0))
    throw new UsageError(`--max-price expects a non-negative number of USD per hour, got ${args.maxPrice}`);
  const rows = listInstances({
    ...(provider !== undefined && { provider }),
    ...(accelerator !== undefined && { accelerator }),
  }).flatMap((entry) => {
    const region = args.region ?? DEFAULT_REGION[entry.provider];
    const prices = entry.prices.get(region);
    const price = prices?.[PRICE_OF_MARKET[market]];
    if (!prices || price === undefined || (args.maxPrice !== undefined && price > args.maxPrice)) return [];
    return [{ entry, region, prices, price }];
  });
  rows.sort((a, b) => a.price - b.price || a.entry.key.localeCompare(b.entry.key));
  if (args.json) {
    const json = rows.map(({ entry, region, prices }) => ({
      key: entry.key,
      vcpus: entry.vcpus ?? null,
      memory_gib: entry.memoryGib ?? null,
      accelerators: entry.accelerators ?? null,
      region,
      usd_per_hour: {
        on_demand: prices.on_demand ?? null,
        spot: prices.spot ?? null,
        reserved_1y: prices.reserved_1y ?? null,
      },
    }));
    io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stderr(`no instance has a ${market} price matching these flags\n`);
    return 0;
  }
  io.stdout(
    table(
      ['instance', 'vCPUs', 'memory', 'accelerators', 'region', 'on-demand/h', 'spot/h', 'reserved 1y/h'],
      rows.map(({ entry, region, prices }) => [
        entry.key,
        entry.vcpus === undefined ? '-' : String(entry.vcpus),
        entry.memoryGib === undefined ? '-' : `${entry.memoryGib} GiB`,
        accelerators(entry),
        region,
        money(prices.on_demand),
        money(prices.spot),
        money(prices.reserved_1y),
      ]),
    ),
  );
  return 0;
}

/** `fleetsim catalog show <instance>`: every field, every region's prices and where each kind of price comes from. */
export function catalogShowCommand(args: { instance: string; json: boolean }, io: CliIo): number {
  const found = findInstance(args.instance);
  if (!found.ok) throw new UsageError(found.message);
  const { entry } = found;
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
          sources: entry.sources,
          ...(entry.owned && { owned: entry.owned }),
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
  for (const key of PRICE_KEYS) {
    const cited = entry.sources[key];
    if (cited) io.stdout(`  ${key} (as of ${cited.asOf}): ${cited.source}\n`);
  }
  return 0;
}
