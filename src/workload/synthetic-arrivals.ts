import { formatMessageNumber } from '../core/format.js';
import { sampleExponential, sampleGamma } from '../engine/random.js';
import type { Uniform } from '../engine/rng.js';
import { RunInputError } from '../scenario/types.js';
import type { ArrivalRecord, ArrivalSource } from './arrival-source.js';

/**
 * A rate expression that cannot drive thinning: negative, not finite, above the bound estimated
 * for it, or given without a run duration. A plain Error, not a UserError: the expression's place
 * in the scenario file is not known here, so the caller adds it if it can.
 */
export class RateFunctionError extends RunInputError {
  override name = 'RateFunctionError';
}

// Called for every arrival, as this module's own constant: optimized code folds it to the
// function, where each call of an imported binding is a chain of loads and a hole check.
const exponential = sampleExponential;

// The grid that bounds a rate expression: one point a second, but at least 10,000 points so that
// short runs are sampled finely and at most 100,000 so that a week-long run costs well under a second of mathjs.
const RATE_GRID_MIN_POINTS = 10_000;
const RATE_GRID_MAX_POINTS = 100_000;
// Head-room over the grid maximum for a peak that falls between grid points; thinning stays exact
// for any bound above the true maximum, it only costs a few more rejected candidates.
const RATE_BOUND_MARGIN = 1.1;

/** Poisson arrivals at a constant rate (req/s): exponential gaps. A rate of 0 gives no arrivals. */
export function createPoissonArrivals(
  uniform: Uniform,
  rate: number,
  durationS: number | null,
): ArrivalSource {
  requireRate(rate);
  return new PoissonArrivals(durationS, uniform, 1 / rate);
}

/**
 * A non-homogeneous Poisson process by Lewis-Shedler thinning: candidates at the bound rate, each
 * kept with probability rate(t) / bound. The bound is the rate's maximum on a grid over
 * [0, duration] times a margin; a candidate where the rate exceeds it throws rather than
 * silently under-producing arrivals there.
 */
export function createThinnedPoissonArrivals(
  uniform: Uniform,
  rateAt: (tS: number) => number,
  source: string,
  durationS: number | null,
): ArrivalSource {
  if (durationS === null) {
    throw new RateFunctionError(
      `rate "${source}" needs a run duration: thinning bounds the rate over [0, duration]`,
    );
  }
  const points = Math.min(RATE_GRID_MAX_POINTS, Math.max(RATE_GRID_MIN_POINTS, Math.ceil(durationS)));
  const stepS = durationS / points;
  let maxRate = 0;
  for (let i = 0; i <= points; i++) maxRate = Math.max(maxRate, checkedRate(rateAt, source, i * stepS));
  return new ThinnedPoissonArrivals(durationS, uniform, rateAt, source, maxRate * RATE_BOUND_MARGIN, stepS);
}

/**
 * A renewal process with gamma gaps: mean 1/rate, coefficient of variation `cv` (shape 1/cv^2).
 * cv = 0 is the evenly spaced limit; cv > 1 is burstier than Poisson.
 */
export function createGammaArrivals(
  uniform: Uniform,
  rate: number,
  cv: number,
  durationS: number | null,
): ArrivalSource {
  requireRate(rate);
  if (!(cv >= 0 && Number.isFinite(cv)))
    throw new RangeError(`gamma arrivals need a finite cv >= 0, got ${cv}`);
  if (cv === 0) return createConstantArrivals(rate, durationS);
  const shape = 1 / (cv * cv);
  return new GammaArrivals(durationS, uniform, shape, 1 / (rate * shape));
}

/** Evenly spaced arrivals at k / rate, k = 1, 2, ...: computed, not summed, so no rounding drift. */
export function createConstantArrivals(rate: number, durationS: number | null): ArrivalSource {
  requireRate(rate);
  return new ConstantArrivals(durationS, rate);
}

/**
 * Increasing times until one is not below the end (Infinity, NaN ends it too). Classes, not
 * closures: the running time is a double, and a double captured by a closure is boxed afresh on
 * every write (an allocation per arrival), where an object field is updated in place.
 */
abstract class SyntheticArrivals implements ArrivalSource {
  private readonly endS: number;
  private done = false;
  /**
   * The time `advance` moved to: a field, not `advance`'s return value, which would be a new
   * heap number on every arrival where V8 compiles `advance` on its own.
   */
  protected tS = 0;

  constructor(durationS: number | null) {
    this.endS = durationS ?? Number.POSITIVE_INFINITY;
  }

  /** Moves `tS` to the next arrival's time. */
  protected abstract advance(): void;

  next(out: ArrivalRecord): boolean {
    if (this.done) return false;
    this.advance();
    const t = this.tS;
    if (!(t < this.endS)) {
      this.done = true;
      return false;
    }
    out.timeS = t;
    out.input_tokens = Number.NaN;
    out.output_tokens = Number.NaN;
    out.request_bytes = Number.NaN;
    out.response_bytes = Number.NaN;
    return true;
  }

  close(): void {
    this.done = true;
  }
}

class PoissonArrivals extends SyntheticArrivals {
  constructor(
    durationS: number | null,
    private readonly uniform: Uniform,
    private readonly meanGapS: number,
  ) {
    super(durationS);
  }

  protected advance(): void {
    this.tS += exponential(this.uniform, this.meanGapS);
  }
}

class ThinnedPoissonArrivals extends SyntheticArrivals {
  private readonly meanGapS: number;

  constructor(
    private readonly durationS: number,
    private readonly uniform: Uniform,
    private readonly rateAt: (tS: number) => number,
    private readonly source: string,
    private readonly boundRate: number,
    private readonly gridStepS: number,
  ) {
    super(durationS);
    this.meanGapS = 1 / boundRate;
  }

  protected advance(): void {
    for (;;) {
      this.tS += exponential(this.uniform, this.meanGapS);
      const t = this.tS;
      if (!(t < this.durationS)) return;
      const rate = checkedRate(this.rateAt, this.source, t);
      if (rate > this.boundRate) {
        throw new RateFunctionError(
          `rate "${this.source}" is ${formatMessageNumber(rate)} req/s at t = ${formatMessageNumber(t)} s, above the bound ` +
            `${formatMessageNumber(this.boundRate)} req/s (its maximum on a ${formatMessageNumber(this.gridStepS)} s grid times ` +
            `${RATE_BOUND_MARGIN}): it has a peak narrower than the grid; widen the peak or split the run`,
        );
      }
      if (this.uniform() * this.boundRate < rate) return;
    }
  }
}

class GammaArrivals extends SyntheticArrivals {
  constructor(
    durationS: number | null,
    private readonly uniform: Uniform,
    private readonly shape: number,
    private readonly scaleS: number,
  ) {
    super(durationS);
  }

  protected advance(): void {
    this.tS += sampleGamma(this.uniform, this.shape, this.scaleS);
  }
}

class ConstantArrivals extends SyntheticArrivals {
  private k = 0;

  constructor(
    durationS: number | null,
    private readonly rate: number,
  ) {
    super(durationS);
  }

  protected advance(): void {
    this.tS = ++this.k / this.rate;
  }
}

function checkedRate(rateAt: (tS: number) => number, source: string, tS: number): number {
  const rate = rateAt(tS);
  if (!(rate >= 0 && Number.isFinite(rate))) {
    throw new RateFunctionError(
      `rate "${source}" is ${formatMessageNumber(rate)} req/s at t = ${formatMessageNumber(tS)} s; it must be a finite number >= 0`,
    );
  }
  return rate;
}

/** The scenario schema already rejects these; a bad rate here is a caller's bug, not a user error. */
function requireRate(rate: number): void {
  if (!(rate >= 0 && Number.isFinite(rate)))
    throw new RangeError(`arrival rate must be finite and >= 0, got ${rate}`);
}
