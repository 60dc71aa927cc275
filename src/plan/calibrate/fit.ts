import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { inverse, Matrix } from 'ml-matrix';
import type { EfficiencyOverrides } from '../../scenario/types.js';
import { EFFICIENCY_KEYS } from '../../serving/llm-fleet.js';

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
export const PARAMETER_KEYS = EFFICIENCY_KEYS;

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
 * Forward-difference step of the fit's Jacobian, in ln units (20 %). A replay's statistics jitter
 * a little between nearly equal parameters (an arrival that falls into the next iteration changes
 * which requests share a batch); a step this large lifts the difference out of that jitter, and
 * in ln units the step times are close to linear in the parameters (a kernel's time is its work
 * over a sustained rate), so the difference stays a good slope.
 */
export const DIFFERENCE_STEP = 0.2;

/** The step a parameter takes for the Jacobian: fractions downward, so that 1 stays reachable. */
export function differenceStep(key: FreeParameter, step = DIFFERENCE_STEP): number {
  return isFraction(key) ? -step : step;
}

/**
 * The step of the Jacobians that decide which parameters to fit (ln units, 35 %): whether a
 * parameter matters at all, and how well it is told apart from the others, are judged on effects
 * that stand well clear of the replay's jitter, which does not grow with the step.
 */
export const SELECTION_STEP = 0.3;

/** Statistics in standard errors (each divided by its sigma) at a vector of ln parameters. */
export type Model = (theta: readonly number[]) => Float64Array;

export interface FitResult {
  theta: number[];
  /** Sum of squared standardized residuals at `theta`. */
  chi2: number;
  iterations: number;
}

/** A fit stops after two accepted steps in a row that improve chi-square by less than this share. */
const RELATIVE_GAIN = 1e-3;
const DAMPING_DOWN = 9;
const DAMPING_UP = 11;
const MAX_DAMPING = 1e7;

/**
 * Weighted least squares over ln parameters, each step computed by ml-levenberg-marquardt. The
 * library moves to every step it computes, better or worse; on a replay whose statistics jitter a
 * little with the parameters that can strand it away from the optimum. So each call runs one
 * iteration from the best point so far, and a step that does not lower chi-square is refused and
 * retried with more damping (Marquardt's rule: damping / 9 after a success, x 11 after a failure).
 * The residuals come standardized (model and target divided by each statistic's sigma): the
 * library runs with unit weights. `damping` starts the damping, in units of J'J.
 */
export function fitLeastSquares(
  model: Model,
  target: Float64Array,
  keys: readonly FreeParameter[],
  initial: readonly number[],
  maxIterations: number,
  damping: number,
): FitResult {
  const x = Array.from(target, (_, i) => i);
  const bounds = keys.map(lnBounds);
  const chi2Of = (theta: readonly number[]) => model(theta).reduce((s, v, i) => s + (v - target[i]) ** 2, 0);
  let theta = initial.map((t, k) => Math.min(Math.max(t, bounds[k][0]), bounds[k][1]));
  let chi2 = chi2Of(theta);
  let lambda = damping;
  let iterations = 0;
  let small = 0;
  while (iterations < maxIterations && lambda < MAX_DAMPING && chi2 > 0) {
    iterations++;
    const step = levenbergMarquardt(
      { x, y: target },
      (parameters) => {
        const values = model(parameters);
        return (i) => values[i];
      },
      {
        initialValues: theta,
        minValues: bounds.map((b) => b[0]),
        maxValues: bounds.map((b) => b[1]),
        gradientDifference: keys.map((key) => differenceStep(key)),
        damping: lambda,
        maxIterations: 1,
        errorTolerance: 0,
      },
    );
    if (step.parameterError < chi2) {
      small = (chi2 - step.parameterError) / chi2 < RELATIVE_GAIN ? small + 1 : 0;
      theta = step.parameterValues;
      chi2 = step.parameterError;
      lambda = lambda / DAMPING_DOWN;
      if (small >= 2) break;
    } else lambda *= DAMPING_UP;
  }
  return { theta, chi2, iterations };
}

/** Why a parameter stays at the scenario's value. */
export interface FixedParameter {
  key: keyof EfficiencyOverrides;
  reason: string;
}

/** A parameter whose effect is smaller than this many times the replay's jitter has no measurable influence. */
const NOISE_MULTIPLE = 3;
/**
 * A parameter this run cannot pin down to within this standard error (ln units, about +-20 %)
 * together with the others fitted stays fixed: its fitted value would be mostly noise.
 */
export const MAX_STANDARD_ERROR = 0.2;

export function norm(column: Float64Array): number {
  let sum = 0;
  for (const v of column) sum += v * v;
  return Math.sqrt(sum);
}

/**
 * Which step-time parameters influence the measured statistics at all: those whose column of the
 * standardized Jacobian (`columns`, per ln parameter, taken with SELECTION_STEP) stands out of
 * the norm the replay's jitter alone gives it (`noise`). The first half of the practical
 * identifiability analysis of Brun, Reichert and Kuensch ("Practical identifiability analysis of
 * large environmental simulation models", Water Resources Research 37(4), 2001): sensitivity.
 * Returns them in order of sensitivity, with the others and why.
 */
export function influentialParameters(
  columns: ReadonlyMap<FreeParameter, Float64Array>,
  noise: number,
): { influential: FreeParameter[]; fixed: FixedParameter[]; sensitivity: Record<FreeParameter, number> } {
  const sensitivity = Object.fromEntries([...columns].map(([k, c]) => [k, norm(c)])) as Record<
    FreeParameter,
    number
  >;
  const order = [...columns.keys()].sort((a, b) => sensitivity[b] - sensitivity[a]);
  const influential = order.filter((key) => sensitivity[key] >= NOISE_MULTIPLE * noise);
  const fixed = order
    .filter((key) => !influential.includes(key))
    .map((key) => ({
      key,
      reason:
        "no measurable influence: changing it by a third moves the compared statistics no more than the replay's own jitter does",
    }));
  return { influential, fixed, sensitivity };
}

/**
 * The second half, collinearity, judged where it matters, at the fitted values: while some fitted
 * parameter's standard error (from the standardized Jacobian `columns` at the fit) is above
 * MAX_STANDARD_ERROR, the one with the largest is dropped: its effect is too nearly a mix of the
 * others' for this run to tell it apart. Returns the parameters kept, in the given order, with
 * their standard errors (ln units), and the dropped ones with the parameter each is most
 * correlated with.
 */
export function pruneParameters(
  columns: ReadonlyMap<FreeParameter, Float64Array>,
  keys: readonly FreeParameter[],
  names: (key: FreeParameter) => string,
): { kept: FreeParameter[]; fixed: FixedParameter[]; standardErrors: number[] } {
  let kept = [...keys];
  const fixed: FixedParameter[] = [];
  let se: number[] = [];
  while (kept.length > 0) {
    const covariance = covarianceOf(kept.map((k) => columns.get(k) as Float64Array));
    se = kept.map((_, i) =>
      covariance === null ? Number.POSITIVE_INFINITY : Math.sqrt(covariance.get(i, i)),
    );
    const worst = se.indexOf(Math.max(...se));
    if (se[worst] <= MAX_STANDARD_ERROR) break;
    const key = kept[worst];
    let partner: FreeParameter | null = null;
    let strongest = -1;
    kept.forEach((other, i) => {
      if (i === worst) return;
      const correlation =
        covariance === null
          ? 1
          : Math.abs(covariance.get(i, worst)) /
            Math.sqrt(covariance.get(i, i) * covariance.get(worst, worst));
      if (correlation > strongest) {
        strongest = correlation;
        partner = other;
      }
    });
    const spread = Number.isFinite(se[worst]) ? `+-${Math.round(100 * se[worst])} %` : 'no bound';
    fixed.push({
      key,
      reason:
        partner === null
          ? `this run cannot pin it down (${spread}, one standard error)`
          : `cannot be told apart from ${names(partner)} with this run: fitting both would leave ${spread} (one standard error)`,
    });
    kept = kept.filter((k) => k !== key);
    se = [];
  }
  return { kept, fixed, standardErrors: se };
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
