import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRICE_KEYS, PRICING_DIR, PROVIDERS } from './catalog.js';
import { listInstances } from './index.js';

/**
 * What every price the package ships must have, read from the files themselves rather than
 * through the loader that also enforces it: a source, a real date, a positive amount, and no
 * discount market dearer than on-demand.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return DATE.test(text) && !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

describe.each(PROVIDERS)('pricing/%s.yaml', (provider) => {
  const instances = parse(readFileSync(`${PRICING_DIR}${provider}.yaml`, 'utf8')).instances as Record<
    string,
    {
      prices?: Record<string, Record<string, number>>;
      owned?: unknown;
      sources: Record<string, { source: string; as_of: string }>;
    }
  >;

  it('cites a source and a date for every kind of price it uses, and never says unknown', () => {
    for (const [type, entry] of Object.entries(instances)) {
      const used = entry.owned
        ? ['on_demand']
        : PRICE_KEYS.filter((key) => Object.values(entry.prices ?? {}).some((p) => p[key] !== undefined));
      expect(used.length, type).toBeGreaterThan(0);
      for (const key of used) {
        const cited = entry.sources[key];
        expect(cited?.source.trim().length, `${type} ${key}`).toBeGreaterThan(10);
        expect(isRealDate(String(cited?.as_of)), `${type} ${key} as_of ${cited?.as_of}`).toBe(true);
        // A date in the future is a typo.
        expect(String(cited?.as_of) <= new Date().toISOString().slice(0, 10), `${type} ${key}`).toBe(true);
      }
    }
  });

  it('has positive prices, on-demand in every region, spot and commitments at most on-demand', () => {
    for (const [type, entry] of Object.entries(instances)) {
      for (const [region, prices] of Object.entries(entry.prices ?? {})) {
        const at = `${type} ${region}`;
        expect(prices.on_demand, at).toBeGreaterThan(0);
        for (const key of PRICE_KEYS) {
          if (prices[key] === undefined) continue;
          expect(prices[key], `${at} ${key}`).toBeGreaterThan(0);
          expect(prices[key], `${at} ${key}`).toBeLessThanOrEqual(prices.on_demand);
        }
      }
    }
  });
});

describe('the loaded catalog', () => {
  it('cites every price of every region with the date of its source', () => {
    let prices = 0;
    for (const entry of listInstances()) {
      for (const [region, regionPrices] of entry.prices) {
        for (const key of PRICE_KEYS) {
          if (regionPrices[key] === undefined) continue;
          prices += 1;
          const cited = entry.citations.get(region)?.[key];
          expect(cited?.source, `${entry.key} ${region} ${key}`).toBeTruthy();
          expect(isRealDate(cited?.asOf ?? ''), `${entry.key} ${region} ${key}`).toBe(true);
        }
      }
    }
    expect(prices).toBeGreaterThan(500);
  });

  it('prices the shapes planners compare: single and multi-GPU H100, H200, B200, Trainium, TPU slices, L4/L40S/A10G/T4', () => {
    const keys = new Set(listInstances().map((entry) => entry.key));
    for (const key of [
      'aws/p5.4xlarge',
      'aws/p5.48xlarge',
      'gcp/a3-highgpu-1g',
      'gcp/a3-highgpu-8g',
      'azure/Standard_NC40ads_H100_v5',
      'azure/Standard_ND96isr_H100_v5',
      'aws/p5en.48xlarge',
      'gcp/a3-ultragpu-8g',
      'aws/p6-b200.48xlarge',
      'aws/trn1.2xlarge',
      'aws/trn1.32xlarge',
      'aws/inf2.xlarge',
      'gcp/tpu-v5e-8',
      'gcp/tpu-v5p-8',
      'gcp/tpu-v6e-8',
      'gcp/tpu-v6e-256',
      'aws/g6.xlarge',
      'gcp/g2-standard-4',
      'aws/g6e.xlarge',
      'aws/g5.xlarge',
      'aws/g4dn.xlarge',
      'azure/Standard_NC4as_T4_v3',
    ]) {
      expect(keys.has(key), key).toBe(true);
    }
  });

  it('prices the main GPU shapes in at least two regions of each provider', () => {
    for (const key of [
      'aws/p5.4xlarge',
      'aws/p5.48xlarge',
      'aws/g6e.xlarge',
      'gcp/a3-highgpu-1g',
      'gcp/g2-standard-4',
      'gcp/tpu-v6e-8',
      'azure/Standard_NC40ads_H100_v5',
      'azure/Standard_NC24ads_A100_v4',
    ]) {
      const entry = listInstances().find((candidate) => candidate.key === key)!;
      expect(entry.prices.size, key).toBeGreaterThanOrEqual(2);
    }
  });
});
