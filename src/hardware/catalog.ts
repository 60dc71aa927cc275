import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { formatThousands } from '../core/format.js';
import { MAX_PRICE_USD_PER_HOUR } from '../core/schema-values.js';
import { closestNames } from '../util/closest-names.js';
import { readYamlData } from '../util/yaml-data.js';
import { isCalendarDate } from './price-age.js';

// Schemas under z.lazy are built on first use: a run that prices no catalog instance never reads
// the catalog, and building zod schemas is a noticeable part of what a short `fleetsim run` waits
// for.

/**
 * Instance types and prices from `pricing/<provider>.yaml` (see pricing/README.md). Those files
 * ship inside the package, so a file that fails validation is a packaging bug and throws. A user
 * catalog file (user-catalog.ts) adds or replaces prices on top of them.
 */

/**
 * Accelerator ids shared with the accelerator specs (`pricing/accelerators.yaml`); an entry naming
 * any other id is rejected so a spec lookup by model can never miss.
 */
export const ACCELERATOR_IDS = [
  't4',
  'a10g',
  'l4',
  'l40s',
  'a100-40gb',
  'a100-80gb',
  'h100-80gb',
  'h100-pcie',
  'h100-nvl',
  'h200-141gb',
  'b200',
  'rtx-pro-6000',
  'mi300x',
  'gaudi3',
  'inferentia2',
  'trainium',
  'tpu-v5e',
  'tpu-v5p',
  'tpu-v6e',
  'jetson-agx-orin-64gb',
  'jetson-orin-nano-8gb',
  'rtx-6000-ada',
  'rtx-3090-ti',
  'rtx-4090',
  'rtx-4080',
  'rtx-4070-ti-super',
  'rtx-5090',
  'rtx-5080',
  'rtx-5070-ti',
] as const;
export type AcceleratorId = (typeof ACCELERATOR_IDS)[number];

/** The provider files; `accelerators.yaml` sits in the same folder but holds specs, not instances. */
export const PROVIDERS = ['aws', 'gcp', 'azure', 'edge'] as const;

/**
 * `reserved` is the 1-year commitment price (AWS reserved instance, GCP committed use, Azure reservation),
 * `reserved-3y` the 3-year one; both bill every committed replica for every hour of the run.
 */
export const MARKETS = ['on-demand', 'spot', 'reserved', 'reserved-3y'] as const;
export type Market = (typeof MARKETS)[number];

export const PRICE_KEYS = ['on_demand', 'spot', 'reserved_1y', 'reserved_3y'] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

export const MARKET_PRICE: Readonly<Record<Market, PriceKey>> = {
  'on-demand': 'on_demand',
  spot: 'spot',
  reserved: 'reserved_1y',
  'reserved-3y': 'reserved_3y',
};

export function isReservedMarket(market: Market | undefined): boolean {
  return market === 'reserved' || market === 'reserved-3y';
}

/** USD per hour in one region; a key is absent when the source has no such price there. */
export type RegionPrices = Partial<Record<PriceKey, number>>;

export interface PriceSource {
  source: string;
  /** The date of the source's snapshot, `YYYY-MM-DD`. */
  asOf: string;
}

/** Purchase amortized over a lifetime plus electricity: how owned (edge) hardware gets an hourly price. */
export interface OwnedCost {
  purchaseUsd: number;
  lifetimeYears: number;
  powerWatts: number;
  usdPerKwh: number;
}

export interface InstanceEntry {
  /** `provider/type`, e.g. `aws/g5.xlarge`. */
  key: string;
  provider: string;
  type: string;
  /** Absent where the source does not state the host (TPU slices). */
  vcpus?: number;
  memoryGib?: number;
  accelerators?: { model: AcceleratorId; count: number; memoryGib?: number };
  /** Seconds: each started increment is billed, and at least `minimum` per launch. */
  billing: { increment: number; minimum: number };
  prices: ReadonlyMap<string, RegionPrices>;
  /** Where each price of each region comes from: a user catalog replaces single prices of a region. */
  citations: ReadonlyMap<string, Partial<Record<PriceKey, PriceSource>>>;
  owned?: OwnedCost;
  /** Owned hardware: the electricity price of each region, USD per kWh. */
  ownedUsdPerKwh?: ReadonlyMap<string, number>;
  /** The user catalog file this entry or one of its prices was read from; absent for the shipped catalog. */
  userFile?: string;
}

/** A set of entries by key: the shipped catalog, or it with user catalog files on top. */
export interface Catalog {
  readonly entries: ReadonlyMap<string, InstanceEntry>;
  /** The user catalog files, absolute paths in the order they were applied; empty for the shipped catalog. */
  readonly files: readonly string[];
}

/**
 * The accelerator ids nearest to a name: ids containing it first (`H100` -> `h100-80gb`), since edit
 * distance alone ranks `a10g` above `h100-80gb` for `h100`.
 */
export function closestAccelerators(name: string, count = 3): string[] {
  const lower = name.toLowerCase();
  const containing = ACCELERATOR_IDS.filter((id) => id.includes(lower));
  const rest = closestNames(name, ACCELERATOR_IDS).filter((id) => !id.includes(lower));
  return [...containing, ...rest].slice(0, count);
}

/** Where a scenario without `region:` is priced. */
export const DEFAULT_REGION: Readonly<Record<string, string>> = {
  aws: 'us-east-1',
  gcp: 'us-central1',
  azure: 'eastus',
  edge: 'us',
};

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, min: 60, h: 3600 };
const HOURS_PER_YEAR = 8760;

/** `60s`, `1min`, `1h` or a bare number of seconds; kept here so hardware depends on no scenario code. */
const durationSeconds = z.lazy(() =>
  z.union([
    z.number().nonnegative(),
    z
      .string()
      .regex(/^\d+(\.\d+)?(s|min|h)$/, 'expected a duration such as 60s, 1min or 1h')
      .transform((text) => {
        const [, amount, unit] = text.match(/^(\d+(?:\.\d+)?)(s|min|h)$/)!;
        return Number(amount) * SECONDS_PER_UNIT[unit];
      }),
  ]),
);

const usdPerHour = z
  .number()
  .positive('expected a price above 0 USD per hour')
  .max(
    MAX_PRICE_USD_PER_HOUR,
    `expected a price of at most ${formatThousands(MAX_PRICE_USD_PER_HOUR)} USD per hour`,
  );

/** A calendar date, `YYYY-MM-DD`, that exists. The yaml core schema leaves 2026-01-21 a string. */
export const isoDate = z
  .string('expected a date YYYY-MM-DD')
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD')
  .refine(isCalendarDate, 'expected a date that exists');
const citation = z.lazy(() => z.strictObject({ source: z.string().min(1), as_of: isoDate }));

export const regionPricesSchema = z.lazy(() =>
  z.strictObject({
    on_demand: usdPerHour.optional(),
    spot: usdPerHour.optional(),
    reserved_1y: usdPerHour.optional(),
    reserved_3y: usdPerHour.optional(),
  }),
);

export const sourcesSchema = z.lazy(() =>
  z.strictObject({
    on_demand: citation.optional(),
    spot: citation.optional(),
    reserved_1y: citation.optional(),
    reserved_3y: citation.optional(),
  }),
);

export type RawRegionPrices = z.infer<typeof regionPricesSchema>;
export type RawSources = z.infer<typeof sourcesSchema>;

type Issue = (message: string, path: PropertyKey[]) => void;

/**
 * Spot and commitments never cost more than on-demand in the same region: a source that says so
 * was misread (a monthly price taken for an hourly one, a column shifted).
 */
export function checkRegionPrices(region: string, prices: RawRegionPrices, issue: Issue): void {
  const onDemand = prices.on_demand;
  if (onDemand === undefined) return;
  for (const key of ['spot', 'reserved_1y', 'reserved_3y'] as const) {
    const price = prices[key];
    if (price !== undefined && price > onDemand)
      issue(`${key} ${price} is above on_demand ${onDemand}`, ['prices', region, key]);
  }
}

/** Every kind of price used in some region needs its citation. */
export function checkCitations(
  prices: Record<string, RawRegionPrices>,
  sources: RawSources,
  issue: Issue,
): void {
  for (const key of PRICE_KEYS) {
    const used = Object.values(prices).some((regionPrices) => regionPrices[key] !== undefined);
    if (used && sources[key] === undefined) issue(`${key} prices need sources.${key}`, ['sources', key]);
  }
}

export const entrySchema = z.lazy(() =>
  z
    .strictObject({
      vcpus: z.number().int().positive().optional(),
      memory_gib: z.number().positive().optional(),
      accelerators: z
        .strictObject({
          model: z.enum(ACCELERATOR_IDS),
          count: z.number().int().positive(),
          memory_gib: z.number().positive().optional(),
        })
        .optional(),
      billing: z.strictObject({ increment: durationSeconds, minimum: durationSeconds }),
      prices: z.record(z.string(), regionPricesSchema).optional(),
      owned: z
        .strictObject({
          purchase_usd: z.number().positive(),
          lifetime_years: z.number().positive(),
          power_watts: z.number().nonnegative(),
          usd_per_kwh: z.record(z.string(), z.number().nonnegative()),
        })
        .optional(),
      sources: sourcesSchema,
    })
    .check((ctx) => {
      const { prices, owned, sources } = ctx.value;
      const issue: Issue = (message, path) =>
        ctx.issues.push({ code: 'custom', message, input: ctx.value, path });
      if ((prices === undefined) === (owned === undefined)) {
        issue('expected exactly one of prices or owned', []);
        return;
      }
      if (owned && Object.keys(owned.usd_per_kwh).length === 0) {
        issue('owned hardware needs an electricity price in at least one region', ['owned', 'usd_per_kwh']);
      }
      if (prices && Object.keys(prices).length === 0) issue('an entry needs at least one region', ['prices']);
      for (const [region, regionPrices] of Object.entries(prices ?? {})) {
        if (regionPrices.on_demand === undefined)
          issue('every region needs on_demand', ['prices', region, 'on_demand']);
        checkRegionPrices(region, regionPrices, issue);
      }
      checkCitations(prices ?? {}, sources, issue);
      if (owned && sources.on_demand === undefined)
        issue('owned hardware needs sources.on_demand', ['sources', 'on_demand']);
    }),
);

type RawEntry = z.infer<typeof entrySchema>;

const fileSchema = z.lazy(() => z.strictObject({ instances: z.record(z.string(), entrySchema) }));

// src/hardware/catalog.ts and dist/hardware/catalog.js both sit two levels below the package root.
export const PRICING_DIR = fileURLToPath(new URL('../../pricing/', import.meta.url));

let shipped: Catalog | undefined;

/**
 * The catalog the package ships: every `pricing/<provider>.yaml`. Its files are read when an entry
 * is first looked up: parsing them takes about 0.3 s, which a scenario that names no instance
 * should not pay.
 */
export function shippedCatalog(): Catalog {
  if (shipped) return shipped;
  let entries: Map<string, InstanceEntry> | undefined;
  shipped = {
    get entries() {
      entries ??= new Map(
        PROVIDERS.flatMap((provider) => readCatalogFile(`${PRICING_DIR}${provider}.yaml`)).map((entry) => [
          entry.key,
          entry,
        ]),
      );
      return entries;
    },
    files: [],
  };
  return shipped;
}

/** Purchase spread evenly over the lifetime's hours plus the energy of one hour at `powerWatts`. */
export function ownedUsdPerHour(cost: OwnedCost): number {
  return cost.purchaseUsd / (cost.lifetimeYears * HOURS_PER_YEAR) + (cost.powerWatts / 1000) * cost.usdPerKwh;
}

function citationsOf(
  sources: RawSources,
  prices: ReadonlyMap<string, RegionPrices>,
): Map<string, Partial<Record<PriceKey, PriceSource>>> {
  return new Map(
    [...prices].map(([region, regionPrices]) => {
      const cited: Partial<Record<PriceKey, PriceSource>> = {};
      for (const key of PRICE_KEYS) {
        const source = sources[key];
        if (regionPrices[key] !== undefined && source)
          cited[key] = { source: source.source, asOf: source.as_of };
      }
      return [region, cited];
    }),
  );
}

/** The entry a validated raw entry describes, under `provider/type`. */
export function entryFromRaw(provider: string, type: string, raw: RawEntry): InstanceEntry {
  const owned: OwnedCost | undefined = raw.owned && {
    purchaseUsd: raw.owned.purchase_usd,
    lifetimeYears: raw.owned.lifetime_years,
    powerWatts: raw.owned.power_watts,
    usdPerKwh: 0,
  };
  const prices = new Map<string, RegionPrices>(
    raw.owned
      ? Object.entries(raw.owned.usd_per_kwh).map(([region, usdPerKwh]) => [
          region,
          { on_demand: ownedUsdPerHour({ ...owned!, usdPerKwh }) },
        ])
      : Object.entries(raw.prices!).map(([region, price]) => [region, defined(price)]),
  );
  return {
    key: `${provider}/${type}`,
    provider,
    type,
    ...(raw.vcpus !== undefined && { vcpus: raw.vcpus }),
    ...(raw.memory_gib !== undefined && { memoryGib: raw.memory_gib }),
    ...(raw.accelerators && {
      accelerators: {
        model: raw.accelerators.model,
        count: raw.accelerators.count,
        ...(raw.accelerators.memory_gib !== undefined && { memoryGib: raw.accelerators.memory_gib }),
      },
    }),
    billing: raw.billing,
    prices,
    citations: citationsOf(raw.sources, prices),
    // The per-region electricity prices already went into `prices`; keep the rest for `catalog show`.
    ...(owned && { owned, ownedUsdPerKwh: new Map(Object.entries(raw.owned!.usd_per_kwh)) }),
  };
}

/** One `pricing/<provider>.yaml`; the provider is the file name. Exported for tests. */
export function readCatalogFile(path: string): InstanceEntry[] {
  const provider = path.replace(/^.*\//, '').replace(/\.yaml$/, '');
  const parsed = fileSchema.safeParse(readYamlData(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const entry = issue.path[1] === undefined ? '' : ` entry "${String(issue.path[1])}"`;
    throw new Error(`broken catalog file ${path}${entry}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return Object.entries(parsed.data.instances).map(([type, raw]) => entryFromRaw(provider, type, raw));
}

function defined(prices: RegionPrices): RegionPrices {
  return Object.fromEntries(Object.entries(prices).filter(([, value]) => value !== undefined));
}

/**
 * The citations of an entry grouped for display: one line per kind of price and source, with the
 * regions it covers (all of them, for a shipped entry).
 */
export function citationGroups(
  entry: InstanceEntry,
): { key: PriceKey; source: PriceSource; regions: string[] }[] {
  const groups: { key: PriceKey; source: PriceSource; regions: string[] }[] = [];
  for (const key of PRICE_KEYS) {
    for (const [region, cited] of entry.citations) {
      const source = cited[key];
      if (!source) continue;
      const group = groups.find(
        (g) => g.key === key && g.source.source === source.source && g.source.asOf === source.asOf,
      );
      if (group) group.regions.push(region);
      else groups.push({ key, source, regions: [region] });
    }
  }
  return groups;
}

export interface InstanceFilter {
  provider?: string;
  accelerator?: string;
  region?: string;
}

/** Every entry, or those of one provider, with one accelerator model, or priced in one region; case does not matter. */
export function listInstances(
  filter: InstanceFilter = {},
  catalog: Catalog = shippedCatalog(),
): InstanceEntry[] {
  const lower = (text: string | undefined) => text?.toLowerCase();
  const provider = lower(filter.provider);
  const accelerator = lower(filter.accelerator);
  const region = lower(filter.region);
  return [...catalog.entries.values()].filter(
    (entry) =>
      (provider === undefined || entry.provider.toLowerCase() === provider) &&
      (accelerator === undefined || entry.accelerators?.model === accelerator) &&
      (region === undefined || [...entry.prices.keys()].some((at) => at.toLowerCase() === region)),
  );
}

export type ResolvedInstance =
  | {
      ok: true;
      key: string;
      priceUsdPerHour: number;
      billing: { increment: number; minimum: number };
      region: string;
      market: Market;
      vcpus?: number;
      memoryGib?: number;
      accelerators: { model: AcceleratorId; count: number; memoryGib?: number } | null;
      /** Where the price comes from and of when. */
      priceSource: PriceSource;
      /**
       * Owned hardware priced by the catalog's own formula in this region: the two parts of its
       * price, so a run can bill the electricity from its energy estimate instead.
       */
      owned?: { amortizedUsdPerHour: number; powerWatts: number; usdPerKwh: number };
    }
  | {
      ok: false;
      message: string;
      /** The instance exists but is not sold in that region or market: a configuration, not a typo. */
      unavailable?: true;
    };

/** The catalog entry for `provider/type`, or why there is none (with the closest keys). */
export function findInstance(
  key: string,
  catalog: Catalog = shippedCatalog(),
): { ok: true; entry: InstanceEntry } | { ok: false; message: string } {
  const entry = catalog.entries.get(key);
  if (entry) return { ok: true, entry };
  const withProvider = key.includes('/')
    ? []
    : [...catalog.entries.values()]
        .filter((candidate) => candidate.type === key)
        .map((candidate) => candidate.key);
  const message =
    withProvider.length > 0
      ? `instance "${key}" needs its provider: ${withProvider.join(' or ')}`
      : `unknown instance "${key}"; closest: ${closestNames(key, catalog.entries.keys(), { count: 3 }).join(', ')}`;
  return { ok: false, message };
}

function marketsIn(prices: RegionPrices): string {
  return MARKETS.filter((market) => prices[MARKET_PRICE[market]] !== undefined).join(', ');
}

/**
 * Price, billing and hardware of `provider/type` in a region (default: the provider's usual one)
 * and market (default on-demand; `reserved` = the 1-year commitment price), from `catalog`
 * (default: the shipped one).
 */
export function resolveInstance(
  key: string,
  options: { region?: string; market?: Market; catalog?: Catalog } = {},
): ResolvedInstance {
  const found = findInstance(key, options.catalog);
  if (!found.ok) return found;
  const { entry } = found;
  const region = options.region ?? DEFAULT_REGION[entry.provider];
  const prices = region === undefined ? undefined : entry.prices.get(region);
  if (!prices) {
    const regions = [...entry.prices.keys()].join(', ');
    if (region === undefined)
      return { ok: false, message: `instance "${key}" needs a region; regions: ${regions}` };
    return {
      ok: false,
      message: `instance "${key}" has no price in region "${region}"; regions: ${regions}`,
      unavailable: true,
    };
  }
  const market = options.market ?? 'on-demand';
  const priceKey = MARKET_PRICE[market];
  const price = prices[priceKey];
  const priceSource = entry.citations.get(region)?.[priceKey];
  if (price === undefined || priceSource === undefined) {
    return {
      ok: false,
      message: `instance "${key}" has no ${market} price in region "${region}"; markets there: ${marketsIn(prices)}`,
      unavailable: true,
    };
  }
  const usdPerKwh = entry.ownedUsdPerKwh?.get(region);
  // A user catalog may have replaced this region's price; then it is the user's own figure, not the formula's.
  const owned =
    entry.owned && usdPerKwh !== undefined && price === ownedUsdPerHour({ ...entry.owned, usdPerKwh })
      ? {
          amortizedUsdPerHour: ownedUsdPerHour({ ...entry.owned, usdPerKwh: 0 }),
          powerWatts: entry.owned.powerWatts,
          usdPerKwh,
        }
      : undefined;
  return {
    ok: true,
    key,
    priceUsdPerHour: price,
    ...(owned && { owned }),
    billing: { ...entry.billing },
    region,
    market,
    ...(entry.vcpus !== undefined && { vcpus: entry.vcpus }),
    ...(entry.memoryGib !== undefined && { memoryGib: entry.memoryGib }),
    accelerators: entry.accelerators ? { ...entry.accelerators } : null,
    priceSource: { ...priceSource },
  };
}
