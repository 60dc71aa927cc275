import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { observeSchedulerSteps } from '../../src/policies/batching/continuous.js';
import { renderMarkdownTable, renderSummaryJson, renderSummaryMarkdown } from '../../src/report/index.js';
import { runScenario } from '../../src/run.js';
import { llm } from '../../src/serving/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MOONCAKE = join(ROOT, 'traces/mooncake-fast25-synthetic.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-prefix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => observeSchedulerSteps(null));

/** The first `limit` requests of the Mooncake trace, replayed `speed` times as fast, on one H100 with `kvTokens` of KV cache. */
function mooncake(limit: number, speed: number, kvTokens: number, extra: object = {}, batching: object = {}) {
  return {
    seed: 1,
    workload: { arrivals: { trace: { path: MOONCAKE, format: 'mooncake', speed, limit } } },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        instance: 'aws/p5.48xlarge',
        batching: {
          policy: 'continuous',
          max_num_seqs: 64,
          max_num_batched_tokens: 8192,
          kv_cache_tokens: kvTokens,
          tensor_parallel: 1,
          block_size: 16,
          ...batching,
        },
        queue: { capacity: 100_000 },
      },
    ],
    ...extra,
  };
}

async function prefixStats(input: object) {
  const { results } = await runScenario(input);
  const stats = results[0].llm?.fleets.gpu.prefix_cache;
  if (stats === undefined) throw new Error('no prefix_cache stats');
  return stats;
}

/**
 * The hit rate of a cache that never evicts, worked out from the trace alone by the rules the
 * scheduler follows: 16-token blocks; block b is cacheable when its 16 tokens end within the
 * prompt and within its last hash block (512 tokens, the last one ending with the prompt), and is
 * named by the hash id of the 512-token block holding its last token, with b; a prompt takes the
 * longest run of cached leading blocks, short of its last token; all its cacheable blocks are
 * cached once it is prefilled (requests far enough apart that each is prefilled before the next).
 */
function infiniteCacheHitRate(limit: number): number {
  const lines = readFileSync(MOONCAKE, 'utf8').trim().split('\n').slice(0, limit);
  const cached = new Set<string>();
  let prompt = 0;
  let hit = 0;
  for (const line of lines) {
    const { input_length: length, hash_ids: ids } = JSON.parse(line) as {
      input_length: number;
      hash_ids: number[];
    };
    const blocksInPrompt = ids.filter((_, i) => 512 * i < length).length;
    const shareable = Math.min(512 * blocksInPrompt, length);
    const cacheable = Math.floor(shareable / 16);
    const key = (b: number) => `${ids[Math.floor(((b + 1) * 16 - 1) / 512)]}:${b}`;
    const limitBlocks = Math.min(cacheable, Math.floor((length - 1) / 16));
    let run = 0;
    while (run < limitBlocks && cached.has(key(run))) run++;
    prompt += length;
    hit += run * 16;
    for (let b = 0; b < cacheable; b++) cached.add(key(b));
  }
  return hit / prompt;
}

describe('prefix caching on the Mooncake trace', () => {
  it('hits as often as a cache that never evicts when the cache holds everything, and less as it shrinks', async () => {
    const limit = 1000;
    const expected = infiniteCacheHitRate(limit);
    expect(expected).toBeGreaterThan(0.1);
    // 1,000 requests over 255 s of trace, 50 times slower: each prompt is prefilled before the next arrives.
    const ample = await prefixStats(mooncake(limit, 0.02, 25_000_000));
    expect(ample.evictions).toBe(0);
    expect(ample.hit_rate).toBeCloseTo(expected, 12);
    expect(ample.prefill_tokens_saved).toBe(ample.cached_prompt_tokens);
    const rates = [ample.hit_rate as number];
    for (const kvTokens of [2_000_000, 600_000, 250_000]) {
      const stats = await prefixStats(mooncake(limit, 0.02, kvTokens));
      expect(stats.evictions).toBeGreaterThan(0);
      rates.push(stats.hit_rate as number);
    }
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThan(rates[i - 1]);
  }, 120_000);

  it('keeps every KV block accounted for at every step of a run with sharing, evictions and preemptions', async () => {
    let steps = 0;
    observeSchedulerSteps((scheduler) => {
      steps++;
      scheduler.checkInvariants();
    });
    // At full speed, in a cache of 12,500 blocks, prompts of tens of thousands of tokens contend for it.
    const { results } = await runScenario(mooncake(70, 1, 200_000));
    const gpu = results[0].llm?.fleets.gpu;
    expect(steps).toBeGreaterThan(1000);
    expect(gpu?.preemptions).toBeGreaterThan(0);
    expect(gpu?.prefix_cache?.evictions).toBeGreaterThan(0);
    expect(gpu?.prefix_cache?.cached_prompt_tokens).toBeGreaterThan(0);
  }, 120_000);
});

describe('a cached prefix in the step time', () => {
  // The physics the simulator calls, evaluated here for the batches worked out by hand.
  const model = llm.presetModel('Llama-3.1-8B');
  const hardware = { accelerator: llm.loadAccelerators().get('l40s') as llm.AcceleratorSpec, count: 1 };
  const prefillS = (tokens: number, pastTokens: number) =>
    Math.round(
      llm.iterationTime(model, hardware, {
        prefill: [{ tokens, pastTokens, completesPrompt: true }],
        decodeSequences: 0,
        decodeContextTokens: 0,
      }).totalS * 1e6,
    ) / 1e6;

  it("prefills only a later prompt's uncached tokens, over the cached ones as context", async () => {
    const path = join(dir, 'two.jsonl');
    // Two 512-token blocks shared; the second prompt has 476 tokens of its own. One output token each,
    // so each request is one prefill iteration, and the second arrives long after the first is done.
    writeFileSync(
      path,
      '{"timestamp": 0, "input_length": 1024, "output_length": 1, "hash_ids": [1, 2]}\n' +
        '{"timestamp": 10000, "input_length": 1500, "output_length": 1, "hash_ids": [1, 2, 3]}\n',
    );
    const scenario = (prefixCaching: boolean) => ({
      seed: 1,
      workload: { arrivals: { trace: { path, format: 'mooncake' } } },
      model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      fleets: [
        {
          name: 'gpu',
          replicas: 1,
          instance: 'aws/g6e.xlarge',
          batching: { policy: 'continuous', block_size: 16, prefix_caching: prefixCaching },
        },
      ],
    });
    const ttfts = async (prefixCaching: boolean) => {
      const times: number[] = [];
      const output = await runScenario(scenario(prefixCaching), {
        onRequest: (r) => times.push((r.first_token as number) - r.arrival),
      });
      return { result: output.results[0], times };
    };
    const first = prefillS(1024, 0);
    const cached = await ttfts(true);
    // All 64 blocks of the first prompt are cached; the second computes its 476 tokens after them.
    const second = prefillS(476, 1024);
    expect(cached.times[0]).toBeCloseTo(first, 6);
    expect(cached.times[1]).toBeCloseTo(second, 6);
    expect(cached.result.llm?.fleets.gpu.prefix_cache).toMatchObject({
      prompt_tokens: 2524,
      cached_prompt_tokens: 1024,
      prefill_tokens_saved: 1024,
      evictions: 0,
    });
    const whole = await ttfts(false);
    expect(whole.times[0]).toBeCloseTo(first, 6);
    expect(whole.times[1]).toBeCloseTo(prefillS(1500, 0), 6);
    expect(second).toBeLessThan(prefillS(1500, 0) * 0.6);
    expect(whole.result.llm?.fleets.gpu.prefix_cache).toBeUndefined();
  });

  it('reuses a shared system prompt: every prompt after the first of its system prompt skips its cached blocks', async () => {
    const scenario = (prefixCaching: boolean) => ({
      seed: 5,
      duration: 1000,
      // 1 request every 10 s: each is done before the next.
      workload: {
        arrivals: { constant: { rate: 0.1 } },
        input_tokens: { constant: 1500 },
        output_tokens: { constant: 2 },
        shared_prefix: { tokens: 1000, prompts: 3 },
      },
      model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      fleets: [
        {
          name: 'gpu',
          replicas: 1,
          instance: 'aws/g6e.xlarge',
          batching: { policy: 'continuous', block_size: 16, prefix_caching: prefixCaching },
        },
      ],
    });
    const { results } = await runScenario(scenario(true));
    const stats = results[0].llm?.fleets.gpu.prefix_cache;
    // 99 requests (at 10, 20, ..., 990 s); the first of each of the 3 system prompts misses, the
    // other 96 find its 62 full blocks (992 of its 1,000 tokens) cached.
    expect(stats).toMatchObject({ prompt_tokens: 99 * 1500, cached_prompt_tokens: 96 * 992 });
    // Variants draw the same system prompts: the run without caching serves the same requests, each prefilled whole.
    const off = (await runScenario(scenario(false))).results[0];
    expect(off.tokens).toEqual(results[0].tokens);
    expect(off.ttft_s.mean).toBeGreaterThan(results[0].ttft_s.mean as number);
  });
});

describe('the host-memory tier (kv_offload)', () => {
  // Llama-3.1-8B keeps K and V for 32 layers x 8 KV heads x 128 dimensions, 2 bytes each: 131,072 bytes a token.
  const BYTES_PER_TOKEN = 2 * 32 * 8 * 128 * 2;
  const BANDWIDTH = 25e9;
  const LATENCY = 10e-6;
  const model = llm.presetModel('Llama-3.1-8B');
  const hardware = { accelerator: llm.loadAccelerators().get('l40s') as llm.AcceleratorSpec, count: 1 };
  const prefillS = (tokens: number, pastTokens: number) =>
    llm.iterationTime(model, hardware, {
      prefill: [{ tokens, pastTokens, completesPrompt: true }],
      decodeSequences: 0,
      decodeContextTokens: 0,
    }).totalS;
  const loadS = (tokens: number) => (tokens * BYTES_PER_TOKEN) / BANDWIDTH + LATENCY;
  /** An iteration's time on the simulator's microsecond clock. */
  const tick = (seconds: number) => Math.round(seconds * 1e6) / 1e6;

  it('loads a prefix evicted to host memory in bytes / bandwidth + latency instead of prefilling it, and drops the oldest host blocks first', async () => {
    const path = join(dir, 'offload.jsonl');
    // 100 blocks of 16 tokens. A caches 64 blocks; B (94 blocks, its own prefix) evicts A's last 58 to
    // host memory, which holds 64 blocks (128 MiB at 2 MiB a block); C shares A's 1,024 tokens;
    // D repeats B. One output token each, 10 s apart: each request is one prefill iteration.
    writeFileSync(
      path,
      '{"timestamp": 0, "input_length": 1024, "output_length": 1, "hash_ids": [1, 2]}\n' +
        '{"timestamp": 10000, "input_length": 1500, "output_length": 1, "hash_ids": [7, 8, 9]}\n' +
        '{"timestamp": 20000, "input_length": 1500, "output_length": 1, "hash_ids": [1, 2, 3]}\n' +
        '{"timestamp": 30000, "input_length": 1500, "output_length": 1, "hash_ids": [7, 8, 9]}\n',
    );
    const run = async (kvOffload: object | null) => {
      const times: number[] = [];
      const { results, summary } = await runScenario(
        {
          seed: 1,
          workload: { arrivals: { trace: { path, format: 'mooncake' } } },
          model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
          fleets: [
            {
              name: 'gpu',
              replicas: 1,
              instance: 'aws/g6e.xlarge',
              batching: {
                policy: 'continuous',
                block_size: 16,
                kv_cache_tokens: 1600,
                kv_offload: kvOffload,
              },
            },
          ],
        },
        { onRequest: (r) => times.push((r.first_token as number) - r.arrival) },
      );
      return { stats: results[0].llm?.fleets.gpu.prefix_cache, times, summary };
    };
    const tier = await run({ capacity: '128MiB', bandwidth: '25GB/s', latency: '10us' });
    // B evicted A's blocks 63 down to 6 (freed last first); A's blocks 0-5 stayed in accelerator
    // memory. C takes those 6, loads blocks 6-63 (928 tokens) from host memory and prefills its
    // last 476 tokens over 1,024 of context. Without the tier it prefills 1,404 over 96.
    expect(tier.times[2]).toBeCloseTo(tick(loadS(928) + prefillS(476, 1024)), 6);
    expect(loadS(928)).toBeLessThan(prefillS(1404, 96) - prefillS(476, 1024));
    // Loading C's 58 blocks and allocating its 30 others evicted 87 of B's 93 cached blocks, its
    // last first, to a host memory emptied by C's load: it kept the first 64 to arrive, blocks 92
    // down to 29, then dropped one for each of the last 23 (92 down to 70). D finds B's blocks 0-5
    // in accelerator memory, 6-69 (1,024 tokens) in host memory, and prefills from block 70 on.
    expect(tier.times[3]).toBeCloseTo(tick(loadS(1024) + prefillS(380, 1120)), 6);
    expect(tier.stats).toEqual({
      hit_rate: (1024 + 1120) / (1024 + 3 * 1500),
      prompt_tokens: 1024 + 3 * 1500,
      cached_prompt_tokens: 1024 + 1120,
      prefill_tokens_saved: 1024 + 1120,
      // 58 for B, 87 for C, 87 for D (C's 93 cached blocks, its last first).
      evictions: 58 + 87 + 87,
      cached_blocks: 94 + 5,
      host_tier: {
        cached_prompt_tokens: 928 + 1024,
        loaded_tokens: 928 + 1024,
        transfer_bytes: (928 + 1024) * BYTES_PER_TOKEN,
        transfer_s: loadS(928) + loadS(1024),
        evictions: 23 + 23,
        blocks: 64,
      },
    });
    expect(renderSummaryMarkdown(tier.summary)).toContain(
      `232 cached blocks evicted to host memory, where 1952 of the cached prompt tokens were found; 1952 tokens loaded back (0.2559 GB in ${(
        (loadS(928) + loadS(1024)) * 1000
      ).toPrecision(3)} ms of iteration time); 46 blocks dropped from host memory.`,
    );
    const gpuOnly = await run(null);
    expect(gpuOnly.times[2]).toBeCloseTo(tick(prefillS(1404, 96)), 6);
    expect(gpuOnly.times[3]).toBeCloseTo(tick(prefillS(1404, 96)), 6);
    expect(gpuOnly.stats?.cached_prompt_tokens).toBe(2 * 96);
    expect(gpuOnly.stats?.host_tier).toBeUndefined();
  });

  it('with room for every block in host memory, hits as often as a cache that never evicts, however small the accelerator cache', async () => {
    const limit = 1000;
    const expected = infiniteCacheHitRate(limit);
    const gpuOnly = await prefixStats(mooncake(limit, 0.02, 250_000));
    expect(gpuOnly.hit_rate).toBeLessThan(expected - 0.05);
    // 1.5 TiB of the p5.48xlarge's 2 TiB holds 786,432 blocks of 2 MiB, more than the 1,000 prompts fill.
    const ample = await prefixStats(
      mooncake(limit, 0.02, 250_000, {}, { kv_offload: { capacity: '1.5TiB' } }),
    );
    expect(ample.host_tier?.evictions).toBe(0);
    expect(ample.hit_rate).toBeCloseTo(expected, 12);
    // 8 GiB (4,096 blocks) drops blocks, and finds less than the ample tier but more than none.
    const small = await prefixStats(mooncake(limit, 0.02, 250_000, {}, { kv_offload: { capacity: '8GiB' } }));
    expect(small.host_tier?.evictions).toBeGreaterThan(0);
    expect(small.hit_rate).toBeGreaterThan(gpuOnly.hit_rate as number);
    expect(small.hit_rate).toBeLessThan(ample.hit_rate as number);
    for (const stats of [ample, small]) {
      const host = stats.host_tier;
      expect(host?.cached_prompt_tokens).toBeGreaterThan(0);
      expect(host?.transfer_bytes).toBe((host?.loaded_tokens ?? 0) * BYTES_PER_TOKEN);
    }
  }, 180_000);

  it('keeps every KV block accounted for in both tiers at every step of a run with sharing, evictions and preemptions', async () => {
    let steps = 0;
    observeSchedulerSteps((scheduler) => {
      steps++;
      scheduler.checkInvariants();
    });
    // 2 GiB of host memory: 1,024 blocks, a few prompts' worth.
    const { results } = await runScenario(mooncake(70, 1, 200_000, {}, { kv_offload: { capacity: '2GiB' } }));
    const gpu = results[0].llm?.fleets.gpu;
    expect(steps).toBeGreaterThan(1000);
    expect(gpu?.preemptions).toBeGreaterThan(0);
    expect(gpu?.prefix_cache?.host_tier?.evictions).toBeGreaterThan(0);
    expect(gpu?.prefix_cache?.host_tier?.cached_prompt_tokens).toBeGreaterThan(0);
    expect(gpu?.prefix_cache?.host_tier?.blocks).toBeLessThanOrEqual(1024);
  }, 120_000);
});

describe('prefix-cache reporting', () => {
  function scenario(lines: string[]) {
    const path = join(dir, `report-${Math.random().toString(36).slice(2)}.jsonl`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return {
      seed: 1,
      workload: { arrivals: { trace: { path, format: 'mooncake' } } },
      model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
      fleets: [{ name: 'gpu', replicas: 1, instance: 'aws/g6e.xlarge', batching: { policy: 'continuous' } }],
      variants: [{ name: 'off', set: { 'fleets.0.batching.prefix_caching': false } }],
    };
  }

  it('adds a hit-rate column and a line per variant once prompts share a cached prefix, and marks caching off', async () => {
    const { summary } = await runScenario(
      scenario([
        '{"timestamp": 0, "input_length": 1024, "output_length": 1, "hash_ids": [1, 2]}',
        '{"timestamp": 10000, "input_length": 1500, "output_length": 1, "hash_ids": [1, 2, 3]}',
      ]),
    );
    const [header, , on, off] = renderMarkdownTable(summary).split('\n');
    const column = header.split(' | ').indexOf('prefix hit');
    expect(column).toBeGreaterThan(0);
    // 1,024 of 2,524 prompt tokens.
    expect(on.split(' | ')[column]).toBe('40.6 %');
    expect(off.split(' | ')[column]).toBe('off');
    const markdown = renderSummaryMarkdown(summary);
    expect(markdown).toContain(
      '- Prefix cache on gpu: hit rate 40.6 % (1024 of 2524 prompt tokens found cached at admission); 1024 prompt tokens not prefilled (re-admissions after preemption included); 0 cached blocks evicted.',
    );
    expect(markdown).toContain(
      '- Prefix cache on gpu: off (prefix_caching: false); every prompt prefilled whole.',
    );
  });

  it('shows nothing of the cache when no prompt found a cached prefix', async () => {
    const { summary } = await runScenario(
      scenario([
        '{"timestamp": 0, "input_length": 1024, "output_length": 1, "hash_ids": [1, 2]}',
        '{"timestamp": 10000, "input_length": 1500, "output_length": 1, "hash_ids": [4, 5, 6]}',
      ]),
    );
    expect(renderMarkdownTable(summary)).not.toContain('prefix');
    expect(renderSummaryMarkdown(summary)).not.toContain('Prefix cache');
  });
});

describe('prefix_caching: false', () => {
  it.each([
    ['scenarios/demo.yaml', [0]],
    ['scenarios/spot-autoscaling.yaml', [0, 1]],
    ['scenarios/edge-offload.yaml', [0, 1]],
  ])(
    '%s with caching off gives the golden summary.json (caching on, no shared prefix) but for the prefix_cache figures, byte for byte',
    async (file, fleets) => {
      const name = file.replaceAll('/', '_').replace(/\.yaml$/, '');
      const golden = JSON.parse(
        readFileSync(join(ROOT, 'test/golden/outputs', name, 'summary.json'), 'utf8'),
      );
      for (const variant of golden.variants) {
        for (const stats of Object.values(variant.llm?.fleets ?? {})) {
          expect((stats as { prefix_cache: { hit_rate: number | null } }).prefix_cache.hit_rate ?? 0).toBe(0);
          delete (stats as { prefix_cache?: unknown }).prefix_cache;
        }
      }
      const set = fleets.map((f) => `fleets.${f}.batching.prefix_caching=false`);
      const { summary } = await runScenario(join(ROOT, file), { set });
      expect(renderSummaryJson(summary)).toBe(renderSummaryJson(golden));
    },
    120_000,
  );
});

describe('prefix-caching input errors', () => {
  async function cli(args: string[]) {
    let stderr = '';
    const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), cwd: dir };
    const code = await runCli(args, io);
    return { code, stderr };
  }
  const fleet = `fleets:
  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
`;
  const model = `model: { llm: { preset: Llama-3.1-8B, precision: bf16 } }
`;

  it('names the file, line and column of a bad key, exit 2', async () => {
    writeFileSync(
      join(dir, 'bad-key.yaml'),
      `workload:
  arrivals: { poisson: { rate: 1 } }
  input_tokens: { constant: 100 }
  output_tokens: { constant: 10 }
  shared_prefix: { tokens: 0 }
${model}${fleet}    batching: { policy: continuous, prefix_caching: yes }
`,
    );
    const { code, stderr } = await cli(['validate', 'bad-key.yaml']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bad-key\.yaml:5:\d+: .*shared_prefix\.tokens/m);
    expect(stderr).toMatch(/^bad-key\.yaml:11:\d+: .*prefix_caching.*true or false/m);
  });

  it('names the line of a host tier without prefix caching or a model, too small for one block, in a bad unit or over the host memory, exit 2', async () => {
    const workload = `duration: 60
workload:
  arrivals: { poisson: { rate: 1 } }
  input_tokens: { constant: 100 }
  output_tokens: { constant: 10 }
`;
    writeFileSync(
      join(dir, 'offload-off.yaml'),
      `${workload}${model}${fleet}    batching: { policy: continuous, prefix_caching: false, kv_offload: { capacity: 1GiB } }
`,
    );
    const off = await cli(['validate', 'offload-off.yaml']);
    expect(off.code).toBe(2);
    expect(off.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^offload-off\.yaml:11:\d+: .*kv_offload holds blocks of the prefix cache: it needs prefix_caching: true/,
      ),
    ]);
    writeFileSync(
      join(dir, 'offload-tiny.yaml'),
      `${workload}${model}${fleet}    batching:
      policy: continuous
      kv_offload: { capacity: 1MiB, bandwidth: 50GB/s }
`,
    );
    const tiny = await cli(['validate', 'offload-tiny.yaml']);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^offload-tiny\.yaml:13:\d+: .*kv_offload capacity 1048576 bytes holds no KV-cache block of .* \(2097152 bytes at block_size 16\)/,
      ),
    ]);
    writeFileSync(
      join(dir, 'offload-unit.yaml'),
      `${workload}${model}${fleet}    batching: { policy: continuous, kv_offload: { capacity: 1GiB, bandwidth: 25GiB } }
`,
    );
    const unit = await cli(['validate', 'offload-unit.yaml']);
    expect(unit.code).toBe(2);
    expect(unit.stderr).toMatch(/^offload-unit\.yaml:11:\d+: .*bandwidth/m);
    // A g6e.xlarge has 32 GiB of host memory.
    writeFileSync(
      join(dir, 'offload-big.yaml'),
      `${workload}${model}${fleet}    batching: { policy: continuous, kv_offload: { capacity: 64GiB } }
`,
    );
    const big = await cli(['validate', 'offload-big.yaml']);
    expect(big.code).toBe(2);
    expect(big.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^offload-big\.yaml:11:\d+: .*kv_offload capacity 64\.0 GiB exceeds the 32 GiB of host memory of one replica$/,
      ),
    ]);
    // Measured step times without a model: nothing says how many bytes a block holds.
    writeFileSync(
      join(dir, 'offload-profile.yaml'),
      `${workload}fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 32
    batching: { policy: continuous, tensor_parallel: 4, kv_cache_tokens: 100000, kv_offload: { capacity: 1GiB } }
    step_time: { profile: { path: ${join(ROOT, 'data/validation/splitwise_perf_model_llama2-70b.csv')}, model: llama2-70b, hardware: a100-80gb } }
`,
    );
    const profiled = await cli(['validate', 'offload-profile.yaml']);
    expect(profiled.code).toBe(2);
    expect(profiled.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^offload-profile\.yaml:10:\d+: .*kv_offload needs a scenario model/),
    ]);
  });

  it('names the line of a trace row whose prefix blocks are not a list of ids, exit 2', async () => {
    writeFileSync(
      join(dir, 'bad.jsonl'),
      '{"timestamp": 0, "input_length": 100, "output_length": 1, "hash_ids": [1]}\n' +
        '{"timestamp": 1, "input_length": 100, "output_length": 1, "hash_ids": "1,2"}\n',
    );
    writeFileSync(
      join(dir, 'bad-trace.yaml'),
      `workload:
  arrivals: { trace: { path: bad.jsonl } }
${model}${fleet}    batching: { policy: continuous }
`,
    );
    const { code, stderr } = await cli(['run', 'bad-trace.yaml', '--out', join(dir, 'out')]);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      'bad.jsonl:2:1: key "hash_ids": prefix block 1 of 1: expected a non-negative integer id below 2^53, got "1,2"',
    ]);
  });
});
