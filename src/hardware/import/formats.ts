import { parse as parseCsv } from 'csv-parse/sync';
import { formatThousands } from '../../core/format.js';
import { ownValue } from '../../core/records.js';
import { MAX_PRICE_USD_PER_HOUR } from '../../core/schema-values.js';
import { excerpt } from '../../util/excerpt.js';
import type { PriceKey } from '../catalog.js';
import {
  isObject,
  member,
  objectAt,
  optionalNumberAt,
  optionalObjectAt,
  PriceListError,
  stringsAt,
} from './price-list-json.js';

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

/**
 * A price of `value` USD for `hours` hours, per hour. One above what a scenario may be given is
 * refused rather than skipped: a run's dollar figures could overflow to infinity
 * (docs/reliability.md, "Money and workers"), and a list holding such a price is broken.
 */
function hourlyPrice(value: number, hours: number, where: string, given: string): number {
  const perHour = value / hours;
  if (!(perHour <= MAX_PRICE_USD_PER_HOUR))
    throw new PriceListError(
      `${where}: expected a price of at most ${formatThousands(MAX_PRICE_USD_PER_HOUR)} USD per hour, got ${given}`,
    );
  return hours === 1 ? value : round9(perHour);
}

/** A price written as text; blank, zero or not a number means the list has none. */
function priceText(text: string | undefined, where: string, hours = 1, per = ''): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!(value > 0)) return undefined;
  return hourlyPrice(value, hours, where, `${excerpt(text)}${per}`);
}

/** A CSV row and the line it ends on, which messages name. */
interface CsvRow {
  line: number;
  row: Record<string, string>;
}

function csvRows(text: string, required: readonly string[], what: string): CsvRow[] {
  let rows: { info: { lines: number }; record: Record<string, string> }[];
  try {
    rows = parseCsv(text, { columns: true, skip_empty_lines: true, info: true });
  } catch (error) {
    throw new PriceListError(`not a ${what} CSV: ${(error as Error).message}`);
  }
  const header = rows.length > 0 ? Object.keys(rows[0].record) : [];
  const missing = required.filter((column) => !header.includes(column));
  if (rows.length > 0 && missing.length > 0)
    throw new PriceListError(`not a ${what} CSV: no column ${missing.join(', ')}`);
  return rows.map(({ info, record }) => ({ line: info.lines, row: record }));
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
  for (const { line, row } of rows) {
    const type = row.instance_type;
    const price = (column: string) => priceText(row[column], `line ${line}, column ${column}`);
    const onDemand = price('usd_per_hour_ondemand_linux');
    const reserved = price('usd_per_hour_reserved_1y_std_noupfront_linux');
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
  const data = json(text, 'AWS spot advisor');
  if (!isObject(data) || data.spot_advisor === undefined)
    throw new PriceListError('not AWS spot advisor JSON: no spot_advisor section');
  const savings: SpotSaving[] = [];
  for (const [region, byOs] of Object.entries(objectAt(data.spot_advisor, 'spot_advisor'))) {
    const at = member('spot_advisor', region);
    const linux = optionalObjectAt(objectAt(byOs, at).Linux, `${at}.Linux`) ?? {};
    for (const [type, advice] of Object.entries(linux)) {
      const adviceAt = member(`${at}.Linux`, type);
      const percent = optionalNumberAt(objectAt(advice, adviceAt).s, `${adviceAt}.s`);
      if (percent !== undefined && percent >= 0 && percent < 100) savings.push({ type, region, percent });
    }
  }
  const hardware = new Map<string, HardwareRecord>();
  const sizes = optionalObjectAt(data.instance_types, 'instance_types') ?? {};
  for (const [type, size] of Object.entries(sizes)) {
    const at = member('instance_types', type);
    const { cores, ram_gb } = objectAt(size, at);
    const vcpus = optionalNumberAt(cores, `${at}.cores`);
    const memoryGib = optionalNumberAt(ram_gb, `${at}.ram_gb`);
    if (vcpus !== undefined && memoryGib !== undefined) hardware.set(type, { vcpus, memoryGib });
  }
  return { prices: [], savings, hardware, asOf: null };
}

interface AwsTerm {
  /** Each price dimension's unit and USD price, with where that price is, for messages. */
  dimensions: { unit?: string; usd?: string; at: string }[];
  LeaseContractLength?: string;
  OfferingClass?: string;
  PurchaseOption?: string;
}

const AWS_ATTRIBUTES = [
  'instanceType',
  'regionCode',
  'operatingSystem',
  'tenancy',
  'preInstalledSw',
  'capacitystatus',
  'licenseModel',
  'vcpu',
  'memory',
] as const;

/** A product's attributes, those the reader looks at. */
function awsAttributes(
  value: unknown,
  path: string,
): Partial<Record<(typeof AWS_ATTRIBUTES)[number], string>> {
  const product = objectAt(value, path);
  const attributes = optionalObjectAt(product.attributes, `${path}.attributes`);
  return stringsAt(attributes, `${path}.attributes`, AWS_ATTRIBUTES);
}

/** One product's terms of one kind (`{ code: term }`), absent meaning none. */
function awsTerms(value: unknown, path: string): AwsTerm[] {
  return Object.entries(optionalObjectAt(value, path) ?? {}).map(([code, raw]) => {
    const at = member(path, code);
    const term = objectAt(raw, at);
    const byId = optionalObjectAt(term.priceDimensions, `${at}.priceDimensions`) ?? {};
    const dimensions = Object.entries(byId).map(([id, rawDimension]) => {
      const dimensionAt = member(`${at}.priceDimensions`, id);
      const dimension = objectAt(rawDimension, dimensionAt);
      const perUnit = optionalObjectAt(dimension.pricePerUnit, `${dimensionAt}.pricePerUnit`);
      return {
        ...stringsAt(dimension, dimensionAt, ['unit']),
        ...(perUnit !== undefined && { usd: stringsAt(perUnit, `${dimensionAt}.pricePerUnit`, ['USD']).USD }),
        at: `${dimensionAt}.pricePerUnit.USD`,
      };
    });
    const attributes = optionalObjectAt(term.termAttributes, `${at}.termAttributes`);
    return {
      dimensions,
      ...stringsAt(attributes, `${at}.termAttributes`, [
        'LeaseContractLength',
        'OfferingClass',
        'PurchaseOption',
      ]),
    };
  });
}

/** The hourly USD of a term priced by the hour alone (on-demand, or a reservation with no upfront). */
function hourly(term: AwsTerm): number | undefined {
  const [dimension] = term.dimensions;
  if (term.dimensions.length !== 1 || dimension.unit !== 'Hrs') return undefined;
  return priceText(dimension.usd, dimension.at);
}

/**
 * The AWS Price List for Amazon EC2: a region's bulk offer file (`products` and `terms` by SKU),
 * or what `aws pricing get-products` prints (`PriceList`, one JSON string per product). Linux,
 * shared tenancy, no pre-installed software, used capacity; reservations are the standard class
 * with no upfront payment. Terms are read only for the products kept.
 */
function awsPriceList(text: string): ParsedPriceList {
  const data = json(text, 'AWS price list');
  const items: {
    attributes: ReturnType<typeof awsAttributes>;
    onDemand: () => AwsTerm[];
    reserved: () => AwsTerm[];
  }[] = [];
  let published =
    isObject(data) && typeof data.publicationDate === 'string' ? data.publicationDate : undefined;
  if (isObject(data) && Array.isArray(data.PriceList)) {
    data.PriceList.forEach((entry: unknown, i) => {
      const at = `PriceList[${i}]`;
      const item = objectAt(typeof entry === 'string' ? json(entry, 'AWS price list') : entry, at);
      if (item.product === undefined) return;
      if (
        typeof item.publicationDate === 'string' &&
        (published === undefined || item.publicationDate < published)
      )
        published = item.publicationDate;
      const terms = optionalObjectAt(item.terms, `${at}.terms`);
      items.push({
        attributes: awsAttributes(item.product, `${at}.product`),
        onDemand: () => awsTerms(terms?.OnDemand, `${at}.terms.OnDemand`),
        reserved: () => awsTerms(terms?.Reserved, `${at}.terms.Reserved`),
      });
    });
  } else if (isObject(data) && isObject(data.products)) {
    const terms = optionalObjectAt(data.terms, 'terms');
    const onDemand = optionalObjectAt(terms?.OnDemand, 'terms.OnDemand');
    const reserved = optionalObjectAt(terms?.Reserved, 'terms.Reserved');
    for (const [sku, product] of Object.entries(data.products)) {
      items.push({
        attributes: awsAttributes(product, member('products', sku)),
        // A SKU named like an Object.prototype member (`constructor`) has no terms unless listed.
        onDemand: () => awsTerms(ownValue(onDemand, sku), member('terms.OnDemand', sku)),
        reserved: () => awsTerms(ownValue(reserved, sku), member('terms.Reserved', sku)),
      });
    }
  } else {
    throw new PriceListError('not an AWS price list: expected products and terms, or PriceList');
  }
  const prices: PriceRecord[] = [];
  const hardware = new Map<string, HardwareRecord>();
  for (const { attributes: a, onDemand, reserved } of items) {
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
    for (const term of onDemand()) {
      const price = hourly(term);
      if (price !== undefined)
        prices.push({ ...at, key: 'on_demand', usdPerHour: price, how: 'OnDemand term' });
    }
    for (const term of reserved()) {
      if (term.OfferingClass !== 'standard' || term.PurchaseOption !== 'No Upfront') continue;
      const key =
        term.LeaseContractLength === '1yr'
          ? 'reserved_1y'
          : term.LeaseContractLength === '3yr'
            ? 'reserved_3y'
            : undefined;
      const price = hourly(term);
      if (key && price !== undefined)
        prices.push({
          ...at,
          key,
          usdPerHour: price,
          how: `Reserved term ${term.LeaseContractLength} standard No Upfront`,
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
  for (const { line, row } of rows) {
    const at = { type: row.instance_type, region: row.region };
    const price = (column: string, hours = 1) =>
      priceText(
        row[column],
        `line ${line}, column ${column}`,
        hours,
        hours === 1 ? '' : ` per month of ${hours} hours`,
      );
    const onDemand = price('usd_per_hour_ondemand');
    const spot = price('usd_per_hour_spot');
    const cud1 = price('usd_per_month_cud_1y', HOURS_PER_MONTH);
    const cud3 = price('usd_per_month_cud_3y', HOURS_PER_MONTH);
    if (onDemand !== undefined)
      prices.push({ ...at, key: 'on_demand', usdPerHour: onDemand, how: 'column usd_per_hour_ondemand' });
    if (spot !== undefined)
      prices.push({ ...at, key: 'spot', usdPerHour: spot, how: 'column usd_per_hour_spot' });
    if (cud1 !== undefined)
      prices.push({
        ...at,
        key: 'reserved_1y',
        usdPerHour: cud1,
        how: '1-year committed-use discount, usd_per_month_cud_1y / 730, 9 decimals',
      });
    if (cud3 !== undefined)
      prices.push({
        ...at,
        key: 'reserved_3y',
        usdPerHour: cud3,
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
  for (const { line, row } of rows) {
    const tpu = row.InstanceType === '' && row.AcceleratorName.startsWith('tpu-');
    const type = tpu ? row.AcceleratorName.replace(/^tpu-v5litepod-/, 'tpu-v5e-') : row.InstanceType;
    if (type === '') continue;
    const onDemand = priceText(row.Price, `line ${line}, column Price`);
    if (onDemand === undefined) continue;
    const spot = priceText(row.SpotPrice, `line ${line}, column SpotPrice`);
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

const AZURE_FIELDS = [
  'serviceName',
  'type',
  'armRegionName',
  'armSkuName',
  'skuName',
  'productName',
  'unitOfMeasure',
  'currencyCode',
  'reservationTerm',
] as const;

type AzureItem = Partial<Record<(typeof AZURE_FIELDS)[number], string>> & { retailPrice?: number };

function azureItem(value: unknown, path: string): AzureItem {
  const item = objectAt(value, path);
  const retailPrice = optionalNumberAt(item.retailPrice, `${path}.retailPrice`);
  return { ...stringsAt(item, path, AZURE_FIELDS), ...(retailPrice !== undefined && { retailPrice }) };
}

/**
 * The Azure Retail Prices API (`prices.azure.com/api/retail/prices`): one page's `Items`, or a
 * list of pages saved one after another in a JSON array. Linux pay-as-you-go, spot (`skuName`
 * ending in Spot) and reservations, whose `retailPrice` is the whole term's: divided by its hours.
 */
function azureRetailJson(text: string): ParsedPriceList {
  const data = json(text, 'Azure retail prices');
  const pages = Array.isArray(data) ? data : [data];
  const prices: PriceRecord[] = [];
  pages.forEach((page: unknown, p) => {
    const pageItems = isObject(page) ? page.Items : undefined;
    if (!Array.isArray(pageItems)) throw new PriceListError('not Azure retail prices JSON: no Items');
    pageItems.forEach((value: unknown, i) => {
      const at = `${Array.isArray(data) ? `[${p}].` : ''}Items[${i}]`;
      const item = azureItem(value, at);
      if (item.serviceName !== 'Virtual Machines' || item.currencyCode !== 'USD') return;
      if (item.unitOfMeasure !== '1 Hour' || item.retailPrice === undefined || !(item.retailPrice > 0))
        return;
      const type = item.armSkuName;
      const region = item.armRegionName;
      if (!type || !region) return;
      const sku = item.skuName ?? '';
      if (sku.endsWith('Low Priority')) return;
      const where = `${at}.retailPrice`;
      if (item.type === 'Consumption') {
        if ((item.productName ?? '').includes('Windows')) return;
        const spot = sku.endsWith(' Spot');
        prices.push({
          type,
          region,
          key: spot ? 'spot' : 'on_demand',
          usdPerHour: hourlyPrice(item.retailPrice, 1, where, String(item.retailPrice)),
          how: spot ? 'Consumption, skuName ... Spot' : 'Consumption (pay-as-you-go)',
        });
      } else if (item.type === 'Reservation') {
        const years =
          item.reservationTerm === '1 Year' ? 1 : item.reservationTerm === '3 Years' ? 3 : undefined;
        if (years === undefined) return;
        const hours = years * HOURS_PER_YEAR;
        prices.push({
          type,
          region,
          key: years === 1 ? 'reserved_1y' : 'reserved_3y',
          usdPerHour: hourlyPrice(
            item.retailPrice,
            hours,
            where,
            `${item.retailPrice} for ${item.reservationTerm} (${hours} hours)`,
          ),
          how: `Reservation ${item.reservationTerm}, retailPrice / ${hours} h, 9 decimals`,
        });
      }
    });
  });
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
