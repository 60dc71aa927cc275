import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../../cli/app.js';
import { ImportError, importPrices, readPriceList } from './index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/pricing`;
const SHARED_PRICING = fileURLToPath(new URL('../../../../shared/data/pricing', import.meta.url));

const AWS_VANTAGE = 'aws_gpu_ml_instance_prices_vantage_2026-01-21.csv';
const AWS_ADVISOR = 'aws_spot_advisor_data_2025-06-28.json';
const GCP_COMPUTE = 'gcp_compute_instance_prices_2026-07-30.csv';
const GCP_TPU = 'gcp_tpu_prices_skypilot_catalog_v6_subset.csv';

// The commands pricing/README.md gives for refreshing the shipped files, with the fixtures standing
// in for the full price lists.
const REBUILDS = {
  aws: {
    from: [`vantage-csv=${FIXTURES}/${AWS_VANTAGE}`, `aws-spot-advisor=${FIXTURES}/${AWS_ADVISOR}`],
    regions: ['us-east-1', 'us-east-2', 'us-west-2', 'eu-west-1', 'eu-central-1'],
    kept: ['m7i.large', 'c7i.large', 'c7i.xlarge', 'c7i.2xlarge', 'c7i.4xlarge', 'c7i.8xlarge'],
  },
  gcp: {
    from: [`gcp-compute-csv=${FIXTURES}/${GCP_COMPUTE}`, `skypilot-csv=${FIXTURES}/${GCP_TPU}@2026-11-28`],
    regions: ['us-central1', 'us-east1', 'us-east4', 'europe-west4'],
    kept: ['a3-ultragpu-8g'],
  },
} as const;

function shipped(provider: string): { text: string; path: string } {
  const path = `${ROOT}pricing/${provider}.yaml`;
  return { text: readFileSync(path, 'utf8'), path };
}

describe('catalog import rebuilds the shipped pricing files', () => {
  it.each(Object.entries(REBUILDS))('%s.yaml, byte for byte, from a small fixture', (provider, rebuild) => {
    const base = shipped(provider);
    const result = importPrices({ from: rebuild.from, base, types: [], regions: rebuild.regions });
    expect(result.text).toBe(base.text);
    expect(result.kept).toEqual(rebuild.kept);
    expect(result.repriced.length).toBeGreaterThan(20);
  });

  it.each(Object.entries(REBUILDS))(
    '%s.yaml: every re-priced price and citation comes from the lists, none from the base',
    (provider, rebuild) => {
      const base = shipped(provider);
      const instances = parse(base.text).instances as Record<string, Record<string, unknown>>;
      // Wipe the prices of every entry the lists cover: the rebuild must restore them.
      for (const [type, entry] of Object.entries(instances)) {
        if ((rebuild.kept as readonly string[]).includes(type)) continue;
        const regions = Object.keys(entry.prices as object);
        entry.prices = { [regions[0]]: { on_demand: 999 } };
        entry.sources = { on_demand: { source: 'stale', as_of: '2000-01-01' } };
      }
      const wiped = stringify({ instances }, { lineWidth: 0, aliasDuplicateObjects: false });
      expect(wiped).not.toContain('2026-07-30');
      const result = importPrices({
        from: rebuild.from,
        base: { text: wiped, path: base.path },
        types: [],
        regions: rebuild.regions,
      });
      expect(result.text).toBe(base.text);
    },
  );

  it('adds a type with its hardware from the lists, and names the accelerator by its catalog id', () => {
    const base = shipped('aws');
    const instances = parse(base.text).instances;
    delete instances['p5.4xlarge'];
    const result = importPrices({
      from: REBUILDS.aws.from,
      base: { text: stringify({ instances }), path: base.path },
      types: ['p5.4xlarge'],
      regions: ['us-east-1', 'us-west-2'],
    });
    const added = parse(result.text).instances['p5.4xlarge'];
    expect(result.added).toEqual(['p5.4xlarge']);
    // vantage csv: p5.4xlarge, 16 vCPUs, 256 GiB, one NVIDIA H100, $6.88 in us-east-1 and us-west-2
    expect(added).toMatchObject({
      vcpus: 16,
      memory_gib: 256,
      accelerators: { model: 'h100-80gb', count: 1, memory_gib: 80 },
      billing: { increment: '1s', minimum: '60s' },
      prices: { 'us-east-1': { on_demand: 6.88 }, 'us-west-2': { on_demand: 6.88 } },
    });
    expect(added.sources.on_demand.as_of).toBe('2026-01-21');
  });
});

// The fixtures are rows of the shared price lists copied verbatim; checked where those lists exist.
describe.skipIf(!existsSync(SHARED_PRICING))('the import fixtures', () => {
  it.each([AWS_VANTAGE, GCP_COMPUTE, GCP_TPU])(
    '%s holds rows of the shared list, verbatim and in order',
    (file) => {
      // The shared lists end their lines with CRLF, as the fixtures copied from them do.
      const full = readFileSync(`${SHARED_PRICING}/${file}`, 'utf8').split(/\r?\n/);
      const rows = readFileSync(`${FIXTURES}/${file}`, 'utf8').trimEnd().split(/\r?\n/);
      expect(rows[0]).toBe(full[0]);
      let at = 1;
      for (const row of rows.slice(1)) {
        at = full.indexOf(row, at);
        expect(at, row).toBeGreaterThan(0);
        at += 1;
      }
    },
  );

  it('the spot advisor subset holds the shared values', () => {
    const full = JSON.parse(readFileSync(`${SHARED_PRICING}/${AWS_ADVISOR}`, 'utf8'));
    const subset = JSON.parse(readFileSync(`${FIXTURES}/${AWS_ADVISOR}`, 'utf8'));
    for (const [region, byOs] of Object.entries<{ Linux: Record<string, unknown> }>(subset.spot_advisor)) {
      for (const [type, advice] of Object.entries(byOs.Linux)) {
        expect(advice, `${region} ${type}`).toEqual(full.spot_advisor[region].Linux[type]);
      }
    }
  });
});

describe('price list formats', () => {
  // An AWS bulk offer file reduced to one product, shaped as the Price List API publishes it.
  const offer = {
    formatVersion: 'v1.0',
    offerCode: 'AmazonEC2',
    publicationDate: '2026-11-20T18:12:05Z',
    products: {
      SKU1: {
        sku: 'SKU1',
        productFamily: 'Compute Instance',
        attributes: {
          instanceType: 'g6e.xlarge',
          regionCode: 'us-east-1',
          operatingSystem: 'Linux',
          tenancy: 'Shared',
          preInstalledSw: 'NA',
          capacitystatus: 'Used',
          licenseModel: 'No License required',
          vcpu: '4',
          memory: '32 GiB',
        },
      },
      SKU2: {
        sku: 'SKU2',
        attributes: {
          instanceType: 'g6e.xlarge',
          regionCode: 'us-east-1',
          operatingSystem: 'Windows',
          tenancy: 'Shared',
        },
      },
    },
    terms: {
      OnDemand: {
        SKU1: {
          'SKU1.JRTCKXETXF': {
            priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '1.8610000000' } } },
          },
        },
        SKU2: {
          'SKU2.JRTCKXETXF': {
            priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '2.0450000000' } } },
          },
        },
      },
      Reserved: {
        SKU1: {
          'SKU1.A': {
            termAttributes: {
              LeaseContractLength: '1yr',
              OfferingClass: 'standard',
              PurchaseOption: 'No Upfront',
            },
            priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '1.1724300000' } } },
          },
          'SKU1.B': {
            termAttributes: {
              LeaseContractLength: '3yr',
              OfferingClass: 'standard',
              PurchaseOption: 'No Upfront',
            },
            priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '0.8062000000' } } },
          },
          'SKU1.C': {
            termAttributes: {
              LeaseContractLength: '1yr',
              OfferingClass: 'standard',
              PurchaseOption: 'All Upfront',
            },
            priceDimensions: {
              q: { unit: 'Quantity', pricePerUnit: { USD: '9900' } },
              h: { unit: 'Hrs', pricePerUnit: { USD: '0.0000000000' } },
            },
          },
          'SKU1.D': {
            termAttributes: {
              LeaseContractLength: '1yr',
              OfferingClass: 'convertible',
              PurchaseOption: 'No Upfront',
            },
            priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: '1.3000000000' } } },
          },
        },
      },
    },
  };

  it('reads the AWS price list: Linux on-demand and standard no-upfront 1- and 3-year reservations, dated by its publication', () => {
    const parsed = readPriceList('aws-price-list', JSON.stringify(offer));
    expect(parsed.asOf).toBe('2026-11-20');
    expect(parsed.prices.map(({ key, usdPerHour }) => [key, usdPerHour])).toEqual([
      ['on_demand', 1.861],
      ['reserved_1y', 1.17243],
      ['reserved_3y', 0.8062],
    ]);
    expect(parsed.hardware.get('g6e.xlarge')).toEqual({ vcpus: 4, memoryGib: 32 });
    // What `aws pricing get-products` prints: one JSON string per product, terms inline.
    const product = offer.products.SKU1;
    const getProducts = {
      PriceList: [
        JSON.stringify({
          product,
          publicationDate: '2026-11-20T18:12:05Z',
          terms: { OnDemand: offer.terms.OnDemand.SKU1, Reserved: offer.terms.Reserved.SKU1 },
        }),
      ],
    };
    expect(readPriceList('aws-price-list', JSON.stringify(getProducts)).prices).toEqual(parsed.prices);
  });

  it('reads Azure retail prices: pay-as-you-go, spot, and reservations per hour of the term', () => {
    const item = {
      currencyCode: 'USD',
      serviceName: 'Virtual Machines',
      armRegionName: 'eastus',
      armSkuName: 'Standard_NC40ads_H100_v5',
      unitOfMeasure: '1 Hour',
      productName: 'NCadsH100v5 Series',
    };
    const page = {
      Items: [
        { ...item, type: 'Consumption', skuName: 'NC40ads H100 v5', retailPrice: 6.98 },
        { ...item, type: 'Consumption', skuName: 'NC40ads H100 v5 Spot', retailPrice: 2.443 },
        { ...item, type: 'Consumption', skuName: 'NC40ads H100 v5 Low Priority', retailPrice: 1.1 },
        {
          ...item,
          type: 'Consumption',
          skuName: 'NC40ads H100 v5',
          productName: 'NCadsH100v5 Series Windows',
          retailPrice: 7.9,
        },
        {
          ...item,
          type: 'Reservation',
          skuName: 'NC40ads H100 v5',
          reservationTerm: '1 Year',
          retailPrice: 36792,
        },
        {
          ...item,
          type: 'Reservation',
          skuName: 'NC40ads H100 v5',
          reservationTerm: '3 Years',
          retailPrice: 78840,
        },
      ],
      NextPageLink: null,
    };
    const parsed = readPriceList('azure-retail-json', JSON.stringify(page));
    expect(parsed.prices.map(({ key, usdPerHour }) => [key, usdPerHour])).toEqual([
      ['on_demand', 6.98],
      ['spot', 2.443],
      ['reserved_1y', 4.2], // 36,792 / 8,760 h
      ['reserved_3y', 3], // 78,840 / 26,280 h
    ]);
    expect(parsed.asOf).toBeNull();
  });

  it('refuses a list without a date, and names the formats for a bad --from', () => {
    const read = () => JSON.stringify({ Items: [] });
    expect(() =>
      importPrices({ from: ['azure-retail-json=prices.json'], base: null, types: [], regions: null, read }),
    ).toThrow('--from prices.json: the file records no date; give the day it was published or downloaded');
    expect(() =>
      importPrices({ from: ['azure=prices.json'], base: null, types: [], regions: null, read }),
    ).toThrow(ImportError);
    expect(() =>
      importPrices({
        from: ['vantage-csv=prices.csv'],
        base: null,
        types: [],
        regions: null,
        read: () => 'a,b\n1,2\n',
      }),
    ).toThrow('not a Vantage CSV: no column instance_type');
  });

  it('refuses a type whose accelerator it cannot name', () => {
    const csv =
      'instance_type,region,usd_per_hour_ondemand_linux,usd_per_hour_reserved_1y_std_noupfront_linux,vcpus,memory,gpu,gpu_count\n' +
      'dl2q.24xlarge,us-west-2,8.9194,5.6192,96,768 GB,Qualcomm AI 100,8\n';
    expect(() =>
      importPrices({
        from: ['vantage-csv=x_2026-01-21.csv'],
        base: null,
        types: ['dl2q.24xlarge'],
        regions: ['us-west-2'],
        read: () => csv,
      }),
    ).toThrow('dl2q.24xlarge: cannot tell which accelerator "Qualcomm AI 100" x 8 is');
  });
});

describe('catalog import refuses bad input with one line and exit code 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-import-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function catalogImport(...args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = '';
    const io = { stdout: () => undefined, stderr: (text: string) => (stderr += text), cwd: dir };
    const code = await runCli(
      ['catalog', 'import', ...args, '--types', 't', '--regions', 'r', '--out', 'out.yaml', '--force'],
      io,
    );
    return { code, stderr };
  }

  /** `--from FORMAT=FILE@DATE` for `text` saved as `name`, and the file's path as messages name it. */
  function list(format: string, name: string, text: string): { from: string[]; path: string } {
    const path = join(dir, name);
    writeFileSync(path, text);
    return { from: ['--from', `${format}=${name}@2026-01-01`], path };
  }

  const VANTAGE_HEADER =
    'instance_type,region,usd_per_hour_ondemand_linux,usd_per_hour_reserved_1y_std_noupfront_linux\n';
  const VANTAGE = `vantage-csv=${FIXTURES}/${AWS_VANTAGE}`;
  const azureVm = {
    currencyCode: 'USD',
    serviceName: 'Virtual Machines',
    armRegionName: 'r',
    armSkuName: 't',
    unitOfMeasure: '1 Hour',
    productName: 'NCadsH100v5 Series',
    type: 'Consumption',
    skuName: 'NC40ads H100 v5',
    retailPrice: 6.98,
  };
  const awsProduct = {
    attributes: { instanceType: 't', regionCode: 'r', operatingSystem: 'Linux', tenancy: 'Shared' },
  };
  const awsList = (products: unknown, onDemand: unknown = {}) =>
    JSON.stringify({ products, terms: { OnDemand: onDemand } });
  const awsTerm = (dimension: unknown) => ({ S1: { 'S1.T': { priceDimensions: { d: dimension } } } });
  const DIMENSION = 'terms.OnDemand.S1["S1.T"].priceDimensions.d';
  const TOO_HIGH = 'expected a price of at most 1,000,000 USD per hour, got';

  it.each([
    ['azure-retail-json', 'an item of null', { Items: [null] }, 'Items[0]: expected an object, got null'],
    [
      'azure-retail-json',
      'a skuName that is a number',
      { Items: [{ ...azureVm, skuName: 5 }] },
      'Items[0].skuName: expected a string, got 5',
    ],
    [
      'azure-retail-json',
      'a productName that is a number, on the second page',
      [{ Items: [] }, { Items: [{ ...azureVm, productName: 5 }] }],
      '[1].Items[0].productName: expected a string, got 5',
    ],
    [
      'azure-retail-json',
      '300,000 items that are numbers',
      { Items: new Array(300_000).fill(1) },
      'Items[0]: expected an object, got 1',
    ],
    [
      'aws-price-list',
      'a product of null',
      awsList({ S1: null }),
      'products.S1: expected an object, got null',
    ],
    [
      'aws-price-list',
      'a term of null',
      awsList({ S1: awsProduct }, { S1: { 'S1.T': null } }),
      'terms.OnDemand.S1["S1.T"]: expected an object, got null',
    ],
    [
      'aws-price-list',
      'a price dimension of null',
      awsList({ S1: awsProduct }, awsTerm(null)),
      `${DIMENSION}: expected an object, got null`,
    ],
    [
      'aws-price-list',
      'a memory that is a number',
      awsList({ S1: { attributes: { ...awsProduct.attributes, memory: 32 } } }),
      'products.S1.attributes.memory: expected a string, got 32',
    ],
    [
      'aws-price-list',
      'a USD price that is a number',
      awsList({ S1: awsProduct }, awsTerm({ unit: 'Hrs', pricePerUnit: { USD: 1.5 } })),
      `${DIMENSION}.pricePerUnit.USD: expected a string, got 1.5`,
    ],
    [
      'aws-price-list',
      'a get-products entry of null',
      { PriceList: [null] },
      'PriceList[0]: expected an object, got null',
    ],
    [
      'aws-spot-advisor',
      'a spot_advisor of null',
      { spot_advisor: null },
      'spot_advisor: expected an object, got null',
    ],
  ])('%s: %s', async (format, _what, data, message) => {
    const { from, path } = list(format, 'list.json', typeof data === 'string' ? data : JSON.stringify(data));
    expect(await catalogImport(...from)).toEqual({
      code: 2,
      stderr: `fleetsim: --from ${path}: ${message}\n`,
    });
  });

  it('finds no terms for an AWS SKU named like an Object.prototype member', () => {
    const parsed = readPriceList('aws-price-list', awsList({ constructor: awsProduct }));
    expect(parsed.prices).toEqual([]);
    expect(parsed.hardware.get('t')).toEqual({});
  });

  it('reads a page of 300,000 Azure items', () => {
    const page = { Items: [...new Array(300_000).fill({}), azureVm] };
    const parsed = readPriceList('azure-retail-json', JSON.stringify(page));
    expect(parsed.prices.map(({ key, usdPerHour }) => [key, usdPerHour])).toEqual([['on_demand', 6.98]]);
  });

  it.each([
    [
      'vantage-csv',
      `${VANTAGE_HEADER}t,r,1e308,\n`,
      `line 2, column usd_per_hour_ondemand_linux: ${TOO_HIGH} "1e308"`,
    ],
    [
      'vantage-csv',
      `${VANTAGE_HEADER}t,r,1,\nt,r2,1,1e309\n`,
      `line 3, column usd_per_hour_reserved_1y_std_noupfront_linux: ${TOO_HIGH} "1e309"`,
    ],
    [
      'gcp-compute-csv',
      'instance_type,region,usd_per_hour_ondemand,usd_per_hour_spot,usd_per_month_cud_1y,usd_per_month_cud_3y\n' +
        't,r,1,0.5,1e12,\n',
      `line 2, column usd_per_month_cud_1y: ${TOO_HIGH} "1e12" per month of 730 hours`,
    ],
    [
      'skypilot-csv',
      'InstanceType,AcceleratorName,Region,Price,SpotPrice\nt,,r,1,2000000\n',
      `line 2, column SpotPrice: ${TOO_HIGH} "2000000"`,
    ],
    [
      'aws-price-list',
      awsList({ S1: awsProduct }, awsTerm({ unit: 'Hrs', pricePerUnit: { USD: '1e308' } })),
      `${DIMENSION}.pricePerUnit.USD: ${TOO_HIGH} "1e308"`,
    ],
    [
      'azure-retail-json',
      JSON.stringify({ Items: [{ ...azureVm, retailPrice: 1e308 }] }),
      `Items[0].retailPrice: ${TOO_HIGH} 1e+308`,
    ],
    [
      'azure-retail-json',
      JSON.stringify({
        Items: [{ ...azureVm, type: 'Reservation', reservationTerm: '1 Year', retailPrice: 1e12 }],
      }),
      `Items[0].retailPrice: ${TOO_HIGH} 1000000000000 for 1 Year (8760 hours)`,
    ],
  ])('%s: a price above 1,000,000 USD per hour, named by its row', async (format, text, message) => {
    const { from, path } = list(format, 'prices.txt', text);
    expect(await catalogImport(...from)).toEqual({
      code: 2,
      stderr: `fleetsim: --from ${path}: ${message}\n`,
    });
  });

  it('imports a price of exactly 1,000,000 USD per hour', () => {
    const parsed = readPriceList('vantage-csv', `${VANTAGE_HEADER}t,r,1000000,\n`);
    expect(parsed.prices.map(({ usdPerHour }) => usdPerHour)).toEqual([1_000_000]);
  });

  it.skipIf(!existsSync('/dev/zero'))('refuses --from /dev/zero before reading it', async () => {
    expect(await catalogImport('--from', 'vantage-csv=/dev/zero@2026-01-01')).toEqual({
      code: 2,
      stderr: 'fleetsim: --from /dev/zero: not a file\n',
    });
  });

  it('refuses a FIFO or a folder, as --from or --base, before reading it', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    expect(await catalogImport('--from', 'azure-retail-json=fifo.json@2026-01-01')).toEqual({
      code: 2,
      stderr: `fleetsim: --from ${fifo}: not a file\n`,
    });
    expect(await catalogImport('--from', VANTAGE, '--base', 'fifo.json')).toEqual({
      code: 2,
      stderr: `fleetsim: --base ${fifo}: not a file\n`,
    });
    expect(await catalogImport('--from', VANTAGE, '--base', 'folder')).toEqual({
      code: 2,
      stderr: `fleetsim: --base ${folder}: not a file\n`,
    });
    expect(await catalogImport('--from', VANTAGE, '--base', 'missing.yaml')).toEqual({
      code: 2,
      stderr: `fleetsim: --base ${join(dir, 'missing.yaml')}: file not found\n`,
    });
  });

  it('refuses a price list over 400 MB and a --base file over 1 MB, saying the limit', async () => {
    // Sparse files: their size is what is refused, and nothing is written to disk.
    const huge = join(dir, 'huge.json');
    writeFileSync(huge, '');
    truncateSync(huge, 500_000_000);
    expect(await catalogImport('--from', 'azure-retail-json=huge.json@2026-01-01')).toEqual({
      code: 2,
      stderr: `fleetsim: --from ${huge}: the file is 500.0 MB; a price list may be at most 400 MB\n`,
    });
    const base = join(dir, 'base.yaml');
    writeFileSync(base, '');
    truncateSync(base, 2_000_000);
    expect(await catalogImport('--from', VANTAGE, '--base', 'base.yaml')).toEqual({
      code: 2,
      stderr: `fleetsim: --base ${base}: the file is 2.0 MB; a --base file may be at most 1 MB\n`,
    });
  });
});
