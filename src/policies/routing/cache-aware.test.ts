import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createStreams } from '../../engine/index.js';
import { renderSummaryJson } from '../../report/index.js';
import { runScenario } from '../../run.js';
import { cacheAware } from './cache-aware.js';
import { leastOutstanding } from './least-outstanding.js';
import { createRouter } from './router.js';
import { type PrefixCacheView, type ReplicaLoadView, ReplicaPool } from './types.js';

function loadOf(outstanding: number[], concurrency = outstanding.map(() => 64)): ReplicaLoadView {
  return { outstanding: Int32Array.from(outstanding), concurrency: Int32Array.from(concurrency) };
}

/** A routed request of `prompt` tokens, of which replica r holds `cached[r]` in its prefix cache. */
function viewOf(prompt: number, cached: number[]): PrefixCacheView {
  return {
    shareableTokens: () => (cached.some((c) => c > 0) ? prompt : 0),
    promptTokens: () => prompt,
    cachedTokens: (replica) => cached[replica],
  };
}

function picker(load: ReplicaLoadView, prefixes: PrefixCacheView, options: Record<string, unknown> = {}) {
  return cacheAware.create({
    load,
    pool: new ReplicaPool(0, load.outstanding.length),
    uniform: createStreams(1).stream('test'),
    prefixes,
    options,
  });
}

describe('cache-aware picker', () => {
  it('trades the cached share of the prompt against load per unit of concurrency', () => {
    // Replica 0 holds 800 of 1,000 prompt tokens. Scores at load_weight 1: 0.8 - 40/64 = 0.175
    // against 0 - 0/64 = 0 for replica 1, so replica 0; at 60 outstanding, 0.8 - 0.9375 < 0.
    const load = loadOf([40, 0]);
    const view = viewOf(1000, [800, 0]);
    expect(picker(load, view).pick()).toBe(0);
    load.outstanding[0] = 60;
    expect(picker(load, view).pick()).toBe(1);
    // load_weight 0.5: 0.8 - 0.5 * 60/64 = 0.33 > 0, so the cache wins again.
    expect(picker(load, view, { load_weight: 0.5 }).pick()).toBe(0);
    // Replica 1 holds a shorter run (400) under 10 requests: 0.8 - 0.5 * 60/64 = 0.33125 against
    // 0.4 - 0.5 * 10/64 = 0.321875, so replica 0.
    load.outstanding[1] = 10;
    expect(picker(load, viewOf(1000, [800, 400]), { load_weight: 0.5 }).pick()).toBe(0);
    // With load_weight 1: 0.8 - 0.9375 = -0.1375 against 0.4 - 0.15625 = 0.24375: replica 1.
    expect(picker(load, viewOf(1000, [800, 400])).pick()).toBe(1);
  });

  it('picks as least-outstanding does when every replica holds as much of the prompt', () => {
    // Equal loads per unit of concurrency (3 of 9 and 1 of 3) tie, whatever the weight's rounding:
    // the first of them, as least-outstanding picks.
    expect(picker(loadOf([3, 1], [9, 3]), viewOf(8192, [1, 1]), { load_weight: 0.1 }).pick()).toBe(0);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 1, max: 256 })), { minLength: 1, maxLength: 12 }),
        fc.nat(4096),
        fc.integer({ min: 1, max: 8192 }),
        fc.constantFrom(0.1, 1, 4),
        (replicas, cached, prompt, weight) => {
          const load = loadOf(
            replicas.map(([o]) => o),
            replicas.map(([, c]) => c),
          );
          const pool = new ReplicaPool(0, replicas.length);
          const uniform = createStreams(1).stream('test');
          const equal = viewOf(
            prompt,
            replicas.map(() => Math.min(cached, prompt)),
          );
          const expected = leastOutstanding.create({ load, pool, uniform }).pick();
          expect(picker(load, equal, { load_weight: weight }).pick()).toBe(expected);
        },
      ),
    );
  });

  it('without a prefix cache to read, is least-outstanding', () => {
    const load = loadOf([3, 2, 4, 2], [1, 1, 4, 1]);
    const pool = new ReplicaPool(0, 4);
    const uniform = createStreams(1).stream('test');
    const least = leastOutstanding.create({ load, pool, uniform });
    const aware = cacheAware.create({ load, pool, uniform });
    expect(aware.pick()).toBe(least.pick());
    expect(aware.pick()).toBe(2);
  });

  it('as the within of a cross-fleet policy, picks inside the chosen fleet by its cache', () => {
    const fleets = [
      { name: 'a', first: 0, count: 2, fallback: null, elastic: false },
      { name: 'b', first: 2, count: 2, fallback: null, elastic: false },
    ];
    const router = createRouter(
      { policy: 'spillover', order: ['b', 'a'], within: 'cache-aware', maxQueuePerReplica: 0 },
      fleets,
      loadOf([0, 0, 0, 1]),
      createStreams(1),
      undefined,
      viewOf(1000, [1000, 0, 0, 900]),
    );
    for (let r = 0; r < 4; r++) router.setReady(r, true);
    // Fleet b first; within it replica 3 holds 900 tokens: 0.9 - 1/64 beats replica 2's 0.
    expect(router.pick()).toBe(3);
  });
});

describe('cache-aware routing in a run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-cache-aware-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'repeat.jsonl');
  // Two L40S replicas, Mooncake-style hash ids of 512 tokens. A (prefix 1, 2) arrives first and
  // goes to replica 0 (both idle: lowest index); it decodes 400 tokens, some seconds. B (3, 4)
  // goes to replica 1, the idle one, and is done in a fraction of a second. C (1, 2, 5) arrives
  // at 2 s while A still runs on replica 0: its first 1,024 tokens are A's prompt.
  writeFileSync(
    path,
    '{"timestamp": 0, "input_length": 1024, "output_length": 400, "hash_ids": [1, 2]}\n' +
      '{"timestamp": 1, "input_length": 1024, "output_length": 1, "hash_ids": [3, 4]}\n' +
      '{"timestamp": 2000, "input_length": 1500, "output_length": 1, "hash_ids": [1, 2, 5]}\n',
  );
  const scenario = (policy: string, prefixCaching = true) => ({
    seed: 1,
    workload: { arrivals: { trace: { path, format: 'mooncake' } } },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 2,
        instance: 'aws/g6e.xlarge',
        batching: { policy: 'continuous', max_num_seqs: 64, block_size: 16, prefix_caching: prefixCaching },
      },
    ],
    routing: { policy },
  });
  const run = async (policy: string, prefixCaching = true) => {
    const replicas: (number | null)[] = [];
    const output = await runScenario(scenario(policy, prefixCaching), {
      onRequest: (r) => replicas.push(r.replica),
    });
    return { result: output.results[0], replicas };
  };

  it('sends a repeated prefix to the replica holding it, where least-outstanding sends it to the idle one', async () => {
    const aware = await run('cache-aware');
    const least = await run('least-outstanding');
    // Records come in completion order: B, C, then A (still decoding when C is done).
    expect(aware.replicas).toEqual([1, 0, 0]);
    expect(least.replicas).toEqual([1, 1, 0]);
    // C's 1,500 tokens: blocks 0-63 (16 tokens each) end within A's two hash blocks, so 1,024
    // tokens are cached on replica 0 and none on replica 1. Of 1,024 + 1,024 + 1,500 = 3,548
    // prompt tokens, 1,024 are found cached: 28.86 %.
    expect(aware.result.llm?.fleets.gpu.prefix_cache).toMatchObject({
      prompt_tokens: 3548,
      cached_prompt_tokens: 1024,
    });
    expect(aware.result.llm?.fleets.gpu.prefix_cache?.hit_rate).toBeCloseTo(1024 / 3548, 12);
    expect(least.result.llm?.fleets.gpu.prefix_cache).toMatchObject({
      prompt_tokens: 3548,
      cached_prompt_tokens: 0,
      hit_rate: 0,
    });
  });

  it('without prefix caching, routes and reports exactly as least-outstanding', async () => {
    const aware = await run('cache-aware', false);
    const least = await run('least-outstanding', false);
    expect(aware.replicas).toEqual(least.replicas);
    expect(JSON.stringify(aware.result)).toBe(JSON.stringify(least.result));
  });

  it('is deterministic: the same seed gives the same summary', async () => {
    const sessions = {
      seed: 3,
      duration: '5m',
      workload: {
        arrivals: {
          sessions: {
            rate: 0.2,
            turns: { gamma: { mean: 6, cv: 0.5 } },
            system_prompt_tokens: 800,
            first_message_tokens: 300,
            message_tokens: 100,
            output_tokens: 50,
            think_time: '5s',
          },
        },
      },
      model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      fleets: [{ name: 'gpu', replicas: 3, instance: 'aws/g6e.xlarge', batching: { policy: 'continuous' } }],
      routing: { policy: 'cache-aware', load_weight: 2 },
    };
    const first = await runScenario(sessions);
    const second = await runScenario(sessions);
    expect(renderSummaryJson(second.summary)).toBe(renderSummaryJson(first.summary));
    expect(first.results[0].llm?.fleets.gpu.prefix_cache?.hit_rate).toBeGreaterThan(0.5);
  });
});
