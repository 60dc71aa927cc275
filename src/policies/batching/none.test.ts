import { describe, expect, it } from 'vitest';
import { loadScenarioObject } from '../../scenario/index.js';
import { simulate } from '../../sim/index.js';

describe('no batching', () => {
  it('serves every request alone, for its own service time, in one of the replica slots', async () => {
    // A request arrives every 0.25 s and takes 0.3 s: each overlaps the one before it, never two,
    // so the two slots hold them all, none waits or shares a batch, and every latency is 0.3 s.
    const loaded = await loadScenarioObject({
      duration: 100,
      workload: { arrivals: { constant: { rate: 4 } } },
      fleets: [
        {
          name: 'cpu',
          replicas: 1,
          concurrency: 2,
          price_per_hour: 1,
          service_time: '300ms',
          batching: { policy: 'none' },
        },
      ],
    });
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    const result = simulate(loaded.value.variants[0].scenario);
    expect(result.requests.arrived).toBeGreaterThan(390);
    expect(result.requests.completed).toBe(result.requests.arrived);
    expect(result.queue_wait_s.max).toBe(0);
    // Percentiles come from a sketch with 1 % relative accuracy; the maximum is exact.
    expect(Math.abs(result.latency_s.p50! / 0.3 - 1)).toBeLessThan(0.01);
    expect(result.latency_s.max).toBeCloseTo(0.3, 9);
    expect(result.batches).toEqual({});
  });
});
