import { describe, expect, it } from 'vitest';
import { createStreams, sampleStandardNormal } from '../../engine/index.js';
import { createHoltWinters, createSeasonalNaive, type Forecaster } from './forecast.js';

const M = 24;
const season = (k: number) => 50 * Math.sin((2 * Math.PI * k) / M);

/** Feeds ten seasons of `truth` plus N(0, noise^2), returns the largest forecast error over the next season. */
function worstError(forecaster: Forecaster, truth: (k: number) => number, noise: number): number {
  const uniform = createStreams(11).stream('noise');
  for (let k = 0; k < 10 * M; k++) forecaster.push(truth(k) + noise * sampleStandardNormal(uniform));
  let worst = 0;
  for (let k = 10 * M; k < 11 * M; k++) worst = Math.max(worst, Math.abs(forecaster.forecast(k)! - truth(k)));
  return worst;
}

const holtWinters = () => createHoltWinters({ seasonLength: M, alpha: 0.2, beta: 0.01, gamma: 0.3 });

describe('forecasts', () => {
  it('Holt-Winters recovers a daily season under noise to within two noise deviations', () => {
    expect(worstError(holtWinters(), (k) => 100 + season(k), 2)).toBeLessThan(4);
  });

  it('Holt-Winters follows a trend that seasonal naive misses by a season of growth', () => {
    const growing = (k: number) => 100 + 0.5 * k + season(k);
    expect(worstError(holtWinters(), growing, 0)).toBeLessThan(4);
    expect(worstError(createSeasonalNaive(M), growing, 0)).toBeCloseTo(0.5 * M, 9);
  });

  it('forecasts nothing before a full season, then repeats the last season (seasonal naive)', () => {
    const naive = createSeasonalNaive(3);
    const hw = createHoltWinters({ seasonLength: 3, alpha: 0.5, beta: 0.5, gamma: 0.5 });
    for (const v of [4, 7]) {
      naive.push(v);
      hw.push(v);
    }
    expect([naive.forecast(2), hw.forecast(2)]).toEqual([null, null]);
    for (const v of [1, 5]) naive.push(v);
    hw.push(1);
    // Naive: buckets 4 and 7 (one and two seasons ahead) repeat bucket 1, the latest of their phase.
    expect([naive.forecast(4), naive.forecast(5), naive.forecast(7)]).toEqual([7, 1, 7]);
    // After exactly one season Holt-Winters is the season itself: level 4 plus deviations.
    expect([hw.forecast(3), hw.forecast(4), hw.forecast(5)].map((v) => Number(v!.toFixed(12)))).toEqual([
      4, 7, 1,
    ]);
  });

  it('peak is the largest forecast of the span, bucket by bucket, reading at most a season of it', () => {
    const bruteForce = (f: Forecaster, from: number, to: number) => {
      let peak = Number.NEGATIVE_INFINITY;
      for (let b = from; b <= to; b++) peak = Math.max(peak, f.forecast(b)!);
      return peak;
    };
    for (const slope of [0.5, 0, -0.5]) {
      const trending = (k: number) => 100 + slope * k + season(k);
      const forecasters = [holtWinters(), createSeasonalNaive(M)];
      for (const f of forecasters) {
        for (let k = 0; k < 3 * M; k++) f.push(trending(k));
        // Spans inside one season, exactly one, and many: the phase of the peak moves with the trend.
        for (const [from, to] of [
          [3 * M, 3 * M + 5],
          [3 * M + 7, 4 * M + 6],
          [3 * M + 2, 9 * M + 11],
          [3 * M, 3 * M],
        ]) {
          expect(f.peak(from, to)).toBe(bruteForce(f, from, to));
        }
      }
    }
    // A span of a billion buckets answers at once: one season read at its rising end.
    const rising = holtWinters();
    for (let k = 0; k < 3 * M; k++) rising.push(100 + 0.5 * k + season(k));
    const far = 3 * M + 1e9;
    expect(rising.peak(3 * M, far)).toBe(bruteForce(rising, far - M + 1, far));
    expect(createSeasonalNaive(M).peak(0, 1e9)).toBeNull();
  });
});
