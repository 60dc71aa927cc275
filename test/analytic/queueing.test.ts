import { describe, expect, it } from 'vitest';
import { confidenceInterval, erlangC, mmc, pollaczekKhinchineMeanWait } from './queueing.js';

describe('reference formulas', () => {
  it('Erlang C matches published table values', () => {
    // Single server: C = rho. Two servers, a = 1: C = 1/3 (a^2/2 * 2 / (1 + 1 + 1)).
    expect(erlangC(1, 0.6)).toBeCloseTo(0.6, 12);
    expect(erlangC(2, 1)).toBeCloseTo(1 / 3, 12);
    // c = 10, a = 8 (call-centre tables): 0.4092.
    expect(erlangC(10, 8)).toBeCloseTo(0.4092, 4);
  });

  it('M/M/1 mean wait is rho / (mu - lambda)', () => {
    expect(mmc(1, 0.5, 1).meanWaitS).toBeCloseTo(1, 12);
  });

  it('Pollaczek-Khinchine reduces to M/M/1 for cv = 1', () => {
    expect(pollaczekKhinchineMeanWait(0.5, 1, 1)).toBeCloseTo(mmc(1, 0.5, 1).meanWaitS, 12);
  });

  it('confidence interval of known samples', () => {
    const { mean, halfWidth } = confidenceInterval([1, 2, 3, 4, 5]);
    expect(mean).toBe(3);
    expect(halfWidth).toBeCloseTo(2.776 * Math.sqrt(2.5 / 5), 6);
  });
});
