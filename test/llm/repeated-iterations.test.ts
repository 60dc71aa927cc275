import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type RequestRecord, runScenario } from '../../src/index.js';
import { ContinuousScheduler } from '../../src/policies/batching/continuous-scheduler.js';
import {
  type IterationScheduler,
  observeSchedulerSteps,
  repeatQuietIterations,
} from '../../src/policies/batching/iteration-scheduler.js';

/**
 * A decode iteration that changes nothing but token counts is repeated in constant time
 * (`advance`), and sequences finishing out of such a batch leave without the others being
 * touched. That is a shortcut, not a model: each scenario here runs once with it and once
 * planning every iteration in full, and every figure of the results, every requests.jsonl row
 * and every time-series bin must come out the same, to the last bit. The KV-cache laws are
 * checked on every step of the shortcut's run, the states between repeats included.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

afterEach(() => {
  repeatQuietIterations(true);
  observeSchedulerSteps(null);
});

type Scenario = Parameters<typeof runScenario>[0];

/** `check`: the KV-cache laws on every step of the shortcut's run (the reference's steps are only counted). */
async function run(scenario: Scenario, repeat: boolean, check: boolean, set: string[]) {
  repeatQuietIterations(repeat);
  const records: RequestRecord[] = [];
  let steps = 0;
  observeSchedulerSteps((scheduler: IterationScheduler) => {
    if (repeat && check) scheduler.checkInvariants();
    steps++;
  });
  const advance = ContinuousScheduler.prototype.advance;
  let repeated = 0;
  ContinuousScheduler.prototype.advance = function (this: ContinuousScheduler) {
    const done = advance.call(this);
    if (done) repeated++;
    return done;
  };
  try {
    const output = await runScenario(scenario, {
      baseDir: ROOT,
      set,
      onRequest: (record) => records.push({ ...record }),
    });
    return { results: output.results, records, repeated, steps };
  } finally {
    ContinuousScheduler.prototype.advance = advance;
  }
}

async function expectSameRuns(scenario: Scenario, check = true, set: string[] = []) {
  const full = await run(scenario, false, false, set);
  const fast = await run(scenario, true, check, set);
  expect(full.repeated).toBe(0);
  expect(fast.results).toEqual(full.results);
  expect(fast.records).toEqual(full.records);
  // The same steps were taken, each seen once.
  expect(fast.steps).toBe(full.steps);
  return { ...fast, iterations: fast.results.map((r) => llmIterations(r.llm)) };
}

function llmIterations(llm: { fleets: Record<string, { iterations: number }> } | null): number {
  return Object.values(llm?.fleets ?? {}).reduce((sum, fleet) => sum + fleet.iterations, 0);
}

const MODEL = { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } };

describe('repeated decode iterations', () => {
  it('give scenarios/classes.yaml, its classes at one priority, the same per-class costs', async () => {
    // The shortcut serves one priority level; at two it stands aside and there is nothing to compare.
    const { repeated } = await expectSameRuns(join(ROOT, 'scenarios/classes.yaml'), false, [
      'duration=300',
      'workload.classes.0.priority=0',
    ]);
    expect(repeated).toBeGreaterThan(0);
  });

  // Shortened to keep the suite quick; every variant runs.
  it.each([
    ['scenarios/demo.yaml', 600],
    ['scenarios/spot-autoscaling.yaml', 900],
    ['scenarios/disaggregated.yaml', 600],
    ['scenarios/mooncake-prefix-cache.yaml', 300],
    ['scenarios/chat-sessions.yaml', 900],
    ['scenarios/edge-offload.yaml', 600],
    ['scenarios/h100-l40s-tpu.yaml', 600],
    ['scenarios/chat-prefix-routing.yaml', 900],
  ])(
    'give %s exactly as planning every iteration does',
    async (file, seconds) => {
      const { repeated, iterations } = await expectSameRuns(join(ROOT, file), false, [`duration=${seconds}`]);
      const total = iterations.reduce((sum, n) => sum + n, 0);
      // The shortcut is taken: otherwise the comparison would be of one path with itself.
      expect(repeated).toBeGreaterThan(0.2 * total);
    },
    120_000,
  );

  it('give the same preemptions and recomputation on a KV cache too small for the load', async () => {
    const { results, repeated } = await expectSameRuns({
      seed: 3,
      duration: 300,
      warmup: 30,
      workload: {
        arrivals: { poisson: { rate: 4 } },
        input_tokens: { lognormal: { median: 1200, sigma: 0.6 } },
        output_tokens: { lognormal: { median: 400, sigma: 0.6 } },
      },
      model: MODEL,
      fleets: [
        {
          name: 'gpu',
          replicas: 2,
          instance: 'aws/g6e.xlarge',
          batching: { policy: 'continuous', max_num_seqs: 64, kv_cache_tokens: 24_000 },
          queue: { capacity: 100, timeout: 20 },
        },
      ],
    });
    const gpu = results[0].llm?.fleets.gpu;
    expect(gpu?.preemptions).toBeGreaterThan(10);
    expect(gpu?.recompute_share).toBeGreaterThan(0);
    expect(results[0].requests.timed_out).toBeGreaterThan(0);
    expect(repeated).toBeGreaterThan(1000);
  }, 120_000);

  it('give the same cache hits and evictions with shared prompt prefixes', async () => {
    const { results, repeated } = await expectSameRuns({
      seed: 9,
      duration: 300,
      workload: {
        arrivals: { poisson: { rate: 6 } },
        input_tokens: { lognormal: { median: 1500, sigma: 0.4 } },
        output_tokens: { lognormal: { median: 120, sigma: 0.8 } },
        shared_prefix: { tokens: 1000, prompts: 20 },
      },
      model: MODEL,
      fleets: [
        {
          name: 'gpu',
          replicas: 2,
          instance: 'aws/g6e.xlarge',
          batching: {
            policy: 'continuous',
            max_num_seqs: 32,
            kv_cache_tokens: 40_000,
            prefix_caching: true,
          },
        },
      ],
      routing: { policy: 'round-robin' },
    });
    const cache = results[0].llm?.fleets.gpu.prefix_cache;
    expect(cache?.cached_prompt_tokens).toBeGreaterThan(0);
    expect(cache?.evictions).toBeGreaterThan(0);
    expect(repeated).toBeGreaterThan(1000);
  }, 120_000);

  it('give the same scaling on the KV-cache signal, read between repeats, and prompts prefilled whole', async () => {
    const { results, repeated } = await expectSameRuns({
      seed: 4,
      duration: 900,
      workload: {
        arrivals: { poisson: { rate: '3 + 2 * sin(2 * pi * t / 300s)' } },
        input_tokens: { lognormal: { median: 1000, sigma: 0.7 } },
        output_tokens: { lognormal: { median: 250, sigma: 0.6 } },
      },
      model: MODEL,
      fleets: [
        {
          name: 'gpu',
          replicas: { min: 1, max: 6, initial: 2 },
          startup: 30,
          instance: 'aws/g6e.xlarge',
          batching: {
            policy: 'continuous',
            max_num_seqs: 48,
            chunked_prefill: false,
            max_num_batched_tokens: 4096,
            kv_cache_tokens: 60_000,
          },
          autoscaling: { policy: 'target-tracking', metric: 'kv_cache_utilization', target: 0.3 },
        },
      ],
      metrics: { interval: 7 },
    });
    const scaled = results[0].capacity_events.filter((e) => e.kind === 'scale');
    expect(scaled.some((e) => (e.to ?? 0) > (e.from ?? 0))).toBe(true);
    expect(repeated).toBeGreaterThan(1000);
  }, 120_000);
});
