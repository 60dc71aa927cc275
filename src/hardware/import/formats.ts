import { parse as parseCsv } from 'csv-parse/sync';
import type { PriceKey } from '../catalog.js';

/**
 * Readers of the public price lists `fleetsim catalog import` understands. Each turns one
 * downloaded file into price records (USD per hour, Linux, one per instance type, region and kind
 * of price) plus what it says about the hardware; none of them fetches anything.
 */

export const IMPORT_FORMATS = [
  'vantage-csv',
  'aws-spot-advisor',
  'aws-price-list',
  'gcp-compute-csv',
  'skypilot-csv',
  'azure-retail-json',
] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** The provider whose prices a format holds; null where the file itself says (SkyPilot's per-cloud catalogs). */
export const FORMAT_PROVIDER: Readonly<Record<ImportFormat, string | null>> = {
  'vantage-csv': 'aws',
  'aws-spot-advisor': 'aws',
  'aws-price-list': 'aws',
  'gcp-compute-csv': 'gcp',
  'skypilot-csv': null,
  'azure-retail-json': 'azure',
};

export interface PriceRecord {
  type: string;
  region: string;
  key: PriceKey;
  usdPerHour: number;
  /** How the price was read or derived, for the citation: `column usd_per_hour_spot`. */
  how: string;
}

/** A spot saving in percent (the AWS spot advisor): spot = on-demand x (1 - percent / 100). */
export interface SpotSaving {
  type: string;
  region: string;
  percent: number;
}

/** What a price list says about an instance type's host and accelerators. */
export interface HardwareRecord {
  vcpus?: number;
  memoryGib?: number;
  /** The list's own name for the accelerator (`NVIDIA L40S`, `h100-80gb`, `tpu-v6e-8`). */
  accelerator?: string;
  count?: number;
}

export interface ParsedPriceList {
  prices: PriceRecord[];
  savings: SpotSaving[];
  hardware: Map<string, HardwareRecord>;
  /** The snapshot date the file itself records (the AWS price list's publicationDate), if any. */
  asOf: string | null;
}

export class PriceListError extends Error {
  override name = 'PriceListError';
}

const HOURS_PER_MONTH = 730; // the month of GCP's monthly prices
const HOURS_PER_YEAR = 8760;

/** Nine decimals (a billionth of a dollar per hour): 0.56523717, not 0.5652371700000001. */
export function round9(value: number): number {
  return Number(value.toFixed(9));
}

function positive(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function csvRows(text: string, required: readonly string[], what: string): Record<string, string>[] {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true });
  } catch (error) {
    throw new PriceListError(`not a ${what} CSV: ${(error as Error).message}`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0]) : [];
  const missing = required.filter((column) => !header.includes(column));
  if (rows.length > 0 && missing.length > 0)
    throw new PriceListError(`not a ${what} CSV: no column ${missing.join(', ')}`);
  return rows;
}

function json(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PriceListError(`not ${what} JSON: ${(error as Error).message}`);
  }
}

function firstPerTypeAndRegion(prices: PriceRecord[]): PriceRecord[] {
  const seen = new Set<string>();
  return prices.filter((price) => {
    const id = `${price.type}\u0000${price.region}\u0000${price.key}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * The instances.vantage.sh export of EC2 GPU and ML types as converted by tsaol/aws-gpu: columns
 * `instance_type, region, usd_per_hour_ondemand_linux, usd_per_hour_reserved_1y_std_noupfront_linux,
 * vcpus, memory, gpu, gpu_count`.
 */
function vantageCsv(text: string): ParsedPriceList {
  const rows = csvRows(
    text,
    [
      'instance_type',
      'region',
      'usd_per_hour_ondemand_linux',
      'usd_per_hour_reserved_1y_std_noupfront_linux',
    ],
    'Vantage',
  );
  const prices: PriceRecord[] = [];
  const hardware = new Map<string, HardwareRecord>();
  for (const row of rows) {
    const type = row.instance_type;
    const onDemand = positive(row.usd_per_hour_ondemand_linux);
    const reserved = positive(row.usd_per_hour_reserved_1y_std_noupfront_linux);
    if (onDemand !== undefined)
      prices.push({
        type,
        region: row.region,
        key: 'on_demand',
        usdPerHour: onDemand,
        how: 'column usd_per_hour_ondemand_linux',
      });
    if (reserved !== undefined)
      prices.push({
        type,
        region: row.region,
        key: 'reserved_1y',
        usdPerHour: reserved,
        how: 'column usd_per_hour_reserved_1y_std_noupfront_linux (1-year standard reservation, no upfront)',
      });
    if (!hardware.has(type)) {
      const count = positive(row.gpu_count);
      hardware.set(type, {
        ...(positive(row.vcpus) !== undefined && { vcpus: Number(row.vcpus) }),
        ...(row.memory && { memoryGib: Number.parseFloat(row.memory) }),
        ...(row.gpu && count !== undefined && { accelerator: row.gpu, count }),
      });
    }
  }
  return { prices: firstPerTypeAndRegion(prices), savings: [], hardware, asOf: null };
}

/** AWS's spot-advisor-data.json: average savings over on-demand by region and type, no absolute prices. */
function awsSpotAdvisor(text: string): ParsedPriceList {
  const data = json(text, 'AWS spot advisor') as {
    spot_advisor?: Record<string, { Linux?: Record<string, { s?: unknown }> }>;
    instance_types?: Record<string, { cores?: unknown; ram_gb?: unknown }>;
  };
  if (data === null || typeof data !== 'object' || typeof data.spot_advisor !== 'object')
    throw new PriceListError('not AWS spot advisor JSON: no spot_advisor section');
  const savings: SpotSaving[] = [];
  for (const [region, byOs] of Object.entries(data.spot_advisor)) {
    for (const [type, advice] of Object.entries(byOs?.Linux ?? {})) {
      if (typeof advice?.s === 'number' && advice.s >= 0 && advice.s < 100)
        savings.push({ type, region, percent: advice.s });
    }
  }
  const hardware = new Map<string, HardwareRecord>();
  for (const [type, size] of Object.entries(data.instance_types ?? {})) {
    if (typeof size?.cores === 'number' && typeof size.ram_gb === 'number')
      hardware.set(type, { vcpus: size.cores, memoryGib: size.ram_gb });
  }
  return { prices: [], savings, hardware, asOf: null };
}

interface AwsTerm {
  priceDimensions?: Record<string, { unit?: string; pricePerUnit?: { USD?: string } }>;
  termAttributes?: { LeaseContractLength?: string; OfferingClass?: string; PurchaseOption?: string };
}

interface AwsProduct {
  sku?: string;
  productFamily?: string;
  attributes?: Record<string, string | undefined>;
}

/** The hourly USD of a term priced by the hour alone (on-demand, or a reservation with no upfront). */
function hourly(term: AwsTerm): number | undefined {
  const dimensions = Object.values(term.priceDimensions ?? {});
  if (dimensions.length !== 1 || dimensions[0].unit !== 'Hrs') return undefined;
  return positive(dimensions[0].pricePerUnit?.USD);
}

/**
 * The AWS Price List for Amazon EC2: a region's bulk offer file (`products` and `terms` by SKU),
 * or what `aws pricing get-products` prints (`PriceList`, one JSON string per product). Linux,
 * shared tenancy, no pre-installed software, used capacity; reservations are the standard class
 * with no upfront payment.
 */
function awsPriceList(text: string): ParsedPriceList {
  const data = json(text, 'AWS price list') as {
    products?: Record<string, AwsProduct>;
    terms?: {
      OnDemand?: Record<string, Record<string, AwsTerm>>;
      Reserved?: Record<string, Record<string, AwsTerm>>;
    };
    publicationDate?: string;
    PriceList?: unknown[];
  };
  const items: { product: AwsProduct; onDemand: AwsTerm[]; reserved: AwsTerm[] }[] = [];
  let published = typeof data?.publicationDate === 'string' ? data.publicationDate : undefined;
  if (Array.isArray(data?.PriceList)) {
    for (const entry of data.PriceList) {
      const item = (typeof entry === 'string' ? json(entry, 'AWS price list') : entry) as {
        product?: AwsProduct;
        terms?: { OnDemand?: Record<string, AwsTerm>; Reserved?: Record<string, AwsTerm> };
        publicationDate?: string;
      };
      if (!item?.product) continue;
      if (
        typeof item.publicationDate === 'string' &&
        (published === undefined || item.publicationDate < published)
      )
        published = item.publicationDate;
      items.push({
        product: item.product,
        onDemand: Object.values(item.terms?.OnDemand ?? {}),
        reserved: Object.values(item.terms?.Reserved ?? {}),
      });
    }
  } else if (data && typeof data.products === 'object') {
    for (const [sku, product] of Object.entries(data.products)) {
      items.push({
        product,
        onDemand: Object.values(data.terms?.OnDemand?.[sku] ?? {}),
        reserved: Object.values(data.terms?.Reserved?.[sku] ?? {}),
      });
    }
  } else {
    throw new PriceListError('not an AWS price list: expected products and terms, or PriceList');
  }
  const prices: PriceRecord[] = [];
  const hardware = new Map<string, HardwareRecord>();
  for (const { product, onDemand, reserved } of items) {
    const a = product.attributes ?? {};
    const type = a.instanceType;
    const region = a.regionCode;
    if (
      type === undefined ||
      region === undefined ||
      a.operatingSystem !== 'Linux' ||
      a.tenancy !== 'Shared' ||
      (a.preInstalledSw ?? 'NA') !== 'NA' ||
      (a.capacitystatus ?? 'Used') !== 'Used' ||
      (a.licenseModel ?? 'No License required') !== 'No License required'
    )
      continue;
    const at = { type, region };
    for (const term of onDemand) {
      const price = hourly(term);
      if (price !== undefined)
        prices.push({ ...at, key: 'on_demand', usdPerHour: price, how: 'OnDemand term' });
    }
    for (const term of reserved) {
      const t = term.termAttributes ?? {};
      if (t.OfferingClass !== 'standard' || t.PurchaseOption !== 'No Upfront') continue;
      const key =
        t.LeaseContractLength === '1yr'
          ? 'reserved_1y'
          : t.LeaseContractLength === '3yr'
            ? 'reserved_3y'
            : undefined;
      const price = hourly(term);
      if (key && price !== undefined)
        prices.push({
          ...at,
          key,
          usdPerHour: price,
          how: `Reserved term ${t.LeaseContractLength} standard No Upfront`,
        });
    }
    if (!hardware.has(type)) {
      const vcpus = positive(a.vcpu);
      const memory = a.memory === undefined ? undefined : Number.parseFloat(a.memory.replace(/,/g, ''));
      hardware.set(type, {
        ...(vcpus !== undefined && { vcpus }),
        ...(memory !== undefined && Number.isFinite(memory) && { memoryGib: memory }),
      });
    }
  }
  return {
    prices: firstPerTypeAndRegion(prices),
    savings: [],
    hardware,
    asOf: published?.slice(0, 10) ?? null,
  };
}

/**
 * The Compute Engine prices of Cyclenerd/google-cloud-pricing-cost-calculator as CSV: hourly
 * on-demand and spot, committed-use prices per month of 730 hours (converted to hourly, nine decimals).
 */
function gcpComputeCsv(text: string): ParsedPriceList {
  const rows = csvRows(
    text,
    [
      'instance_type',
      'region',
      'usd_per_hour_ondemand',
      'usd_per_hour_spot',
      'usd_per_month_cud_1y',
      'usd_per_month_cud_3y',
    ],
    'GCP compute price',
  );
  const prices: PriceRecord[] = [];
  const hardware = new Map<string, HardwareRecord>();
  for (const row of rows) {
    const at = { type: row.instance_type, region: row.region };
    const onDemand = positive(row.usd_per_hour_ondemand);
    const spot = positive(row.usd_per_hour_spot);
    const cud1 = positive(row.usd_per_month_cud_1y);
    const cud3 = positive(row.usd_per_month_cud_3y);
    if (onDemand !== undefined)
      prices.push({ ...at, key: 'on_demand', usdPerHour: onDemand, how: 'column usd_per_hour_ondemand' });
    if (spot !== undefined)
      prices.push({ ...at, key: 'spot', usdPerHour: spot, how: 'column usd_per_hour_spot' });
    if (cud1 !== undefined)
      prices.push({
        ...at,
        key: 'reserved_1y',
        usdPerHour: round9(cud1 / HOURS_PER_MONTH),
        how: '1-year committed-use discount, usd_per_month_cud_1y / 730, 9 decimals',
      });
    if (cud3 !== undefined)
      prices.push({
        ...at,
        key: 'reserved_3y',
        usdPerHour: round9(cud3 / HOURS_PER_MONTH),
        how: '3-year committed-use discount, usd_per_month_cud_3y / 730, 9 decimals',
      });
    if (!hardware.has(at.type)) {
      const count = positive(row.gpu_count);
      hardware.set(at.type, {
        ...(positive(row.vcpus) !== undefined && { vcpus: Number(row.vcpus) }),
        ...(positive(row.memory_gib) !== undefined && { memoryGib: Number(row.memory_gib) }),
        ...(row.gpu_model && count !== undefined && { accelerator: row.gpu_model, count }),
      });
    }
  }
  return { prices: firstPerTypeAndRegion(prices), savings: [], hardware, asOf: null };
}

/**
 * A SkyPilot catalog (`catalogs/<version>/<cloud>/vms.csv`): on-demand `Price` and `SpotPrice` per
 * zone; the first zone row of a region is taken (a region's zones share a price), and a price of 0
 * means unknown. A TPU slice is keyed by its accelerator name, `tpu-v5litepod-N` as `tpu-v5e-N`.
 */
function skypilotCsv(text: string): ParsedPriceList {
  const rows = csvRows(
    text,
    ['InstanceType', 'AcceleratorName', 'Region', 'Price', 'SpotPrice'],
    'SkyPilot catalog',
  );
  const prices: PriceRecord[] = [];
  const hardware = new Map<string, HardwareRecord>();
  for (const row of rows) {
    const tpu = row.InstanceType === '' && row.AcceleratorName.startsWith('tpu-');
    const type = tpu ? row.AcceleratorName.replace(/^tpu-v5litepod-/, 'tpu-v5e-') : row.InstanceType;
    if (type === '') continue;
    const onDemand = positive(row.Price);
    if (onDemand === undefined) continue;
    const spot = positive(row.SpotPrice);
    const at = { type, region: row.Region };
    const name = tpu ? ` (${row.AcceleratorName})` : '';
    prices.push({ ...at, key: 'on_demand', usdPerHour: onDemand, how: `column Price${name}` });
    if (spot !== undefined)
      prices.push({ ...at, key: 'spot', usdPerHour: spot, how: `column SpotPrice${name}` });
    if (!hardware.has(type)) {
      const count = positive(row.AcceleratorCount);
      hardware.set(type, {
        ...(positive(row.vCPUs) !== undefined && { vcpus: Number(row.vCPUs) }),
        ...(positive(row.MemoryGiB) !== undefined && { memoryGib: Number(row.MemoryGiB) }),
        ...(tpu
          ? { accelerator: type }
          : row.AcceleratorName && count !== undefined
            ? { accelerator: row.AcceleratorName, count }
            : {}),
      });
    }
  }
  return { prices: firstPerTypeAndRegion(prices), savings: [], hardware, asOf: null };
}

interface AzureItem {
  serviceName?: string;
  type?: string;
  armRegionName?: string;
  armSkuName?: string;
  skuName?: string;
  productName?: string;
  unitOfMeasure?: string;
  retailPrice?: number;
  currencyCode?: string;
  reservationTerm?: string;
}

/**
 * The Azure Retail Prices API (`prices.azure.com/api/retail/prices`): one page's `Items`, or a
 * list of pages saved one after another in a JSON array. Linux pay-as-you-go, spot (`skuName`
 * ending in Spot) and reservations, whose `retailPrice` is the whole term's: divided by its hours.
 */
function azureRetailJson(text: string): ParsedPriceList {
  const data = json(text, 'Azure retail prices');
  const pages = Array.isArray(data) ? data : [data];
  const items: AzureItem[] = [];
  for (const page of pages) {
    const pageItems = (page as { Items?: unknown })?.Items;
    if (!Array.isArray(pageItems)) throw new PriceListError('not Azure retail prices JSON: no Items');
    items.push(...(pageItems as AzureItem[]));
  }
  const prices: PriceRecord[] = [];
  for (const item of items) {
    if (item.serviceName !== 'Virtual Machines' || item.currencyCode !== 'USD') continue;
    if (item.unitOfMeasure !== '1 Hour' || typeof item.retailPrice !== 'number' || !(item.retailPrice > 0))
      continue;
    const type = item.armSkuName;
    const region = item.armRegionName;
    if (!type || !region) continue;
    const sku = item.skuName ?? '';
    if (sku.endsWith('Low Priority')) continue;
    const at = { type, region };
    if (item.type === 'Consumption') {
      if ((item.productName ?? '').includes('Windows')) continue;
      const spot = sku.endsWith(' Spot');
      prices.push({
        ...at,
        key: spot ? 'spot' : 'on_demand',
        usdPerHour: item.retailPrice,
        how: spot ? 'Consumption, skuName ... Spot' : 'Consumption (pay-as-you-go)',
      });
    } else if (item.type === 'Reservation') {
      const years =
        item.reservationTerm === '1 Year' ? 1 : item.reservationTerm === '3 Years' ? 3 : undefined;
      if (years === undefined) continue;
      prices.push({
        ...at,
        key: years === 1 ? 'reserved_1y' : 'reserved_3y',
        usdPerHour: round9(item.retailPrice / (years * HOURS_PER_YEAR)),
        how: `Reservation ${item.reservationTerm}, retailPrice / ${years * HOURS_PER_YEAR} h, 9 decimals`,
      });
    }
  }
  return { prices: firstPerTypeAndRegion(prices), savings: [], hardware: new Map(), asOf: null };
}

const READERS: Readonly<Record<ImportFormat, (text: string) => ParsedPriceList>> = {
  'vantage-csv': vantageCsv,
  'aws-spot-advisor': awsSpotAdvisor,
  'aws-price-list': awsPriceList,
  'gcp-compute-csv': gcpComputeCsv,
  'skypilot-csv': skypilotCsv,
  'azure-retail-json': azureRetailJson,
};

export function readPriceList(format: ImportFormat, text: string): ParsedPriceList {
  return READERS[format](text);
}
