import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadScenarioText, type Scenario } from './index.js';

// Unlike load.test.ts this runs against the real catalog: the keys here resolve through pricing/*.yaml.
const FILE = join(fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url)), 's.yaml');

const scenario = (fleet: string) => `duration: 1h
workload:
  arrivals:
    poisson: { rate: 40 }
fleets:
  - name: gpu
    replicas: 2
    service_time: 100ms
${fleet}`;

async function fleet(text: string): Promise<Scenario['fleets'][number]> {
  const result = await loadScenarioText(text, FILE);
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.value.variants[0].scenario.fleets[0];
}

async function errors(text: string): Promise<string[]> {
  const result = await loadScenarioText(text, FILE);
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map((d) => `${d.line}:${d.col}: ${d.message}`);
}

describe('fleet instance, region and market', () => {
  it('takes the price of the chosen market and the hardware of the catalog entry', async () => {
    expect(
      await fleet(scenario('    instance: gcp/tpu-v5e-4\n    region: us-east1\n    market: spot\n')),
    ).toMatchObject({
      priceUsdPerHour: 1.632, // tpu csv, tpu-v5litepod-4 us-east1-c spot
      instance: 'gcp/tpu-v5e-4',
      region: 'us-east1',
      market: 'spot',
      hardware: { accelerators: { model: 'tpu-v5e', count: 4 } },
    });
    expect(await fleet(scenario('    instance: aws/g6.xlarge\n    market: reserved\n'))).toMatchObject({
      priceUsdPerHour: 0.52392, // aws csv line 690, 1-year reserved
      region: 'us-east-1',
      hardware: { vcpus: 4, memoryGiB: 16, accelerators: { model: 'l4', count: 1 } },
    });
    expect((await fleet(scenario('    instance: gcp/n2-standard-8\n'))).hardware).toEqual({
      vcpus: 8,
      memoryGiB: 32,
      accelerators: null,
    });
  });

  it('reports a market the instance lacks at the market key, with the markets it has', async () => {
    expect(
      await errors(scenario('    instance: azure/Standard_ND96isr_H100_v5\n    market: spot\n')),
    ).toEqual([
      '10:13: fleets[0].market: instance "azure/Standard_ND96isr_H100_v5" has no spot price in region "eastus"; markets there: on-demand',
    ]);
    expect(await errors(scenario('    instance: aws/g5.xlarge\n    market: sport\n'))).toEqual([
      '10:13: fleets[0].market: expected one of on-demand, spot, reserved, reserved-3y',
    ]);
  });
});

describe('inline hardware', () => {
  it('resolves a catalog accelerator name in any case and keeps the specs given', async () => {
    const text = scenario(
      '    price_per_hour: 0.7\n    hardware: { accelerator: { name: L4, count: 1, memory_gib: 24, bandwidth_gbps: 300,\n' +
        '                                tflops: { bf16: 121, fp8: 242 } } }\n',
    );
    expect(await fleet(text)).toMatchObject({
      priceUsdPerHour: 0.7,
      instance: null,
      hardware: {
        accelerators: {
          model: 'l4',
          count: 1,
          memoryGiB: 24,
          bandwidthGBps: 300,
          tflops: { bf16: 121, fp8: 242 },
        },
      },
    });
    expect((await fleet(scenario('    price_per_hour: 0.2\n    hardware: { vcpus: 8 }\n'))).hardware).toEqual(
      {
        vcpus: 8,
        accelerators: null,
      },
    );
  });

  it('needs the specs of a name outside the catalog, suggesting the closest ids', async () => {
    expect(
      await errors(
        scenario('    price_per_hour: 2\n    hardware: { accelerator: { name: H100, memory_gib: 80 } }\n'),
      ),
    ).toEqual([
      '10:38: fleets[0].hardware.accelerator.name: unknown accelerator "H100"; closest: h100-80gb, h100-pcie, h100-nvl (or give bandwidth_gbps, tflops for it)',
    ]);
  });

  it('still needs a price, and is not for catalog instances', async () => {
    expect(await errors(scenario('    hardware: { accelerator: { name: t4 } }\n'))).toEqual([
      '6:5: fleets[0]: expected exactly one of price_per_hour or instance',
    ]);
    expect(
      await errors(scenario('    instance: aws/g4dn.xlarge\n    hardware: { accelerator: { name: t4 } }\n')),
    ).toEqual([
      '10:38: fleets[0].hardware.accelerator.name: the instance brings its own hardware; with instance, hardware takes only accelerator.efficiency, efficiency_uncertainty and calibration (the step-time parameters of its accelerator)',
    ]);
    expect(
      await errors(
        scenario(
          '    instance: aws/g4dn.xlarge\n    hardware: { vcpus: 8, accelerator: { efficiency: { compute: 0.5 } } }\n',
        ),
      ),
    ).toEqual([
      '10:24: fleets[0].hardware.vcpus: the instance brings its own hardware; with instance, hardware takes only accelerator.efficiency, efficiency_uncertainty and calibration (the step-time parameters of its accelerator)',
    ]);
  });

  it('needs an accelerator name without an instance', async () => {
    expect(
      await errors(scenario('    price_per_hour: 2\n    hardware: { accelerator: { count: 2 } }\n')),
    ).toEqual(['10:30: fleets[0].hardware.accelerator.name: expected an accelerator name']);
  });
});

describe('step-time parameters of an instance fleet', () => {
  it('apply to the accelerator of the catalog entry', async () => {
    const f = await fleet(
      scenario(
        '    instance: aws/g6e.xlarge\n    hardware: { accelerator: { efficiency: { compute: 0.5, iteration_overhead: 3ms } } }\n',
      ),
    );
    expect(f.hardware).toEqual({
      vcpus: 4,
      memoryGiB: 32,
      accelerators: { model: 'l40s', count: 1, efficiency: { compute: 0.5, iterationOverheadS: 0.003 } },
    });
    expect(f.priceUsdPerHour).toBeGreaterThan(0);
  });

  it('are refused on an instance without an accelerator', async () => {
    expect(
      await errors(
        scenario(
          '    instance: gcp/n2-standard-8\n    hardware: { accelerator: { efficiency: { compute: 0.5 } } }\n',
        ),
      ),
    ).toEqual([
      '10:44: fleets[0].hardware.accelerator.efficiency: instance "gcp/n2-standard-8" has no accelerator whose step-time parameters these could be',
    ]);
  });
});

describe('market without instance', () => {
  it('is reported at the market key', async () => {
    expect(await errors(scenario('    price_per_hour: 1\n    market: spot\n'))).toEqual([
      '10:13: fleets[0].market: market applies only with instance',
    ]);
  });
});
