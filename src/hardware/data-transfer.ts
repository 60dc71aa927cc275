import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { closestNames } from '../util/closest-names.js';
import { readYamlData } from '../util/yaml-data.js';
import { isoDate, type PriceSource } from './catalog.js';

// Schemas under z.lazy are built on first use: a run that moves no data between regions never reads
// the file, and building zod schemas is a noticeable part of what a short `fleetsim run` waits for.

/**
 * What moving bytes costs: internet egress by provider, source region, destination class and
 * monthly volume tier, and transfer between regions and zones of one provider, from
 * `pricing/data-transfer.yaml` (see pricing/README.md). The file ships with the package, so one
 * that fails validation is a packaging bug and throws.
 */

/** GCP's Premium Tier prices three destination classes; AWS prices by source region only (`worldwide`). */
export const INTERNET_DESTINATIONS = ['worldwide', 'china', 'australia'] as const;
export type InternetDestination = (typeof INTERNET_DESTINATIONS)[number];

/**
 * Where bytes go from `region` (and `zone`) of `provider`. `'internet'` is the `worldwide` class
 * (for GCP: everywhere but China and Australia). A zone left out on either side means the same zone.
 */
export interface TransferRoute {
  provider: string;
  region: string;
  zone?: string;
  destination: 'internet' | { internet: InternetDestination } | { region: string; zone?: string };
}

const BYTES_PER_UNIT = { GiB: 2 ** 30, GB: 1e9 } as const;

/** AWS and GCP price a month as 730 hours (the GCP snapshot's monthly prices are 730 x hourly). */
export const SECONDS_PER_BILLING_MONTH = 730 * 3600;

/** Volume tiers in bytes: tier i covers [startsBytes[i], startsBytes[i + 1]); the last has no end. */
export interface TieredPrice {
  startsBytes: readonly number[];
  usdPerByte: readonly number[];
}

/** The price of one route, resolved from the table. */
export type TransferPrice =
  | { kind: 'tiered'; tiers: TieredPrice; source: PriceSource }
  | { kind: 'flat'; usdPerByte: number; source: PriceSource }
  | { kind: 'free' };

const usd = z.number().nonnegative();
// A source that states no date is dated by the day it was read (pricing/README.md), so every price
// has a date.
const cited = { source: z.string().min(1), as_of: isoDate };

const providerSchema = z.lazy(() =>
  z.strictObject({
    unit: z.enum(['GiB', 'GB']),
    unit_source: z.strictObject(cited),
    internet_egress: z
      .strictObject({
        tier_starts: z.array(z.number().nonnegative()).min(1),
        ...cited,
        prices: z.record(z.string(), z.partialRecord(z.enum(INTERNET_DESTINATIONS), z.array(usd))),
      })
      .check((ctx) => {
        const { tier_starts: starts, prices } = ctx.value;
        const issue = (message: string, path: PropertyKey[]) =>
          ctx.issues.push({ code: 'custom', message, input: ctx.value, path });
        if (starts[0] !== 0) issue('the first tier must start at 0', ['tier_starts', 0]);
        for (let i = 1; i < starts.length; i++) {
          if (starts[i] <= starts[i - 1]) issue('tier starts must increase', ['tier_starts', i]);
        }
        for (const [region, byDestination] of Object.entries(prices)) {
          for (const [destination, tierPrices] of Object.entries(byDestination)) {
            if (tierPrices.length !== starts.length)
              issue(`expected ${starts.length} prices, one per tier`, ['prices', region, destination]);
          }
        }
      })
      .optional(),
    inter_region: z
      .strictObject({ ...cited, prices: z.record(z.string(), z.record(z.string(), usd)) })
      .optional(),
    inter_zone: z
      .strictObject({ usd_per_unit: usd, billed: z.enum(['sender', 'both-ends']), ...cited })
      .optional(),
  }),
);

const fileSchema = z.lazy(() => z.strictObject({ providers: z.record(z.string(), providerSchema) }));
type ProviderPrices = z.infer<typeof providerSchema>;

// src/hardware/data-transfer.ts and dist/hardware/data-transfer.js both sit two levels below the package root.
export const DATA_TRANSFER_FILE = fileURLToPath(new URL('../../pricing/data-transfer.yaml', import.meta.url));

let cache: ReadonlyMap<string, ProviderPrices> | undefined;

function loadPrices(): ReadonlyMap<string, ProviderPrices> {
  cache ??= readDataTransferFile(DATA_TRANSFER_FILE);
  return cache;
}

/** Reads and validates a data-transfer price file. Exported for tests. */
export function readDataTransferFile(path: string): ReadonlyMap<string, ProviderPrices> {
  const parsed = fileSchema.safeParse(readYamlData(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`broken data-transfer price file ${path}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return new Map(Object.entries(parsed.data.providers));
}

function sourceOf(section: { source: string; as_of: string }): PriceSource {
  return { source: section.source, asOf: section.as_of };
}

/** A route's price, or why the table has none. */
export type TransferPriceLookup = { ok: true; price: TransferPrice } | { ok: false; message: string };

function missing(message: string): TransferPriceLookup {
  return { ok: false, message };
}

function unknownName(what: string, name: string, known: Iterable<string>): TransferPriceLookup {
  const closest = closestNames(name, known, { count: 3 });
  const hint = closest.length > 0 ? `; closest: ${closest.join(', ')}` : '';
  return missing(`${what} "${name}" has no price in pricing/data-transfer.yaml${hint}`);
}

/**
 * The price of a route, or why the table has none (with the closest names), for a scenario loader
 * to report. Traffic that stays in one zone of one region is free at every provider.
 */
export function findTransferPrice(route: TransferRoute): TransferPriceLookup {
  const { destination } = route;
  if (typeof destination === 'object' && 'region' in destination && destination.region === route.region) {
    const sameZone =
      route.zone === undefined || destination.zone === undefined || route.zone === destination.zone;
    if (sameZone) return { ok: true, price: { kind: 'free' } };
  }
  const prices = loadPrices();
  const provider = prices.get(route.provider);
  if (!provider) return unknownName('provider', route.provider, prices.keys());
  const bytesPerUnit = BYTES_PER_UNIT[provider.unit];
  if (destination === 'internet' || 'internet' in destination) {
    const destinationClass = destination === 'internet' ? 'worldwide' : destination.internet;
    return internetPrice(route, provider, destinationClass, bytesPerUnit);
  }
  if (destination.region === route.region) {
    const zone = provider.inter_zone;
    if (!zone) return missing(`${route.provider} has no inter-zone price in pricing/data-transfer.yaml`);
    const ends = zone.billed === 'both-ends' ? 2 : 1;
    const usdPerByte = (ends * zone.usd_per_unit) / bytesPerUnit;
    return { ok: true, price: { kind: 'flat', usdPerByte, source: sourceOf(zone) } };
  }
  const table = provider.inter_region;
  if (!table) return missing(`${route.provider} has no inter-region prices in pricing/data-transfer.yaml`);
  const fromRegion = table.prices[route.region];
  if (!fromRegion) {
    return unknownName(
      `${route.provider} inter-region source region`,
      route.region,
      Object.keys(table.prices),
    );
  }
  const usdPerUnit = fromRegion[destination.region];
  if (usdPerUnit === undefined) {
    const what = `${route.provider} transfer from ${route.region} to region`;
    return unknownName(what, destination.region, Object.keys(fromRegion));
  }
  return {
    ok: true,
    price: { kind: 'flat', usdPerByte: usdPerUnit / bytesPerUnit, source: sourceOf(table) },
  };
}

function internetPrice(
  route: TransferRoute,
  provider: ProviderPrices,
  destinationClass: InternetDestination,
  bytesPerUnit: number,
): TransferPriceLookup {
  const egress = provider.internet_egress;
  if (!egress)
    return missing(`${route.provider} has no internet egress prices in pricing/data-transfer.yaml`);
  const byDestination = egress.prices[route.region];
  if (!byDestination) {
    return unknownName(
      `${route.provider} internet egress source region`,
      route.region,
      Object.keys(egress.prices),
    );
  }
  const tierPrices = byDestination[destinationClass];
  if (!tierPrices) {
    const known = Object.keys(byDestination).join(', ');
    return missing(
      `${route.provider} has no internet egress price from ${route.region} to ${destinationClass}; destinations priced there: ${known}`,
    );
  }
  const tiers: TieredPrice = {
    startsBytes: egress.tier_starts.map((start) => start * bytesPerUnit),
    usdPerByte: tierPrices.map((price) => price / bytesPerUnit),
  };
  return { ok: true, price: { kind: 'tiered', tiers, source: sourceOf(egress) } };
}

/**
 * USD for `bytes` more on tiered prices when `monthToDateBytes` were already sent this month:
 * each byte pays the price of the tier its position in the month falls in.
 */
export function tieredCostUsd(tiers: TieredPrice, bytes: number, monthToDateBytes = 0): number {
  const { startsBytes, usdPerByte } = tiers;
  const end = monthToDateBytes + bytes;
  let costUsd = 0;
  for (let i = 0; i < startsBytes.length; i++) {
    const tierEnd = i + 1 < startsBytes.length ? startsBytes[i + 1] : Number.POSITIVE_INFINITY;
    const overlap = Math.min(end, tierEnd) - Math.max(monthToDateBytes, startsBytes[i]);
    if (overlap > 0) costUsd += overlap * usdPerByte[i];
  }
  return costUsd;
}

/**
 * USD for sending `bytes` along a route. Tiered (internet egress) prices count the month from
 * `monthToDateBytes` (default 0: the run starts a billing month); flat prices ignore it. Throws for
 * a route the table does not price: a loader checks routes first with `findTransferPrice`.
 */
export function egressCostUsd(route: TransferRoute, bytes: number, monthToDateBytes = 0): number {
  if (!(bytes >= 0) || !(monthToDateBytes >= 0)) {
    throw new RangeError(`bytes must be non-negative numbers, got ${bytes} and ${monthToDateBytes}`);
  }
  const found = findTransferPrice(route);
  if (!found.ok) throw new Error(found.message);
  const { price } = found;
  if (price.kind === 'free') return 0;
  if (price.kind === 'flat') return bytes * price.usdPerByte;
  return tieredCostUsd(price.tiers, bytes, monthToDateBytes);
}

/**
 * The run's share of a month's bill at the run's average rate: the bytes sent in `horizonS` are
 * scaled to a 730-hour month, priced through the tiers, and the bill scaled back by horizon/month.
 * For a run shorter than a month that stands for steady traffic; `egressCostUsd` instead prices the
 * run as the first `horizonS` of a month.
 */
export function proratedEgressCostUsd(route: TransferRoute, bytes: number, horizonS: number): number {
  if (!(horizonS > 0)) throw new RangeError(`horizon must be positive, got ${horizonS} s`);
  const monthsInRun = horizonS / SECONDS_PER_BILLING_MONTH;
  return egressCostUsd(route, bytes / monthsInRun) * monthsInRun;
}
