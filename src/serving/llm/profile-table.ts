import { CsvError, parse } from 'csv-parse/sync';
import { UserError } from '../../scenario/types.js';
import { describeCsvError } from '../../util/csv-error.js';
import { excerpt, headerExcerpt } from '../../util/excerpt.js';

/**
 * Step times interpolated from a measured table instead of physics. Rows with the same key
 * (repeated runs) are averaged. Measured grids are rarely full: splitwise-sim varies the prompt
 * at one batch size and the batch at one prompt size, so the table is separable: a prompt curve
 * measured at a reference batch, scaled by the batch curve measured at a reference prompt.
 * On a measured key the answer is the measurement itself.
 */

export interface ProfileRow {
  tensorParallel: number;
  batchSize: number;
  promptTokens: number;
  /** Time to prefill the whole batch of prompts. */
  prefillS: number;
  /** Time per decode iteration of the batch (one output token per sequence). */
  decodeStepS: number;
}

export interface ProfileTable {
  readonly rows: readonly ProfileRow[];
  prefillS(tensorParallel: number, batchSize: number, promptTokens: number): number;
  decodeStepS(tensorParallel: number, batchSize: number, promptTokens: number): number;
}

type Metric = 'prefillS' | 'decodeStepS';

interface Curve {
  xs: number[];
  ys: number[];
}

/** Piecewise-linear in log-log space (power laws stay straight); flat beyond the ends. */
function interpolate(curve: Curve, x: number): number {
  const { xs, ys } = curve;
  if (x <= xs[0]) return ys[0];
  const last = xs.length - 1;
  if (x >= xs[last]) return ys[last];
  let i = 1;
  while (xs[i] < x) i += 1;
  const t = (Math.log(x) - Math.log(xs[i - 1])) / (Math.log(xs[i]) - Math.log(xs[i - 1]));
  return Math.exp(Math.log(ys[i - 1]) + t * (Math.log(ys[i]) - Math.log(ys[i - 1])));
}

function curveOf(points: Map<number, number>): Curve {
  const xs = [...points.keys()].sort((a, b) => a - b);
  return { xs, ys: xs.map((x) => points.get(x)!) };
}

/** The value that occurs most often: the grid's axis that the other axis was swept at. */
function mostCommon(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
}

export function buildProfileTable(measured: readonly ProfileRow[]): ProfileTable {
  const sums = new Map<string, { row: ProfileRow; n: number }>();
  for (const row of measured) {
    const key = `${row.tensorParallel}/${row.batchSize}/${row.promptTokens}`;
    const entry = sums.get(key);
    if (!entry) sums.set(key, { row: { ...row }, n: 1 });
    else {
      entry.row.prefillS += row.prefillS;
      entry.row.decodeStepS += row.decodeStepS;
      entry.n += 1;
    }
  }
  const rows = [...sums.values()].map(({ row, n }) => ({
    ...row,
    prefillS: row.prefillS / n,
    decodeStepS: row.decodeStepS / n,
  }));
  const exact = new Map(rows.map((r) => [`${r.tensorParallel}/${r.batchSize}/${r.promptTokens}`, r]));

  const byTp = new Map<number, ProfileRow[]>();
  for (const row of rows) byTp.set(row.tensorParallel, [...(byTp.get(row.tensorParallel) ?? []), row]);

  function lookup(metric: Metric, tp: number, batch: number, prompt: number): number {
    const hit = exact.get(`${tp}/${batch}/${prompt}`);
    if (hit) return hit[metric];
    const group = byTp.get(tp);
    if (!group)
      throw new RangeError(
        `no profile rows for tensor parallelism ${tp}; have ${[...byTp.keys()].join(', ')}`,
      );
    const refBatch = mostCommon(group.map((r) => r.batchSize));
    const refPrompt = mostCommon(group.map((r) => r.promptTokens));
    const promptCurve = curveOf(
      new Map(group.filter((r) => r.batchSize === refBatch).map((r) => [r.promptTokens, r[metric]])),
    );
    const batchCurve = curveOf(
      new Map(group.filter((r) => r.promptTokens === refPrompt).map((r) => [r.batchSize, r[metric]])),
    );
    const atRef = interpolate(batchCurve, refBatch);
    return interpolate(promptCurve, prompt) * (interpolate(batchCurve, batch) / atRef);
  }

  return {
    rows,
    prefillS: (tp, batch, prompt) => lookup('prefillS', tp, batch, prompt),
    decodeStepS: (tp, batch, prompt) => lookup('decodeStepS', tp, batch, prompt),
  };
}

/** Columns of a splitwise-sim `perf_model.csv` that a profile reads. */
const PROFILE_COLUMNS = [
  'model',
  'hardware',
  'tensor_parallel',
  'batch_size',
  'prompt_size',
  'prompt_time',
  'token_time',
];

/**
 * Rows of a splitwise-sim `perf_model.csv` (columns model, hardware, prompt_size, batch_size,
 * prompt_time and token_time in ms, tensor_parallel) for one model on one hardware. A missing
 * column, or a count or time of a selected row that is not a positive number, is a user error at
 * its line and column of `file`: a step time built from it would be NaN or negative.
 */
export function readSplitwiseProfile(
  csvText: string,
  model: string,
  hardware: string,
  file = 'profile',
): ProfileRow[] {
  const fail = (line: number, col: number, message: string) =>
    new UserError({ code: 'BAD_TRACE_ROW', file, line, col, message });
  let header: string[] = [];
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(csvText, {
      columns: (names: string[]) => {
        header = names;
        return names;
      },
      skip_empty_lines: true,
      info: true,
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw fail(
      Math.max(1, Number(error.lines) || 1),
      1,
      describeCsvError(error) ?? `invalid CSV (${error.code})`,
    );
  }
  const missing = PROFILE_COLUMNS.find((column) => !header.includes(column));
  if (missing !== undefined) throw fail(1, 1, `no column "${missing}"; columns: ${headerExcerpt(header)}`);
  const positive = (record: Record<string, string>, line: number, column: string, integer: boolean) => {
    const value = Number(record[column]);
    if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
      throw fail(
        line,
        header.indexOf(column) + 1,
        `column "${column}": expected a positive ${integer ? 'whole number' : 'number'}, got ${excerpt(record[column])}`,
      );
    }
    return value;
  };
  const rows = records
    .filter(({ record }) => record.model === model && record.hardware === hardware)
    .map(({ record, info }) => ({
      tensorParallel: positive(record, info.lines, 'tensor_parallel', true),
      batchSize: positive(record, info.lines, 'batch_size', true),
      promptTokens: positive(record, info.lines, 'prompt_size', true),
      prefillS: positive(record, info.lines, 'prompt_time', false) / 1e3,
      decodeStepS: positive(record, info.lines, 'token_time', false) / 1e3,
    }));
  if (rows.length === 0) throw new RangeError(`no rows for model "${model}" on hardware "${hardware}"`);
  return rows;
}
