import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { TokenCosts } from '../../src/metrics/index.js';
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
    const stats = result.llm?.fleets.gpu;
    // Four of the default 256 sequence slots were busy from start to end.
    expect(stats?.batch_slot_occupancy).toBeCloseTo(4 / 256, 12);
    expect(stats?.busy_share).toBeCloseTo(1, 12);
    // 400 prompt tokens, then 4 decodes twice, of the default budget of 2,048 tokens per iteration.
    const budgetUse = (400 * ttftUs + 4 * (endUs - ttftUs)) / 2048 / endUs;
    expect(stats?.token_budget_use).toBeCloseTo(budgetUse, 12);
    // 4 x ceil(101 / 16) = 28 blocks held throughout.
    expect(stats?.kv_utilization.mean).toBeCloseTo(
      28 / Math.floor((stats?.kv_cache_tokens as number) / 16),
      12,
    );
    expect(stats?.binding).toBe('token_budget');
    expect(result.utilization.gpu).toBeCloseTo(budgetUse, 12);
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

/** One L40S replica at $3.60 an hour ($0.001 a second), billed per second with a 60 s minimum. */
function priced(arrivals: object, batching: object = {}) {
  return {
    seed: 3,
    workload: { arrivals },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        price_per_hour: 3.6,
        hardware: { accelerator: { name: 'l40s' } },
        batching: { policy: 'continuous', ...batching },
      },
    ],
  };
}

describe('what an LLM fleet uses and costs', () => {
  it('splits its time and cost into idle, prefill and decode on a schedule worked out by hand', async () => {
    // a (300 + 3 tokens) at 0 s runs its prefill and two decodes; the replica idles until b
    // (200 + 2 tokens) arrives at 10 s, runs its prefill and one decode, and the run ends.
    const result = await run(
      priced(
        trace([
          [0, 300, 3],
          [10, 200, 2],
        ]),
      ),
    );
    const prefillUs = prefill(1, 300) + prefill(1, 200);
    const decodeUs = decode(1, 300) + decode(1, 301) + decode(1, 200);
    const endUs = 10e6 + prefill(1, 200) + decode(1, 200);
    expect(result.simulated_s.end).toBe(endUs / 1e6);
    const iterationUs = prefillUs + decodeUs;
    const stats = result.llm?.fleets.gpu as NonNullable<typeof result.llm>['fleets'][string];
    expect(stats.busy_share).toBeCloseTo(iterationUs / endUs, 12);
    // One sequence in every iteration, of 256 slots.
    expect(stats.batch_slot_occupancy).toBeCloseTo(iterationUs / endUs / 256, 12);
    const tokenUs =
      300 * prefill(1, 300) + decode(1, 300) + decode(1, 301) + 200 * prefill(1, 200) + decode(1, 200);
    expect(stats.token_budget_use).toBeCloseTo(tokenUs / 2048 / endUs, 12);
    // a holds ceil(302 / 16) = 19 blocks of 16 tokens, b ceil(201 / 16) = 13.
    const aUs = prefill(1, 300) + decode(1, 300) + decode(1, 301);
    const blockUs = 19 * aUs + 13 * (iterationUs - aUs);
    expect(stats.kv_utilization.mean).toBeCloseTo(
      blockUs / Math.floor(stats.kv_cache_tokens / 16) / endUs,
      12,
    );
    expect(stats.binding).toBe('token_budget');
    expect(result.utilization.gpu).toBeCloseTo(tokenUs / 2048 / endUs, 12);
    expect(stats.recompute_share).toBe(0);

    // The replica lived about 10 s and is billed the 60 s minimum: $0.06, idle but for its iterations.
    expect(result.cost_usd.compute).toBeCloseTo(0.06, 12);
    expect(result.cost_usd.idle).toBeCloseTo((0.06 * (60e6 - iterationUs)) / 60e6, 12);
    expect(result.cost_usd.recompute).toBe(0);
    // The measured window (no warmup) is the replica's life at $0.001 a second; the 10 s idle
    // are carried with the rest, prefill : decode. 500 input and 5 output tokens.
    const windowUsd = (endUs / 1e6) * 0.001;
    const { input, output, total } = result.cost_per_1m_tokens_usd;
    expect(input).toBeCloseTo(((windowUsd * prefillUs) / iterationUs / 500) * 1e6, 9);
    expect(output).toBeCloseTo(((windowUsd * decodeUs) / iterationUs / 5) * 1e6, 9);
    expect(total).toBeCloseTo((windowUsd / 505) * 1e6, 9);
    expect(result.cost_per_1k_requests_usd).toBeCloseTo((windowUsd / 2) * 1000, 12);
    expect(result.warnings).toEqual([]);
  });

  it('books a recomputed prefill as recompute, on a preemption worked out by hand', async () => {
    // A cache of 4 blocks of 16 tokens; a and b (30 + 5 tokens) arrive together and hold 2 blocks
    // each. At 32 tokens a needs a third block: b, admitted last, is evicted with 32 tokens in the
    // cache. a finishes; b then prefills 30 + 3 generated tokens at once, 32 of them recomputed.
    const result = await run(
      priced(
        trace([
          [0, 30, 5],
          [0, 30, 5],
        ]),
        { kv_cache_tokens: 64, block_size: 16 },
      ),
    );
    const recomputeIterationUs = prefill(1, 33);
    const iterationsUs = [
      prefill(2, 30),
      decode(2, 30),
      decode(2, 31),
      decode(1, 32), // b preempted
      decode(1, 33), // a's last token
      recomputeIterationUs,
      decode(1, 33),
    ];
    const endUs = iterationsUs.reduce((sum, us) => sum + us, 0);
    expect(result.simulated_s.end).toBe(endUs / 1e6);
    const stats = result.llm?.fleets.gpu as NonNullable<typeof result.llm>['fleets'][string];
    expect(stats).toMatchObject({ iterations: 7, admitted: 2, preemptions: 1 });
    // Prefill time splits between fresh and recomputed tokens in proportion to their counts.
    const recomputeUs = (recomputeIterationUs * 32) / 33;
    expect(stats.recompute_share).toBeCloseTo(recomputeUs / endUs, 12);
    expect(result.cost_usd.recompute).toBeCloseTo((recomputeUs / 1e6) * 0.001, 12);
    expect(stats.recompute_cost_usd).toBe(result.cost_usd.recompute);
    // Fresh prefill: both prompts in the first iteration, and 1 of the 33 tokens of b's second
    // prefill. Recompute (and idle time, none here) is carried prefill : decode.
    const prefillUs = prefill(2, 30) + recomputeIterationUs / 33;
    const decodeUs = endUs - prefill(2, 30) - recomputeIterationUs;
    const windowUsd = (endUs / 1e6) * 0.001;
    const { input, output, total } = result.cost_per_1m_tokens_usd;
    expect(input).toBeCloseTo(((windowUsd * prefillUs) / (prefillUs + decodeUs) / 60) * 1e6, 9);
    expect(output).toBeCloseTo(((windowUsd * decodeUs) / (prefillUs + decodeUs) / 10) * 1e6, 9);
    expect(total).toBeCloseTo((windowUsd / 70) * 1e6, 9);
  });

  it('books recomputed prefills as their own cost, carried by the tokens delivered', async () => {
    // 64 requests of 200 + 300 tokens: a cache of 2,000 tokens holds 4 at most and preempts.
    const rows = Array.from({ length: 64 }, (_, i): [number, number, number] => [i * 0.01, 200, 300]);
    const tight = await run(priced(trace(rows), { kv_cache_tokens: 2000, max_num_batched_tokens: 4096 }));
    const roomy = await run(priced(trace(rows), { max_num_batched_tokens: 4096 }));
    for (const result of [tight, roomy]) {
      expect(result.requests.completed).toBe(64);
      expect(result.tokens).toEqual({ input: 64 * 200, output: 64 * 300 });
      // Input and output shares add up to the whole cost: nothing is left to undelivered work.
      const { input, output, total } = result.cost_per_1m_tokens_usd as { [K in keyof TokenCosts]: number };
      expect(input * 64 * 200 + output * 64 * 300).toBeCloseTo(total * 64 * 500, 6);
    }
    expect(roomy.llm?.fleets.gpu.preemptions).toBe(0);
    expect(roomy.cost_usd.recompute).toBe(0);
    expect(roomy.warnings).toEqual([]);

    const stats = tight.llm?.fleets.gpu as NonNullable<typeof tight.llm>['fleets'][string];
    expect(stats.preemptions).toBeGreaterThan(0);
    expect(stats.recompute_share).toBeGreaterThan(0);
    // Billed by the second at $0.001: recompute costs $0.001 per second of it.
    const recomputeS = stats.recompute_share * stats.busy_share * tight.simulated_s.end;
    expect(tight.cost_usd.recompute).toBeCloseTo(0.001 * recomputeS, 12);
    expect(stats.recompute_cost_usd).toBe(tight.cost_usd.recompute);
    expect(tight.cost_usd.recompute).toBeGreaterThan(0);
    const perToken = (r: typeof tight) => r.cost_per_1m_tokens_usd as { [K in keyof TokenCosts]: number };
    expect(perToken(tight).total).toBeGreaterThan(perToken(roomy).total);
    expect(perToken(tight).output).toBeGreaterThan(perToken(roomy).output);
    // 71 preemptions of 64 sequences admitted: more than 1 % of them.
    expect(stats.preemptions / stats.admitted).toBeGreaterThan(0.01);
    expect(tight.warnings).toEqual([
      `fleet gpu preempted running sequences ${stats.preemptions} times for lack of KV-cache blocks, ` +
        `against 64 sequences admitted (mean KV-cache use ${(stats.kv_utilization.mean * 100).toFixed(1)} %): ` +
        `recomputing them took ${(stats.recompute_share * 100).toFixed(1)} % of its iteration time, ` +
        `$${tight.cost_usd.recompute.toPrecision(2)} of its cost, and each preempted request waits again`,
    ]);
  });

  it('is as utilized as its KV cache is full when that binds, and warns near saturation', async () => {
    // Short prompts and long answers: the 125 blocks of a 2,000-token cache fill and stay full.
    const rows = Array.from({ length: 400 }, (_, i): [number, number, number] => [i * 0.01, 16, 300]);
    const result = await run(priced(trace(rows), { kv_cache_tokens: 2000 }));
    const stats = result.llm?.fleets.gpu as NonNullable<typeof result.llm>['fleets'][string];
    expect(stats.binding).toBe('kv_cache');
    expect(result.utilization.gpu).toBe(stats.kv_utilization.mean);
    expect(result.utilization.gpu).toBeGreaterThanOrEqual(0.95);
    // Batch slots alone would call it nearly empty.
    expect(stats.batch_slot_occupancy).toBeLessThan(0.1);
    const pct = (share: number) => `${(share * 100).toFixed(1)} %`;
    expect(result.warnings).toContain(
      `fleet gpu is KV-cache bound: mean KV-cache use ${pct(stats.kv_utilization.mean)} ` +
        `(batch-slot occupancy ${pct(stats.batch_slot_occupancy)}, token-budget use ${pct(stats.token_budget_use)}): ` +
        'near saturation latency is extremely sensitive to capacity error',
    );
  });

  it('does not call a fleet saturated because it iterates all the time', async () => {
    // A request a second, each decoding for about 7 s: the engine loop never stops, 7 or 8 of 256 slots busy.
    const rows = Array.from({ length: 60 }, (_, i): [number, number, number] => [i, 100, 300]);
    const result = await run(priced(trace(rows)));
    const stats = result.llm?.fleets.gpu as NonNullable<typeof result.llm>['fleets'][string];
    expect(stats.busy_share).toBeGreaterThan(0.99);
    expect(result.utilization.gpu).toBeLessThan(0.05);
    expect(result.cost_usd.idle).toBeLessThan(0.01 * result.cost_usd.compute);
    expect(result.warnings).toEqual([]);
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

  it("says when the weights leave no room for a KV cache after V0's profiling pass", async () => {
    const input = scenario(
      { poisson: { rate: 1 } },
      { vllm_engine: 'v0' },
      { duration: '1m', model: { llm: { preset: 'Llama-3.1-70B' } } },
    );
    // The profiling pass peaks in the sampler: 256 sequences x 128256 logits x 40 bytes plus 2048
    // tokens x 8192 x 2 bytes of hidden state, 1.25 GiB, and the CUDA context takes 0.39 GiB.
    expect(await errors(input)).toEqual([
      "fleets[0].instance: Llama-3.1-70B needs 131.5 GiB for its weights and 1.6 GiB for the activations of vLLM's profiling pass (max_num_batched_tokens 2048) and CUDA contexts; 1 x NVIDIA L40S leave 40.5 GiB at gpu_memory_utilization 0.9: no room for a KV cache",
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
