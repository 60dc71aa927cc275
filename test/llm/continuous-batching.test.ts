import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { loadScenarioObject } from '../../src/scenario/index.js';
import { llm } from '../../src/serving/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-llm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSV trace of `[seconds, prompt tokens, output tokens]` rows. */
function trace(rows: [number, number, number][]): object {
  const path = join(dir, `trace-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, `t,prompt,output\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return {
    trace: {
      path,
      format: 'csv',
      time_column: 't',
      columns: { input_tokens: 'prompt', output_tokens: 'output' },
    },
  };
}

function scenario(arrivals: object, batching: object = {}, extra: object = {}, fleet: object = {}) {
  return {
    seed: 3,
    workload: { arrivals },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        instance: 'aws/g6e.xlarge',
        batching: { policy: 'continuous', ...batching },
        ...fleet,
      },
    ],
    ...extra,
  };
}

async function run(input: object) {
  const output = await runScenario(input);
  return output.results[0];
}

// The same physics the simulator calls, evaluated here iteration by iteration from the
// schedule worked out by hand: the tests check the scheduler's batches and the clock.
const model = llm.presetModel('Llama-3.1-8B');
const hardware = { accelerator: llm.loadAccelerators().get('l40s') as llm.AcceleratorSpec, count: 1 };
const microseconds = (batch: llm.IterationBatch) =>
  Math.round(llm.iterationTime(model, hardware, batch).totalS * 1e6);
const prefill = (sequences: number, tokens: number) =>
  microseconds({
    prefill: [{ tokens, pastTokens: 0, count: sequences }],
    decodeSequences: 0,
    decodeContextTokens: 0,
  });
const decode = (sequences: number, context: number) =>
  microseconds({ prefill: [], decodeSequences: sequences, decodeContextTokens: sequences * context });

describe('continuous batching in the simulator', () => {
  it('serves a lone request in one prefill and output - 1 decode steps', async () => {
    const result = await run(scenario(trace([[0, 300, 4]])));
    const ttftUs = prefill(1, 300);
    const decodeUs = decode(1, 300) + decode(1, 301) + decode(1, 302);
    expect(result.ttft_s.max).toBe(ttftUs / 1e6);
    expect(result.latency_s.max).toBe((ttftUs + decodeUs) / 1e6);
    expect(result.tpot_s.max).toBeCloseTo(decodeUs / 3 / 1e6, 12);
    expect(result.queue_wait_s.max).toBe(0);
    expect(result.tokens).toEqual({ input: 300, output: 4 });
    expect(result.llm?.fleets.gpu).toMatchObject({ iterations: 4, preemptions: 0, rejected: 0 });
  });

  it('counts towards goodput only the requests within the TTFT and TPOT limits', async () => {
    // Far apart, so neither waits: a 300-token prompt, then a 3,000-token one whose prefill and
    // decodes (over a ten times longer context) both take longer.
    const arrivals = trace([
      [0, 300, 4],
      [10, 3000, 4],
    ]);
    const ttftS = prefill(1, 300) / 1e6;
    const tpotS = (decode(1, 300) + decode(1, 301) + decode(1, 302)) / 3 / 1e6;
    const served = async (slo: object) => {
      const result = await run(scenario(arrivals, {}, { slo }));
      expect(result.requests.completed).toBe(2);
      return Math.round(result.goodput_rps * result.simulated_s.end);
    };
    expect(await served({ ttft_p99: ttftS })).toBe(1);
    expect(await served({ tpot_p99: tpotS * 1.0001 })).toBe(1);
    expect(await served({ ttft_p99: 1000, tpot_p99: 1000 })).toBe(2);
  });

  it('batches requests that arrive together: one prefill, then decodes in lockstep', async () => {
    const result = await run(scenario(trace([0, 0, 0, 0].map((t) => [t, 100, 3]))));
    const ttftUs = prefill(4, 100);
    const endUs = ttftUs + decode(4, 100) + decode(4, 101);
    expect(result.requests.completed).toBe(4);
    expect(result.ttft_s.p50).toBeCloseTo(ttftUs / 1e6, 2);
    expect(result.ttft_s.max).toBe(ttftUs / 1e6);
    expect(result.latency_s.max).toBe(endUs / 1e6);
    expect(result.batches.gpu).toEqual({ count: 3, mean_size: 4, sizes: { '4': 3 } });
    // Four of the default 256 sequence slots were busy from start to end.
    expect(result.utilization.gpu).toBeCloseTo(4 / 256, 12);
  });

  it('splits a long prompt into chunks of the token budget', async () => {
    const result = await run(scenario(trace([[0, 1000, 2]]), { max_num_batched_tokens: 512 }));
    const chunk = (tokens: number, pastTokens: number, completesPrompt: boolean) =>
      microseconds({
        prefill: [{ tokens, pastTokens, completesPrompt }],
        decodeSequences: 0,
        decodeContextTokens: 0,
      });
    // Only the last chunk samples a token (runs the LM head).
    const ttftUs = chunk(512, 0, false) + chunk(488, 512, true);
    expect(result.ttft_s.max).toBe(ttftUs / 1e6);
    expect(result.latency_s.max).toBe((ttftUs + decode(1, 1000)) / 1e6);
  });

  it('preempts when the KV cache overflows and still accounts for every request', async () => {
    // 64 requests of 200 + 300 tokens at once against a cache of 2,000 tokens (4 sequences at most).
    const rows = Array.from({ length: 64 }, (_, i): [number, number, number] => [i * 0.01, 200, 300]);
    const result = await run(
      scenario(trace(rows), { kv_cache_tokens: 2000, block_size: 16, max_num_batched_tokens: 4096 }),
    );
    const stats = result.llm?.fleets.gpu;
    expect(stats?.kv_cache_tokens).toBe(2000);
    expect(stats?.preemptions).toBeGreaterThan(0);
    expect(stats?.kv_utilization.peak).toBe(1);
    expect(result.requests).toEqual({
      arrived: 64,
      completed: 64,
      dropped: 0,
      timed_out: 0,
      in_flight_at_end: 0,
    });
    expect(result.tokens).toEqual({ input: 64 * 200, output: 64 * 300 });
  });

  it('keeps conservation when preemption meets timeouts and a drain limit', async () => {
    const rows = Array.from({ length: 200 }, (_, i): [number, number, number] => [
      i * 0.02,
      150 + (i % 7) * 40,
      50 + (i % 5) * 60,
    ]);
    const result = await run(
      scenario(
        trace(rows),
        { kv_cache_tokens: 3000, max_num_seqs: 8 },
        { max_drain: '5s' },
        { queue: { timeout: '3s' } },
      ),
    );
    const r = result.requests;
    expect(result.llm?.fleets.gpu.preemptions).toBeGreaterThan(0);
    expect(r.timed_out).toBeGreaterThan(0);
    expect(r.in_flight_at_end).toBeGreaterThan(0);
    expect(r.arrived).toBe(r.completed + r.dropped + r.timed_out + r.in_flight_at_end);
  });

  it('rejects a request that could never fit the KV cache, as a drop', async () => {
    const result = await run(
      scenario(
        trace([
          [0, 1900, 200],
          [0.1, 100, 10],
        ]),
        { kv_cache_tokens: 2000 },
      ),
    );
    expect(result.requests).toMatchObject({ arrived: 2, completed: 1, dropped: 1 });
    expect(result.llm?.fleets.gpu.rejected).toBe(1);
  });

  it('attributes cost to input and output tokens by the time their work took', async () => {
    const result = await run(scenario(trace([[0, 2000, 2]])));
    const prefillUs = prefill(1, 2000);
    const decodeUs = decode(1, 2000);
    const { input, output, total } = result.cost_per_1m_tokens_usd;
    const cost = (total as number) * (2002 / 1e6);
    expect(input).toBeCloseTo(((cost * prefillUs) / (prefillUs + decodeUs) / 2000) * 1e6, 9);
    expect(output).toBeCloseTo(((cost * decodeUs) / (prefillUs + decodeUs) / 2) * 1e6, 9);
  });

  it('compares optimizations as variants and carries quality_delta', async () => {
    const rows = Array.from({ length: 300 }, (_, i): [number, number, number] => [i * 0.05, 800, 120]);
    const output = await runScenario({
      ...scenario(trace(rows)),
      variants: [
        { name: 'int8', set: { 'model.optimizations': [{ quantize: 'int8', quality_delta: -0.4 }] } },
        {
          name: 'distilled',
          set: { 'model.optimizations': [{ distill: { into: 'Llama-2-7B' } }], 'model.quality_delta': -3 },
        },
      ],
    });
    const [base, int8, distilled] = output.results;
    expect(base.llm).toMatchObject({ model: 'Llama-3.1-8B', precision: 'bf16', quality_delta: null });
    expect(int8.llm).toMatchObject({ model: 'Llama-3.1-8B+int8', precision: 'int8', quality_delta: -0.4 });
    expect(distilled.llm).toMatchObject({ model: 'Llama-2-7B', quality_delta: -3 });
    // Half the bytes per weight: more KV cache, faster memory-bound decode steps.
    expect(int8.llm?.fleets.gpu.kv_cache_tokens).toBeGreaterThan(
      base.llm?.fleets.gpu.kv_cache_tokens as number,
    );
    expect(int8.tpot_s.p50).toBeLessThan(base.tpot_s.p50 as number);
  });

  it('is deterministic for a seed', async () => {
    const input = {
      ...scenario({ poisson: { rate: 4 } }),
      duration: '2m',
      workload: {
        arrivals: { poisson: { rate: 4 } },
        input_tokens: { lognormal: { median: 600, sigma: 0.8 } },
        output_tokens: { lognormal: { median: 150, sigma: 0.7 } },
      },
    };
    const [a, b] = [await runScenario(input), await runScenario(input)];
    expect(JSON.stringify(a.summary)).toBe(JSON.stringify(b.summary));
    expect(a.results[0].requests.completed).toBeGreaterThan(300);
  });
});

describe('measured step times', () => {
  const profile = fileURLToPath(
    new URL('../../data/validation/splitwise_perf_model_llama2-70b.csv', import.meta.url),
  );

  it('takes prefill and decode times from a splitwise-sim profile', async () => {
    const result = await run({
      workload: { arrivals: trace([[0, 700, 3]]) },
      fleets: [
        {
          name: 'gpu',
          replicas: 1,
          price_per_hour: 32,
          batching: { policy: 'continuous', tensor_parallel: 4, kv_cache_tokens: 100_000 },
          step_time: { profile: { path: profile, model: 'llama2-70b', hardware: 'a100-80gb' } },
        },
      ],
    });
    const table = llm.buildProfileTable(
      llm.readSplitwiseProfile(readFileSync(profile, 'utf8'), 'llama2-70b', 'a100-80gb'),
    );
    const us = (seconds: number) => Math.round(seconds * 1e6);
    const ttftUs = us(table.prefillS(4, 1, 700));
    const endUs = ttftUs + us(table.decodeStepS(4, 1, 700)) + us(table.decodeStepS(4, 1, 701));
    expect(result.ttft_s.max).toBe(ttftUs / 1e6);
    expect(result.latency_s.max).toBe(endUs / 1e6);
    expect(result.llm).toMatchObject({ model: 'llama2-70b', precision: 'as profiled' });
  });
});

describe('scenario errors', () => {
  async function errors(input: object): Promise<string[]> {
    const loaded = await loadScenarioObject(input);
    return loaded.ok ? [] : loaded.errors.map((e) => e.message);
  }

  it('says when the weights leave no room for a KV cache', async () => {
    const input = scenario(
      { poisson: { rate: 1 } },
      {},
      { duration: '1m', model: { llm: { preset: 'Llama-3.1-70B' } } },
    );
    expect(await errors(input)).toEqual([
      'fleets[0].instance: Llama-3.1-70B needs 131.5 GiB for its weights; 1 x NVIDIA L40S leave 40.5 GiB at gpu_memory_utilization 0.9: no room for a KV cache',
    ]);
  });

  it('needs a model, and an accelerator to run it on', async () => {
    const input = scenario({ poisson: { rate: 1 } }, {}, { duration: '1m', model: undefined });
    expect(await errors(input)).toEqual([
      'fleets[0].batching: a continuous-batching fleet needs a scenario model (or step_time: { profile })',
    ]);
    const cpu = {
      ...scenario({ poisson: { rate: 1 } }, {}, { duration: '1m' }),
      fleets: [{ name: 'cpu', replicas: 1, price_per_hour: 1, batching: { policy: 'continuous' } }],
    };
    expect(await errors(cpu)).toEqual(['fleets[0].hardware: no accelerator to run an LLM on']);
  });

  it('rejects times that continuous batching takes from the model', async () => {
    const input = scenario({ poisson: { rate: 1 } }, {}, { duration: '1m' }, { service_time: '1s' });
    expect(await errors(input)).toEqual([
      'fleets[0].service_time: a continuous-batching fleet takes its times from the model (or step_time), not service_time',
    ]);
  });
});
