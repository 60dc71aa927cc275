import { describe, expect, it } from 'vitest';
import { type AcceleratorSpec, loadAccelerators } from './accelerator.js';
import { type KvCacheSettings, kvCacheBudget, loraBufferBytes } from './kv-cache.js';
import { buildLlmModel, mlpIntermediateSize } from './model.js';

/**
 * Qwen2.5-7B's shapes (config.json: 28 layers of 3584, 28 query and 4 KV heads of 128, MLP width
 * 18944, vocabulary 152064, untied), its parameter count set to what these shapes hold without
 * norms and biases so that the MLP width comes out at exactly 18944.
 */
const LAYER_PARAMS = 3584 * (28 + 2 * 4) * 128 + 28 * 128 * 3584 + 3 * 3584 * 18944;
const qwen7b = buildLlmModel({
  name: 'Qwen2.5-7B',
  params: 2 * 152_064 * 3584 + 28 * LAYER_PARAMS,
  layers: 28,
  hidden: 3584,
  heads: 28,
  kvHeads: 4,
  headDim: 128,
  vocab: 152_064,
  tiedEmbeddings: false,
});

/**
 * One slot's lora_a (rank x in) and lora_b (out x rank) per module of one layer on one rank, as
 * vLLM's `create_lora_weights` shapes them without fully sharded LoRAs: column-parallel layers
 * (q, k, v; gate, up) keep A whole and shard B's output; row-parallel ones (o, down) shard A's
 * input and keep B whole.
 */
function handSlotLayerValues(rank: number, tp: number): number {
  const [hidden, q, kvPerRank, width] = [3584, 28 * 128, 128 * Math.max(1, 4 / tp), 18944];
  const modules: [number, number][] = [
    // [A values, B values]
    [rank * hidden, (q / tp) * rank], // q_proj slice of qkv_proj
    [rank * hidden, kvPerRank * rank], // k_proj slice
    [rank * hidden, kvPerRank * rank], // v_proj slice
    [rank * (q / tp), hidden * rank], // o_proj
    [rank * hidden, (width / tp) * rank], // gate_proj slice of gate_up_proj
    [rank * hidden, (width / tp) * rank], // up_proj slice
    [rank * (width / tp), hidden * rank], // down_proj
  ];
  return modules.reduce((sum, [a, b]) => sum + a + b, 0);
}

describe('LoRA adapter buffers', () => {
  it('the shapes give an MLP width of exactly 18944', () => {
    expect(mlpIntermediateSize(qwen7b)).toBe(18944);
  });

  it('Qwen2.5-7B, rank 16, one GPU: 80,740,352 bytes a slot (16 x 90,112 values a layer, 28 layers, bf16)', () => {
    // 7 x 3584 + 2 x 3584 + 2 x 512 + 3 x 18944 = 90,112 in + out features over the seven projections.
    expect(handSlotLayerValues(16, 1)).toBe(16 * 90_112);
    expect(loraBufferBytes(qwen7b, 1, { maxLoras: 1, maxLoraRank: 16 })).toBe(80_740_352);
    expect(loraBufferBytes(qwen7b, 1, { maxLoras: 32, maxLoraRank: 16 })).toBe(32 * 80_740_352);
    // Rank 64 holds four times as much, whatever the adapters' own ranks.
    expect(loraBufferBytes(qwen7b, 1, { maxLoras: 8, maxLoraRank: 64 })).toBe(8 * 4 * 80_740_352);
  });

  it('under tensor parallelism each rank holds the unsharded half of every pair whole', () => {
    for (const tp of [2, 4, 8]) {
      expect(loraBufferBytes(qwen7b, tp, { maxLoras: 4, maxLoraRank: 16 })).toBe(
        4 * 28 * 2 * handSlotLayerValues(16, tp),
      );
    }
    // tp 2: 7 x 3584 whole + (2 x 3584 + 2 x 512 + 3 x 18944) / 2 = 57,600 features.
    expect(loraBufferBytes(qwen7b, 2, { maxLoras: 1, maxLoraRank: 16 })).toBe(16 * 57_600 * 28 * 2);
  });

  it('come off the KV cache: the budget falls by their bytes, in whole blocks', () => {
    const card = loadAccelerators().get('l40s') as AcceleratorSpec;
    const hardware = { accelerator: card, count: 1 };
    const settings: KvCacheSettings = {
      gpuMemoryUtilization: 0.9,
      maxNumBatchedTokens: 8192,
      maxNumSeqs: 64,
      blockSize: 16,
    };
    // K and V of 4 heads of 128 in 28 layers, bf16: 57,344 bytes.
    const bytesPerToken = 2 * 28 * 4 * 128 * 2;
    for (const engine of ['v0', 'v1'] as const) {
      const plain = kvCacheBudget(qwen7b, hardware, { ...settings, engine });
      const lora = kvCacheBudget(qwen7b, hardware, {
        ...settings,
        engine,
        lora: { maxLoras: 32, maxLoraRank: 16 },
      });
      expect(plain.loraBytes).toBe(0);
      expect(lora.loraBytes).toBe(32 * 80_740_352);
      expect(lora.kvBytes).toBeCloseTo(plain.kvBytes - 32 * 80_740_352, 0);
      expect(lora.tokens).toBe(16 * Math.floor((plain.kvBytes - 32 * 80_740_352) / (16 * bytesPerToken)));
      // A slot is 80,740,352 / 57,344 = 1,408 tokens of this model's KV cache, 88 whole blocks:
      // 32 slots take exactly 45,056 tokens.
      expect(plain.tokens - lora.tokens).toBe(45_056);
    }
  });
});
