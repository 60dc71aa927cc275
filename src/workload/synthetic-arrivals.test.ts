import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/rng.js';
import type { Arrivals } from '../scenario/types.js';
import { type ArrivalContext, createArrivalRecord, createArrivalSource } from './arrival-source.js';
import { RateFunctionError } from './synthetic-arrivals.js';

function arrivalTimes(
  arrivals: Arrivals,
  context: Partial<ArrivalContext> & { durationS: number | null },
  seed = 7,
) {
  const source = createArrivalSource(arrivals, {
    uniform: createStreams(seed).stream('arrivals'),
    ...context,
  });
  const record = createArrivalRecord();
  const times: number[] = [];
  while (source.next(record)) times.push(record.timeS);
  return times;
}

function gapMoments(times: number[]): { mean: number; cv: number } {
  const gaps = times.map((t, i) => t - (i === 0 ? 0 : times[i - 1]));
  const mean = gaps.reduce((sum, g) => sum + g, 0) / gaps.length;
  const variance = gaps.reduce((sum, g) => sum + (g - mean) ** 2, 0) / (gaps.length - 1);
  return { mean, cv: Math.sqrt(variance) / mean };
}

const poisson = (value: number): Arrivals => ({ kind: 'poisson', rate: { kind: 'constant', value } });

describe('poisson arrivals at a constant rate', () => {
  const rate = 10;
  const horizonS = 10_000;
  const times = arrivalTimes(poisson(rate), { durationS: horizonS });

  it('count over a long horizon is within 4 standard deviations of rate * T', () => {
    const expected = rate * horizonS;
    expect(Math.abs(times.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
  });

  it('gaps are exponential: mean 1/rate and coefficient of variation 1', () => {
    const { mean, cv } = gapMoments(times);
    expect(mean).toBeCloseTo(1 / rate, 2);
    expect(Math.abs(cv - 1)).toBeLessThan(0.02);
  });

  it('times increase and stay below the duration', () => {
    expect(times.every((t, i) => t > 0 && t < horizonS && (i === 0 || t >= times[i - 1]))).toBe(true);
  });

  it('produces NaN attributes for the simulator to draw', () => {
    const source = createArrivalSource(poisson(1), {
      uniform: createStreams(1).stream('arrivals'),
      durationS: 100,
    });
    const record = createArrivalRecord();
    record.input_tokens = 5;
    expect(source.next(record)).toBe(true);
    expect([record.input_tokens, record.output_tokens, record.request_bytes, record.response_bytes]).toEqual([
      Number.NaN,
      Number.NaN,
      Number.NaN,
      Number.NaN,
    ]);
  });

  it('the same seed gives the same sequence, another seed another', () => {
    const again = arrivalTimes(poisson(rate), { durationS: horizonS });
    expect(again).toEqual(times);
    expect(arrivalTimes(poisson(rate), { durationS: 100 }, 8).slice(0, 5)).not.toEqual(times.slice(0, 5));
  });

  it('a rate of 0 gives no arrivals', () => {
    expect(arrivalTimes(poisson(0), { durationS: 1000 })).toEqual([]);
  });

  it('with no duration it keeps going: the caller stops it', () => {
    const source = createArrivalSource(poisson(100), {
      uniform: createStreams(3).stream('arrivals'),
      durationS: null,
    });
    const record = createArrivalRecord();
    for (let i = 0; i < 10_000; i++) expect(source.next(record)).toBe(true);
    source.close();
    expect(source.next(record)).toBe(false);
  });
});

describe('poisson arrivals with a rate expression (thinning)', () => {
  const periodS = 3600;
  const rateAt = (t: number) => 40 * (1 + 0.5 * Math.sin((2 * Math.PI * t) / periodS));
  const integratedRate = (a: number, b: number) =>
    40 * (b - a) -
    ((40 * 0.5 * periodS) / (2 * Math.PI)) *
      (Math.cos((2 * Math.PI * b) / periodS) - Math.cos((2 * Math.PI * a) / periodS));
  const expression: Arrivals = {
    kind: 'poisson',
    rate: { kind: 'expression', source: '40*(1+0.5*sin(2*pi*t/3600))' },
  };
  const durationS = 7200;
  const times = arrivalTimes(expression, { durationS, rateAt });

  it('each 15-minute window holds the integrated rate within 4 standard deviations', () => {
    for (let startS = 0; startS < durationS; startS += 900) {
      const count = times.filter((t) => t >= startS && t < startS + 900).length;
      const expected = integratedRate(startS, startS + 900);
      expect(Math.abs(count - expected), `window at ${startS} s`).toBeLessThan(4 * Math.sqrt(expected));
    }
  });

  it('a rate that turns negative is an error naming the time', () => {
    const falling = (t: number) => 10 - t;
    const falls: Arrivals = { kind: 'poisson', rate: { kind: 'expression', source: '10 - t' } };
    expect(() => arrivalTimes(falls, { durationS: 100, rateAt: falling })).toThrow(
      new RateFunctionError('rate "10 - t" is -0.01 req/s at t = 10.01 s; it must be a finite number >= 0'),
    );
  });

  it('a spike narrower than the bounding grid is an error, not silently thinned away', () => {
    // Grid points are 0.1 s apart over 1000 s; the spike sits between 500.3 and 500.4.
    const spiky = (t: number) => (t > 500.31 && t < 500.39 ? 1e6 : 1000);
    const spikes: Arrivals = { kind: 'poisson', rate: { kind: 'expression', source: 'spiky' } };
    expect(() => arrivalTimes(spikes, { durationS: 1000, rateAt: spiky })).toThrow(
      /^rate "spiky" is 1000000 req\/s at t = 500\.3\d* s, above the bound 1100 req\/s \(its maximum on a 0\.1 s grid/,
    );
  });

  it('needs a duration to bound the rate', () => {
    expect(() => arrivalTimes(expression, { durationS: null, rateAt })).toThrow(RateFunctionError);
  });

  it('needs the compiled rate function', () => {
    expect(() => arrivalTimes(expression, { durationS })).toThrow(/no compiled rateAt/);
  });
});

describe('gamma renewal arrivals', () => {
  for (const cv of [0.5, 2]) {
    it(`gaps have mean 1/rate and coefficient of variation ${cv}`, () => {
      const times = arrivalTimes({ kind: 'gamma', rate: 5, cv }, { durationS: 40_000 });
      const moments = gapMoments(times);
      expect(Math.abs(moments.mean / 0.2 - 1)).toBeLessThan(0.02);
      expect(Math.abs(moments.cv / cv - 1)).toBeLessThan(0.03);
    });
  }

  it('cv 0 is evenly spaced', () => {
    expect(arrivalTimes({ kind: 'gamma', rate: 2, cv: 0 }, { durationS: 2 })).toEqual([0.5, 1, 1.5]);
  });
});

describe('constant arrivals', () => {
  it('are evenly spaced from 1/rate and stop before the duration', () => {
    expect(arrivalTimes({ kind: 'constant', rate: 4 }, { durationS: 2 })).toEqual([
      0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75,
    ]);
  });

  it('are exact far out: times are k/rate, not a running sum', () => {
    const times = arrivalTimes({ kind: 'constant', rate: 10 }, { durationS: 100_000 });
    expect(times.length).toBe(999_999);
    expect(times[times.length - 1]).toBe(99_999.9);
  });
});
