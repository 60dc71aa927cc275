import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { MATMUL_KNEE_EXPONENT } from '../../src/serving/llm/index.js';

/**
 * The matmul knee of roofline.ts (time = (compute^p + weights^p)^(1/p)) against the operator
 * profiles it was taken from: one layer's four matmuls at 1-2048 tokens in 19 profiles of H100,
 * A100, A40 (Vidur), RTX PRO 6000 and RTX 4090 (LLMServingSim). Each profile's two roofs are its
 * own, as the catalog takes its fractions: the weight stream is the 1-token time, the arithmetic
 * the 2048-token time per token.
 */

const file = fileURLToPath(new URL('../../data/validation/matmul_knee_profiles.csv', import.meta.url));
const rows = parse(readFileSync(file, 'utf8'), { columns: true, cast: true }) as {
  source: string;
  gpu: string;
  model: string;
  tp: number;
  tokens: number;
  matmul_us: number;
}[];

interface Point {
  profile: string;
  gpu: string;
  tokens: number;
  /** Arithmetic roof over weight roof. */
  ratio: number;
  /** Measured time over the larger roof. */
  measured: number;
}

const points: Point[] = [];
const profiles = new Map<string, typeof rows>();
for (const row of rows) {
  const key = `${row.gpu} ${row.model} TP ${row.tp}`;
  profiles.set(key, [...(profiles.get(key) ?? []), row]);
}
for (const [profile, profileRows] of profiles) {
  const at = (tokens: number) => profileRows.find((r) => r.tokens === tokens)?.matmul_us as number;
  const weights = at(1);
  const perToken = at(2048) / 2048;
  for (const row of profileRows) {
    const compute = row.tokens * perToken;
    points.push({
      profile,
      gpu: row.gpu,
      tokens: row.tokens,
      ratio: compute / weights,
      measured: row.matmul_us / Math.max(compute, weights),
    });
  }
}

/** The knee over the larger roof, for roofs in `ratio`. */
const knee = (ratio: number, p: number) => (1 + Math.min(ratio, 1 / ratio) ** p) ** (1 / p);
const logError = (points: Point[], p: number) =>
  points.reduce((sum, point) => sum + Math.log(point.measured / knee(point.ratio, p)) ** 2, 0);
/** The least-squares exponent, by golden-section search (the error is unimodal in p here). */
function fitExponent(points: Point[]): number {
  let [lo, hi] = [1, 4];
  const g = (Math.sqrt(5) - 1) / 2;
  while (hi - lo > 1e-4) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (logError(points, a) < logError(points, b)) hi = b;
    else lo = a;
  }
  return (lo + hi) / 2;
}
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const absErrors = (points: Point[], p: number) =>
  points.map((pt) => Math.abs(pt.measured / knee(pt.ratio, p) - 1));

describe('the matmul knee against the operator profiles', () => {
  it('reads 19 profiles of 69 token counts each', () => {
    expect(profiles.size).toBe(19);
    expect(points).toHaveLength(19 * 69);
  });

  it('takes the exponent the profiles fit together', () => {
    expect(fitExponent(points)).toBeCloseTo(1.5, 2);
    expect(MATMUL_KNEE_EXPONENT).toBe(1.5);
  });

  it('one exponent for every architecture: theirs differ less than the profiles of one do', () => {
    const byGpu = new Map<string, number>();
    for (const gpu of new Set(points.map((p) => p.gpu))) {
      byGpu.set(gpu, fitExponent(points.filter((p) => p.gpu === gpu)));
    }
    const perProfile = [...profiles.keys()].map((profile) =>
      fitExponent(points.filter((p) => p.profile === profile)),
    );
    const gpus = [...byGpu.values()];
    expect(Math.min(...gpus)).toBeGreaterThan(1.3);
    expect(Math.max(...gpus)).toBeLessThan(1.72);
    expect(Math.max(...gpus) - Math.min(...gpus)).toBeLessThan(
      Math.max(...perProfile) - Math.min(...perProfile),
    );
  });

  it('leaves about half the median error of the hard max, and a smaller worst error', () => {
    const kneeErrors = absErrors(points, MATMUL_KNEE_EXPONENT);
    const maxErrors = points.map((pt) => Math.abs(pt.measured - 1));
    expect(median(kneeErrors)).toBeCloseTo(0.033, 3);
    expect(median(maxErrors)).toBeCloseTo(0.058, 3);
    expect(Math.max(...kneeErrors)).toBeLessThan(0.5);
    expect(Math.max(...maxErrors)).toBeGreaterThan(0.8);
  });

  it('on the RTX PRO 6000 at 128 tokens: 1.20 x the weight stream for the measured 1.14 x (Llama-3.1-8B)', () => {
    const point = points.find((p) => p.profile === 'RTX-PRO-6000 Llama-3.1-8B TP 1' && p.tokens === 128);
    expect(point?.measured).toBeCloseTo(1.14, 2);
    expect(knee(point?.ratio as number, MATMUL_KNEE_EXPONENT)).toBeCloseTo(1.2, 2);
  });
});
