import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readCatalogFile } from './catalog.js';
import { listInstances, resolveInstance } from './index.js';

// The project's shared data sits beside the checkout (developers' machines and CI alike).
const SHARED_PRICING = fileURLToPath(new URL('../../../shared/data/pricing', import.meta.url));
const AWS_CSV = `${SHARED_PRICING}/aws_gpu_ml_instance_prices_vantage_2026-01-21.csv`;
const GCP_CSV = `${SHARED_PRICING}/gcp_compute_instance_prices_2026-07-30.csv`;
const TPU_CSV = `${SHARED_PRICING}/gcp_tpu_prices_skypilot_catalog_v6_subset.csv`;

function readCsv(path: string): Map<string, Record<string, string>> {
  const rows: Record<string, string>[] = parse(readFileSync(path, 'utf8'), { columns: true });
  return new Map(rows.map((row) => [`${row.instance_type}/${row.region}`, row]));
}

describe('resolveInstance', () => {
  it('prices an instance in the provider default region, billed per second after the first minute', () => {
    expect(resolveInstance('aws/g5.xlarge')).toEqual({
      ok: true,
      key: 'aws/g5.xlarge',
      priceUsdPerHour: 1.006, // aws csv line 489
      billing: { increment: 1, minimum: 60 },
      region: 'us-east-1',
      market: 'on-demand',
      vcpus: 4,
      memoryGib: 16,
      accelerators: { model: 'a10g', count: 1, memoryGib: 24 },
      priceSource: {
        source:
          'aws_gpu_ml_instance_prices_vantage_2026-01-21.csv (vantage-csv) column usd_per_hour_ondemand_linux, rows g5.xlarge in us-east-1, us-east-2, us-west-2, eu-west-1, eu-central-1',
        asOf: '2026-01-21',
      },
    });
    expect(resolveInstance('gcp/g2-standard-8')).toMatchObject({
      ok: true,
      priceUsdPerHour: 0.853624271, // gcp csv line 9981
      region: 'us-central1',
    });
  });

  it('prices an instance in a chosen region', () => {
    expect(resolveInstance('aws/p4d.24xlarge', { region: 'eu-west-1' })).toMatchObject({
      ok: true,
      priceUsdPerHour: 23.71569, // aws csv line 1094
      region: 'eu-west-1',
    });
    expect(resolveInstance('gcp/a3-highgpu-8g', { region: 'europe-west4' })).toMatchObject({
      priceUsdPerHour: 112.540479175233, // gcp csv line 497
    });
  });

  it('suggests the closest keys for an unknown instance', () => {
    expect(resolveInstance('aws/g5.xlrge')).toEqual({
      ok: false,
      message: 'unknown instance "aws/g5.xlrge"; closest: aws/g5.xlarge, aws/g5.2xlarge, aws/g6.xlarge',
    });
  });

  it('asks for the provider when the key is a bare type', () => {
    expect(resolveInstance('g6e.xlarge')).toEqual({
      ok: false,
      message: 'instance "g6e.xlarge" needs its provider: aws/g6e.xlarge',
    });
  });

  it('lists the regions an instance has when the region is unknown', () => {
    expect(resolveInstance('aws/g6.xlarge', { region: 'eu-west-1' })).toEqual({
      ok: false,
      message:
        'instance "aws/g6.xlarge" has no price in region "eu-west-1"; regions: us-east-1, us-east-2, us-west-2, eu-central-1',
      unavailable: true,
    });
  });
});

describe('markets', () => {
  it('prices spot and the 1-year reservation, and names the markets a region has', () => {
    // gcp csv line 9981: spot 0.479872, cud_1y 392.58179878 / 730
    expect(resolveInstance('gcp/g2-standard-8', { market: 'spot' })).toMatchObject({
      priceUsdPerHour: 0.479872,
    });
    expect(resolveInstance('gcp/g2-standard-8', { market: 'reserved' })).toMatchObject({
      priceUsdPerHour: 0.537783286,
      market: 'reserved',
    });
    // aws csv line 489 (1.006) less the spot advisor's 59 % saving in us-east-1
    expect(resolveInstance('aws/g5.xlarge', { market: 'spot' })).toMatchObject({ priceUsdPerHour: 0.41246 });
    expect(resolveInstance('aws/p5en.48xlarge', { market: 'reserved' })).toEqual({
      ok: false,
      message:
        'instance "aws/p5en.48xlarge" has no reserved price in region "us-east-1"; markets there: on-demand, spot',
      unavailable: true,
    });
    expect(resolveInstance('gcp/tpu-v5e-4', { region: 'europe-west4', market: 'spot' })).toMatchObject({
      priceUsdPerHour: 2.1216, // tpu csv, europe-west4-a
      accelerators: { model: 'tpu-v5e', count: 4 },
    });
  });

  it('prices the CPU-only c7i types from the SkyPilot catalog, spot from the advisor saving', () => {
    // skypilot aws vms.csv: c7i.2xlarge us-east-1 Price 0.357; advisor us-east-1 s=59
    expect(resolveInstance('aws/c7i.2xlarge')).toEqual({
      ok: true,
      key: 'aws/c7i.2xlarge',
      priceUsdPerHour: 0.357,
      billing: { increment: 1, minimum: 60 },
      region: 'us-east-1',
      market: 'on-demand',
      vcpus: 8,
      memoryGib: 16,
      accelerators: null,
      priceSource: { source: expect.stringContaining('c7i.2xlarge in us-east-1'), asOf: '2026-11-28' },
    });
    expect(resolveInstance('aws/c7i.2xlarge', { market: 'spot' })).toMatchObject({
      priceUsdPerHour: 0.14637,
    });
    expect(resolveInstance('aws/c7i.2xlarge', { region: 'eu-west-1' })).toMatchObject({
      priceUsdPerHour: 0.38304,
    });
    expect(resolveInstance('aws/c7i.2xlarge', { market: 'reserved' })).toMatchObject({ ok: false });
    for (const [size, vcpus, price] of [
      ['large', 2, 0.08925],
      ['xlarge', 4, 0.1785],
      ['4xlarge', 16, 0.714],
      ['8xlarge', 32, 1.428],
    ] as const) {
      expect(resolveInstance(`aws/c7i.${size}`), size).toMatchObject({ priceUsdPerHour: price, vcpus });
    }
  });

  it('prices the H200 a3-ultragpu-8g in us-central1 from the billing-catalog copy', () => {
    // $10.4365 on-demand and $6.2607 spot per GPU-hour, 8 GPUs
    expect(resolveInstance('gcp/a3-ultragpu-8g')).toMatchObject({
      ok: true,
      priceUsdPerHour: 83.492,
      region: 'us-central1',
      vcpus: 224,
      memoryGib: 2952,
      accelerators: { model: 'h200-141gb', count: 8, memoryGib: 141 },
    });
    expect(resolveInstance('gcp/a3-ultragpu-8g', { market: 'spot' })).toMatchObject({
      priceUsdPerHour: 50.0856,
    });
    expect(resolveInstance('gcp/a3-ultragpu-8g', { region: 'us-east1' })).toMatchObject({ ok: false });
  });

  it('prices azure spot from the SkyPilot catalog', () => {
    expect(resolveInstance('azure/Standard_NC24ads_A100_v4', { market: 'spot' })).toMatchObject({
      priceUsdPerHour: 0.444433,
      region: 'eastus',
    });
    expect(resolveInstance('azure/Standard_NC96ads_A100_v4')).toMatchObject({ priceUsdPerHour: 14.692 });
    expect(resolveInstance('azure/Standard_ND96isr_H100_v5', { market: 'spot' })).toMatchObject({
      ok: false,
    });
  });

  it('prices owned edge hardware as purchase over its lifetime plus power', () => {
    // $249 over 3 x 8760 h plus 25 W at $0.1545/kWh
    expect(resolveInstance('edge/jetson-orin-nano-super-devkit')).toMatchObject({
      ok: true,
      priceUsdPerHour: 249 / (3 * 8760) + 0.025 * 0.1545,
      region: 'us',
      billing: { increment: 1, minimum: 0 },
    });
    expect(resolveInstance('azure/Standard_ND96isr_H100_v5')).toMatchObject({
      priceUsdPerHour: 98.32,
      region: 'eastus',
      accelerators: { model: 'h100-80gb', count: 8 },
    });
    // $1,999 over 3 x 8760 h plus 60 W at $0.1545/kWh
    expect(resolveInstance('edge/jetson-agx-orin-64gb-devkit')).toMatchObject({
      ok: true,
      priceUsdPerHour: 1999 / (3 * 8760) + 0.06 * 0.1545,
      region: 'us',
      vcpus: 12,
      accelerators: { model: 'jetson-agx-orin-64gb', count: 1, memoryGib: 64 },
    });
  });
});

describe('listInstances', () => {
  it('holds the starter types of both providers, with accelerators on the GPU and ASIC types', () => {
    const byKey = new Map(listInstances().map((entry) => [entry.key, entry]));
    for (const type of [
      'g4dn.xlarge',
      'g5.xlarge',
      'g5.2xlarge',
      'g6.xlarge',
      'g6e.xlarge',
      'p4d.24xlarge',
    ]) {
      expect(byKey.has(`aws/${type}`), type).toBe(true);
    }
    expect(byKey.get('aws/p5.48xlarge')?.accelerators).toEqual({
      model: 'h100-80gb',
      count: 8,
      memoryGib: 80,
    });
    expect(byKey.get('aws/inf2.xlarge')?.accelerators?.model).toBe('inferentia2');
    expect(byKey.get('gcp/n2-standard-8')?.accelerators).toBeUndefined();
    expect(byKey.get('gcp/c3-standard-8')?.vcpus).toBe(8);
    expect(byKey.get('gcp/a2-highgpu-1g')?.citations.get('us-central1')?.on_demand?.asOf).toBe('2026-07-30');
    expect(byKey.get('gcp/tpu-v6e-8')?.accelerators).toEqual({ model: 'tpu-v6e', count: 8 });
    expect(listInstances({ accelerator: 'h200-141gb' }).map((e) => e.key)).toEqual([
      'aws/p5en.48xlarge',
      'gcp/a3-ultragpu-8g',
    ]);
    expect(listInstances({ provider: 'azure', region: 'eastus' })).toHaveLength(8);
    // Filters ignore case.
    expect(
      listInstances({ provider: 'AZURE', region: 'EastUS', accelerator: 'H100-NVL' }).map((e) => e.key),
    ).toEqual(['azure/Standard_NC40ads_H100_v5', 'azure/Standard_NC80adis_H100_v5']);
  });
});

describe('readCatalogFile', () => {
  it('throws with the file and entry name when a shipped file is broken', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-catalog-')), 'aws.yaml');
    writeFileSync(
      path,
      [
        'instances:',
        '  g5.xlarge:',
        '    vcpus: 4',
        '    memory_gib: 16',
        '    billing: { increment: 1s, minimum: 1 minute }',
        '    prices: { us-east-1: { on_demand: 1.006 } }',
        "    sources: { on_demand: { source: test, as_of: '2026-01-21' } }",
      ].join('\n'),
    );
    expect(() => readCatalogFile(path)).toThrow(
      `broken catalog file ${path} entry "g5.xlarge": instances.g5.xlarge.billing.minimum:`,
    );
  });

  it('reads durations in s, min or h and bare seconds', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-catalog-')), 'gcp.yaml');
    writeFileSync(
      path,
      'instances:\n  x:\n    vcpus: 1\n    memory_gib: 1\n    billing: { increment: 30, minimum: 1min }\n' +
        "    prices: { r: { on_demand: 1 } }\n    sources: { on_demand: { source: test, as_of: '2026-01-21' } }\n",
    );
    expect(readCatalogFile(path)[0]).toMatchObject({ key: 'gcp/x', billing: { increment: 30, minimum: 60 } });
  });

  it('rejects a price without a source and an accelerator id outside the shared list', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleetsim-catalog-')), 'aws.yaml');
    const entry = (extra: string) =>
      'instances:\n  x:\n    billing: { increment: 1s, minimum: 60s }\n' +
      `    prices: { r: { on_demand: 1, spot: 0.5 } }\n${extra}`;
    writeFileSync(path, entry("    sources: { on_demand: { source: t, as_of: '2026-01-21' } }\n"));
    expect(() => readCatalogFile(path)).toThrow(
      'entry "x": instances.x.sources.spot: spot prices need sources.spot',
    );
    writeFileSync(
      path,
      entry(
        "    accelerators: { model: h100, count: 1 }\n    sources: { on_demand: { source: t, as_of: '2026-01-21' }, spot: { source: t, as_of: unknown } }\n",
      ),
    );
    expect(() => readCatalogFile(path)).toThrow('instances.x.accelerators.model');
  });
});

// The catalog must equal the shared snapshots it cites; they exist on the development machine only,
// not in a clean checkout of this package, so the comparison is skipped elsewhere.
describe.skipIf(!existsSync(SHARED_PRICING))('catalog against shared/data/pricing', () => {
  it('aws prices equal the vantage csv rows, and spot is on-demand less the advisor saving', () => {
    const rows = readCsv(AWS_CSV);
    const advisor = JSON.parse(
      readFileSync(`${SHARED_PRICING}/aws_spot_advisor_data_2025-06-28.json`, 'utf8'),
    );
    for (const entry of listInstances({ provider: 'aws' }).filter((e) => e.accelerators)) {
      for (const [region, prices] of entry.prices) {
        const row = rows.get(`${entry.type}/${region}`)!;
        const at = `${entry.key} ${region}`;
        expect(prices.on_demand, at).toBe(Number(row.usd_per_hour_ondemand_linux));
        const reserved = row.usd_per_hour_reserved_1y_std_noupfront_linux;
        expect(prices.reserved_1y, at).toBe(reserved === '' ? undefined : Number(reserved));
        expect(entry.vcpus, at).toBe(Number(row.vcpus));
        const saving = advisor.spot_advisor[region]?.Linux?.[entry.type]?.s;
        if (saving === undefined) expect(prices.spot, at).toBeUndefined();
        else
          expect(prices.spot, at).toBeCloseTo(
            Number(row.usd_per_hour_ondemand_linux) * (1 - saving / 100),
            9,
          );
      }
    }
  });

  it('aws CPU-only types: spot is on-demand less the advisor saving, size from its instance_types', () => {
    const advisor = JSON.parse(
      readFileSync(`${SHARED_PRICING}/aws_spot_advisor_data_2025-06-28.json`, 'utf8'),
    );
    const cpuOnly = listInstances({ provider: 'aws' }).filter((e) => !e.accelerators);
    expect(cpuOnly.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'm7i.large',
        'c7i.large',
        'c7i.xlarge',
        'c7i.2xlarge',
        'c7i.4xlarge',
        'c7i.8xlarge',
      ]),
    );
    for (const entry of cpuOnly) {
      const size = advisor.instance_types[entry.type];
      expect(entry.vcpus, entry.key).toBe(size.cores);
      expect(entry.memoryGib, entry.key).toBe(size.ram_gb);
      for (const [region, prices] of entry.prices) {
        const saving = advisor.spot_advisor[region]?.Linux?.[entry.type]?.s;
        const at = `${entry.key} ${region}`;
        if (saving === undefined) expect(prices.spot, at).toBeUndefined();
        else expect(prices.spot, at).toBeCloseTo(prices.on_demand! * (1 - saving / 100), 9);
      }
    }
  });

  it('gcp hourly prices equal the csv, and commitments are the monthly price / 730', () => {
    const rows = readCsv(GCP_CSV);
    // Only the types the Compute Engine snapshot prices (not TPU slices or a3-ultragpu-8g).
    const fromCsv = listInstances({ provider: 'gcp' }).filter((e) =>
      [...e.citations.values()].every((cited) =>
        cited.on_demand?.source.startsWith('gcp_compute_instance_prices_'),
      ),
    );
    expect(fromCsv.length).toBeGreaterThan(0);
    for (const entry of fromCsv) {
      for (const [region, prices] of entry.prices) {
        const row = rows.get(`${entry.type}/${region}`)!;
        const at = `${entry.key} ${region}`;
        expect(prices.on_demand, at).toBe(Number(row.usd_per_hour_ondemand));
        expect(prices.spot, at).toBe(Number(row.usd_per_hour_spot));
        // The YAML keeps nine decimals of the quotient.
        for (const [key, column] of [
          ['reserved_1y', 'usd_per_month_cud_1y'],
          ['reserved_3y', 'usd_per_month_cud_3y'],
        ] as const) {
          if (row[column] === '') expect(prices[key], at).toBeUndefined();
          else expect(prices[key], at).toBeCloseTo(Number(row[column]) / 730, 9);
        }
        expect(entry.memoryGib, at).toBe(Number(row.memory_gib));
      }
    }
  });

  it('tpu slices carry the first zone row of each region', () => {
    const rows: Record<string, string>[] = parse(readFileSync(TPU_CSV, 'utf8'), { columns: true });
    const slice = {
      'tpu-v5e-1': 'tpu-v5litepod-1',
      'tpu-v5e-8': 'tpu-v5litepod-8',
      'tpu-v5p-8': 'tpu-v5p-8',
      'tpu-v6e-4': 'tpu-v6e-4',
    };
    for (const [type, name] of Object.entries(slice)) {
      for (const [region, prices] of listInstances().find((e) => e.key === `gcp/${type}`)!.prices) {
        const row = rows.find((r) => r.AcceleratorName === name && r.Region === region)!;
        expect(prices.on_demand, `${type} ${region}`).toBe(Number(row.Price));
        expect(prices.spot, `${type} ${region}`).toBe(Number(row.SpotPrice));
      }
    }
  });
});
