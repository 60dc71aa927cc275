import { describe, expect, it } from 'vitest';
import { type AcceleratorSpec, loadAccelerators } from './accelerator.js';
import { type KvCacheSettings, kvCacheBudget, NON_TORCH_BYTES, V1_NON_TORCH_BYTES } from './kv-cache.js';
import { buildLlmModel, mlpIntermediateSize } from './model.js';

/**
 * The budget worked out by hand from the shapes of DeepSeek-R1-Distill-Qwen-1.5B (config.json:
 * 28 layers of 1536, 12 query and 2 KV heads of 128, vocabulary 151936, untied; 1.777 B params)
 * on a card of exactly 24 GiB.
 */
const GIB = 2 ** 30;
const model = buildLlmModel({
  name: 'Qwen2.5-1.5B',
  params: 1.777e9,
  layers: 28,
  hidden: 1536,
  heads: 12,
  kvHeads: 2,
  headDim: 128,
  vocab: 151_936,
  tiedEmbeddings: false,
});
const card = { ...(loadAccelerators().get('rtx-4090') as AcceleratorSpec), memoryGib: 24 };
const hardware = { accelerator: card, count: 1 };
const base: KvCacheSettings = {
  gpuMemoryUtilization: 0.9,
  maxNumBatchedTokens: 2048,
  maxNumSeqs: 256,
  blockSize: 16,
};

const USABLE = 24 * GIB * 0.9;
const WEIGHTS = 1.777e9 * 2;
/** K and V of 2 heads of 128 in 28 layers, 16-bit. */
const BYTES_PER_TOKEN = 2 * 28 * 2 * 128 * 2;
const tokensFor = (kvBytes: number) => 16 * Math.floor(kvBytes / (16 * BYTES_PER_TOKEN));
/** The profiling pass's hidden states: every token's, and V1's copy of the rows it samples from. */
const hiddenBytes = (rows: number) => rows * 1536 * 2;

describe('KV-cache budget of the V1 engine', () => {
  it('the layer peak stays under the sampler at these settings', () => {
    // Residual, normalized input, gate-and-up, product and down projection at 2048 tokens, with the
    // MLP width the preset derives from its parameter count (config.json: 8960).
    const width = mlpIntermediateSize(model);
    expect(width / 8960).toBeCloseTo(1, 1);
    const layer = 2048 * (3 * 1536 + 3 * width) * 2;
    expect(layer).toBeLessThan(256 * 151_936 * 10);
  });

  it('charges the sorting sampler 38 bytes per sequence and vocabulary entry and 0.16 GiB outside PyTorch', () => {
    const budget = kvCacheBudget(model, hardware, { ...base, engine: 'v1' });
    const activation = hiddenBytes(2048 + 256) + 256 * 151_936 * 38;
    expect(budget.activationBytes).toBe(activation);
    expect(budget.nonTorchBytes).toBe(0.16 * GIB);
    expect(budget.weightBytes).toBe(WEIGHTS);
    expect(budget.bytesPerToken).toBe(BYTES_PER_TOKEN);
    expect(budget.kvBytes).toBeCloseTo(USABLE - WEIGHTS - activation - 0.16 * GIB, 3);
    expect(budget.tokens).toBe(tokensFor(USABLE - WEIGHTS - activation - 0.16 * GIB));
    // 256 x 151936 x 38 bytes = 1.38 GiB of sampler, about 51,500 tokens of this model's KV.
    expect(budget.tokens).toBe(627_152);
  });

  it("charges FlashInfer's kernel 10 bytes per sequence and vocabulary entry", () => {
    const budget = kvCacheBudget(model, hardware, { ...base, engine: 'v1', samplerKernel: 'flashinfer' });
    const activation = hiddenBytes(2048 + 256) + 256 * 151_936 * 10;
    expect(budget.activationBytes).toBe(activation);
    expect(budget.tokens).toBe(tokensFor(USABLE - WEIGHTS - activation - V1_NON_TORCH_BYTES));
  });

  it('sorts fewer than 128 rows through index-and-segment pairs: 50 bytes', () => {
    const budget = kvCacheBudget(model, hardware, { ...base, engine: 'v1', maxNumSeqs: 64 });
    expect(budget.activationBytes).toBe(hiddenBytes(2048 + 64) + 64 * 151_936 * 50);
    // One row is sorted alone (38 bytes); a one-token pass keeps the layer below the sampler.
    const one = kvCacheBudget(model, hardware, {
      ...base,
      engine: 'v1',
      maxNumSeqs: 1,
      maxNumBatchedTokens: 1,
    });
    expect(one.activationBytes).toBe(hiddenBytes(1 + 1) + 151_936 * 38);
  });

  it('samples no more sequences than the pass has tokens', () => {
    const budget = kvCacheBudget(model, hardware, {
      ...base,
      engine: 'v1',
      maxNumBatchedTokens: 512,
      maxNumSeqs: 1024,
    });
    expect(budget.activationBytes).toBe(hiddenBytes(512 + 512) + 512 * 151_936 * 38);
  });

  it('charges the v0 rule when asked: 40 bytes, the hidden states once, 400 MiB', () => {
    const budget = kvCacheBudget(model, hardware, { ...base, engine: 'v0' });
    expect(kvCacheBudget(model, hardware, base)).toEqual(
      kvCacheBudget(model, hardware, { ...base, engine: 'v1' }),
    );
    const activation = hiddenBytes(2048) + 256 * 151_936 * 40;
    expect(budget.activationBytes).toBe(activation);
    expect(budget.nonTorchBytes).toBe(NON_TORCH_BYTES);
    expect(budget.tokens).toBe(tokensFor(USABLE - WEIGHTS - activation - NON_TORCH_BYTES));
  });
});
