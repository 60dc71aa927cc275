import { describe, expect, it } from 'vitest';
import { mlpIntermediateSize, presetModel } from './model.js';

describe('mlpIntermediateSize', () => {
  // intermediate_size in each model's Hugging Face config.json.
  it.each([
    ['Llama-3.1-8B', 14_336],
    ['Llama-3.1-70B', 28_672],
    ['Llama-2-7B', 11_008],
    ['Llama-2-70B', 28_672],
    ['CodeLlama-34B', 22_016],
    ['Mistral-7B', 14_336],
    ['Qwen2.5-7B', 18_944],
  ])('recovers the MLP width of %s from its parameter count', (name, width) => {
    expect(mlpIntermediateSize(presetModel(name)) / width).toBeCloseTo(1, 2);
  });
});
