import { describe, expect, it } from 'vitest';
import { runScenario, ScenarioError } from '../../src/run.js';

const scenario = (fleet: object) => ({
  duration: '20s',
  max_drain: '10m',
  workload: {
    arrivals: { constant: { rate: 0.1 } },
    input_tokens: { constant: 100 },
    output_tokens: { constant: 10 },
  },
  model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
  fleets: [
    {
      name: 'gpu',
      instance: 'aws/g6e.xlarge',
      replicas: { min: 0, max: 1, initial: 0 },
      startup: '30s',
      autoscaling: { policy: 'scheduled', schedule: [{ at: '00:00', replicas: 1 }] },
      batching: { policy: 'continuous' },
      ...fleet,
    },
  ],
});

describe('model_load', () => {
  it("adds the weights' bytes over the bandwidth to a new replica's startup", async () => {
    const [plain, loading] = await Promise.all([
      runScenario(scenario({})),
      runScenario(scenario({ model_load: { bandwidth: '2GB/s' } })),
    ]);
    // Llama-3.1-8B in bf16: 8.03e9 parameters x 2 bytes = 16.06 GB; at 2 GB/s, 8.03 s more before
    // the one replica is ready, which the requests held for it wait on top of everything else.
    const [a, b] = [plain.results[0], loading.results[0]];
    expect(b.requests.completed).toBe(a.requests.completed);
    expect((b.latency_s.max ?? 0) - (a.latency_s.max ?? 0)).toBeCloseTo(8.03, 2);
  });

  it('is refused on a fleet without continuous batching, where it is written', async () => {
    await expect(
      runScenario({
        duration: '1m',
        workload: { arrivals: { constant: { rate: 1 } } },
        fleets: [
          {
            name: 'cpu',
            replicas: 1,
            price_per_hour: 1,
            service_time: '1s',
            model_load: { bandwidth: '1GB/s' },
          },
        ],
      }),
    ).rejects.toThrow(ScenarioError);
  });
});
