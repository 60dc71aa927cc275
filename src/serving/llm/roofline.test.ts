import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadAccelerators } from './accelerator.js';
import { LLM_PRESETS, PRECISIONS, presetModel } from './model.js';
import { decodeStepSeconds, iterationTime, MATMUL_KNEE_EXPONENT } from './roofline.js';
import { SERVING_STACKS } from './serving-stack.js';

const ACCELERATORS = [...loadAccelerators().values()];
const PRESETS = Object.keys(LLM_PRESETS);

/** A matmul's time from its arithmetic and its weight streaming, through the knee (p = 1.5). */
const knee = (computeS: number, weightsS: number) => (computeS ** 1.5 + weightsS ** 1.5) ** (1 / 1.5);
/** Llama-3.1-8B: 6,979,326,848 matmul params per token besides the 525,336,576 of the output projection. */
const LLAMA_8B_MATMUL_PARAMS = 6_979_326_848 + 525_336_576;

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
    // the 16-bit output projection (1,050,673,152 bytes) at 0.87 x 3350 GB/s: 2.5778 ms. Its
    // arithmetic, 2 FLOPs per weight in bf16 at 0.75 of 989.5 TFLOPS, adds 0.05 % through the knee.
    const step = iterationTime(presetModel('Llama-3.1-8B', 'int4'), { accelerator: h100, count: 1 }, single);
    expect(step.matmulS).toBeCloseTo(knee((2 * LLAMA_8B_MATMUL_PARAMS) / (989.5e12 * 0.75), 2.5778e-3), 7);
  });

  it('leaves 16-bit weights and cards without a measured share at the memory fraction', () => {
    const bf16 = iterationTime(presetModel('Llama-3.1-8B', 'bf16'), { accelerator: h100, count: 1 }, single);
    // 6,979,326,848 x 2 + 1,050,673,152 bytes at 0.87 x 3350 GB/s.
    expect(bf16.matmulS).toBeCloseTo(
      knee(
        (2 * LLAMA_8B_MATMUL_PARAMS) / (989.5e12 * 0.75),
        (6_979_326_848 * 2 + 1_050_673_152) / (3350e9 * 0.87),
      ),
      12,
    );
    // RTX 4090: 1008 GB/s, memory fraction from its own profile, no int4 share of its own.
    expect(rtx4090.efficiency.int4WeightOnly).toBeUndefined();
    const int4 = iterationTime(
      presetModel('Llama-3.1-8B', 'int4'),
      { accelerator: rtx4090, count: 1 },
      single,
    );
    expect(int4.matmulS).toBeCloseTo(
      knee(
        (2 * LLAMA_8B_MATMUL_PARAMS) / (165.2e12 * rtx4090.efficiency.compute),
        (3_489_663_424 + 1_050_673_152) / (rtx4090.memoryBandwidthGBps * 1e9 * rtx4090.efficiency.memory),
      ),
      12,
    );
  });

  it('follows an override of the memory fraction, as a share of it', () => {
    const model = presetModel('Llama-3.1-8B', 'int4');
    // The weight stream, out of the knee: the arithmetic is the same in both.
    const compute = (2 * LLAMA_8B_MATMUL_PARAMS) / (989.5e12 * 0.75);
    const stream = (matmulS: number) => (matmulS ** 1.5 - compute ** 1.5) ** (1 / 1.5);
    const base = iterationTime(model, { accelerator: h100, count: 1 }, single).matmulS;
    const halved = iterationTime(
      model,
      { accelerator: h100, count: 1, efficiency: { memory: 0.87 / 2 } },
      single,
    ).matmulS;
    expect(stream(halved) / stream(base)).toBeCloseTo(2, 9);
  });
});

describe('the matmul knee', () => {
  const proSpec = loadAccelerators().get('rtx-pro-6000');
  if (!proSpec) throw new Error('catalog lacks rtx-pro-6000');
  const pro = { accelerator: proSpec, count: 1 };
  const model = presetModel('Llama-3.1-8B', 'bf16');
  const decodes = (sequences: number) => ({
    prefill: [],
    decodeSequences: sequences,
    decodeContextTokens: 0,
  });

  it("is the operator profiles' exponent (test/validation/matmul-knee.test.ts fits it)", () => {
    expect(MATMUL_KNEE_EXPONENT).toBe(1.5);
  });

  it('runs 128 decodes of Llama-3.1-8B on an RTX PRO 6000 at 1.20 x the weight stream', () => {
    // Weights: 6,979,326,848 x 2 + 1,050,673,152 bytes at 0.80 x 1792 GB/s = 10.4697 ms.
    // Arithmetic: 2 x 7,504,663,424 x 128 FLOPs at 0.79 x 500 TFLOPS = 4.8638 ms, 0.4646 of it.
    // (4.8638^1.5 + 10.4697^1.5)^(2/3) = 12.5770 ms: 1.2013 x the weights, where the hard max gave
    // 1.00 x and LLMServingSim's dense.csv of this card and model measures 349.5 us per layer at
    // 128 tokens against 306.5 us at 1 (1.140 x).
    const step = iterationTime(model, pro, decodes(128));
    expect(step.matmulS).toBeCloseTo(12.577e-3, 6);
    expect(step.matmulS / ((6_979_326_848 * 2 + 1_050_673_152) / (1792e9 * 0.8))).toBeCloseTo(1.2013, 4);
  });

  it('leaves a single token on the weight stream and a long prefill on the arithmetic, within 0.1 %', () => {
    const weightsS = (6_979_326_848 * 2 + 1_050_673_152) / (1792e9 * 0.8);
    expect(iterationTime(model, pro, decodes(1)).matmulS / weightsS).toBeCloseTo(1, 3);
    // 16,384 prompt tokens, one of which samples: 2 x (6,979,326,848 x 16,384 + 525,336,576) FLOPs.
    const prefill = {
      prefill: [{ tokens: 16_384, pastTokens: 0 }],
      decodeSequences: 0,
      decodeContextTokens: 0,
    };
    const computeS = (2 * (6_979_326_848 * 16_384 + 525_336_576)) / (500e12 * 0.79);
    expect(iterationTime(model, pro, prefill).matmulS / computeS).toBeCloseTo(1, 2);
    expect(iterationTime(model, pro, prefill).matmulS / computeS).toBeGreaterThan(1);
  });

  it('at the crossing of the roofs takes 2^(2/3) of either', () => {
    // With the compute fraction set so that 128 tokens' arithmetic takes exactly the weight stream's time.
    const weightsS = (6_979_326_848 * 2 + 1_050_673_152) / (1792e9 * 0.8);
    const compute = (2 * LLAMA_8B_MATMUL_PARAMS * 128) / (500e12 * weightsS);
    const step = iterationTime(model, { ...pro, efficiency: { compute } }, decodes(128));
    expect(step.matmulS / weightsS).toBeCloseTo(2 ** (2 / 3), 12);
  });
});
