import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import { loadScenarioObject } from '../../src/scenario/index.js';
import { llm } from '../../src/serving/index.js';

/** One replica of Llama-3.1-8B on an L40S, a few requests: only its KV-cache capacity is looked at. */
function scenario(batching: object) {
  return {
    seed: 1,
    duration: '10s',
    workload: { arrivals: { poisson: { rate: 1 } } },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [
      {
        name: 'gpu',
        replicas: 1,
        instance: 'aws/g6e.xlarge',
        batching: { policy: 'continuous', ...batching },
      },
    ],
  };
}

const model = llm.presetModel('Llama-3.1-8B');
const hardware = { accelerator: llm.loadAccelerators().get('l40s') as llm.AcceleratorSpec, count: 1 };
const settings = { gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 2048, maxNumSeqs: 256, blockSize: 16 };

async function capacity(batching: object): Promise<unknown> {
  const output = await runScenario(scenario(batching));
  return output.results[0].llm?.fleets.gpu?.kv_cache_tokens;
}

describe('batching.vllm_engine', () => {
  it("sizes the cache by the named engine's profiling", async () => {
    expect(await capacity({ vllm_engine: 'v0' })).toBe(
      llm.kvCacheCapacityTokens(model, hardware, { ...settings, engine: 'v0' }),
    );
    expect(await capacity({ vllm_engine: 'v1' })).toBe(
      llm.kvCacheCapacityTokens(model, hardware, { ...settings, engine: 'v1' }),
    );
    // V1 is the default, in a scenario and in the library.
    expect(await capacity({})).toBe(await capacity({ vllm_engine: 'v1' }));
    expect(llm.kvCacheCapacityTokens(model, hardware, settings)).toBe(await capacity({ vllm_engine: 'v1' }));
    expect(await capacity({ vllm_engine: 'v1', sampler_kernel: 'flashinfer' })).toBe(
      llm.kvCacheCapacityTokens(model, hardware, { ...settings, engine: 'v1', samplerKernel: 'flashinfer' }),
    );
    // The V1 sampler holds less than V0's and the V1 engine counts less memory outside PyTorch.
    const [v0, v1, flashinfer] = [
      await capacity({ vllm_engine: 'v0' }),
      await capacity({ vllm_engine: 'v1' }),
      await capacity({ vllm_engine: 'v1', sampler_kernel: 'flashinfer' }),
    ] as number[];
    expect(v0).toBeLessThan(v1);
    expect(v1).toBeLessThan(flashinfer);
  });

  it('rejects a V1 sampler kernel on the V0 engine', async () => {
    const loaded = await loadScenarioObject(scenario({ vllm_engine: 'v0', sampler_kernel: 'flashinfer' }));
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      "fleets[0].batching.sampler_kernel: sampler_kernel flashinfer is a kernel of vLLM V1's sampler: it needs vllm_engine: v1",
    ]);
  });

  it("says what V1's profiling took when the weights leave no room", async () => {
    const input = { ...scenario({}), model: { llm: { preset: 'Llama-3.1-70B' } } };
    const loaded = await loadScenarioObject(input);
    // The sort of 256 sequences x 128256 logits at 38 bytes, 2,304 rows of 8192 hidden states at 2
    // bytes and 0.16 GiB outside PyTorch: 1.36 GiB.
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      "fleets[0].instance: Llama-3.1-70B needs 131.5 GiB for its weights and 1.4 GiB for the activations of vLLM V1's profiling pass (max_num_batched_tokens 2048, max_num_seqs 256) and memory outside PyTorch; 1 x NVIDIA L40S leave 40.5 GiB at gpu_memory_utilization 0.9: no room for a KV cache",
    ]);
  });

  it('names the engines it knows', async () => {
    const loaded = await loadScenarioObject(scenario({ vllm_engine: 'v2' }));
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      'fleets[0].batching.vllm_engine: expected one of v0, v1',
    ]);
  });
});
