import {
  sampleExponential,
  sampleGamma,
  sampleLognormal,
  sampleUniform,
  type Uniform,
} from '../engine/index.js';
import { readCsvRecords } from '../scenario/csv-records.js';
import { type Distribution, UserError } from '../scenario/types.js';
import { excerpt, headerExcerpt } from '../util/excerpt.js';

export type Sampler = () => number;

// Called on every draw, as this module's own constant: optimized code folds it to the function,
// where each call of an imported binding is a chain of loads and a hole check.
const exponential = sampleExponential;

export function createSampler(distribution: Distribution, uniform: Uniform): Sampler {
  switch (distribution.kind) {
    case 'constant': {
      const value = distribution.value;
      return () => value;
    }
    case 'exponential': {
      const mean = distribution.mean;
      return () => exponential(uniform, mean);
    }
    case 'lognormal': {
      const { mu, sigma } = distribution;
      return () => sampleLognormal(uniform, mu, sigma);
    }
    case 'gamma': {
      const { shape, scale } = distribution;
      return () => sampleGamma(uniform, shape, scale);
    }
    case 'uniform': {
      const { min, max } = distribution;
      return () => sampleUniform(uniform, min, max);
    }
    case 'empirical': {
      const values = readEmpiricalColumn(distribution.path, distribution.column);
      const n = values.length;
      return () => values[Math.floor(uniform() * n)];
    }
  }
}

const empiricalCache = new Map<string, Float64Array>();

/**
 * An empirical distribution is a table of observed values, resampled with replacement: the
 * whole column has to be in memory, unlike a trace, which is streamed.
 */
function readEmpiricalColumn(path: string, column: string): Float64Array {
  const key = `${path}\u0000${column}`;
  const cached = empiricalCache.get(key);
  if (cached) return cached;
  const rows: Record<string, string>[] = readCsvRecords(path);
  if (rows.length === 0) throw emptyFileError(path, 'empirical distribution file has no rows');
  if (!(column in rows[0])) {
    throw emptyFileError(path, `no column "${column}"; columns: ${headerExcerpt(Object.keys(rows[0]))}`);
  }
  const values = new Float64Array(rows.length);
  rows.forEach((row, i) => {
    const value = Number(row[column]);
    if (!Number.isFinite(value) || value < 0) {
      throw new UserError({
        code: 'BAD_TRACE_ROW',
        file: path,
        line: i + 2,
        col: Object.keys(row).indexOf(column) + 1,
        message: `column "${column}": expected a non-negative number, got ${excerpt(row[column])}`,
      });
    }
    values[i] = value;
  });
  empiricalCache.set(key, values);
  return values;
}

function emptyFileError(path: string, message: string): UserError {
  return new UserError({ code: 'BAD_TRACE_ROW', file: path, line: 1, col: 1, message });
}
