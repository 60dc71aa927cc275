import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { inverse, Matrix } from 'ml-matrix';
import type { EfficiencyOverrides } from '../../scenario/types.js';

/**
 * The roofline parameters a calibration may fit. `layer_overhead` and `worker_overhead` are never
 * among them: like `iteration_overhead` each adds one constant to every iteration of a fleet (its
 * layer count and tensor-parallel degree are fixed), so no measurement tells the three apart, and
 * the fitted `iteration_overhead` carries their sum.
 */
export const FREE_CANDIDATES = [
  'compute',
  'memory',
  'attention',
  'activation',
  'iterationOverheadS',
] as const;
export type FreeParameter = (typeof FREE_CANDIDATES)[number];

/** The scenario key (`hardware.accelerator.efficiency`) of each parameter. */
export const PARAMETER_KEYS: Readonly<Record<keyof EfficiencyOverrides, string>> = {
  compute: 'compute',
  memory: 'memory',
  attention: 'attention',
  activation: 'activation',
  iterationOverheadS: 'iteration_overhead',
  layerOverheadS: 'layer_overhead',
  workerOverheadS: 'worker_overhead',
};

export function isFraction(key: keyof EfficiencyOverrides): boolean {
  return key === 'compute' || key === 'memory' || key === 'attention' || key === 'activation';
}

/**
 * Parameters are fitted as logarithms: a fraction f as ln f in [ln 0.01, 0], so it stays in
 * (0, 1]; an overhead as ln(seconds) in [ln 1 us, ln 1 s], so it stays positive. Steps in these
 * coordinates are relative changes, the same for a 2 ms overhead as for a 0.8 fraction.
 */
export function lnBounds(key: FreeParameter): [number, number] {
  return isFraction(key) ? [Math.log(0.01), 0] : [Math.log(1e-6), 0];
}

/**
 * Forward-difference step of the Jacobian, in ln units (10 %): much larger than the jitter of the
 * replay's statistics between nearly equal parameters (an iteration boundary crossed changes
 * which requests share a batch), small enough to stay near linear.
 */
export const DIFFERENCE_STEP = 0.1;

/** The step a parameter takes for the Jacobian: fractions downward, so that 1 stays reachable. */
export function differenceStep(key: FreeParameter): number {
  return isFraction(key) ? -DIFFERENCE_STEP : DIFFERENCE_STEP;
}

/** Statistics in standard errors (each divided by its sigma) at a vector of ln parameters. */
export type Model = (theta: readonly number[]) => Float64Array;

export interface FitResult {
  theta: number[];
  /** Sum of squared standardized residuals at `theta`. */
  chi2: number;
  iterations: number;
}

/**
 * Weighted least squares with ml-levenberg-marquardt over ln parameters. The residuals come
 * standardized (model and target already divided by each statistic's sigma): the library then
 * runs with unit weights.
 */
export function fitLeastSquares(
  model: Model,
  target: Float64Array,
  keys: readonly FreeParameter[],
  initial: readonly number[],
  maxIterations: number,
): FitResult {
  const x = Array.from(target, (_, i) => i);
  const bounds = keys.map(lnBounds);
  const result = levenbergMarquardt(
    { x, y: target },
    (theta) => {
      const values = model(theta);
      return (i) => values[i];
    },
    {
      initialValues: initial.map((t, k) => Math.min(Math.max(t, bounds[k][0]), bounds[k][1])),
      minValues: bounds.map((b) => b[0]),
      maxValues: bounds.map((b) => b[1]),
      gradientDifference: keys.map(differenceStep),
      maxIterations,
      damping: 1e-2,
      errorTolerance: 1e-9,
    },
  );
  return { theta: result.parameterValues, chi2: result.parameterError, iterations: result.iterations };
}

/** Why a parameter stays at the scenario's value. */
export interface FixedParameter {
  key: keyof EfficiencyOverrides;
  reason: string;
}

export interface Selection {
  free: FreeParameter[];
  fixed: FixedParameter[];
  /** Norm of each candidate's column of the standardized Jacobian: how far a change of ln 1 moves the statistics, in standard errors. */
  sensitivity: Record<FreeParameter, number>;
}

/** A parameter whose effect is smaller than this many times the replay's jitter has no measurable influence. */
const NOISE_MULTIPLE = 3;
/**
 * A parameter this run cannot pin down to within this standard error (ln units, about +-20 %)
 * together with the parameters already chosen stays fixed: its fitted value would be mostly noise.
 */
export const MAX_STANDARD_ERROR = 0.2;

/**
 * Which candidates the measurements identify (practical identifiability: Brun, Reichert and
 * Kuensch, "Practical identifiability analysis of large environmental simulation models", Water
 * Resources Research 37(4), 2001). `columns` holds the Jacobian of the standardized statistics
 * with respect to each ln parameter; `noise` the norm a column would have from the replay's
 * jitter alone. Candidates are taken in order of sensitivity; one is left fixed when its effect
 * does not rise above the jitter, or when fitting it with those already chosen would leave a
 * standard error above MAX_STANDARD_ERROR (its effect is too nearly a mix of theirs).
 */
export function selectParameters(
  columns: ReadonlyMap<FreeParameter, Float64Array>,
  noise: number,
  names: (key: FreeParameter) => string,
): Selection {
  const norm = (c: Float64Array) => Math.sqrt(c.reduce((s, v) => s + v * v, 0));
  const sensitivity = Object.fromEntries([...columns].map(([k, c]) => [k, norm(c)])) as Record<
    FreeParameter,
    number
  >;
  const order = [...columns.keys()].sort((a, b) => sensitivity[b] - sensitivity[a]);
  const free: FreeParameter[] = [];
  const fixed: FixedParameter[] = [];
  for (const key of order) {
    if (!(sensitivity[key] >= NOISE_MULTIPLE * noise)) {
      fixed.push({
        key,
        reason: `no measurable influence: changing it by 10 % moves the compared statistics less than the replay's own jitter`,
      });
      continue;
    }
    const trial = [...free, key];
    const covariance = covarianceOf(trial.map((k) => columns.get(k) as Float64Array));
    const se = covariance === null ? null : trial.map((_, i) => Math.sqrt(covariance.get(i, i)));
    if (se?.every((s) => s <= MAX_STANDARD_ERROR)) {
      free.push(key);
      continue;
    }
    const last = trial.length - 1;
    let partner = free[0];
    let strongest = -1;
    free.forEach((other, i) => {
      const correlation =
        covariance === null
          ? 1
          : Math.abs(covariance.get(i, last) / Math.sqrt(covariance.get(i, i) * covariance.get(last, last)));
      if (correlation > strongest) {
        strongest = correlation;
        partner = other;
      }
    });
    const spread = se === null ? 'no bound' : `+-${Math.round(100 * Math.max(...se))} %`;
    fixed.push({
      key,
      reason: `cannot be told apart from ${names(partner)} with this run: fitting both would leave ${spread} (one standard error)`,
    });
  }
  return { free, fixed, sensitivity };
}

/** (J'J)^-1 of the columns, or null when they are (numerically) dependent. */
function covarianceOf(columns: Float64Array[]): Matrix | null {
  const k = columns.length;
  const normal = new Matrix(k, k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let dot = 0;
      for (let i = 0; i < columns[a].length; i++) dot += columns[a][i] * columns[b][i];
      normal.set(a, b, dot);
      normal.set(b, a, dot);
    }
  }
  try {
    const covariance = inverse(normal);
    for (let i = 0; i < k; i++) if (!(covariance.get(i, i) > 0)) return null;
    return covariance;
  } catch {
    return null;
  }
}
