/** ln Gamma(x) for x > 0: Lanczos approximation (g = 7, 9 terms), about 15 significant digits. */
function logGamma(x: number): number {
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0];
  for (let i = 1; i < coefficients.length; i++) sum += coefficients[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Continued fraction of the incomplete beta function (modified Lentz), valid for x < (a + 1) / (a + b + 2). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with `df` degrees of freedom, t >= 0. */
function studentTUpperTail(t: number, df: number): number {
  return 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
}

/** The 97.5 % quantile of Student's t: a two-sided 95 % interval is mean ± this × s / √n. */
export function studentT975(df: number): number {
  if (!(df >= 1)) throw new RangeError(`degrees of freedom must be >= 1, got ${df}`);
  // The upper tail falls monotonically in t; 12.71 (df = 1) is the largest quantile, so [0, 64] brackets it.
  let low = 0;
  let high = 64;
  for (let i = 0; i < 100; i++) {
    const middle = (low + high) / 2;
    if (studentTUpperTail(middle, df) > 0.025) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

export interface MeanEstimate {
  mean: number;
  /** Half-width of the two-sided 95 % confidence interval of the mean (Student's t); null for one sample. */
  halfWidth: number | null;
}

/** Relative distance from the mean within which samples count as equal (a few thousand ulps). */
const ROUNDING_SPREAD = 1e-12;

/** Mean of independent replications and the 95 % confidence half-width. */
export function estimateMean(samples: readonly number[]): MeanEstimate {
  const n = samples.length;
  if (n === 0) throw new RangeError('no samples');
  let sum = 0;
  for (const sample of samples) sum += sample;
  const mean = sum / n;
  if (n === 1) return { mean, halfWidth: null };
  // Costs of a fixed fleet are the same on every seed but summed in a different order: a spread
  // in the last bits is rounding, and a "± 3e-16" would report it as variation.
  if (samples.every((sample) => Math.abs(sample - mean) <= ROUNDING_SPREAD * Math.abs(mean))) {
    return { mean, halfWidth: 0 };
  }
  let squares = 0;
  for (const sample of samples) squares += (sample - mean) ** 2;
  return { mean, halfWidth: studentT975(n - 1) * Math.sqrt(squares / (n - 1) / n) };
}
