import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  egressCostUsd,
  findTransferPrice,
  proratedEgressCostUsd,
  readDataTransferFile,
  type TransferRoute,
  tieredCostUsd,
} from './data-transfer.js';

const GIB = 2 ** 30;
const GB = 1e9;
const SHARED_EGRESS_CSV = fileURLToPath(
  new URL('../../../shared/data/pricing/gcp_internet_egress_prices_2026-07-30.csv', import.meta.url),
);
const PRICE_FILE = fileURLToPath(new URL('../../pricing/data-transfer.yaml', import.meta.url));

const gcpInternet = (region: string): TransferRoute => ({ provider: 'gcp', region, destination: 'internet' });
const awsInternet: TransferRoute = { provider: 'aws', region: 'us-east-1', destination: 'internet' };
const azureInternet = (region = 'eastus'): TransferRoute => ({
  provider: 'azure',
  region,
  destination: 'internet',
});

describe('GCP internet egress (per GiB: 0-1 TiB, 1-10 TiB, above 10 TiB)', () => {
  // us-central1 worldwide: 0.12 / 0.11 / 0.08 USD per GiB (csv rows worldwide_excl_china_australia).
  it('charges the first tier up to and including 1 TiB', () => {
    expect(egressCostUsd(gcpInternet('us-central1'), GIB)).toBeCloseTo(0.12, 12);
    expect(egressCostUsd(gcpInternet('us-central1'), 1024 * GIB)).toBeCloseTo(122.88, 9);
  });

  it('charges the byte after 1 TiB at the second tier', () => {
    expect(egressCostUsd(gcpInternet('us-central1'), 1025 * GIB)).toBeCloseTo(122.88 + 0.11, 9);
  });

  it('splits a transfer across all three tiers', () => {
    // 20 TiB = 1024 GiB x 0.12 + 9216 GiB x 0.11 + 10240 GiB x 0.08
    expect(egressCostUsd(gcpInternet('us-central1'), 20480 * GIB)).toBeCloseTo(1955.84, 8);
  });

  it('starts the tiers where the month already is', () => {
    // From 1000 GiB: 24 GiB at 0.12, then 76 GiB at 0.11.
    expect(egressCostUsd(gcpInternet('us-central1'), 100 * GIB, 1000 * GIB)).toBeCloseTo(11.24, 9);
    expect(egressCostUsd(gcpInternet('us-central1'), 10 * GIB, 11000 * GIB)).toBeCloseTo(0.8, 9);
  });

  it('prices by source region and destination class', () => {
    // Above 10 TiB europe-west4 charges 0.085, us-central1 0.08; China from us-central1 0.23.
    expect(egressCostUsd(gcpInternet('europe-west4'), GIB, 10240 * GIB)).toBeCloseTo(0.085, 12);
    expect(egressCostUsd(gcpInternet('us-central1'), GIB, 10240 * GIB)).toBeCloseTo(0.08, 12);
    const toChina: TransferRoute = {
      provider: 'gcp',
      region: 'us-central1',
      destination: { internet: 'china' },
    };
    expect(egressCostUsd(toChina, GIB)).toBeCloseTo(0.23, 12);
  });

  it('bills GiB, not GB', () => {
    expect(egressCostUsd(gcpInternet('us-central1'), GB)).toBeCloseTo((0.12 * 1e9) / 2 ** 30, 12);
  });
});

describe('AWS us-east-1 internet egress (per GB: 100 GB free, then 10 / 50 / 150 TB)', () => {
  it('is free for the first 100 GB of the month', () => {
    expect(egressCostUsd(awsInternet, 100 * GB)).toBe(0);
    expect(egressCostUsd(awsInternet, 101 * GB)).toBeCloseTo(0.09, 12);
  });

  it('charges 0.09 up to 10 TB', () => {
    expect(egressCostUsd(awsInternet, 10_000 * GB)).toBeCloseTo(9900 * 0.09, 9);
  });

  it('walks every tier of a 200 TB month', () => {
    // 9,900 x 0.09 + 40,000 x 0.085 + 100,000 x 0.07 + 50,000 x 0.05
    expect(egressCostUsd(awsInternet, 200_000 * GB)).toBeCloseTo(891 + 3400 + 7000 + 2500, 6);
  });
});

describe('Azure eastus internet egress (per GB: 100 GB free, tiers from 10,335 / 51,295 / 153,695 / 512,095 GB)', () => {
  // Rtn Preference: MGN, zone 1: 0 / 0.087 / 0.083 / 0.07 / 0.05 / 0.05 USD per GB, the Azure Retail
  // Prices API's tierMinimumUnits 0, 100, 10335, 51295, 153695, 512095 (returned on 2026-09-24).
  it('is free for the first 100 GB of the month', () => {
    expect(egressCostUsd(azureInternet(), 100 * GB)).toBe(0);
    expect(egressCostUsd(azureInternet(), 101 * GB)).toBeCloseTo(0.087, 12);
  });

  it('charges 0.087 up to 10,335 GB, not only up to 10 TB', () => {
    // 10,235 GB x 0.087
    expect(egressCostUsd(azureInternet(), 10_335 * GB)).toBeCloseTo(890.445, 9);
    // The GB after 10,240 (10 TB of 1,024 GB) is still in the second tier; the one after 10,335 is not.
    expect(egressCostUsd(azureInternet(), GB, 10_240 * GB)).toBeCloseTo(0.087, 12);
    expect(egressCostUsd(azureInternet(), GB, 10_335 * GB)).toBeCloseTo(0.083, 12);
  });

  it('charges each tier up to its end', () => {
    // + 40,960 x 0.083 = 3,399.68
    expect(egressCostUsd(azureInternet(), 51_295 * GB)).toBeCloseTo(4290.125, 6);
    // + 102,400 x 0.07 = 7,168
    expect(egressCostUsd(azureInternet(), 153_695 * GB)).toBeCloseTo(11_458.125, 6);
    // + 358,400 x 0.05 = 17,920
    expect(egressCostUsd(azureInternet(), 512_095 * GB)).toBeCloseTo(29_378.125, 6);
    expect(egressCostUsd(azureInternet(), GB, 51_295 * GB)).toBeCloseTo(0.07, 12);
    expect(egressCostUsd(azureInternet(), GB, 153_695 * GB)).toBeCloseTo(0.05, 12);
  });

  it('walks every tier of a 600,000 GB month', () => {
    // 29,378.125 + 87,905 x 0.05 (the last tier has the price of the one before)
    expect(egressCostUsd(azureInternet(), 600_000 * GB)).toBeCloseTo(33_773.375, 6);
  });

  it('prices the other zone 1 regions alike, and zone 2 higher', () => {
    for (const region of ['eastus2', 'germanywestcentral']) {
      expect(egressCostUsd(azureInternet(region), 600_000 * GB)).toBeCloseTo(33_773.375, 6);
    }
    // southeastasia: 0.12 to 10,335 GB, then 0.085.
    expect(egressCostUsd(azureInternet('southeastasia'), 10_335 * GB)).toBeCloseTo(10_235 * 0.12, 9);
    expect(egressCostUsd(azureInternet('southeastasia'), GB, 10_335 * GB)).toBeCloseTo(0.085, 12);
  });

  it('bills GB, not GiB', () => {
    expect(egressCostUsd(azureInternet(), 2 ** 30, 100 * GB)).toBeCloseTo((0.087 * 2 ** 30) / 1e9, 12);
  });

  it('prices transfer between North American regions flat, and nothing it has no price for', () => {
    const to = (region: string, zone?: string): TransferRoute => ({
      provider: 'azure',
      region: 'eastus',
      zone,
      destination: { region, zone: zone === undefined ? undefined : `${region}-2` },
    });
    expect(egressCostUsd(to('westus2'), 50 * GB)).toBeCloseTo(1, 12);
    expect(egressCostUsd(to('eastus2'), 50 * GB, 1e15)).toBeCloseTo(1, 12);
    expect(findTransferPrice(to('westeurope'))).toMatchObject({
      ok: false,
      message: expect.stringContaining('azure transfer from eastus to region "westeurope" has no price'),
    });
    expect(findTransferPrice(to('eastus', 'eastus-1'))).toEqual({
      ok: false,
      message: 'azure has no inter-zone price in pricing/data-transfer.yaml',
    });
  });
});

describe('transfer within a provider', () => {
  it('prices inter-region transfer flat, by source and destination region', () => {
    const to = (region: string): TransferRoute => ({
      provider: 'aws',
      region: 'us-east-1',
      destination: { region },
    });
    expect(egressCostUsd(to('us-west-2'), 50 * GB)).toBeCloseTo(1, 12);
    expect(egressCostUsd(to('us-east-2'), 50 * GB, 1e15)).toBeCloseTo(0.5, 12);
  });

  it('charges both ends of a transfer between zones', () => {
    const route: TransferRoute = {
      provider: 'aws',
      region: 'us-east-1',
      zone: 'us-east-1a',
      destination: { region: 'us-east-1', zone: 'us-east-1b' },
    };
    expect(egressCostUsd(route, 10 * GB)).toBeCloseTo(10 * 0.01 * 2, 12);
  });

  it('charges nothing within one zone, or where a side names no zone', () => {
    const sameZone: TransferRoute = {
      provider: 'gcp',
      region: 'us-central1',
      zone: 'a',
      destination: { region: 'us-central1', zone: 'a' },
    };
    expect(egressCostUsd(sameZone, 1e12)).toBe(0);
    expect(
      egressCostUsd({ provider: 'aws', region: 'us-east-1', destination: { region: 'us-east-1' } }, 1e12),
    ).toBe(0);
  });
});

describe('routes without a price', () => {
  it('names the closest regions for an unpriced source region', () => {
    const found = findTransferPrice({ provider: 'aws', region: 'us-west-2', destination: 'internet' });
    expect(found).toEqual({
      ok: false,
      message:
        'aws internet egress source region "us-west-2" has no price in pricing/data-transfer.yaml; closest: us-east-1',
    });
    expect(() => egressCostUsd({ provider: 'aws', region: 'us-west-2', destination: 'internet' }, 1)).toThrow(
      'source region "us-west-2"',
    );
  });

  it('says which kinds of transfer a provider lacks', () => {
    expect(
      findTransferPrice({ provider: 'gcp', region: 'us-central1', destination: { region: 'us-east1' } }),
    ).toEqual({
      ok: false,
      message: 'gcp has no inter-region prices in pricing/data-transfer.yaml',
    });
    expect(
      findTransferPrice({ provider: 'aws', region: 'us-east-1', destination: { internet: 'china' } }),
    ).toEqual({
      ok: false,
      message:
        'aws has no internet egress price from us-east-1 to china; destinations priced there: worldwide',
    });
    expect(
      findTransferPrice({ provider: 'oci', region: 'us-ashburn-1', destination: 'internet' }),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining('provider "oci" has no price'),
    });
  });

  it('rejects negative byte counts', () => {
    expect(() => egressCostUsd(awsInternet, -1)).toThrow(RangeError);
    expect(() => egressCostUsd(awsInternet, Number.NaN)).toThrow(RangeError);
  });
});

describe('tiers over a run', () => {
  it('pricing a transfer in two parts costs the same as in one', () => {
    const found = findTransferPrice(awsInternet);
    if (!found.ok || found.price.kind !== 'tiered') throw new Error('expected tiered AWS egress');
    const { tiers } = found.price;
    // Log-uniform from 1 B to 300 TB, so every tier and boundary of the month gets its share.
    const bytes = fc.integer({ min: 0, max: 14_500 }).map((milliDecades) => 10 ** (milliDecades / 1000));
    fc.assert(
      fc.property(bytes, bytes, bytes, (a, b, monthToDate) => {
        const parts = tieredCostUsd(tiers, a, monthToDate) + tieredCostUsd(tiers, b, monthToDate + a);
        const whole = tieredCostUsd(tiers, a + b, monthToDate);
        // Byte positions near 3e14 carry rounding of about 0.03 B: a nano-dollar is far above it.
        expect(Math.abs(parts - whole)).toBeLessThanOrEqual(1e-9 * Math.max(1, whole));
      }),
    );
  });

  it('prorates a short run from the bill of a month at its average rate', () => {
    // 20 GB in one hour is 14,600 GB in a 730-hour month: 9,900 x 0.09 + 4,600 x 0.085 = 1,282 USD.
    expect(proratedEgressCostUsd(awsInternet, 20 * GB, 3600)).toBeCloseTo(1282 / 730, 9);
    // The same hour priced as the start of a month stays inside the free 100 GB.
    expect(egressCostUsd(awsInternet, 20 * GB)).toBe(0);
    // Azure eastus: 14,600 GB a month is 10,235 x 0.087 + 4,265 x 0.083 = 1,244.44 USD.
    expect(proratedEgressCostUsd(azureInternet(), 20 * GB, 3600)).toBeCloseTo(1244.44 / 730, 9);
  });
});

describe('pricing/data-transfer.yaml', () => {
  it.skipIf(!existsSync(SHARED_EGRESS_CSV))('holds every GCP egress price of the shared snapshot', () => {
    const rows: Record<string, string>[] = parse(readFileSync(SHARED_EGRESS_CSV, 'utf8'), { columns: true });
    const destination: Record<string, 'worldwide' | 'china' | 'australia'> = {
      worldwide_excl_china_australia: 'worldwide',
      china: 'china',
      australia: 'australia',
    };
    const tierStartGib: Record<string, number> = { '0-1': 0, '1-10': 1024, '10n': 10240 };
    expect(rows).toHaveLength(387);
    for (const row of rows) {
      const route: TransferRoute = {
        provider: 'gcp',
        region: row.source_region,
        destination: { internet: destination[row.destination] },
      };
      const startBytes = tierStartGib[row.tier_tib_per_month] * GIB;
      expect(egressCostUsd(route, GIB, startBytes), JSON.stringify(row)).toBeCloseTo(
        Number(row.usd_per_gib),
        12,
      );
    }
  });

  it('rejects a file whose prices do not match its tiers, or whose tiers do not increase', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-transfer-'));
    const good = readFileSync(PRICE_FILE, 'utf8');
    const write = (text: string) => {
      const path = join(dir, 'prices.yaml');
      writeFileSync(path, text);
      return path;
    };
    expect(readDataTransferFile(write(good)).get('aws')?.unit).toBe('GB');
    expect(() =>
      readDataTransferFile(
        write(good.replace('worldwide: [0, 0.09, 0.085, 0.07, 0.05]', 'worldwide: [0, 0.09]')),
      ),
    ).toThrow('providers.aws.internet_egress.prices.us-east-1.worldwide: expected 5 prices, one per tier');
    expect(() =>
      readDataTransferFile(
        write(good.replace('tier_starts: [0, 1024, 10240]', 'tier_starts: [0, 10240, 1024]')),
      ),
    ).toThrow('providers.gcp.internet_egress.tier_starts.2: tier starts must increase');
    expect(() =>
      readDataTransferFile(write(good.replace("as_of: '2026-06-02'", 'as_of: last year'))),
    ).toThrow('internet_egress.as_of: expected a date YYYY-MM-DD');
    expect(() => readDataTransferFile(write(good.replace("as_of: '2026-06-02'", 'as_of: unknown')))).toThrow(
      'internet_egress.as_of: expected a date YYYY-MM-DD',
    );
    // Date would take it for March 2.
    expect(() =>
      readDataTransferFile(write(good.replace("as_of: '2026-06-02'", "as_of: '2026-02-30'"))),
    ).toThrow('internet_egress.as_of: expected a date that exists');
  });
});
