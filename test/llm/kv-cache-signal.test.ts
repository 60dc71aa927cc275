import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import * as z from 'zod';
import {
  formatDiagnostic,
  loadScenarioText,
  type MetricSample,
  registerAutoscaler,
  runScenario,
} from '../../src/index.js';
import { observeSchedulerSteps } from '../../src/policies/batching/continuous.js';
import type { IterationScheduler } from '../../src/policies/batching/iteration-scheduler.js';

/** Keeps the fleet as it is and records every sample its scrapes hand it. */
const samples: { sample: MetricSample; expected: number }[] = [];
/** Each scheduler's share of KV blocks in use after its latest step, as the steps report it. */
const latestUsage = new Map<IterationScheduler, number>();

registerAutoscaler({
  name: 'recorder',
  schema: z.object({ policy: z.literal('recorder') }).strict(),
  defaults: {},
  create: (_config, bounds) => ({
    scrapeIntervalUs: 5e6,
    evaluationPeriodUs: 60e6,
    observe(sample) {
      // Both replicas run from the start; one that has not stepped yet holds no blocks.
      const used = [...latestUsage.values()].reduce((sum, share) => sum + share, 0);
      samples.push({ sample, expected: used / sample.readyReplicas });
    },
    desiredReplicas: () => bounds.max,
  }),
  example: { policy: 'recorder' },
});

afterEach(() => observeSchedulerSteps(null));

describe('the KV-cache signal of an autoscaled LLM fleet', () => {
  it('is the mean share of KV blocks in use on the ready replicas at each scrape', async () => {
    observeSchedulerSteps((scheduler) => {
      latestUsage.set(scheduler, scheduler.usedBlocks / scheduler.totalBlocks);
    });
    await runScenario({
      seed: 5,
      duration: 120,
      workload: {
        arrivals: { poisson: { rate: 6 } },
        input_tokens: { constant: 1500 },
        output_tokens: { constant: 300 },
      },
      model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      fleets: [
        {
          name: 'gpu',
          replicas: { min: 2, max: 2 },
          instance: 'aws/g6e.xlarge',
          batching: { policy: 'continuous', kv_cache_tokens: 40_000 },
          autoscaling: { policy: 'recorder' },
        },
      ],
    });
    expect(latestUsage.size).toBe(2);
    expect(samples.length).toBeGreaterThan(20);
    for (const { sample, expected } of samples) {
      expect(sample.readyReplicas).toBe(2);
      expect(sample.kvCacheUtilization).toBeCloseTo(expected, 12);
    }
    // The load keeps the caches well used: the signal is not trivially 0.
    const busiest = Math.max(...samples.map(({ sample }) => sample.kvCacheUtilization ?? 0));
    expect(busiest).toBeGreaterThan(0.3);
  });

  it('is refused, where written, on a fleet that keeps no KV cache', async () => {
    const text = stringify({
      duration: 60,
      workload: { arrivals: { poisson: { rate: 1 } } },
      fleets: [
        {
          name: 'cpu',
          replicas: { min: 1, max: 4 },
          price_per_hour: 1,
          service_time: '100ms',
          autoscaling: { policy: 'target-tracking', metric: 'kv_cache_utilization', target: 0.7 },
        },
      ],
    });
    const loaded = await loadScenarioText(text, 's.yaml');
    expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([
      's.yaml:15:15: fleets[0].autoscaling.metric: kv_cache_utilization is the KV cache of an LLM replica: it needs batching policy continuous',
    ]);
  });
});
