import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { formatDiagnostic } from '../../src/scenario/types.js';

const SCENARIOS = fileURLToPath(new URL('../../scenarios/', import.meta.url));

describe('the example scenarios', () => {
  it.each(readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')))(
    '%s loads without errors',
    async (file) => {
      const loaded = await loadScenarioFile(`${SCENARIOS}${file}`);
      expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([]);
    },
  );

  it('spot-autoscaling scales the spot fleet and bills spot below on demand', async () => {
    const { results } = await runScenario(`${SCENARIOS}spot-autoscaling.yaml`, { set: ['duration=20m'] });
    const [spot, onDemand] = results;
    expect(spot.instances['gpu-spot'].launched).toBeGreaterThan(3);
    expect(spot.cost_usd.by_market.spot).toBeGreaterThan(0);
    expect(onDemand.cost_usd.by_market.spot).toBe(0);
    expect(spot.cost_usd.total).toBeLessThan(onDemand.cost_usd.total);
  });

  it('edge-offload keeps most requests in the store and sends long prompts to the cloud', async () => {
    const { results } = await runScenario(`${SCENARIOS}edge-offload.yaml`, { set: ['duration=20m'] });
    const offload = results[0].offload;
    expect(offload?.edge_share).toBeGreaterThan(0.5);
    expect(offload?.oversize).toBeGreaterThan(0);
    expect(results[1].offload).toBeNull();
  });
});
