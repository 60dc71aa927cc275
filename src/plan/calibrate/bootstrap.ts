/**
 * Resamples of the measured requests, with replacement: how much another run of the same traffic
 * would move the compared statistics (their standard errors) and the fitted values (their spread).
 */
import { quantile, type RequestTimes, type StatisticsDesign } from './statistics.js';

/** Resamples for the standard errors of the measured statistics (no simulation: cheap). */
const SIGMA_RESAMPLES = 200;

/** Indices `from` to `to` - 1: a set of requests. */
export function range(from: number, to: number): Int32Array {
  return Int32Array.from({ length: to - from }, (_, i) => from + i);
}

export function resample(set: Int32Array, random: () => number): Int32Array {
  return Int32Array.from(set, () => set[Math.floor(random() * set.length)]);
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, values.length - 1));
}

/**
 * Standard deviation and 2.5/97.5 percentiles (linear interpolation) of positive bootstrap
 * values, and the standard deviation of their logarithms: the relative spread.
 */
export function spread(values: number[]): { std: number; stdLn: number; ci95: [number, number] } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    std: standardDeviation(sorted),
    stdLn: standardDeviation(sorted.map(Math.log)),
    ci95: [quantile(sorted, 0.025), quantile(sorted, 0.975)],
  };
}

/**
 * Standard error of each statistic: its spread over resamples of the measured requests (how much
 * another run of the same traffic would differ), with the replay's jitter added, since the
 * simulator cannot match a statistic closer than that.
 */
export function standardErrors(
  design: StatisticsDesign,
  times: RequestTimes,
  set: Int32Array,
  target: Float64Array,
  random: () => number,
  jitter: number,
): Float64Array {
  const sum = new Float64Array(target.length);
  const squares = new Float64Array(target.length);
  for (let r = 0; r < SIGMA_RESAMPLES; r++) {
    const values = design.evaluate(times, resample(set, random));
    values.forEach((v, i) => {
      const x = Number.isFinite(v) ? v : target[i];
      sum[i] += x;
      squares[i] += x * x;
    });
  }
  return target.map((_, i) => {
    const mean = sum[i] / SIGMA_RESAMPLES;
    const variance = Math.max(0, (squares[i] - SIGMA_RESAMPLES * mean * mean) / (SIGMA_RESAMPLES - 1));
    // A floor for statistics that no resample moves (every request alike): 0.1 % in ln units.
    return Math.sqrt(variance + jitter * jitter + 1e-6);
  });
}
