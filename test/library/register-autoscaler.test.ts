import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import * as z from 'zod';
import {
  formatDiagnostic,
  loadScenarioText,
  type ReplicaBounds,
  registerAutoscaler,
  runScenario,
  ScenarioError,
} from '../../src/index.js';

/** Holds the fleet at `min` until `at` seconds, then asks for `replicas`: a schedule of one step. */
const stepSchema = z
  .object({
    policy: z.literal('step'),
    at: z.number().positive().describe('Seconds from the start at which the count changes.'),
    replicas: z.number().int().nonnegative().describe('Replicas from then on.'),
  })
  .strict();

registerAutoscaler({
  name: 'step',
  schema: stepSchema,
  defaults: {},
  create: (config, bounds: ReplicaBounds) => ({
    scrapeIntervalUs: null,
    evaluationPeriodUs: 60e6,
    observe() {},
    desiredReplicas: (nowUs) =>
      Math.min(bounds.max, Math.max(bounds.min, nowUs >= config.at * 1e6 ? config.replicas : bounds.min)),
  }),
  example: { policy: 'step', at: 600, replicas: 4 },
});

const scenario = (autoscaling: object) => ({
  name: 'custom-autoscaler',
  duration: 1200,
  workload: { arrivals: { constant: { rate: 1 } } },
  fleets: [
    {
      name: 'gpu',
      replicas: { min: 1, max: 5 },
      startup: 0,
      price_per_hour: 3.6,
      billing: { increment: '1s', minimum: 0 },
      service_time: '100ms',
      autoscaling,
    },
  ],
});

describe('an autoscaler registered through the library', () => {
  it('is accepted in a scenario and runs: the fleet grows from 1 to 4 replicas at 600 s', async () => {
    const { results } = await runScenario(scenario({ policy: 'step', at: 600, replicas: 4 }));
    const { instances, simulated_s, cost_usd } = results[0];
    const endS = simulated_s.end;
    // The replica ready at time 0 and the three launched at 600 s.
    expect(instances.gpu.launched).toBe(4);
    expect(instances.gpu.peak).toBe(4);
    // One replica all run long, three more from 600 s: per-second billing at $3.6/h is $0.001/s.
    const replicaSeconds = endS + 3 * (endS - 600);
    expect(instances.gpu.replica_hours).toBeCloseTo(replicaSeconds / 3600, 6);
    expect(cost_usd.total).toBeCloseTo(replicaSeconds * 0.001, 6);
  });

  it("is checked by its own schema, with the loader's located errors", async () => {
    const text = stringify(scenario({ policy: 'step', at: 600, replicaz: 4 }));
    const loaded = await loadScenarioText(text, 's.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map(formatDiagnostic)).toEqual([
      's.yaml:19:7: fleets[0].autoscaling.replicas: missing required key',
      's.yaml:21:7: fleets[0].autoscaling.replicaz: unknown key; did you mean "replicas"?',
    ]);
  });

  it('is listed among the policies a scenario may name', async () => {
    await expect(runScenario(scenario({ policy: 'stepp', at: 600, replicas: 4 }))).rejects.toThrow(
      ScenarioError,
    );
    const loaded = await loadScenarioText(stringify(scenario({ policy: 'stepp' })), 's.yaml');
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      'fleets[0].autoscaling.policy: expected an autoscaling policy: target-tracking, concurrency, queue-depth, scheduled, predictive or step',
    ]);
  });

  it('refuses a second policy of the same name, and one whose example does not load', () => {
    const base = {
      schema: stepSchema,
      defaults: {},
      create: () => {
        throw new Error('never created');
      },
    };
    expect(() =>
      registerAutoscaler({ ...base, name: 'step', example: { policy: 'step', at: 1, replicas: 1 } }),
    ).toThrow('autoscaling policy "step" is already registered');
    expect(() =>
      registerAutoscaler({ ...base, name: 'step', example: { policy: 'step', at: -1, replicas: 1 } }),
    ).toThrow(/autoscaling policy "step": its example does not load/);
  });
});
