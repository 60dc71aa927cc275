import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { readCatalogFile } from './catalog.js';
import { listInstances, resolveInstance } from './index.js';

const SHARED_PRICING = '/work/shared/data/pricing';
const AWS_CSV = `${SHARED_PRICING}/aws_gpu_ml_instance_prices_vantage_2026-01-21.csv`;
const GCP_CSV = `${SHARED_PRICING}/gcp_compute_instance_prices_2026-07-30.csv`;

function readCsv(path: string): Map<string, Record<string, string>> {
  const rows: Record<string, string>[] = parse(readFileSync(path, 'utf8'), { columns: true });
  return new Map(rows.map((row) => [`${row.instance_type}/${row.region}`, row]));
}

describe('resolveInstance', () => {
  it('prices an instance in the provider default region, billed per second after the first minute', () => {
    expect(resolveInstance('aws/g5.xlarge')).toEqual({
      ok: true,
      priceUsdPerHour: 1.006, // aws csv line 489
      billing: { increment: 1, minimum: 60 },
      region: 'us-east-1',
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
      message: 'instance "aws/g6.xlarge" has no price in region "eu-west-1"; regions: us-east-1, us-west-2',
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
    expect(byKey.get('gcp/a2-highgpu-1g')?.asOf).toBe('2026-07-30');
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
        '    source: test',
        "    as_of: '2026-01-21'",
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
        "    prices: { r: { on_demand: 1 } }\n    source: test\n    as_of: '2026-01-21'\n",
    );
    expect(readCatalogFile(path)[0]).toMatchObject({ key: 'gcp/x', billing: { increment: 30, minimum: 60 } });
  });
});

// The catalog must equal the shared snapshots it cites; they exist on the development machine only,
// not in a clean checkout of this package, so the comparison is skipped elsewhere.
describe.skipIf(!existsSync(SHARED_PRICING))('catalog against /work/shared/data/pricing', () => {
  it('aws prices equal the vantage csv rows', () => {
    const rows = readCsv(AWS_CSV);
    for (const entry of listInstances().filter((e) => e.provider === 'aws')) {
      for (const [region, prices] of entry.prices) {
        const row = rows.get(`${entry.type}/${region}`)!;
        expect(prices.onDemandUsdPerHour, `${entry.key} ${region}`).toBe(
          Number(row.usd_per_hour_ondemand_linux),
        );
        const reserved = row.usd_per_hour_reserved_1y_std_noupfront_linux;
        expect(prices.reserved1yUsdPerHour).toBe(reserved === '' ? undefined : Number(reserved));
        expect(entry.vcpus).toBe(Number(row.vcpus));
      }
    }
  });

  it('gcp hourly prices equal the csv, and commitments are the monthly price / 730', () => {
    const rows = readCsv(GCP_CSV);
    for (const entry of listInstances().filter((e) => e.provider === 'gcp')) {
      for (const [region, prices] of entry.prices) {
        const row = rows.get(`${entry.type}/${region}`)!;
        const at = `${entry.key} ${region}`;
        expect(prices.onDemandUsdPerHour, at).toBe(Number(row.usd_per_hour_ondemand));
        expect(prices.spotUsdPerHour, at).toBe(Number(row.usd_per_hour_spot));
        // The YAML keeps nine decimals of the quotient.
        expect(prices.reserved1yUsdPerHour, at).toBeCloseTo(Number(row.usd_per_month_cud_1y) / 730, 9);
        expect(prices.reserved3yUsdPerHour, at).toBeCloseTo(Number(row.usd_per_month_cud_3y) / 730, 9);
        expect(entry.memoryGib, at).toBe(Number(row.memory_gib));
      }
    }
  });
});
