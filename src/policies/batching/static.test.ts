import { describe, expect, it } from 'vitest';
import { staticPolicy } from './static.js';

const policyOf = (block: unknown) => staticPolicy.create(staticPolicy.schema.parse(block));

describe('static batching', () => {
  it('starts exactly max_batch, or what waits once the oldest request has waited max_wait', () => {
    const policy = policyOf({ policy: 'static', max_batch: 4, max_wait: '20ms' })!;
    expect(policy.recheckAfterUs).toBe(20_000);
    expect(policy.batchSize(9, 0)).toBe(4);
    expect(policy.batchSize(4, 0)).toBe(4);
    expect(policy.batchSize(3, 19_999)).toBe(0);
    expect(policy.batchSize(3, 20_000)).toBe(3);
  });

  it('without max_wait, waits for a full batch however long the oldest has waited', () => {
    const policy = policyOf({ policy: 'static', max_batch: 4 })!;
    expect(policy.recheckAfterUs).toBe(Number.POSITIVE_INFINITY);
    expect(policy.batchSize(3, 3600e6)).toBe(0);
    expect(policy.batchSize(5, 0)).toBe(4);
  });
});
