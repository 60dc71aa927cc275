import { join } from 'node:path';
import * as z from 'zod';
import { fleetPerformanceSchema } from '../report/index.js';
import { formatPath, type PathSegment } from '../scenario/locate.js';
import { MAX_RUNS, RunInputError } from '../scenario/types.js';
import { readBoundedText, type UnreadFile } from '../util/bounded-file.js';
import { describeConfiguration, markPareto, type SweepResult } from './output.js';
import { nothingFeasible, writeSweep } from './sweep.js';

/** What every shard of one sweep has in common. */
function identity(result: SweepResult): string {
  const { scenario, seed, replications, sampling, parameters, slo, points } = result;
  return JSON.stringify({
    scenario,
    seed,
    replications,
    sampling,
    parameters,
    slo,
    points,
    shards: result.shard?.count,
  });
}

const figures = z.record(z.string(), z.number().nullable());

/**
 * What merging and the outputs after it read of a shard's row: a row edited by hand (a metric as
 * text, a null where a mapping stood) is refused at the field, not met as a TypeError later.
 */
const ROW = z.object({
  point: z.number().int().nonnegative(),
  variant: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(['ok', 'infeasible']),
  reason: z.string().nullable(),
  meets_slo: z.boolean().nullable(),
  pareto: z.boolean(),
  replications: z.number().int().positive(),
  metrics: figures,
  ci95: figures.nullable(),
  // The verdict the outputs describe: which objectives missed, by how much, in how many replications.
  slo: z
    .looseObject({
      met: z.boolean(),
      default: z.boolean(),
      objectives: z.array(
        z.looseObject({
          objective: z.string(),
          limit: z.number(),
          value: z.number().nullable(),
          met: z.boolean(),
        }),
      ),
      partial: z.string().optional(),
      failing_classes: z.array(z.string()).optional(),
      met_at_upper_ci95: z.boolean().nullable(),
      met_by_replication: z.array(z.boolean()),
      met_share: z.number(),
      met_share_ci95: z.tuple([z.number(), z.number()]),
    })
    .nullable(),
  model_draws: z.boolean(),
  warnings: z.array(z.string()),
  performance: fleetPerformanceSchema(),
});

const PARAMETERS = z.array(z.object({ path: z.string(), values: z.array(z.unknown()) }));

/**
 * Why `result` does not hold the rows of shard `index`/`count` of a sweep of its `points`, each
 * with a value of every swept key (the table has a column per key), or null.
 */
function rowsProblem(
  result: Pick<SweepResult, 'rows' | 'points' | 'parameters'>,
  index: number,
  count: number,
): string | null {
  const { rows, points } = result;
  if (rows.length > MAX_RUNS) return `${rows.length} rows, more than any sweep fleetsim runs`;
  if (!(typeof points === 'number' && Number.isInteger(points) && points >= 0))
    return `points: ${String(points)}`;
  const parameters = PARAMETERS.safeParse(result.parameters);
  if (!parameters.success) {
    const issue = parameters.error.issues[0];
    return `${formatPath(['parameters', ...(issue.path as PathSegment[])])}: ${issue.message}`;
  }
  const paths = parameters.data.map((parameter) => parameter.path);
  const seen = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const parsed = ROW.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return `${formatPath(['rows', i, ...(issue.path as PathSegment[])])}: ${issue.message}`;
    }
    const missing = paths.find((path) => !Object.hasOwn(parsed.data.params, path));
    if (missing !== undefined) return `rows[${i}].params: no value of ${missing}`;
    const { point, variant } = parsed.data;
    if (point >= points || point % count !== index)
      return `rows[${i}]: point ${point} is not one of this shard's`;
    const key = JSON.stringify([point, variant]);
    if (seen.has(key)) return `rows[${i}]: point ${point}, ${variant} again`;
    seen.add(key);
  }
  return null;
}

/**
 * The largest shard read: a whole sweep of 20,000 points (`MAX_RUNS`) of a small scenario writes
 * 87 MB; scenarios with more fleets write more per row.
 */
const MAX_SHARD_BYTES = 300_000_000;

function shardProblem(read: UnreadFile): string {
  switch (read.problem) {
    case 'missing':
      return 'not found (a shard that has not finished: rerun it, it resumes)';
    case 'too large':
      return `${(read.bytes / 1e6).toFixed(0)} MB, more than the sweep.json of any sweep fleetsim runs (at most ${MAX_SHARD_BYTES / 1e6} MB)`;
    case 'not a file':
      return 'not a file';
    default:
      return 'cannot read the file';
  }
}

/**
 * Combines the `sweep.json` of every shard of one sweep into the sweep.json and sweep.csv an
 * unsharded run writes, byte for byte. Shards hold whole points (every variant and replication of
 * a point runs in one shard), so merging is putting rows back in point order; percentiles are
 * those of the runs themselves, not estimates combined across shards.
 */
export function mergeSweeps(dirs: readonly string[]): SweepResult {
  const shards = dirs.map((dir) => {
    const path = join(dir, 'sweep.json');
    const read = readBoundedText(path, MAX_SHARD_BYTES);
    if (!read.ok) throw new RunInputError(`${path}: ${shardProblem(read)}`);
    let result: SweepResult;
    try {
      result = JSON.parse(read.text) as SweepResult;
    } catch (error) {
      throw new RunInputError(
        `${path}: not a complete sweep.json (${(error as Error).message}); rerun the shard, it resumes`,
      );
    }
    if (
      typeof result !== 'object' ||
      result === null ||
      !Array.isArray(result.rows) ||
      !('shard' in result)
    ) {
      throw new RunInputError(
        `${path}: not a sweep.json written by fleetsim sweep; rerun the shard, it resumes`,
      );
    }
    if (result.shard === null) throw new RunInputError(`${path}: a whole sweep, not a shard`);
    const { index, count } = result.shard;
    if (
      !(
        Number.isInteger(count) &&
        count >= 1 &&
        count <= MAX_RUNS &&
        Number.isInteger(index) &&
        index >= 0 &&
        index < count
      )
    ) {
      throw new RunInputError(
        `${path}: not a sweep.json written by fleetsim sweep (shard ${index}/${count}); rerun the shard, it resumes`,
      );
    }
    if (typeof result.shard.digest !== 'string') {
      throw new RunInputError(
        `${path}: records no scenario digest (written by an older fleetsim); rerun the shard`,
      );
    }
    const problem = rowsProblem(result, index, count);
    if (problem !== null) {
      throw new RunInputError(
        `${path}: not a sweep.json written by fleetsim sweep (${problem}); rerun the shard, it resumes`,
      );
    }
    return { path, result };
  });
  if (shards.length === 0) throw new RunInputError('merge: name the shard folders');
  const [first] = shards;
  for (const shard of shards.slice(1)) {
    if (identity(shard.result) !== identity(first.result)) {
      throw new RunInputError(
        `${shard.path}: a shard of another sweep than ${first.path} (scenario, seed, parameters or shard count differ)`,
      );
    }
    if (shard.result.shard!.digest !== first.result.shard!.digest) {
      throw new RunInputError(
        `${shard.path}: a shard of another sweep than ${first.path} (the scenario, a file it reads or the fleetsim version differ)`,
      );
    }
  }
  const count = first.result.shard!.count;
  const seen = new Map<number, string>();
  for (const { path, result } of shards) {
    const other = seen.get(result.shard!.index);
    if (other !== undefined)
      throw new RunInputError(`${path}: shard ${result.shard!.index}/${count} again (also ${other})`);
    seen.set(result.shard!.index, path);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new RunInputError(`merge: missing shard(s) ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  }
  // Rows of one point sit together, variants in scenario order; a stable sort by point keeps that.
  const rows = shards.flatMap(({ result }) => result.rows).sort((a, b) => a.point - b.point);
  if (rows.every((row) => row.status === 'infeasible')) {
    const variants = new Set(rows.map((row) => row.variant)).size > 1;
    throw nothingFeasible(
      'sweep',
      rows.length,
      rows.map((row) => ({
        configuration: describeConfiguration(row.params, variants ? row.variant : null),
        infeasible: { reason: row.reason ?? '', at: null },
      })),
    );
  }
  markPareto(rows);
  return { ...first.result, shard: null, rows };
}

/** Merges shard folders and writes sweep.json and sweep.csv into `outDir`; returns the paths written. */
export function mergeSweepDirs(dirs: readonly string[], outDir: string): string[] {
  return writeSweep(outDir, mergeSweeps(dirs));
}
