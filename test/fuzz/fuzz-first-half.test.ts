import { describe, it } from 'vitest';
import { expectNoNewFailure } from './campaign.js';

// The CI cases are split over two files so that vitest runs them on two workers at once.
describe('fuzzing, cases 0-149 of the CI seed', () => {
  it('end in a valid run with finite figures or a located user error', async () => {
    await expectNoNewFailure(0, 150);
  }, 300_000);
});
