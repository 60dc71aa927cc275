import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { energyLines, renderSummaryMarkdown } from '../../src/report/index.js';
import { runScenario, ScenarioError } from '../../src/run.js';

/**
 * The energy estimate against figures worked out by hand from the model of docs/energy.md and
 * the catalog's datasheet numbers, on runs whose busy time is known exactly: constant arrivals
 * 1 s apart (t = 1 .. 3599 s in a 3600 s run) and a constant 250 ms service time, so a replica
 * that serves them all is busy 3599 x 0.25 = 899.75 s of its 3600 s.
 */
const HOUR_S = 3600;
const BUSY_S = 3599 * 0.25;
const J_PER_KWH = 3.6e6;
const GIB_IN_GB = 1024 ** 3 / 1e9;

/** summary.json keeps ten significant digits: equal to the hand figure within that. */
function expectClose(actual: number | null | undefined, expected: number): void {
  expect(actual).toBeTypeOf('number');
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 1e-9);
}

const base = {
  name: 'energy',
  seed: 1,
  duration: HOUR_S,
  workload: { arrivals: { constant: { rate: 1 } } },
};

describe('energy of a fixed fleet at a known utilization', () => {
  it('gives the hand-computed kWh and kg CO2e from scenario power, PUE and carbon intensity', async () => {
    const { summary } = await runScenario({
      ...base,
      fleets: [
        {
          name: 'a',
          replicas: 1,
          price_per_hour: 2,
          service_time: '250ms',
          energy: { power: { idle: '100W', busy: '0.3kW' }, pue: 1.2, carbon_intensity: 400 },
        },
      ],
    });
    const energy = summary.variants[0].energy!;
    // 1.2 x (100 W x 3600 s + 200 W x 899.75 s) = 647,940 J = 0.179983 kWh; x 400 g/kWh.
    const kwh = (1.2 * (100 * HOUR_S + 200 * BUSY_S)) / J_PER_KWH;
    expectClose(energy.by_fleet.a.busy_share, BUSY_S / HOUR_S);
    expectClose(energy.kwh, kwh);
    expectClose(energy.co2e_kg, (kwh * 400) / 1000);
    expectClose(energy.kwh_per_1k_requests, (kwh / 3599) * 1000);
    // Not an LLM run: no tokens, so no per-token figures.
    expect(energy.kwh_per_1m_tokens).toBeUndefined();
    // A price_per_hour fleet without price_per_kwh bills no electricity.
    expect(energy.cost_usd).toBe(0);
    expect(summary.variants[0].cost_usd.energy).toBeUndefined();
    expect(energy.warnings).toEqual([]);
    // summary.md and the terminal carry the same figures, three significant digits.
    expect(renderSummaryMarkdown(summary)).toContain('- Energy (estimate): 0.180 kWh, 0.0720 kg CO2e; ');
    expect(energyLines(summary.variants)[1]).toBe(
      '  baseline  0.180 kWh, 0.0720 kg CO2e; 0.0500 kWh and 0.0200 kg CO2e per 1k requests',
    );
  });

  it('takes an L4 instance from the catalog: datasheet, CCF host coefficients, AWS PUE and us-east-1 grid', async () => {
    const { summary } = await runScenario({
      ...base,
      fleets: [{ name: 'l4', instance: 'aws/g6.xlarge', replicas: 1, service_time: '250ms' }],
    });
    const fleet = summary.variants[0].energy!.by_fleet.l4;
    // g6.xlarge: 1 x L4 (72 W busy, 8.3 W idle), 4 vCPUs at 0.74-3.5 W, 16 GiB at 0.392 W/GB.
    const memoryW = 16 * GIB_IN_GB * 0.392;
    const idleW = 8.3 + 4 * 0.74 + memoryW;
    const busyW = 72 + 4 * 3.5 + memoryW;
    const kwh = (1.15 * (idleW * HOUR_S + (busyW - idleW) * BUSY_S)) / J_PER_KWH;
    expectClose(fleet.kwh, kwh);
    expectClose(fleet.co2e_kg, (kwh * 379.069) / 1000);
    expect(fleet.pue).toBe(1.15);
    // Energy is inside a cloud instance's price: never billed again.
    expect(fleet.cost_usd).toBeNull();
  });

  it('an idle fleet draws its idle power only', async () => {
    const { summary } = await runScenario({
      ...base,
      fleets: [
        { name: 'first', replicas: 1, concurrency: 1000, price_per_hour: 1, service_time: '250ms' },
        { name: 'idle', instance: 'aws/g6.xlarge', replicas: 1, service_time: '250ms' },
      ],
      routing: { policy: 'spillover', order: ['first', 'idle'] },
    });
    const v = summary.variants[0];
    expect(v.instances.idle.completed).toBe(0);
    const fleet = v.energy!.by_fleet.idle;
    const idleW = 8.3 + 4 * 0.74 + 16 * GIB_IN_GB * 0.392;
    expect(fleet.busy_share).toBe(0);
    expectClose(fleet.mean_it_power_w, idleW);
    expectClose(fleet.kwh, (1.15 * idleW * HOUR_S) / J_PER_KWH);
    // The other fleet has no hardware: the run's total is unknown rather than this fleet's alone.
    expect(v.energy!.kwh).toBeNull();
    expect(v.energy!.warnings).toContain(
      'fleet first: no energy estimate, no hardware to estimate its power from (price_per_hour without hardware): give energy.power',
    );
  });
});

describe('an owned edge device pays for its electricity as its own cost line', () => {
  const edgeFleet = {
    name: 'edge',
    instance: 'edge/jetson-agx-orin-64gb-devkit',
    replicas: 1,
    service_time: '250ms',
  };
  // $1,999 over 3 years of 8760 h; 60 W at full load, idle 6.9 W (the Orin's 11.5 % ratio), PUE 1.
  const amortizedPerHour = 1999 / (3 * 8760);
  const kwh = (6.9 * HOUR_S + (60 - 6.9) * BUSY_S) / J_PER_KWH;

  it("bills the hardware by the hour and the modelled kWh at the catalog's electricity price", async () => {
    const { summary } = await runScenario({ ...base, fleets: [edgeFleet] });
    const v = summary.variants[0];
    expectClose(v.energy!.by_fleet.edge.kwh, kwh);
    expectClose(v.energy!.by_fleet.edge.co2e_kg, (kwh * 366) / 1000);
    const energyCost = kwh * 0.1545;
    expectClose(v.cost_usd.energy, energyCost);
    expectClose(v.energy!.cost_usd, energyCost);
    // Billed by the second, no minimum: exactly one hour of hardware.
    expectClose(v.cost_usd.compute, amortizedPerHour);
    expectClose(v.cost_usd.by_fleet.edge, amortizedPerHour + energyCost);
    expectClose(v.cost_usd.total, amortizedPerHour + energyCost);
    // Less than the catalog's hourly price, which charges the full 60 W all the time.
    expect(v.cost_usd.total).toBeLessThan(amortizedPerHour + 0.06 * 0.1545);
  });

  it('takes energy.price_per_kwh of the scenario over the catalog price', async () => {
    const { summary } = await runScenario({ ...base, energy: { price_per_kwh: 0.3 }, fleets: [edgeFleet] });
    expectClose(summary.variants[0].cost_usd.energy, kwh * 0.3);
  });

  it('adds a price_per_kwh fleet of on-prem hardware its energy cost line', async () => {
    const { summary } = await runScenario({
      ...base,
      fleets: [
        {
          name: 'rack',
          replicas: 1,
          price_per_hour: 1,
          service_time: '250ms',
          energy: { power: { idle: '100W', busy: '300W' }, price_per_kwh: 0.2, pue: 1.5 },
        },
      ],
    });
    const v = summary.variants[0];
    const rackKwh = (1.5 * (100 * HOUR_S + 200 * BUSY_S)) / J_PER_KWH;
    expectClose(v.cost_usd.energy, rackKwh * 0.2);
    expectClose(v.cost_usd.total, 1 + rackKwh * 0.2);
    // No region and no carbon_intensity: kWh known, CO2e not, and the run says so.
    expect(v.energy!.co2e_kg).toBeNull();
    expect(v.energy!.warnings).toEqual([
      'fleet rack: no CO2e, no region to take a grid carbon intensity from: give energy.carbon_intensity',
    ]);
  });
});

describe('missing figures are reported, not guessed', () => {
  it('warns for an accelerator without a power figure and a region without a carbon intensity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-energy-'));
    writeFileSync(
      join(dir, 'lab.yaml'),
      [
        'instances:',
        '  lab/h100-box:',
        '    vcpus: 32',
        '    memory_gib: 256',
        '    accelerators: { model: h100-80gb, count: 1 }',
        '    billing: { increment: 1s, minimum: 0s }',
        '    prices: { onprem: { on_demand: 2.1 } }',
        '    sources: { on_demand: { source: our purchase amortized, as_of: 2026-09-30 } }',
      ].join('\n'),
    );
    const { summary } = await runScenario(
      {
        ...base,
        catalog: 'lab.yaml',
        fleets: [
          { name: 'lab', instance: 'lab/h100-box', region: 'onprem', replicas: 1, service_time: '250ms' },
          { name: 'tpu', instance: 'gcp/tpu-v5e-1', replicas: 1, service_time: '250ms' },
        ],
        routing: { policy: 'spillover', order: ['lab', 'tpu'] },
      },
      { baseDir: dir },
    );
    const energy = summary.variants[0].energy!;
    expect(energy.by_fleet.lab.kwh).not.toBeNull();
    // On-prem: the default data-center PUE, no electricity price given, so no cost line.
    expect(energy.by_fleet.lab.pue).toBe(1.57);
    expect(energy.by_fleet.lab.cost_usd).toBeNull();
    expect(energy.by_fleet.tpu.kwh).toBeNull();
    expect(energy.kwh).toBeNull();
    expect(energy.warnings).toEqual([
      'fleet lab: no CO2e, no grid carbon intensity for lab region onprem in pricing/carbon.yaml: give energy.carbon_intensity',
      expect.stringMatching(
        /^fleet tpu: no energy estimate, no power figure for tpu-v5e \(Google publishes no power figure/,
      ),
    ]);
  });

  it('refuses a price per kWh on a cloud instance, located', async () => {
    const run = runScenario({
      ...base,
      fleets: [
        {
          name: 'gpu',
          instance: 'aws/g6.xlarge',
          replicas: 1,
          service_time: '250ms',
          energy: { price_per_kwh: 0.1 },
        },
      ],
    });
    await expect(run).rejects.toBeInstanceOf(ScenarioError);
    await expect(run).rejects.toThrow(/fleets\[0\]\.energy\.price_per_kwh.*price includes its energy/);
  });
});
