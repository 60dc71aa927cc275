import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import type * as z from 'zod';
import type { TimeSeriesRow, VariantResult } from '../metrics/index.js';
import { readBoundedText } from '../util/bounded-file.js';
import type { CapacityEventsFile } from './capacity-events-json.js';
import type { Replicated, VariantEstimates } from './charts/index.js';
import { DISTRIBUTION_NAMES, type DistributionsFile } from './distributions-json.js';
import {
  CAPACITY_EVENTS_FILE,
  DISTRIBUTIONS_FILE,
  REPLICATIONS_FILE,
  SUMMARY_FILE,
  shapeProblem,
} from './run-files-schema.js';
import type { RunSummary } from './summary.js';
import { TIMESERIES_COLUMNS } from './timeseries-csv.js';

/** A run folder that cannot be read back: a missing or damaged file. */
export class RunOutputsError extends Error {
  override name = 'RunOutputsError';
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(`${path}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

export interface RunOutputs {
  summary: RunSummary;
  results: VariantResult[];
  /** `scenario.yaml` as the run copied it, null if the folder has none. */
  scenarioYaml: string | null;
  /** replications.json (`fleetsim run --replications`), null if the folder has none. */
  replicated: ReplicatedRun | null;
}

/** Per variant of replications.json, how its replications fared against the SLO. */
export interface ReplicationVerdicts {
  /** Per replication, whether its own figures met the objective; absent in files written before it was kept. */
  met_by_replication?: boolean[];
  /** Each replication drew the step-time parameters from their uncertainty (`model_uncertainty`). */
  model_draws: boolean;
}

export interface ReplicatedRun extends Replicated {
  verdicts: ReadonlyMap<string, ReplicationVerdicts>;
}

/**
 * The most fleetsim reads back of one run-folder file: below V8's 512 MiB bound on a string, past
 * which reading it failed as an internal error.
 */
const MAX_RUN_FILE_BYTES = 400e6;

/** The text of a run-folder file. */
function readRunText(path: string): string {
  const read = readBoundedText(path, MAX_RUN_FILE_BYTES);
  if (read.ok) return read.text;
  switch (read.problem) {
    case 'missing':
      throw new RunOutputsError(path, 'missing (is this a folder written by fleetsim run?)');
    case 'not a file':
      throw new RunOutputsError(path, 'not a file (fleetsim run writes a file here)');
    case 'too large':
      throw new RunOutputsError(
        path,
        `${(read.bytes / 1e6).toFixed(0)} MB, more than fleetsim reads back (at most ${MAX_RUN_FILE_BYTES / 1e6} MB)`,
      );
    default:
      throw new RunOutputsError(path, 'cannot be read');
  }
}

/** The JSON file at `path`, once it holds what `schema` describes of it. */
export function readRunFile<T>(path: string, schema: z.ZodType): T {
  const text = readRunText(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RunOutputsError(path, `not valid JSON (${(error as Error).message})`);
  }
  const problem = shapeProblem(schema, data);
  if (problem !== null)
    throw new RunOutputsError(path, `not a ${basename(path)} written by fleetsim run (${problem})`);
  return data as T;
}

/** Columns of timeseries.csv read into one object a row: its key, the column and its position. */
interface ColumnsByName {
  columns: [string, string, number][];
  /**
   * Every key at 0, in order. A copy of it takes each row's values about four times faster than
   * an object built key by key, which a thousand fleets' keys make slow.
   */
  template: Record<string, number>;
}

function columnsByName(columns: [string, string, number][]): ColumnsByName {
  return { columns, template: Object.fromEntries(columns.map(([name]) => [name, 0])) };
}

/** timeseries.csv back into rows per variant. */
function readTimeseries(path: string): Map<string, TimeSeriesRow[]> {
  const text = readRunText(path);
  // Fields by position, not records keyed by column: a run of a thousand fleets has three thousand
  // columns, and a keyed record of each row took most of the time `fleetsim run` spent on its
  // report. The length of each row is checked here, in the words csv-parse uses for named columns.
  let lines: { record: string[]; info: { lines: number } }[];
  try {
    lines = parse(text, { relax_column_count: true, info: true }) as unknown as typeof lines;
  } catch (error) {
    if (error instanceof CsvError) throw new RunOutputsError(path, error.message);
    throw error;
  }
  if (lines.length === 0) throw new RunOutputsError(path, 'empty, not even a header line', 1);
  const header = lines[0].record;
  for (const { record, info } of lines) {
    if (record.length !== header.length) {
      throw new RunOutputsError(
        path,
        `Invalid Record Length: columns length is ${header.length}, got ${record.length} on line ${info.lines}`,
      );
    }
  }
  // Checked on the header, not row by row: without a `variant` column every row would belong to
  // no variant, and the timelines be drawn empty.
  const missing = ['variant', ...TIMESERIES_COLUMNS].find((column) => !header.includes(column));
  if (missing !== undefined) throw new RunOutputsError(path, `no "${missing}" column`, 1);
  // A repeated column name reads as its last field, in the place of its first.
  const positions = new Map<string, number>();
  for (const [position, column] of header.entries()) positions.set(column, position);
  const at = (column: string) => positions.get(column) as number;
  const fleetColumns = (prefix: string) =>
    columnsByName(
      [...positions.keys()]
        .filter((column) => column.startsWith(prefix))
        .map((column) => [column.slice(prefix.length), column, at(column)]),
    );
  const busyColumns = fleetColumns('busy_slots.');
  const replicasColumns = fleetColumns('replicas.');
  const costColumns = fleetColumns('cost_usd_per_hour.');
  const totalColumns = columnsByName(TIMESERIES_COLUMNS.map((column) => [column, column, at(column)]));
  const variantAt = at('variant');
  const byVariant = new Map<string, TimeSeriesRow[]>();
  for (let index = 0; index + 1 < lines.length; index++) {
    const fields = lines[index + 1].record;
    const byName = ({ columns, template }: ColumnsByName) => {
      const values = { ...template };
      for (const [name, column, position] of columns) {
        const value = Number(fields[position]);
        if (fields[position] === '' || !Number.isFinite(value)) {
          throw new RunOutputsError(path, `column "${column}": expected a number`, index + 2);
        }
        values[name] = value;
      }
      return values;
    };
    const replicas = byName(replicasColumns);
    const row = {
      ...byName(totalColumns),
      busy_slots_by_fleet: byName(busyColumns),
      // Folders written before the per-fleet replicas and costs have neither.
      ...(replicasColumns.columns.length > 0 && {
        replicas_by_fleet: replicas,
        cost_usd_per_hour_by_fleet: byName(costColumns),
      }),
    } as TimeSeriesRow;
    const variant = fields[variantAt];
    const rows = byVariant.get(variant) ?? [];
    rows.push(row);
    byVariant.set(variant, rows);
  }
  return byVariant;
}

/**
 * capacity-events.json back into events per variant. Folders written before the file existed have
 * none: their timelines are drawn without marks.
 */
function readCapacityEvents(path: string): Map<string, VariantResult['capacity_events']> {
  if (!existsSync(path)) return new Map();
  const file = readRunFile<CapacityEventsFile>(path, CAPACITY_EVENTS_FILE);
  return new Map(file.variants.map((v) => [v.name, v.events]));
}

/** The first entry of each name: a lookup per variant that stays linear in thousands of variants. */
function firstByName<T extends { name: string }>(entries: readonly T[]): Map<string, T> {
  const byName = new Map<string, T>();
  for (const entry of entries) if (!byName.has(entry.name)) byName.set(entry.name, entry);
  return byName;
}

/**
 * replications.json back into means and confidence intervals per variant. It must describe the
 * run of summary.json: a plain run removes it, so one from another run means a damaged folder.
 */
function readReplications(path: string, summary: RunSummary): ReplicatedRun | null {
  if (!existsSync(path)) return null;
  const file = readRunFile<z.infer<typeof REPLICATIONS_FILE>>(path, REPLICATIONS_FILE);
  if (file.scenario !== summary.scenario || file.seed !== summary.seed) {
    throw new RunOutputsError(
      path,
      `describes scenario "${file.scenario}" with seed ${file.seed}, but summary.json scenario "${summary.scenario}" with seed ${summary.seed}`,
    );
  }
  const { replications } = file;
  const variants = new Map<string, VariantEstimates>();
  const verdicts = new Map<string, ReplicationVerdicts>();
  const entries = firstByName(file.variants);
  for (const { name } of summary.variants) {
    const entry = entries.get(name);
    if (entry === undefined)
      throw new RunOutputsError(path, `no entry for variant "${name}" of summary.json`);
    variants.set(name, { metrics: entry.metrics, ci95: entry.ci95 });
    const met = entry.slo?.met_by_replication;
    if (met !== undefined && met.length !== replications) {
      throw new RunOutputsError(
        path,
        `variant "${name}": "slo.met_by_replication" must hold true or false for each of the ${replications} replications`,
      );
    }
    verdicts.set(name, {
      ...(met !== undefined && { met_by_replication: met }),
      model_draws: entry.model_uncertainty !== undefined && entry.model_uncertainty !== null,
    });
  }
  return { replications, variants, verdicts };
}

/**
 * Reads what `writeRunOutputs` wrote (summary.json, distributions.json, timeseries.csv, and
 * capacity-events.json and scenario.yaml if there) back into run results, with replications.json
 * if `fleetsim run --replications` wrote one: the input of charts and the HTML report.
 */
export function readRunOutputs(dir: string): RunOutputs {
  const summaryPath = join(dir, 'summary.json');
  const summary = readRunFile<RunSummary>(summaryPath, SUMMARY_FILE);
  const distributionsPath = join(dir, 'distributions.json');
  const distributions = readRunFile<DistributionsFile>(distributionsPath, DISTRIBUTIONS_FILE);
  const timeseries = readTimeseries(join(dir, 'timeseries.csv'));
  const capacityEvents = readCapacityEvents(join(dir, 'capacity-events.json'));
  const pointsOf = firstByName(distributions.variants);
  const results = summary.variants.map((variant): VariantResult => {
    const points = pointsOf.get(variant.name);
    if (points === undefined) {
      throw new RunOutputsError(distributionsPath, `no entry for variant "${variant.name}" of summary.json`);
    }
    return {
      ...variant,
      // Folders written before summary.json named the source of each fleet's times have none.
      performance: variant.performance ?? {},
      capacity_events: capacityEvents.get(variant.name) ?? [],
      distributions: Object.fromEntries(
        DISTRIBUTION_NAMES.map((d) => [d, points[d] ?? []]),
      ) as VariantResult['distributions'],
      timeseries: timeseries.get(variant.name) ?? [],
    };
  });
  const yamlPath = join(dir, 'scenario.yaml');
  return {
    summary,
    results,
    scenarioYaml: existsSync(yamlPath) ? readRunText(yamlPath) : null,
    replicated: readReplications(join(dir, 'replications.json'), summary),
  };
}
