import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAccelerators } from './accelerator.js';
import { LLM_PRESETS, PRECISIONS, presetModel } from './model.js';
import { decodeStepSeconds, iterationTime } from './roofline.js';
import { SERVING_STACKS } from './serving-stack.js';

const ACCELERATORS = [...loadAccelerators().values()];
const PRESETS = Object.keys(LLM_PRESETS);

describe('decode-only step times', () => {
  it('are iterationTime to the last bit, for every model, accelerator, parallelism and stack', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PRESETS),
        fc.constantFrom(...PRECISIONS),
        fc.constantFrom(...ACCELERATORS),
        fc.constantFrom(1, 2, 4, 8),
        fc.constantFrom(...Object.values(SERVING_STACKS)),
        fc.boolean(),
        fc.integer({ min: 0, max: 1024 }),
        fc.integer({ min: 0, max: 4_000_000 }),
        (preset, precision, accelerator, tp, stack, sparse, sequences, contextTokens) => {
          if (tp > 1 && accelerator.interconnect.kind === 'none') return;
          const model = { ...presetModel(preset, precision), sparse24: sparse };
          const hardware = { accelerator, count: tp, efficiency: sparse ? { attention: 0.3 } : undefined };
          const batch = { prefill: [], decodeSequences: sequences, decodeContextTokens: contextTokens };
          const step = decodeStepSeconds(model, hardware, stack);
          let expected: number;
          try {
            expected = iterationTime(model, hardware, batch, stack).totalS;
          } catch (error) {
            // An accelerator without a usable peak for the model fails the same way.
            expect(() => step(sequences, contextTokens)).toThrow((error as Error).message);
            return;
          }
          expect(Object.is(step(sequences, contextTokens), expected)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('weight-only int4 weight streaming', () => {
  const catalog = loadAccelerators();
  const h100 = catalog.get('h100-80gb');
  const rtx4090 = catalog.get('rtx-4090');
  if (!h100 || !rtx4090) throw new Error('catalog lacks h100-80gb or rtx-4090');
  const single = { prefill: [], decodeSequences: 1, decodeContextTokens: 0 };

  it("takes the H100's share from the kernel benchmark it cites", () => {
    // inclusionAI/humming pull request 2, one H100, n = k = 8192, channelwise scales, batch m = 1, 2, 4:
    // TFLOPS of the Marlin W4A16 GEMM and of torch's 16-bit GEMM. Bytes per second are the
    // weights each streams (int4 plus one fp16 scale per column, or fp16) over the time the
    // TFLOPS imply; activations in and out are counted for both.
    const n = 8192;
    const rows = [
      [1, 4.98, 2.3],
      [2, 10.02, 4.63],
      [4, 19.85, 9.26],
    ];
    const ratios = rows.map(([m, marlin, torch]) => {
      const flops = 2 * m * n * n;
      const io = 2 * m * n * 2;
      const marlinRate = (n * n * 0.5 + n * 2 + io) / (flops / (marlin * 1e12));
      const torchRate = (n * n * 2 + io) / (flops / (torch * 1e12));
      return marlinRate / torchRate;
    });
    for (const ratio of ratios) expect(ratio).toBeCloseTo(0.54, 2);
    expect(h100.efficiency.int4WeightOnly).toBe(0.54);
  });

  it('streams the int4 matmul weights at that share and the 16-bit output projection at the full rate', () => {
    // Llama-3.1-8B: 8.03e9 params, of which 2 x 128256 x 4096 = 1,050,673,152 in the embedding and
    // the output projection. One decode step on one H100 (3350 GB/s, memory 0.87) reads the
    // 6,979,326,848 matmul weights at 4 bits (3,489,663,424 bytes) at 0.54 x 0.87 x 3350 GB/s and
    // the 16-bit output projection (1,050,673,152 bytes) at 0.87 x 3350 GB/s: 2.5778 ms.
    const step = iterationTime(presetModel('Llama-3.1-8B', 'int4'), { accelerator: h100, count: 1 }, single);
    expect(step.matmulS).toBeCloseTo(2.5778e-3, 7);
  });

  it('leaves 16-bit weights and cards without a measured share at the memory fraction', () => {
    const bf16 = iterationTime(presetModel('Llama-3.1-8B', 'bf16'), { accelerator: h100, count: 1 }, single);
    // 6,979,326,848 x 2 + 1,050,673,152 bytes at 0.87 x 3350 GB/s.
    expect(bf16.matmulS).toBeCloseTo((6_979_326_848 * 2 + 1_050_673_152) / (3350e9 * 0.87), 12);
    // RTX 4090: 1008 GB/s, memory fraction from its own profile, no int4 share of its own.
    expect(rtx4090.efficiency.int4WeightOnly).toBeUndefined();
    const int4 = iterationTime(
      presetModel('Llama-3.1-8B', 'int4'),
      { accelerator: rtx4090, count: 1 },
      single,
    );
    expect(int4.matmulS).toBeCloseTo(
      (3_489_663_424 + 1_050_673_152) / (rtx4090.memoryBandwidthGBps * 1e9 * rtx4090.efficiency.memory),
      12,
    );
  });

  it('follows an override of the memory fraction, as a share of it', () => {
    const model = presetModel('Llama-3.1-8B', 'int4');
    const base = iterationTime(model, { accelerator: h100, count: 1 }, single).matmulS;
    const halved = iterationTime(
      model,
      { accelerator: h100, count: 1, efficiency: { memory: 0.87 / 2 } },
      single,
    ).matmulS;
    expect(halved / base).toBeCloseTo(2, 12);
  });
});
