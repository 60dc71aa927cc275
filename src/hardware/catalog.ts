import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { closestNames } from '../util/closest-names.js';

/**
 * Instance types and prices from `pricing/<provider>.yaml` (see pricing/README.md). Those files
 * ship inside the package, so a file that fails validation is a packaging bug and throws.
 */

export interface RegionPrices {
  onDemandUsdPerHour: number;
  spotUsdPerHour?: number;
  reserved1yUsdPerHour?: number;
  reserved3yUsdPerHour?: number;
}

export interface InstanceEntry {
  /** `provider/type`, e.g. `aws/g5.xlarge`. */
  key: string;
  provider: string;
  type: string;
  vcpus: number;
  memoryGib: number;
  accelerators?: { model: string; count: number; memoryGib: number };
  /** Seconds: each started increment is billed, and at least `minimum` per launch. */
  billing: { increment: number; minimum: number };
  prices: ReadonlyMap<string, RegionPrices>;
  source: string;
  asOf: string;
}

const DEFAULT_REGION: Readonly<Record<string, string>> = { aws: 'us-east-1', gcp: 'us-central1' };

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, min: 60, h: 3600 };

/** `60s`, `1min`, `1h` or a bare number of seconds; kept here so hardware depends on no scenario code. */
const durationSeconds = z.union([
  z.number().nonnegative(),
  z
    .string()
    .regex(/^\d+(\.\d+)?(s|min|h)$/, 'expected a duration such as 60s, 1min or 1h')
    .transform((text) => {
      const [, amount, unit] = text.match(/^(\d+(?:\.\d+)?)(s|min|h)$/)!;
      return Number(amount) * SECONDS_PER_UNIT[unit];
    }),
]);

const usdPerHour = z.number().nonnegative();

const entrySchema = z.strictObject({
  vcpus: z.number().int().positive(),
  memory_gib: z.number().positive(),
  accelerators: z
    .strictObject({
      model: z.string().min(1),
      count: z.number().int().positive(),
      memory_gib: z.number().positive(),
    })
    .optional(),
  billing: z.strictObject({ increment: durationSeconds, minimum: durationSeconds }),
  prices: z
    .record(
      z.string(),
      z.strictObject({
        on_demand: usdPerHour,
        spot: usdPerHour.optional(),
        reserved_1y: usdPerHour.optional(),
        reserved_3y: usdPerHour.optional(),
      }),
    )
    .refine((prices) => Object.keys(prices).length > 0, 'an entry needs at least one region'),
  source: z.string().min(1),
  // The yaml core schema leaves 2026-01-21 a string; the regex keeps it a plain date.
  as_of: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
});

const fileSchema = z.strictObject({ instances: z.record(z.string(), entrySchema) });

// src/hardware/catalog.ts and dist/hardware/catalog.js both sit two levels below the package root.
const PRICING_DIR = fileURLToPath(new URL('../../pricing/', import.meta.url));

let cache: ReadonlyMap<string, InstanceEntry> | undefined;

function loadCatalog(): ReadonlyMap<string, InstanceEntry> {
  if (cache) return cache;
  const files = readdirSync(PRICING_DIR)
    .filter((name) => name.endsWith('.yaml'))
    .sort();
  const entries = files.flatMap((name) => readCatalogFile(`${PRICING_DIR}${name}`));
  cache = new Map(entries.map((entry) => [entry.key, entry]));
  return cache;
}

/** One `pricing/<provider>.yaml`; the provider is the file name. Exported for tests. */
export function readCatalogFile(path: string): InstanceEntry[] {
  const provider = basename(path, '.yaml');
  const parsed = fileSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const entry = issue.path[1] === undefined ? '' : ` entry "${String(issue.path[1])}"`;
    throw new Error(`broken catalog file ${path}${entry}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return Object.entries(parsed.data.instances).map(([type, raw]) => ({
    key: `${provider}/${type}`,
    provider,
    type,
    vcpus: raw.vcpus,
    memoryGib: raw.memory_gib,
    ...(raw.accelerators && {
      accelerators: {
        model: raw.accelerators.model,
        count: raw.accelerators.count,
        memoryGib: raw.accelerators.memory_gib,
      },
    }),
    billing: raw.billing,
    prices: new Map(
      Object.entries(raw.prices).map(([region, price]) => [
        region,
        {
          onDemandUsdPerHour: price.on_demand,
          ...(price.spot !== undefined && { spotUsdPerHour: price.spot }),
          ...(price.reserved_1y !== undefined && { reserved1yUsdPerHour: price.reserved_1y }),
          ...(price.reserved_3y !== undefined && { reserved3yUsdPerHour: price.reserved_3y }),
        },
      ]),
    ),
    source: raw.source,
    asOf: raw.as_of,
  }));
}

export function listInstances(): InstanceEntry[] {
  return [...loadCatalog().values()];
}

export type ResolvedInstance =
  | { ok: true; priceUsdPerHour: number; billing: { increment: number; minimum: number }; region: string }
  | { ok: false; message: string };

/** On-demand price and billing of `provider/type` in a region (default: the provider's usual one). */
export function resolveInstance(key: string, options: { region?: string } = {}): ResolvedInstance {
  const catalog = loadCatalog();
  const entry = catalog.get(key);
  if (!entry) {
    const withProvider = key.includes('/')
      ? []
      : listInstances()
          .filter((candidate) => candidate.type === key)
          .map((candidate) => candidate.key);
    const message =
      withProvider.length > 0
        ? `instance "${key}" needs its provider: ${withProvider.join(' or ')}`
        : `unknown instance "${key}"; closest: ${closestNames(key, catalog.keys(), { count: 3 }).join(', ')}`;
    return { ok: false, message };
  }
  const region = options.region ?? DEFAULT_REGION[entry.provider];
  const prices = region === undefined ? undefined : entry.prices.get(region);
  if (!prices) {
    const regions = [...entry.prices.keys()].join(', ');
    const what = region === undefined ? 'needs a region' : `has no price in region "${region}"`;
    return { ok: false, message: `instance "${key}" ${what}; regions: ${regions}` };
  }
  return { ok: true, priceUsdPerHour: prices.onDemandUsdPerHour, billing: { ...entry.billing }, region };
}
