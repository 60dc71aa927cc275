import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type AcceleratorSpec,
  type KvCacheSettings,
  kvCacheBudget,
  loadAccelerators,
  NON_TORCH_BYTES,
  presetModel,
} from '../../src/serving/llm/index.js';

/**
 * The KV-cache budget (src/serving/llm/kv-cache.ts) against what vLLM reported at start-up. Its
 * terms come from vLLM's code (what its profiling pass allocates), the device memory CUDA reports
 * and PyTorch's figure for a CUDA context; none is fitted to these logs, which are held out.
 * UPDATE_DOCS=1 rewrites the table in docs/validation.md.
 */

const GIB = 2 ** 30;
const h100 = loadAccelerators().get('h100-80gb') as AcceleratorSpec;

/** vLLM's defaults, with the simulator's default token budget (vLLM's own where max_model_len <= 2048). */
const DEFAULTS: KvCacheSettings = {
  gpuMemoryUtilization: 0.9,
  maxNumBatchedTokens: 2048,
  maxNumSeqs: 256,
  blockSize: 16,
};

/** "GPU KV cache size: 40,592 tokens" (2,537 blocks of 16) from vLLM serving CodeLlama-34B on one H100 80GB. */
const CODELLAMA_LOGGED_TOKENS = 40_592;

/**
 * vLLM's memory-profiling log of `vllm serve meta-llama/Meta-Llama-3-8B` on one H100 (pull request
 * github.com/vllm-project/vllm/pull/10511, December 2024), GiB. Llama-3.1-8B has Llama-3-8B's
 * shapes; its max_model_len of 8192 makes the profiling pass 8192 tokens (no chunked prefill).
 */
const LLAMA3_LOG = {
  totalGib: 79.22,
  weightsGib: 14.96,
  nonTorchGib: 1.79,
  activationGib: 1.26,
  kvGib: 53.29,
};

/**
 * vLLM's block count for Llama-2-7B on one A100 80GB after it began counting all memory in use
 * (github.com/vllm-project/vllm/pull/2031, December 2023: "# GPU blocks: 7351"); the default
 * max_model_len of 4096 makes the profiling pass 4096 tokens.
 */
const LLAMA2_A100_LOGGED_BLOCKS = 7351;

function errorOf(predicted: number, measured: number): number {
  return predicted / measured - 1;
}

function percent(x: number): string {
  return `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
}

const codeLlama = presetModel('CodeLlama-34B');
const codeLlamaAt = (maxNumBatchedTokens: number) =>
  kvCacheBudget(codeLlama, { accelerator: h100, count: 1 }, { ...DEFAULTS, maxNumBatchedTokens });
const llama2 = kvCacheBudget(
  presetModel('Llama-2-7B'),
  { accelerator: loadAccelerators().get('a100-80gb') as AcceleratorSpec, count: 1 },
  { ...DEFAULTS, maxNumBatchedTokens: 4096 },
);
const llama3 = kvCacheBudget(
  presetModel('Llama-3.1-8B'),
  { accelerator: { ...h100, memoryGib: LLAMA3_LOG.totalGib }, count: 1 },
  { ...DEFAULTS, maxNumBatchedTokens: 8192 },
);

describe('KV-cache capacity as vLLM sizes it', () => {
  it('counts the tensors of the profiling pass as worked out by hand', () => {
    // CodeLlama-34B at 2048 tokens: the MLP holds the residual stream and the normalized input
    // (2 x 8192), gate and up (2 x 22016), their product (22016) and the down projection (8192),
    // 16-bit. The sampler (256 sequences x 32000 x 40 bytes + the hidden states) is smaller.
    const layer = 2048 * (3 * 8192 + 3 * 22_016) * 2;
    const sampler = 2048 * 8192 * 2 + 256 * 32_000 * 40;
    expect(sampler).toBeLessThan(layer);
    const budget = codeLlamaAt(2048);
    // The preset's MLP width is derived from its parameter count (22016.7 against config.json's 22016).
    expect(budget.activationBytes / layer).toBeCloseTo(1, 4);
    expect(budget.weightBytes).toBe(33_743_970_304 * 2);
    expect(budget.usableBytes).toBe(79.11 * GIB * 0.9);
    expect(budget.bytesPerToken).toBe(2 * 48 * 8 * 128 * 2);
    const kvBytes = budget.usableBytes - budget.weightBytes - layer - NON_TORCH_BYTES;
    expect(budget.tokens).toBe(16 * Math.floor(kvBytes / (16 * budget.bytesPerToken)));
  });

  it("the sampler's working set is the activation peak vLLM reported for Llama-3-8B", () => {
    expect(Math.abs(errorOf(llama3.activationBytes / GIB, LLAMA3_LOG.activationGib))).toBeLessThan(0.05);
    expect(Math.abs(llama3.weightBytes / GIB - LLAMA3_LOG.weightsGib)).toBeLessThan(0.01);
  });

  const rows = [
    {
      label: 'CodeLlama-34B, 1 x H100 80GB, tokens',
      setting: 'max_num_batched_tokens 2048',
      predicted: codeLlamaAt(2048).tokens,
      measured: CODELLAMA_LOGGED_TOKENS,
      format: (x: number) => x.toLocaleString('en-US'),
    },
    {
      label: 'Llama-2-7B, 1 x A100 80GB, blocks',
      setting: 'max_num_batched_tokens 4096',
      predicted: llama2.tokens / 16,
      measured: LLAMA2_A100_LOGGED_BLOCKS,
      format: (x: number) => x.toLocaleString('en-US'),
    },
    {
      label: 'Llama-3-8B, 1 x H100 80GB, KV-cache GiB',
      setting: 'max_num_batched_tokens 8192',
      predicted: llama3.kvBytes / GIB,
      measured: LLAMA3_LOG.kvGib,
      format: (x: number) => x.toFixed(2),
    },
    {
      label: 'Llama-3-8B, 1 x H100 80GB, activation peak GiB',
      setting: 'max_num_batched_tokens 8192',
      predicted: llama3.activationBytes / GIB,
      measured: LLAMA3_LOG.activationGib,
      format: (x: number) => x.toFixed(2),
    },
    {
      label: 'Llama-3-8B, 1 x H100 80GB, non-torch GiB',
      setting: 'max_num_batched_tokens 8192',
      predicted: llama3.nonTorchBytes / GIB,
      measured: LLAMA3_LOG.nonTorchGib,
      format: (x: number) => x.toFixed(2),
    },
  ];

  it('writes the held-out table', () => {
    const sensitivity = [512, 2048, 4096, 8192, 16_384].map((tokens) => {
      const predicted = codeLlamaAt(tokens).tokens;
      return `${tokens.toLocaleString('en-US')}: ${predicted.toLocaleString('en-US')} (${percent(errorOf(predicted, CODELLAMA_LOGGED_TOKENS))})`;
    });
    const table = [
      '| quantity | settings | predicted | vLLM logged | error |',
      '|---|---|---:|---:|---:|',
      ...rows.map(
        (r) =>
          `| ${r.label} | ${r.setting} | ${r.format(r.predicted)} | ${r.format(r.measured)} | ${percent(errorOf(r.predicted, r.measured))} |`,
      ),
      '',
      `CodeLlama-34B by the profiling pass's max_num_batched_tokens: ${sensitivity.join('; ')}.`,
    ].join('\n');
    console.log(table);
    if (process.env.UPDATE_DOCS === '1') {
      const path = fileURLToPath(new URL('../../docs/validation.md', import.meta.url));
      const doc = readFileSync(path, 'utf8');
      const start = '<!-- kv:start -->';
      const end = '<!-- kv:end -->';
      writeFileSync(
        path,
        `${doc.slice(0, doc.indexOf(start) + start.length)}\n${table}\n${doc.slice(doc.indexOf(end))}`,
      );
    }
  });

  it.each(rows.slice(0, 3).map((r) => [r.label, r]))('%s: within 5 %%', (_, row) => {
    expect(Math.abs(errorOf(row.predicted, row.measured))).toBeLessThanOrEqual(0.05);
  });
});
