import { describe, it } from 'vitest';
import { expectNoNewFailure } from './campaign.js';

describe('fuzzing, cases 150-299 of the CI seed', () => {
  it('end in a valid run with finite figures or a located user error', async () => {
    await expectNoNewFailure(150, 300);
  }, 300_000);
});
