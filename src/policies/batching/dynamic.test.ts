import { describe, expect, it } from 'vitest';
import { dynamic } from './dynamic.js';

const policyOf = (block: unknown) => dynamic.create(dynamic.schema.parse(block))!;

describe('dynamic batching', () => {
  it('runs a full batch, else the largest preferred size reached, else what waits after the delay', () => {
    const policy = policyOf({
      policy: 'dynamic',
      max_batch: 16,
      max_queue_delay: '5ms',
      preferred_batch_sizes: [4, 8],
    });
    expect(policy.recheckAfterUs).toBe(5000);
    expect(policy.batchSize(20, 0)).toBe(16);
    expect(policy.batchSize(9, 0)).toBe(8);
    expect(policy.batchSize(5, 0)).toBe(4);
    expect(policy.batchSize(3, 4999)).toBe(0);
    expect(policy.batchSize(3, 5000)).toBe(3);
  });

  it("with Triton's default delay of 0, runs whatever waits at once", () => {
    const policy = policyOf({ policy: 'dynamic', max_batch: 16 });
    expect(policy.batchSize(1, 0)).toBe(1);
    expect(policy.batchSize(7, 0)).toBe(7);
  });
});
