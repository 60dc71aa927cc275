import * as z from 'zod';
import { readYamlData } from '../util/yaml-data.js';
import { isoDate, PRICING_DIR } from './catalog.js';

/**
 * Host power coefficients, data-center PUE and grid carbon intensity from `pricing/carbon.yaml`
 * (see its header for origin and licence). The file ships inside the package, so one that fails
 * validation is a packaging bug and throws.
 */

/** Providers whose instance prices include the electricity they draw. */
export const CLOUD_PROVIDERS: readonly string[] = ['aws', 'gcp', 'azure'];

export function isCloudInstance(key: string): boolean {
  return CLOUD_PROVIDERS.includes(key.split('/')[0]);
}

export interface Cited<T> {
  value: T;
  source: string;
}

export interface HostCoefficients {
  minWattsPerVcpu: number;
  maxWattsPerVcpu: number;
  source: string;
}

export interface EnergyData {
  memoryWattsPerGb: Cited<number>;
  hostByProvider: ReadonlyMap<string, HostCoefficients>;
  hostDefault: HostCoefficients;
  /** By provider, plus `on_prem` and `edge`. */
  pue: ReadonlyMap<string, { pue: number; year: number; source: string }>;
  /** gCO2e per kWh by provider, then region. */
  grid: ReadonlyMap<string, ReadonlyMap<string, { gPerKwh: number; year: number; source: string }>>;
  /** `provider/region` -> why there is no figure. */
  missing: ReadonlyMap<string, string>;
}

const text = z.string().min(1);
const hostSchema = z
  .strictObject({
    min_watts_per_vcpu: z.number().nonnegative(),
    max_watts_per_vcpu: z.number().positive(),
    source: text,
  })
  .refine((host) => host.min_watts_per_vcpu <= host.max_watts_per_vcpu, 'min above max');
const year = z.number().int().min(2000).max(2100);

const fileSchema = z.strictObject({
  as_of: isoDate,
  host: z.strictObject({
    memory_watts_per_gb: z.number().nonnegative(),
    memory_source: text,
    providers: z.record(z.string(), hostSchema),
    default: hostSchema,
  }),
  pue: z.record(z.string(), z.strictObject({ pue: z.number().min(1), year, source: text })),
  grid: z.record(
    z.string(),
    z.record(z.string(), z.strictObject({ g_per_kwh: z.number().nonnegative(), year, source: text })),
  ),
  missing: z.record(z.string(), text),
});

export const CARBON_FILE = `${PRICING_DIR}carbon.yaml`;

function host(raw: z.infer<typeof hostSchema>): HostCoefficients {
  return {
    minWattsPerVcpu: raw.min_watts_per_vcpu,
    maxWattsPerVcpu: raw.max_watts_per_vcpu,
    source: raw.source,
  };
}

export function readEnergyData(path: string = CARBON_FILE): EnergyData {
  // Read once a process: compiling a fast parser for the file's objects would cost more than the
  // one parse it serves.
  const parsed = fileSchema.safeParse(readYamlData(path), { jitless: true });
  if (!parsed.success) throw new Error(`broken energy data file ${path}: ${z.prettifyError(parsed.error)}`);
  const raw = parsed.data;
  return {
    memoryWattsPerGb: { value: raw.host.memory_watts_per_gb, source: raw.host.memory_source },
    hostByProvider: new Map(Object.entries(raw.host.providers).map(([provider, h]) => [provider, host(h)])),
    hostDefault: host(raw.host.default),
    pue: new Map(Object.entries(raw.pue)),
    grid: new Map(
      Object.entries(raw.grid).map(([provider, regions]) => [
        provider,
        new Map(
          Object.entries(regions).map(([region, g]) => [
            region,
            { gPerKwh: g.g_per_kwh, year: g.year, source: g.source },
          ]),
        ),
      ]),
    ),
    missing: new Map(Object.entries(raw.missing)),
  };
}

let shipped: EnergyData | undefined;

export function shippedEnergyData(): EnergyData {
  shipped ??= readEnergyData();
  return shipped;
}
