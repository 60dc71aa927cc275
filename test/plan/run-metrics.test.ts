import { describe, expect, it } from 'vitest';
import { flattenMetrics } from '../../src/plan/run-metrics.js';
import { makeScenario } from '../helpers/scenario.js';
import { variantResult } from '../report/fixtures/variants.js';

describe('cost_usd_per_hour', () => {
  const result = variantResult('baseline', {
    simulated_s: { warmup: 0, arrivals_end: 7200, end: 7200 },
    cost_usd: {
      total: 6,
      compute: 6,
      idle: 1,
      recompute: 0,
      transfer: 0,
      by_fleet: { servers: 6 },
      by_market: { 'on-demand': 6, spot: 0, reserved: 0, 'reserved-3y': 0 },
    },
  });

  it("is a fixed fleet's list price", () => {
    const scenario = makeScenario({}, { replicas: 4, priceUsdPerHour: 1.5 });
    expect(flattenMetrics(result, scenario).cost_usd_per_hour).toBe(6);
  });

  it("is an autoscaled fleet's mean spend over the run, not its initial replicas at list price", () => {
    const scenario = makeScenario(
      {},
      {
        replicas: 10,
        minReplicas: 2,
        maxReplicas: 40,
        priceUsdPerHour: 1.5,
        autoscaling: { policy: 'scheduled', start: 'Mon 00:00', schedule: [{ at: '00:00', replicas: 2 }] },
      },
    );
    // $6 over 2 hours.
    expect(flattenMetrics(result, scenario).cost_usd_per_hour).toBe(3);
  });
});
