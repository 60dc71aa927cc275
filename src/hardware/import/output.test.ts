import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../../cli/app.js';
import { readCatalogFile, resolveInstance } from '../catalog.js';
import { withUserCatalogs } from '../user-catalog.js';
import { importPrices } from './index.js';

// What `catalog import` writes is a file the tool reads back: a user catalog without --base or
// with one as --base, a provider's pricing file with that file as --base.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/pricing`;
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-import-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An AWS bulk offer file of one product, shaped as the Price List API publishes it. */
function awsOffer(onDemandUsd: string, publicationDate = '2026-11-20T18:12:05Z'): string {
  return JSON.stringify({
    formatVersion: 'v1.0',
    offerCode: 'AmazonEC2',
    publicationDate,
    products: {
      SKU1: {
        sku: 'SKU1',
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
    },
    terms: {
      OnDemand: {
        SKU1: { 'SKU1.T': { priceDimensions: { d: { unit: 'Hrs', pricePerUnit: { USD: onDemandUsd } } } } },
      },
    },
  });
}

const AZURE_PAGE = JSON.stringify({
  Items: [
    {
      currencyCode: 'USD',
      serviceName: 'Virtual Machines',
      type: 'Consumption',
      armRegionName: 'westus3',
      armSkuName: 'Standard_NC40ads_H100_v5',
      skuName: 'NC40ads H100 v5',
      productName: 'NCadsH100v5 Series',
      unitOfMeasure: '1 Hour',
      retailPrice: 7.5,
    },
  ],
});

function saved(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface Case {
  /** The --from arguments. */
  from: string[];
  provider: string;
  type: string;
  region: string;
  /** What the lists price it at there, on demand. */
  onDemand: number;
  /** The accelerator the shipped catalog gives it, which a user catalog cannot change. */
  model: string;
  more?: string[];
}

const VANTAGE = `vantage-csv=${FIXTURES}/aws_gpu_ml_instance_prices_vantage_2026-01-21.csv`;
const CASES: Record<string, Case> = {
  'vantage-csv': {
    from: [VANTAGE],
    provider: 'aws',
    type: 'p5.4xlarge',
    region: 'us-east-1',
    onDemand: 6.88,
    model: 'h100-80gb',
  },
  'aws-spot-advisor': {
    from: [VANTAGE, `aws-spot-advisor=${FIXTURES}/aws_spot_advisor_data_2025-06-28.json`],
    provider: 'aws',
    type: 'g5.xlarge',
    region: 'us-east-1',
    onDemand: 1.006,
    model: 'a10g',
  },
  'aws-price-list': {
    from: [`aws-price-list=${saved('offer.json', awsOffer('1.9000000000'))}`],
    provider: 'aws',
    type: 'g6e.xlarge',
    region: 'us-east-1',
    onDemand: 1.9,
    model: 'l40s',
  },
  'gcp-compute-csv': {
    from: [`gcp-compute-csv=${FIXTURES}/gcp_compute_instance_prices_2026-07-30.csv`],
    provider: 'gcp',
    type: 'a2-highgpu-1g',
    region: 'us-central1',
    onDemand: 3.673385,
    model: 'a100-40gb',
  },
  'skypilot-csv': {
    from: [`skypilot-csv=${FIXTURES}/gcp_tpu_prices_skypilot_catalog_v6_subset.csv@2026-11-28`],
    provider: 'gcp',
    type: 'tpu-v5e-1',
    region: 'europe-west4',
    onDemand: 1.56,
    model: 'tpu-v5e',
    more: ['--provider', 'gcp'],
  },
  'azure-retail-json': {
    from: [`azure-retail-json=${saved('azure_2026-11-30.json', AZURE_PAGE)}`],
    provider: 'azure',
    type: 'Standard_NC40ads_H100_v5',
    region: 'westus3',
    onDemand: 7.5,
    model: 'h100-nvl',
  },
};

async function catalogImport(
  out: string,
  { from, type, region, more }: Case,
  ...args: string[]
): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io = { stdout: () => undefined, stderr: (text: string) => (stderr += text), cwd: dir };
  const flags = [...from.flatMap((list) => ['--from', list]), ...(more ?? []), ...args];
  const command = ['catalog', 'import', ...flags, '--types', type, '--regions', region];
  const code = await runCli([...command, '--out', out, '--force', '--quiet'], io);
  return { code, stderr };
}

/** The on-demand price and accelerator of the instance with `files` on top of the shipped catalog. */
function loaded(files: string[], { provider, type, region }: Case) {
  const load = withUserCatalogs(files);
  if (!load.ok) throw new Error(load.errors.map((e) => `${e.line}:${e.col}: ${e.message}`).join('\n'));
  const resolved = resolveInstance(`${provider}/${type}`, { region, catalog: load.catalog });
  if (!resolved.ok) throw new Error(resolved.message);
  return { price: resolved.priceUsdPerHour, model: resolved.accelerators?.model };
}

describe('catalog import writes a catalog that loads', () => {
  it.each(Object.entries(CASES))(
    '%s without --base: a user catalog, with prices and sources only for a shipped instance',
    async (format, test) => {
      const out = join(dir, `${format}.yaml`);
      expect(await catalogImport(out, test)).toEqual({ code: 0, stderr: '' });
      const key = `${test.provider}/${test.type}`;
      expect(Object.keys(parse(readFileSync(out, 'utf8')).instances[key])).toEqual(['prices', 'sources']);
      expect(loaded([out], test)).toEqual({ price: test.onDemand, model: test.model });
    },
  );

  it.each(Object.entries(CASES))(
    '%s with a user catalog as --base: re-priced, its other entries kept, and it loads',
    async (format, test) => {
      const key = `${test.provider}/${test.type}`;
      const base = saved(
        `${format}-base.yaml`,
        `instances:\n  ${key}:\n    prices: { ${test.region}: { on_demand: 99 } }\n` +
          '    sources: { on_demand: { source: an old quote, as_of: 2025-01-01 } }\n' +
          '  lab/box:\n    billing: { increment: 1s, minimum: 0s }\n    prices: { onprem: { on_demand: 2 } }\n' +
          '    sources: { on_demand: { source: purchase, as_of: 2026-09-30 } }\n',
      );
      const out = join(dir, `${format}-rebased.yaml`);
      expect(await catalogImport(out, test, '--base', base)).toEqual({ code: 0, stderr: '' });
      expect(Object.keys(parse(readFileSync(out, 'utf8')).instances)).toEqual([key, 'lab/box']);
      expect(loaded([out], test)).toEqual({ price: test.onDemand, model: test.model });
    },
  );

  it.each(Object.entries(CASES))(
    "%s with the shipped pricing file as --base: that provider's pricing file, and it loads",
    async (format, test) => {
      const out = join(mkdtempSync(join(dir, `${format}-`)), `${test.provider}.yaml`);
      const base = `${ROOT}pricing/${test.provider}.yaml`;
      expect(await catalogImport(out, test, '--base', base)).toEqual({ code: 0, stderr: '' });
      const entry = readCatalogFile(out).find((e) => e.type === test.type);
      expect(entry?.prices.get(test.region)?.on_demand).toBe(test.onDemand);
    },
  );

  it("refuses, and writes nothing, an on-demand price below the catalog's spot price it would sit beside", async () => {
    const test = {
      ...CASES['aws-price-list'],
      from: [`aws-price-list=${saved('cut.json', awsOffer('0.5'))}`],
    };
    const out = join(dir, 'cut.yaml');
    // pricing/aws.yaml: g6e.xlarge in us-east-1, spot 0.78162, from the spot advisor.
    expect(await catalogImport(out, test)).toEqual({
      code: 2,
      stderr:
        'fleetsim: the output would be refused as a user catalog, so it is not written: instances["aws/g6e.xlarge"].prices.us-east-1.spot: spot 0.78162 is above on_demand 0.5\n',
    });
    expect(existsSync(out)).toBe(false);
  });
});

describe('catalog import dates every list by a day that exists and has come', () => {
  const TODAY = '2026-12-07';
  const date =
    (argument: string, text = AZURE_PAGE) =>
    () =>
      importPrices({
        from: [argument],
        base: null,
        types: ['Standard_NC40ads_H100_v5'],
        regions: ['westus3'],
        read: () => text,
        today: TODAY,
      });
  const GIVE = 'give the day it was published or downloaded: --from azure-retail-json';

  it.each([
    [
      'azure-retail-json=prices_2026-02-30.json',
      `--from prices_2026-02-30.json: the date in its name, "2026-02-30", is not a date YYYY-MM-DD that exists; ${GIVE}=prices_2026-02-30.json@YYYY-MM-DD`,
    ],
    [
      'azure-retail-json=prices_2026-12-08.json',
      `--from prices_2026-12-08.json: the date in its name, 2026-12-08, is after today, 2026-12-07 (UTC); ${GIVE}=prices_2026-12-08.json@YYYY-MM-DD`,
    ],
    [
      'azure-retail-json=prices.json@9999-12-31',
      `--from prices.json: the date after @, 9999-12-31, is after today, 2026-12-07 (UTC); ${GIVE}=prices.json@YYYY-MM-DD`,
    ],
  ])('%s', (argument, message) => {
    expect(date(argument)).toThrow(message);
  });

  it('refuses a date the list records that does not exist or has not come, without offering @DATE', () => {
    expect(date('aws-price-list=offer.json', awsOffer('1', '2026-02-30T00:00:00Z'))).toThrow(
      /^--from offer.json: the date the file records, "2026-02-30", is not a date YYYY-MM-DD that exists$/,
    );
    expect(date('aws-price-list=offer.json', awsOffer('1', '2026-12-08T00:00:00Z'))).toThrow(
      /^--from offer.json: the date the file records, 2026-12-08, is after today, 2026-12-07 \(UTC\)$/,
    );
  });

  it('takes a list dated today', () => {
    expect(date('azure-retail-json=prices.json@2026-12-07')().added).toEqual([
      'azure/Standard_NC40ads_H100_v5',
    ]);
  });
});
