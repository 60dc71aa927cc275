import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStreams, Engine } from '../../src/engine/index.js';
import { runScenario } from '../../src/run.js';
import { loadScenarioObject } from '../../src/scenario/index.js';
import { Arrivals } from '../../src/sim/arrivals.js';
import { PRIORITIES } from '../../src/sim/events.js';
import type { RequestRecord } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A measured profile with one row: step times are flat beyond a profile's ends, so every prefill
 * takes 1 s and every decode step 0.1 s, whatever the batch and the prompt.
 */
const PROFILE = file(
  'flat-profile.csv',
  'model,hardware,tensor_parallel,batch_size,prompt_size,prompt_time,token_time\nflat,gpu,1,1,100,1000,100\n',
);

async function requestsOf(scenario: object): Promise<{ requests: RequestRecord[]; summary: unknown }> {
  const requests: RequestRecord[] = [];
  const output = await runScenario(scenario, { onRequest: (r) => requests.push(r) });
  return { requests, summary: output.results[0] };
}

describe('LoRA adapters', () => {
  // One replica holding one adapter at a time; loading one takes 2 s. A request of one output
  // token is one prefill iteration: 1 s. Rows: adapter a at 0 s, b at 1 s, a at 2 s.
  //   0 s  a is loaded (0 -> 2 s), request 1 waits for it.
  //   1 s  b needs the one slot, which a holds for request 1: request 2 waits for a slot.
  //   2 s  a is resident: request 1 enters the scheduler; request 3 (a) arrives and joins it at
  //        once (load wait 0); both run in one prefill iteration, 2 -> 3 s.
  //   3 s  a has no request left: it is evicted for b, loaded 3 -> 5 s; request 2 runs 5 -> 6 s.
  // Loads 2, evictions 1; load waits 2 s, 4 s and 0 s.
  const trace = file('adapters.csv', 't,prompt,output,lora\n0,10,1,a\n1,10,1,b\n2,10,1,a\n');
  const scenario = (adapters: object, extra: object = {}) => ({
    seed: 1,
    workload: {
      arrivals: {
        trace: {
          path: trace,
          format: 'csv',
          time_column: 't',
          columns: { input_tokens: 'prompt', output_tokens: 'output', adapter: 'lora' },
        },
      },
    },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        price_per_hour: 1,
        adapters,
        batching: { policy: 'continuous', kv_cache_tokens: 10000, max_num_seqs: 4 },
        step_time: { profile: { path: PROFILE, model: 'flat', hardware: 'gpu' } },
      },
    ],
    ...extra,
  });

  it('loads an adapter before its requests run, evicts the least recently used idle one, and queues for a slot', async () => {
    const { requests, summary } = await requestsOf(scenario({ max_resident: 1, load_time: '2s' }));
    const times = requests.sort((x, y) => x.arrival - y.arrival).map((r) => [r.arrival, r.finish, r.outcome]);
    expect(times).toEqual([
      [0, 3, 'completed'],
      [1, 6, 'completed'],
      [2, 3, 'completed'],
    ]);
    const adapters = (summary as { llm: { fleets: { gpu: { adapters: unknown } } } }).llm.fleets.gpu.adapters;
    expect(adapters).toMatchObject({ max_resident: 1, load_time_s: 2, requests: 3, loads: 2, evictions: 1 });
    const wait = (adapters as { load_wait_s: { mean: number; max: number } }).load_wait_s;
    expect(wait.mean).toBeCloseTo((2 + 4 + 0) / 3, 2);
    expect(wait.max).toBeCloseTo(4, 2);
  });

  it('with two slots, both adapters stay resident: each is loaded once, nothing is evicted', async () => {
    // 0 s: a loads 0 -> 2 s. 1 s: b takes the free slot, queued behind a's load: 2 -> 4 s.
    // 2 s: requests 1 and 3 run 2 -> 3 s; 4 s: request 2 runs 4 -> 5 s.
    const { requests, summary } = await requestsOf(scenario({ max_resident: 2, load_time: '2s' }));
    const finish = requests.sort((x, y) => x.arrival - y.arrival).map((r) => r.finish);
    expect(finish).toEqual([3, 5, 3]);
    expect(
      (summary as { llm: { fleets: { gpu: { adapters: unknown } } } }).llm.fleets.gpu.adapters,
    ).toMatchObject({ loads: 2, evictions: 0 });
  });

  it('requests that give up waiting for an adapter leave it; a load runs to its end all the same', async () => {
    const base = scenario({ max_resident: 1, load_time: '5s' });
    const { requests, summary } = await requestsOf({
      ...base,
      fleets: [{ ...base.fleets[0], queue: { timeout: '3s' } }],
    });
    // a loads 0 -> 5 s: requests 1 (0 s) and 3 (2 s) wait for it, request 2 (b, 1 s) for a slot.
    // Request 1 gives up at 3 s, request 2 at 4 s; at 5 s a is loaded (its event was scheduled
    // first) and request 3 enters the scheduler, but gives up before its iteration starts.
    expect(requests.map((r) => [r.arrival, r.finish, r.outcome])).toEqual([
      [0, 3, 'timed_out'],
      [1, 4, 'timed_out'],
      [2, 5, 'timed_out'],
    ]);
    expect(
      (summary as { llm: { fleets: { gpu: { adapters: unknown } } } }).llm.fleets.gpu.adapters,
    ).toMatchObject({ loads: 1, evictions: 0 });
  });
});

describe('adapters drawn per request', () => {
  it('follow the Zipf popularity: adapter i in proportion to 1 / (i + 1)^zipf', async () => {
    const loaded = await loadScenarioObject({
      duration: '1h',
      workload: {
        classes: [
          { name: 'base', arrivals: { constant: { rate: 2 } } },
          { name: 'tuned', adapter: { count: 4, zipf: 1 }, arrivals: { constant: { rate: 10 } } },
        ],
      },
      fleets: [{ name: 'cpu', replicas: 1, price_per_hour: 1, service_time: '1ms' }],
    });
    if (!loaded.ok) throw new Error('the scenario does not load');
    const arrivals = new Arrivals(loaded.value.variants[0].scenario, createStreams(9));
    const counts = new Map<number, number>();
    const engine: Engine = new Engine(
      {
        handle: (_kind, _slot, _gen, now) => {
          arrivals.take();
          const key = arrivals.classIndex === 0 ? -1 : arrivals.adapterIndex;
          if (arrivals.classIndex === 0) expect(arrivals.adapterIndex).toBe(-1);
          counts.set(key, (counts.get(key) ?? 0) + 1);
          if (!arrivals.next(engine, now)) engine.stop();
        },
      },
      PRIORITIES,
    );
    expect(arrivals.first(engine)).toBe(true);
    engine.run();
    // Every 0.1 s for an hour: no adapter outside the class's four.
    const tuned = [0, 1, 2, 3].reduce((sum, a) => sum + (counts.get(a) ?? 0), 0);
    expect(tuned).toBeGreaterThanOrEqual(35999);
    expect([...counts.keys()].sort()).toEqual([-1, 0, 1, 2, 3]);
    // Weights 1, 1/2, 1/3, 1/4 over their sum 25/12: shares 12/25, 6/25, 4/25, 3/25, each within
    // five standard deviations of a binomial count.
    for (const [adapter, share] of [12 / 25, 6 / 25, 4 / 25, 3 / 25].entries()) {
      const sd = Math.sqrt(tuned * share * (1 - share));
      expect(Math.abs((counts.get(adapter) ?? 0) - tuned * share)).toBeLessThan(5 * sd);
    }
  });
});

describe("adapter slots' memory", () => {
  // Qwen2.5-7B's shapes (28 layers of 3584, 28/4 heads of 128, MLP width 18944, vocabulary
  // 152064), with the parameters these shapes hold so that the MLP width is exactly 18944.
  const layerParams = 3584 * (28 + 2 * 4) * 128 + 28 * 128 * 3584 + 3 * 3584 * 18944;
  const llm = {
    name: 'qwen-7b-shapes',
    params: 2 * 152_064 * 3584 + 28 * layerParams,
    layers: 28,
    hidden: 3584,
    heads: 28,
    kv_heads: 4,
    head_dim: 128,
    vocab: 152_064,
  };
  const scenario = (adapters: object | undefined) => ({
    seed: 1,
    duration: '10s',
    model: { llm },
    workload: {
      classes: [
        {
          name: 'tenants',
          ...(adapters !== undefined && { adapter: { count: 4, zipf: 1 } }),
          arrivals: { poisson: { rate: 1 } },
          input_tokens: 200,
          output_tokens: 20,
        },
      ],
    },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        instance: 'aws/g6e.xlarge',
        ...(adapters !== undefined && { adapters }),
        batching: { policy: 'continuous', max_num_seqs: 64, max_num_batched_tokens: 8192 },
      },
    ],
  });
  const kvTokens = async (adapters: object | undefined, engine?: string) => {
    const base = scenario(adapters);
    const fleet = base.fleets[0];
    const output = await runScenario(
      engine === undefined
        ? base
        : { ...base, fleets: [{ ...fleet, batching: { ...fleet.batching, vllm_engine: engine } }] },
    );
    const tokens = output.results[0].llm?.fleets.gpu.kv_cache_tokens;
    if (tokens === undefined) throw new Error('the run reports no LLM fleet');
    return tokens;
  };

  // Per slot at rank r: r x (in + out features) of q, k, v, o, gate, up and down in 28 layers,
  // bf16: 16 x (7 x 3584 + 2 x 3584 + 2 x 512 + 3 x 18944) x 28 x 2 = 80,740,352 bytes, and a
  // token's K and V take 2 x 28 x 4 x 128 x 2 = 57,344: a slot is 1,408 tokens, 88 blocks of 16.
  it('32 slots of rank 16 cost 32 x 1,408 tokens of the KV cache, under either engine', async () => {
    for (const engine of [undefined, 'v1']) {
      const plain = await kvTokens(undefined, engine);
      expect(plain - (await kvTokens({ max_resident: 32, load_time: '100ms' }, engine))).toBe(32 * 1408);
      expect(plain - (await kvTokens({ max_resident: 8, max_rank: 64, load_time: '100ms' }, engine))).toBe(
        8 * 4 * 1408,
      );
    }
  });

  it('slots that leave no room are named in the error', async () => {
    // 1,024 slots of rank 64: 1,024 x 4 x 80,740,352 bytes = 308 GiB.
    await expect(
      runScenario(scenario({ max_resident: 1024, max_rank: 64, load_time: '1s' })),
    ).rejects.toThrow(
      /308\.0 GiB for its 1024 LoRA adapter slots \(max_resident 1024, max_rank 64\).*no room for a KV cache; the adapter slots are what leave none/,
    );
  });
});
