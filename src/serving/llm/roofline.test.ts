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
