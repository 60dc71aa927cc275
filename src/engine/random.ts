import type { Uniform } from './rng.js';

/** A draw from (0, 1]: safe to take the logarithm of. */
function openUniform(uniform: Uniform): number {
  return 1 - uniform();
}

const TWO_TO_32 = 4294967296;
const LAYERS = 256;
/** Where the base strip's tail starts, and the area of each layer (Marsaglia and Tsang 2000, 256 layers). */
const TAIL_START = 7.697117470131487;
const LAYER_AREA = 3.949659822581572e-3;

// Layer i accepts a 32-bit draw j at once when j < ACCEPT_BELOW[i] (the rectangle under the
// curve, about 99 % of draws); its value is then j * X_SCALE[i]. DENSITY[i] is e^-x at the
// layer's outer edge, for the rare wedge test.
const ACCEPT_BELOW = new Float64Array(LAYERS);
const X_SCALE = new Float64Array(LAYERS);
const DENSITY = new Float64Array(LAYERS);
{
  let x = TAIL_START;
  let outer = x;
  const q = LAYER_AREA / Math.exp(-x);
  ACCEPT_BELOW[0] = Math.floor((x / q) * TWO_TO_32);
  ACCEPT_BELOW[1] = 0;
  X_SCALE[0] = q / TWO_TO_32;
  X_SCALE[LAYERS - 1] = x / TWO_TO_32;
  DENSITY[0] = 1;
  DENSITY[LAYERS - 1] = Math.exp(-x);
  for (let i = LAYERS - 2; i >= 1; i--) {
    x = -Math.log(LAYER_AREA / x + Math.exp(-x));
    ACCEPT_BELOW[i + 1] = Math.floor((x / outer) * TWO_TO_32);
    outer = x;
    DENSITY[i] = Math.exp(-x);
    X_SCALE[i] = x / TWO_TO_32;
  }
}

/**
 * Exponential with the given mean by Marsaglia and Tsang's ziggurat: one uniform draw, a table
 * lookup and a multiplication for about 99 % of values, where inversion (-log U) pays a
 * logarithm every time. Poisson arrivals and exponential service draw this twice per request,
 * and the logarithm was the largest single cost of an M/M/c run (bench/mmc.ts).
 * The uniform must carry 32 random bits (tychei's do): they are the draw `j` below.
 */
export function sampleExponential(uniform: Uniform, mean: number): number {
  const j = uniform() * TWO_TO_32;
  const layer = j & (LAYERS - 1);
  if (j < ACCEPT_BELOW[layer]) return mean * j * X_SCALE[layer];
  return mean * exponentialOutsideRectangles(uniform, j, layer);
}

/** Out of line: the rare draws outside the layers' rectangles (the wedges, and the tail beyond TAIL_START). */
function exponentialOutsideRectangles(uniform: Uniform, firstDraw: number, firstLayer: number): number {
  let j = firstDraw;
  let layer = firstLayer;
  for (;;) {
    if (layer === 0) return TAIL_START - Math.log(openUniform(uniform));
    const x = j * X_SCALE[layer];
    if (DENSITY[layer] + uniform() * (DENSITY[layer - 1] - DENSITY[layer]) < Math.exp(-x)) return x;
    j = uniform() * TWO_TO_32;
    layer = j & (LAYERS - 1);
    if (j < ACCEPT_BELOW[layer]) return j * X_SCALE[layer];
  }
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
