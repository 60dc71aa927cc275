import type { Uniform } from './rng.js';

/** A draw from (0, 1]: safe to take the logarithm of. */
function openUniform(uniform: Uniform): number {
  return 1 - uniform();
}

/** Spells out openUniform: this runs twice per request, and each call level costs V8 inlining budget in the caller. */
export function sampleExponential(uniform: Uniform, mean: number): number {
  return -mean * Math.log(1 - uniform());
}

/** Standard normal by the Marsaglia polar method; the spare value is discarded so each call consumes a predictable pair pattern. */
export function sampleStandardNormal(uniform: Uniform): number {
  for (;;) {
    const u = 2 * uniform() - 1;
    const v = 2 * uniform() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

export function sampleLognormal(uniform: Uniform, mu: number, sigma: number): number {
  return Math.exp(mu + sigma * sampleStandardNormal(uniform));
}

/** Gamma(shape, scale) by Marsaglia and Tsang (2000); shape < 1 via the Gamma(shape + 1) * U^(1/shape) boost. */
export function sampleGamma(uniform: Uniform, shape: number, scale: number): number {
  if (shape < 1) {
    return sampleGamma(uniform, shape + 1, scale) * openUniform(uniform) ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleStandardNormal(uniform);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = openUniform(uniform);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

export function sampleUniform(uniform: Uniform, min: number, max: number): number {
  return min + (max - min) * uniform();
}
