import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inputFiles } from '../../src/plan/inputs.js';
import { runScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';

/**
 * A scenario priced from a user catalog file (its `catalog` key or `--catalog`), and the age of the
 * prices it uses at its `as_of`.
 */

const PRICES = `instances:
  aws/g6e.xlarge:
    prices:
      us-east-1: { on_demand: 1.5 }
    sources:
      on_demand: { source: our discount, as_of: 2026-11-15 }
  lab/l40s-box:
    vcpus: 16
    accelerators: { model: l40s, count: 1 }
    billing: { increment: 1s, minimum: 0s }
    prices: { onprem: { on_demand: 0.9 } }
    sources: { on_demand: { source: amortized purchase, as_of: 2026-10-01 } }
`;

function folder(scenario: string, files: Record<string, string> = { 'prices.yaml': PRICES }): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-user-catalog-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, 's.yaml'), scenario);
  return join(dir, 's.yaml');
}

const SCENARIO = (extra: string) => `name: priced
seed: 1
duration: 30m
${extra}
workload:
  arrivals: { poisson: { rate: 1 } }
fleets:
  - { name: cloud, replicas: 1, instance: aws/g6e.xlarge, concurrency: 8, service_time: { constant: 1s } }
  - { name: old, replicas: 1, instance: aws/g5.xlarge, concurrency: 8, service_time: { constant: 1s } }
  - { name: box, replicas: 1, instance: lab/l40s-box, region: onprem, concurrency: 8, service_time: { constant: 1s } }
routing: { policy: round-robin }
`;

describe('a scenario with user catalog files', () => {
  it('bills its fleets at the user prices and lists the file among its inputs', async () => {
    const path = folder(SCENARIO('catalog: prices.yaml'));
    const { summary, scenario } = await runScenario(path);
    const [fleets] = [scenario.variants[0].scenario.fleets];
    expect(fleets.map((fleet) => fleet.priceUsdPerHour)).toEqual([1.5, 1.006, 0.9]);
    // Each replica runs from 0 to the last departure, billed per second; the box has no minimum.
    const end = summary.variants[0].simulated_s.end;
    const billed = Math.ceil(end) / 3600;
    expect(summary.variants[0].cost_usd.by_fleet.cloud).toBeCloseTo(1.5 * billed, 9);
    expect(summary.variants[0].cost_usd.by_fleet.box).toBeCloseTo(0.9 * billed, 9);
    expect(inputFiles(scenario.variants[0].scenario)).toContain(join(path, '..', 'prices.yaml'));
    // No as_of: nothing is aged.
    expect(summary.variants[0].warnings).toEqual([]);
  });

  it('warns about each price older than 180 days at as_of, and only those', async () => {
    const path = folder(SCENARIO('catalog: [prices.yaml]\nas_of: 2026-12-06'));
    const loaded = await loadScenarioFile(path);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    const scenario = loaded.value.variants[0].scenario;
    // g5.xlarge's shipped on-demand price dates from 2026-01-21: 319 days before as_of.
    expect(scenario.fleets.map((fleet) => fleet.stalePrice?.ageDays ?? null)).toEqual([null, 319, null]);
    const { summary } = await runScenario(path);
    expect(summary.variants[0].warnings).toEqual([
      "fleet old is priced at the on-demand price of aws/g5.xlarge in us-east-1 dated 2026-01-21, 319 days before as_of 2026-12-06 (more than 180): its cost may be far from today's; check the provider's price, refresh it (fleetsim catalog import) or give your own (--catalog)",
    ]);
  });

  it('refuses an as_of before the date of a price it would age, naming the newest such price', async () => {
    // Shipped g5.xlarge 2026-01-21, the user's g6e.xlarge 2026-11-15, the box 2026-10-01.
    const early = await loadScenarioFile(folder(SCENARIO('catalog: prices.yaml\nas_of: 2026-11-01')));
    expect(early.ok).toBe(false);
    if (early.ok) return;
    expect(early.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      '5:8: as_of: 2026-11-01 is before 2026-11-15, the date of the on-demand price of aws/g6e.xlarge in us-east-1 that fleet cloud uses: prices are aged from their date to as_of, so give 2026-11-15 or a later day',
    ]);
    // On the price's own day the age is 0; a spot price trace replaces the catalog's price and its date.
    expect((await loadScenarioFile(folder(SCENARIO('catalog: prices.yaml\nas_of: 2026-11-15')))).ok).toBe(
      true,
    );
    const traced = SCENARIO('catalog: prices.yaml\nas_of: 2026-02-01').replace(
      'instance: aws/g6e.xlarge,',
      'instance: aws/g6e.xlarge, market: spot, spot_price: { trace: spot.csv },',
    );
    const files = { 'prices.yaml': PRICES, 'spot.csv': 'time,price\n0,0.6\n' };
    const withTrace = await loadScenarioFile(folder(traced, files));
    if (withTrace.ok) return expect.unreachable('the box is still priced from 2026-10-01');
    expect(withTrace.errors.map((e) => e.message)).toEqual([
      'as_of: 2026-02-01 is before 2026-10-01, the date of the on-demand price of lab/l40s-box in onprem that fleet box uses: prices are aged from their date to as_of, so give 2026-10-01 or a later day',
    ]);
  });

  it('reports a mistake in the catalog file at its place, and a missing file at the key', async () => {
    const bad = PRICES.replace('on_demand: 1.5', 'on_demand: 0');
    const broken = await loadScenarioFile(folder(SCENARIO('catalog: prices.yaml'), { 'prices.yaml': bad }));
    expect(broken.ok).toBe(false);
    if (broken.ok) return;
    expect(
      broken.errors.map((e) => `${e.file.replace(/^.*\//, '')}:${e.line}:${e.col}: ${e.message}`),
    ).toEqual([
      'prices.yaml:4:31: instances["aws/g6e.xlarge"].prices.us-east-1.on_demand: expected a price above 0 USD per hour',
    ]);
    const missing = await loadScenarioFile(folder(SCENARIO('catalog: [prices.yaml, gone.yaml]')));
    expect(missing.ok).toBe(false);
    if (missing.ok) return;
    expect(missing.errors.map((e) => `${e.line}:${e.col}: ${e.message.replace(/: \/.*\//, ': ')}`)).toEqual([
      '4:24: catalog[1]: file not found: gone.yaml',
    ]);
  });

  it('without the file, its instances are unknown, with the closest names', async () => {
    const loaded = await loadScenarioFile(folder(SCENARIO('')));
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/^fleets\[2\]\.instance: unknown instance "lab\/l40s-box"; closest: /),
    ]);
  });

  it('--catalog files apply first and the scenario key after them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-user-catalog-'));
    const cheaper = join(dir, 'cheaper.yaml');
    writeFileSync(cheaper, PRICES.replace('on_demand: 1.5', 'on_demand: 1.2'));
    const path = folder(SCENARIO('catalog: prices.yaml'));
    const loaded = await loadScenarioFile(path, { catalogs: [cheaper] });
    if (!loaded.ok) throw new Error('load failed');
    expect(loaded.value.variants[0].scenario.fleets[0].priceUsdPerHour).toBe(1.5);
    const flagOnly = await loadScenarioFile(folder(SCENARIO('')), { catalogs: [cheaper] });
    if (!flagOnly.ok) throw new Error('load failed');
    expect(flagOnly.value.variants[0].scenario.fleets[0].priceUsdPerHour).toBe(1.2);
    expect(flagOnly.value.variants[0].scenario.catalogFiles).toEqual([cheaper]);
  });
});
