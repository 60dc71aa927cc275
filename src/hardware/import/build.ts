import { basename } from 'node:path';
import { LineCounter, stringify } from 'yaml';
import * as z from 'zod';
import { documentValue, parseKeyed } from '../../util/yaml-keys.js';
import { type AcceleratorId, entrySchema, PRICE_KEYS, shippedCatalog } from '../catalog.js';
import { userCatalogTextErrors } from '../user-catalog.js';
import {
  type HardwareRecord,
  type ImportFormat,
  type ParsedPriceList,
  type PriceRecord,
  round9,
} from './formats.js';

/**
 * Builds a pricing file from downloaded price lists: the entries of a base file (a shipped
 * `pricing/<provider>.yaml` or a user catalog) re-priced from the lists, plus new types. The result
 * depends only on the files and the options, never on the clock or the network, so rebuilding from
 * the same lists gives the same bytes.
 */

export interface ImportSource {
  format: ImportFormat;
  /** The path as given; citations name its base name. */
  path: string;
  /** The snapshot date of the list. */
  asOf: string;
  parsed: ParsedPriceList;
}

export interface ImportOptions {
  provider: string;
  /** The file being refreshed: its entries (order, hardware, billing, regions) are the starting point. */
  base: { text: string; path: string } | null;
  sources: readonly ImportSource[];
  /** Types to add (or to keep, without a base), in this order after the base's. */
  types: readonly string[];
  /** Regions of every re-priced entry, in this order; default: each base entry's own. */
  regions: readonly string[] | null;
}

export interface ImportResult {
  text: string;
  /** Entries whose prices came from the lists. */
  repriced: string[];
  /** Base entries no list prices, written as they were. */
  kept: string[];
  added: string[];
}

export class ImportError extends Error {
  override name = 'ImportError';
}

/**
 * A price list's accelerator name -> catalog id and memory per accelerator (datasheet GB, which the
 * catalog takes as GiB: pricing/README.md), for types a base file does not describe yet.
 */
const ACCELERATOR_NAMES: Readonly<Record<string, { model: AcceleratorId; memoryGib: number }>> = {
  'NVIDIA T4': { model: 't4', memoryGib: 16 },
  T4: { model: 't4', memoryGib: 16 },
  'NVIDIA A10G': { model: 'a10g', memoryGib: 24 },
  'NVIDIA L4': { model: 'l4', memoryGib: 24 },
  l4: { model: 'l4', memoryGib: 24 },
  L4: { model: 'l4', memoryGib: 24 },
  'NVIDIA L40S': { model: 'l40s', memoryGib: 48 },
  L40S: { model: 'l40s', memoryGib: 48 },
  a100: { model: 'a100-40gb', memoryGib: 40 },
  'a100-80gb': { model: 'a100-80gb', memoryGib: 80 },
  'A100-80GB': { model: 'a100-80gb', memoryGib: 80 },
  'NVIDIA H100': { model: 'h100-80gb', memoryGib: 80 },
  'h100-80gb': { model: 'h100-80gb', memoryGib: 80 },
  'h100-80gb-mega': { model: 'h100-80gb', memoryGib: 80 },
  'NVIDIA H200': { model: 'h200-141gb', memoryGib: 141 },
  // AWS lists 1432 GB for the eight GPUs of p6-b200.48xlarge.
  'NVIDIA B200 Blackwell': { model: 'b200', memoryGib: 179 },
  'NVIDIA RTX PRO 6000 Blackwell': { model: 'rtx-pro-6000', memoryGib: 96 },
  rtx6000: { model: 'rtx-pro-6000', memoryGib: 96 },
  'AWS Inferentia2': { model: 'inferentia2', memoryGib: 32 },
  'AWS Trainium': { model: 'trainium', memoryGib: 32 },
};

/** TPU slice names: v5e and v6e count chips, v5p counts TensorCores (two per chip). */
function tpuSlice(name: string): { model: AcceleratorId; count: number } | null {
  const match = /^tpu-(v5e|v6e|v5p)-(\d+)$/.exec(name);
  if (!match) return null;
  const units = Number(match[2]);
  if (match[1] === 'v5p') return units % 2 === 0 ? { model: 'tpu-v5p', count: units / 2 } : null;
  return { model: match[1] === 'v5e' ? 'tpu-v5e' : 'tpu-v6e', count: units };
}

/** Per-second billing with a one-minute minimum (EC2 Linux, Compute Engine, Cloud TPU); Azure by the second. */
const DEFAULT_BILLING: Readonly<Record<string, { increment: string; minimum: string }>> = {
  aws: { increment: '1s', minimum: '60s' },
  gcp: { increment: '1s', minimum: '60s' },
  azure: { increment: '1s', minimum: '1s' },
};

type RawEntry = Record<string, unknown>;

const KEY_PATTERN = /^([a-z0-9][a-z0-9-]*)\/(\S+)$/;

function parseBase(base: { text: string; path: string }): {
  entries: [string, RawEntry][];
  qualified: boolean;
} {
  const { document, errors } = parseKeyed(base.text, new LineCounter());
  if (errors.length > 0)
    throw new ImportError(`--base ${base.path}: not YAML: ${errors[0].message.split('\n')[0]}`);
  const value = documentValue(document);
  if (!value.ok) throw new ImportError(`--base ${base.path}: not YAML: ${value.message}`);
  const raw = value.value;
  const shape = z
    .strictObject({ instances: z.record(z.string(), z.record(z.string(), z.unknown())) })
    .safeParse(raw);
  if (!shape.success)
    throw new ImportError(`--base ${base.path}: expected a pricing file with an instances: section`);
  const entries = Object.entries(shape.data.instances);
  // An empty base is taken for a user catalog: a provider's pricing file is never empty.
  const qualified = entries.every(([key]) => KEY_PATTERN.test(key));
  return { entries, qualified };
}

function hardwareFor(
  type: string,
  sources: readonly ImportSource[],
): { vcpus?: number; memory_gib?: number; accelerators?: Record<string, unknown> } {
  const records = sources
    .map((source) => source.parsed.hardware.get(type))
    .filter((record): record is HardwareRecord => record !== undefined);
  const pick = <K extends keyof HardwareRecord>(key: K) => records.find((r) => r[key] !== undefined)?.[key];
  const vcpus = pick('vcpus');
  const memoryGib = pick('memoryGib');
  const name = pick('accelerator');
  let accelerators: Record<string, unknown> | undefined;
  if (name !== undefined) {
    const slice = tpuSlice(name);
    const known = ACCELERATOR_NAMES[name];
    const count = pick('count');
    if (slice) accelerators = { model: slice.model, count: slice.count };
    else if (known && count !== undefined && Number.isInteger(count))
      accelerators = { model: known.model, count, memory_gib: known.memoryGib };
    else
      throw new ImportError(
        `${type}: cannot tell which accelerator "${name}"${count !== undefined ? ` x ${count}` : ''} is; add the type to the --base file by hand with its accelerators`,
      );
  }
  return {
    ...(vcpus !== undefined && { vcpus }),
    ...(memoryGib !== undefined && { memory_gib: memoryGib }),
    ...(accelerators && { accelerators }),
  };
}

/** `a in r1, r2` for the citation. */
function rows(type: string, regions: readonly string[]): string {
  return `rows ${type} in ${regions.join(', ')}`;
}

interface Chosen {
  price: number;
  source: ImportSource;
  how: string;
}

/** One entry's prices from the lists: the first list with a price wins, spot savings apply last. */
function priceEntry(
  type: string,
  regions: readonly string[],
  sources: readonly ImportSource[],
): {
  prices: Record<string, Record<string, number>>;
  sources: Record<string, { source: string; as_of: string }>;
} | null {
  const byKey = new Map<string, Chosen>();
  for (const source of sources) {
    for (const record of source.parsed.prices as PriceRecord[]) {
      if (record.type !== type || !regions.includes(record.region)) continue;
      const id = `${record.region}\u0000${record.key}`;
      if (!byKey.has(id)) byKey.set(id, { price: record.usdPerHour, source, how: record.how });
    }
  }
  const withOnDemand = regions.filter((region) => byKey.has(`${region}\u0000on_demand`));
  if (withOnDemand.length === 0) return null;
  const saved: { region: string; percent: number; source: ImportSource }[] = [];
  for (const region of withOnDemand) {
    if (byKey.has(`${region}\u0000spot`)) continue;
    for (const source of sources) {
      const saving = source.parsed.savings.find((s) => s.type === type && s.region === region);
      if (saving) {
        saved.push({ region, percent: saving.percent, source });
        break;
      }
    }
  }
  const prices: Record<string, Record<string, number>> = {};
  for (const region of withOnDemand) {
    const onDemand = byKey.get(`${region}\u0000on_demand`)!.price;
    const saving = saved.find((s) => s.region === region);
    const regionPrices: Record<string, number> = {};
    for (const key of PRICE_KEYS) {
      const chosen = byKey.get(`${region}\u0000${key}`);
      if (chosen) regionPrices[key] = chosen.price;
      else if (key === 'spot' && saving) regionPrices.spot = round9(onDemand * (1 - saving.percent / 100));
    }
    prices[region] = regionPrices;
  }
  const cited: Record<string, { source: string; as_of: string }> = {};
  for (const key of PRICE_KEYS) {
    // One clause per list and way of reading it, with the regions it priced; the oldest list dates the kind.
    const clauses: { text: string; asOf: string }[] = [];
    const groups = new Map<string, { source: ImportSource; how: string; regions: string[] }>();
    for (const region of withOnDemand) {
      const chosen = byKey.get(`${region}\u0000${key}`);
      if (!chosen) continue;
      const id = `${chosen.source.path}\u0000${chosen.how}`;
      const group = groups.get(id) ?? { source: chosen.source, how: chosen.how, regions: [] };
      group.regions.push(region);
      groups.set(id, group);
    }
    for (const { source, how, regions: at } of groups.values()) {
      clauses.push({
        text: `${basename(source.path)} (${source.format}) ${how}, ${rows(type, at)}`,
        asOf: source.asOf,
      });
    }
    if (key === 'spot' && saved.length > 0) {
      const bySource = new Map<ImportSource, string[]>();
      for (const s of saved)
        bySource.set(s.source, [...(bySource.get(s.source) ?? []), `${s.region} s=${s.percent}`]);
      for (const [source, savings] of bySource) {
        clauses.push({
          text: `${basename(source.path)} (${source.format}) spot_advisor.<region>.Linux.${type} (${savings.join(', ')}); spot = on_demand x (1 - s/100), 9 decimals`,
          asOf: source.asOf,
        });
      }
    }
    if (clauses.length === 0) continue;
    cited[key] = {
      source: clauses.map((clause) => clause.text).join('; '),
      as_of: clauses.map((clause) => clause.asOf).sort()[0],
    };
  }
  return { prices, sources: cited };
}

const HEADER = (provider: string) =>
  `# ${provider} instance prices in USD per hour, Linux. Written by \`fleetsim catalog import\` from the\n` +
  '# price lists each entry cites; rerun it rather than editing by hand. See pricing/README.md.\n';

/** The pricing file, and which entries were re-priced, kept as they were, or added. */
export function buildPricingFile(options: ImportOptions): ImportResult {
  const { provider, sources } = options;
  const base = options.base ? parseBase(options.base) : { entries: [], qualified: true };
  const keyOf = (type: string) => (base.qualified ? `${provider}/${type}` : type);
  const typeOf = (key: string) => {
    if (!base.qualified) return key;
    const match = KEY_PATTERN.exec(key)!;
    return match[1] === provider ? match[2] : null;
  };
  const result: ImportResult = { text: '', repriced: [], kept: [], added: [] };
  const instances: Record<string, unknown> = {};
  const inBase = new Set<string>();
  for (const [key, entry] of base.entries) {
    const type = typeOf(key);
    if (type !== null) inBase.add(type);
    const regions =
      options.regions ?? Object.keys((entry.prices as Record<string, unknown> | undefined) ?? {});
    const priced = type === null ? null : priceEntry(type, regions, sources);
    if (priced === null) {
      instances[key] = entry;
      result.kept.push(key);
      continue;
    }
    const { prices: _prices, sources: _sources, ...rest } = entry;
    instances[key] = { ...rest, prices: priced.prices, sources: priced.sources };
    result.repriced.push(key);
  }
  for (const type of options.types) {
    if (inBase.has(type)) continue;
    if (options.regions === null)
      throw new ImportError(`${type}: a type the base does not have needs --regions`);
    const priced = priceEntry(type, options.regions, sources);
    if (priced === null)
      throw new ImportError(
        `${type}: no price list given has an on-demand price for it in ${options.regions.join(', ')}`,
      );
    // A user catalog gives an instance the catalog has its prices only: its hardware and billing stay.
    if (base.qualified && shippedCatalog().entries.has(keyOf(type))) {
      instances[keyOf(type)] = { prices: priced.prices, sources: priced.sources };
      inBase.add(type);
      result.added.push(keyOf(type));
      continue;
    }
    const billing = DEFAULT_BILLING[provider];
    if (billing === undefined)
      throw new ImportError(
        `${type}: no billing rule is known for provider ${provider}; add the type to the --base file by hand`,
      );
    const entry = { ...hardwareFor(type, sources), billing, prices: priced.prices, sources: priced.sources };
    const checked = entrySchema.safeParse(entry);
    if (!checked.success) throw new ImportError(`${type}: ${checked.error.issues[0].message}`);
    instances[keyOf(type)] = entry;
    inBase.add(type);
    result.added.push(keyOf(type));
  }
  result.text = HEADER(provider) + stringify({ instances }, { lineWidth: 0, aliasDuplicateObjects: false });
  if (base.qualified) {
    // What `--catalog` would refuse is not written: prices of shipped instances merge with theirs.
    const [refused] = userCatalogTextErrors(result.text, 'the output');
    if (refused !== undefined)
      throw new ImportError(
        `the output would be refused as a user catalog, so it is not written: ${refused.message}`,
      );
    return result;
  }
  for (const [key, entry] of Object.entries(instances)) {
    const checked = entrySchema.safeParse(entry);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw new ImportError(`${key}: ${issue.path.join('.')}: ${issue.message}`);
    }
  }
  return result;
}
