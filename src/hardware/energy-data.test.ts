import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRICING_DIR } from './catalog.js';
import { CLOUD_PROVIDERS, readEnergyData } from './energy-data.js';
import { listInstances } from './index.js';

/**
 * What the energy estimate needs from the shipped files, read from the files themselves: every
 * accelerator an instance uses has power figures with a source, or says why there are none;
 * every region an instance is priced in has a grid carbon intensity, or is listed as missing.
 */
const accelerators = parse(readFileSync(`${PRICING_DIR}accelerators.yaml`, 'utf8')).accelerators as Record<
  string,
  {
    power?: {
      busy_watts?: number;
      idle_watts?: number;
      sources?: string[];
      as_of?: string;
      missing?: string;
    };
  }
>;

describe('power figures', () => {
  const used = [...new Set(listInstances().flatMap((entry) => entry.accelerators?.model ?? []))];

  it('cover every accelerator an instance uses, with a source and a date, or say why not', () => {
    expect(used.length).toBeGreaterThan(15);
    for (const id of used) {
      const power = accelerators[id]?.power;
      expect(power, id).toBeDefined();
      if (power?.missing !== undefined) {
        expect(power.missing.length, id).toBeGreaterThan(20);
        continue;
      }
      expect(power?.busy_watts, id).toBeGreaterThan(0);
      expect(power?.idle_watts, id).toBeGreaterThan(0);
      expect(power!.idle_watts!, id).toBeLessThan(power!.busy_watts!);
      expect(
        power?.sources?.some((source) => source.startsWith('busy: ') && /https?:\/\//.test(source)),
        id,
      ).toBe(true);
      expect(
        power?.sources?.some((source) => source.startsWith('idle: ')),
        id,
      ).toBe(true);
      expect(power?.as_of, id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('are missing only where no vendor publishes one (TPUs, Inferentia, Trainium)', () => {
    const missing = used.filter((id) => accelerators[id]?.power?.missing !== undefined).sort();
    expect(missing).toEqual(['inferentia2', 'tpu-v5e', 'tpu-v5p', 'tpu-v6e', 'trainium']);
  });
});

describe('pricing/carbon.yaml', () => {
  const data = readEnergyData();

  it('has a carbon intensity for every region an instance is priced in, or lists it as missing', () => {
    const regions = new Set(
      listInstances().flatMap((entry) =>
        [...entry.prices.keys()].map((region) => `${entry.provider}/${region}`),
      ),
    );
    expect(regions.size).toBeGreaterThan(10);
    for (const key of regions) {
      const [provider, region] = key.split('/');
      const known = data.grid.get(provider)?.has(region) ?? false;
      expect(known || data.missing.has(key), key).toBe(true);
    }
  });

  it('cites a source and a year for every figure', () => {
    for (const [, regions] of data.grid) {
      for (const [region, figure] of regions) {
        expect(figure.source.length, region).toBeGreaterThan(10);
        expect(figure.year, region).toBeGreaterThanOrEqual(2019);
        // Grid intensities on Earth lie between a hydro grid's few grams and coal's ~1,000.
        expect(figure.gPerKwh, region).toBeLessThan(1100);
      }
    }
    for (const [provider, pue] of data.pue) {
      expect(pue.source.length, provider).toBeGreaterThan(10);
      expect(pue.pue, provider).toBeLessThan(2);
    }
  });

  it('has host coefficients and a PUE for every cloud provider', () => {
    for (const provider of CLOUD_PROVIDERS) {
      expect(data.hostByProvider.has(provider), provider).toBe(true);
      expect(data.pue.has(provider), provider).toBe(true);
    }
  });
});
