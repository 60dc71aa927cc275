import { formatThousands } from '../core/format.js';
import { createStreams } from '../engine/index.js';
import { checkRunCount, MAX_RUNS } from '../scenario/index.js';
import type { SweepParameter, SweepSampling } from '../scenario/types.js';

/** One configuration of a sweep: a value for each swept key, in the order the keys were given. */
export interface SweepPoint {
  /** Position in the sweep: the order of rows in sweep.json, and what `--shard` splits on. */
  index: number;
  values: unknown[];
}

/** Enumerating a larger grid is a mistake; sampling draws from it without listing it. */
const MAX_GRID_POINTS = 1_000_000;

export interface SamplingOptions {
  sampling: SweepSampling;
  /** Points to draw for random and latin-hypercube. */
  points: number | null;
  /** The scenario seed: draws are reproducible. */
  seed: number;
}

export function gridSize(parameters: readonly SweepParameter[]): number {
  return parameters.reduce((size, parameter) => size * parameter.values.length, 1);
}

/**
 * Refuses a sweep whose runs (points x variants x replications) pass `MAX_RUNS`, before its
 * points are listed or loaded. Sharded or not: a merge holds every shard's rows.
 */
export function checkSweepRuns(
  parameters: readonly SweepParameter[],
  options: Omit<SamplingOptions, 'seed'> & { variants: number; replications: number },
): void {
  const size = gridSize(parameters);
  const points = options.sampling === 'grid' ? size : Math.min(options.points ?? size, size);
  checkRunCount(
    'sweep: ',
    [
      [points, 'point', 'points'],
      [options.variants, 'variant', 'variants'],
      [options.replications, 'replication', 'replications'],
    ],
    options.sampling === 'grid'
      ? 'sweep fewer values, or draw some points with sampling random or latin-hypercube'
      : 'draw fewer points',
  );
}

/** The grid point at `index`, the last parameter varying fastest. */
function levelsAt(parameters: readonly SweepParameter[], index: number): number[] {
  const levels = new Array<number>(parameters.length);
  for (let d = parameters.length - 1; d >= 0; d--) {
    const count = parameters[d].values.length;
    levels[d] = index % count;
    index = Math.floor(index / count);
  }
  return levels;
}

function indexOf(parameters: readonly SweepParameter[], levels: readonly number[]): number {
  return levels.reduce((index, level, d) => index * parameters[d].values.length + level, 0);
}

/** `count` distinct integers below `size`, drawn uniformly (Floyd's algorithm: one draw each, no list of all). */
function distinctIndices(size: number, count: number, uniform: () => number): number[] {
  const chosen = new Set<number>();
  for (let j = size - count; j < size; j++) {
    const candidate = Math.floor(uniform() * (j + 1));
    chosen.add(chosen.has(candidate) ? j : candidate);
  }
  return [...chosen];
}

/**
 * Latin hypercube over the levels of each parameter: the unit interval of each is cut into
 * `count` strata, each stratum used by exactly one point (in a random pairing across parameters),
 * and a stratum maps to the level it falls on. Every level range is covered evenly however few
 * points there are. Points that land on the same levels are kept once.
 */
function latinHypercube(
  parameters: readonly SweepParameter[],
  count: number,
  uniform: () => number,
): number[] {
  const columns = parameters.map((parameter) => {
    const strata = Array.from({ length: count }, (_, i) => i);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(uniform() * (i + 1));
      [strata[i], strata[j]] = [strata[j], strata[i]];
    }
    return strata.map((stratum) => Math.floor(((stratum + uniform()) / count) * parameter.values.length));
  });
  const indices = new Set<number>();
  for (let i = 0; i < count; i++)
    indices.add(
      indexOf(
        parameters,
        columns.map((column) => column[i]),
      ),
    );
  return [...indices];
}

/**
 * The points of a sweep, in grid order (the last parameter fastest). Sampled points are drawn
 * from the `sweep/<sampling>` stream of the seed, then put in grid order too.
 */
export function sweepPoints(
  parameters: readonly SweepParameter[],
  options: SamplingOptions,
): { points: SweepPoint[] } | { error: string } {
  const size = gridSize(parameters);
  let indices: number[];
  if (options.sampling === 'grid') {
    if (size > MAX_GRID_POINTS) {
      return {
        error: `the grid has ${formatThousands(size)} points, more than ${formatThousands(MAX_GRID_POINTS)}`,
      };
    }
    indices = Array.from({ length: size }, (_, i) => i);
  } else {
    const count = options.points;
    if (count === null) return { error: `sampling ${options.sampling} needs a number of points` };
    const uniform = createStreams(options.seed).stream(`sweep/${options.sampling}`);
    if (options.sampling === 'random') {
      if (count > size) {
        return {
          error: `${count} random points asked of a grid of ${size}; use sampling grid for all of them`,
        };
      }
      indices = distinctIndices(size, count, uniform);
    } else {
      indices = latinHypercube(parameters, count, uniform);
    }
    indices.sort((a, b) => a - b);
  }
  return {
    points: indices.map((gridIndex, index) => ({
      index,
      values: levelsAt(parameters, gridIndex).map((level, d) => parameters[d].values[level]),
    })),
  };
}

export interface Shard {
  /** 0-based, as Kubernetes' JOB_COMPLETION_INDEX and AWS Batch's AWS_BATCH_JOB_ARRAY_INDEX. */
  index: number;
  count: number;
}

/**
 * `"2/8"` -> `{ index: 2, count: 8 }`; null when malformed, or for more shards than a sweep has
 * runs (`MAX_RUNS`): beyond, every further shard would be empty.
 */
export function parseShard(text: string): Shard | null {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return null;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && count <= MAX_RUNS && index < count ? { index, count } : null;
}

/**
 * Points dealt round-robin: neighbouring points (often similar in cost) spread over all shards,
 * so shards take about equally long.
 */
export function shardPoints(points: readonly SweepPoint[], shard: Shard | null): SweepPoint[] {
  return shard === null ? [...points] : points.filter((point) => point.index % shard.count === shard.index);
}
