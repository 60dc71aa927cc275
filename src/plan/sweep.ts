import { join } from 'node:path';
import { writeFileAtomic } from '../report/index.js';
import { ScenarioError } from '../run.js';
import { type ConfineDataPaths, loadScenarioFile } from '../scenario/index.js';
import { type LoadedScenario, RunInputError, type SweepSampling } from '../scenario/types.js';
import { type Evaluation, studyEvaluator, withRunner } from './evaluator.js';
import { studyDigest } from './inputs.js';
import {
  describeConfiguration,
  markPareto,
  renderSweepCsv,
  renderSweepJson,
  type SweepResult,
  type SweepRow,
  sloKeys,
} from './output.js';
import {
  type Infeasibility,
  loadPoints,
  mergeParameters,
  type Parameter,
  parseParameterArguments,
  type ScenarioSource,
} from './parameters.js';
import { checkSweepRuns, type Shard, shardPoints, sweepPoints } from './points.js';
import { checkSlo, ONE_DRAW } from './replications.js';
import { Interrupted, type JobRunner, type RunnerOptions } from './runner.js';

/** Options shared by sweeps and plans: what to load and how to run it. */
export interface StudyOptions extends RunnerOptions {
  /** Scenario YAML file. */
  scenario: string;
  /** `path=value` overrides of the base, as `fleetsim run --set`. */
  set?: string[];
  /** Data files only inside the scenario's folder or another one: see `LoadOptions.confineDataPaths`. */
  confineDataPaths?: ConfineDataPaths;
  /** User catalog files (absolute paths): see `LoadOptions.catalogs`. */
  catalogs?: readonly string[];
  /** Overrides the scenario seed. */
  seed?: number;
  /** Independent runs of every configuration (default 1), with derived seeds. */
  replications?: number;
  /**
   * Draw the step-time parameters of roofline fleets from their uncertainty in every replication:
   * the scenario's `model_uncertainty`, which this overrides when given.
   */
  modelUncertainty?: boolean;
  /** Output folder; finished points are kept in its `points/` and reused by a rerun. */
  outDir: string;
  /**
   * Called after each configuration (a variant of a point) is finished or found saved: `done` of
   * `total`, `computed` of them simulated now rather than found saved. A plan's searches stop
   * early, so its `total` is the most it may still need: it only shrinks.
   */
  onProgress?: (done: number, total: number, computed: number) => void;
}

export interface SweepOptions extends StudyOptions {
  /** `path=values` arguments (`--grid`), replacing or adding to the scenario's `sweep.grid`. */
  grid?: string[];
  /** Override the scenario's `sweep.sampling` and `sweep.points`. */
  sampling?: SweepSampling;
  points?: number;
  /** Run only this slice of the points. */
  shard?: Shard | null;
}

export interface SweepOutcome {
  result: SweepResult;
  /** Paths written: sweep.json and sweep.csv. */
  files: string[];
  /** Configurations simulated now, and taken from point files of an earlier run. */
  computed: number;
  reused: number;
  /** Why the replications of some configurations are identical (their `ci95` is null); null when none are. */
  identicalNote: string | null;
}

/** The base scenario with `--set` applied; the sweep's and plan's own keys come from it. */
export async function loadStudy(
  options: StudyOptions,
  flag: string,
  flagArguments: readonly string[],
): Promise<{ loaded: LoadedScenario; source: ScenarioSource; parameters: Parameter[] }> {
  // As a --set, so that every point loaded from the same source has it too.
  const set = [
    ...(options.set ?? []),
    ...(options.modelUncertainty === undefined ? [] : [`model_uncertainty=${options.modelUncertainty}`]),
  ];
  const base = await loadScenarioFile(options.scenario, {
    set,
    confineDataPaths: options.confineDataPaths,
    catalogs: options.catalogs ?? [],
  });
  const flags = parseParameterArguments(flagArguments, flag);
  const errors = [...(base.ok ? [] : base.errors), ...(flags.ok ? [] : flags.errors)];
  if (!base.ok || !flags.ok) throw new ScenarioError(errors);
  const replications = options.replications ?? 1;
  if (!(Number.isInteger(replications) && replications >= 1)) {
    throw new RunInputError(`--replications: expected a positive integer, got ${replications}`);
  }
  if (replications < 2 && base.value.variants.some(({ scenario }) => scenario.modelUncertainty)) {
    throw new RunInputError(ONE_DRAW);
  }
  return {
    loaded: base.value,
    source: {
      file: options.scenario,
      text: base.value.source ?? '',
      set,
      dataRoot: base.value.dataRoot,
      catalogs: options.catalogs ?? [],
    },
    parameters: mergeParameters(base.value.sweep, flags.value),
  };
}

/**
 * Runs every point of a sweep (or of one shard of it), each variant of each point with every
 * replication seed, and writes `sweep.json` and `sweep.csv` into `outDir`. Finished points are
 * saved one by one, so an interrupted sweep (through `signal`) resumes where it stopped.
 * Results do not depend on the number of workers or on sharding.
 */
export function runSweep(options: SweepOptions): Promise<SweepOutcome> {
  return withRunner(options, (runner) => sweep(options, runner));
}

async function sweep(options: SweepOptions, runner: JobRunner): Promise<SweepOutcome> {
  const { loaded, source, parameters } = await loadStudy(options, '--grid', options.grid ?? []);
  if (parameters.length === 0) {
    throw new RunInputError('nothing to sweep: add a sweep: section to the scenario or --grid path=values');
  }
  const sampling = options.sampling ?? loaded.sweep?.sampling ?? 'grid';
  if (sampling === 'grid' && options.points !== undefined) {
    throw new RunInputError('--points applies only with sampling random or latin-hypercube');
  }
  const drawn = options.points ?? loaded.sweep?.points ?? null;
  checkSweepRuns(parameters, {
    sampling,
    points: drawn,
    variants: loaded.variants.length,
    replications: options.replications ?? 1,
  });
  const generated = sweepPoints(parameters, { sampling, points: drawn, seed: options.seed ?? loaded.seed });
  if ('error' in generated) throw new RunInputError(`sweep: ${generated.error}`);
  const points = shardPoints(generated.points, options.shard ?? null);
  const scenarios = await loadPoints(source, parameters, points);
  if (!scenarios.ok) throw new ScenarioError(scenarios.errors);

  const { replications, evaluator } = studyEvaluator(options, loaded, runner);
  // Progress counts what runs: configurations found infeasible while loading take no time.
  const total = scenarios.value.reduce(
    (sum, point) => sum + point.variants.filter((variant) => variant.scenario !== null).length,
    0,
  );
  let done = 0;
  options.onProgress?.(0, total, 0);
  let rows: SweepRow[];
  const infeasible = new Map<SweepRow, Infeasibility>();
  try {
    const perPoint = await Promise.all(
      points.map((point, i) =>
        Promise.all(
          scenarios.value[i].variants.map(async (variant): Promise<SweepRow> => {
            let evaluation: Evaluation;
            if (variant.scenario === null) evaluation = { ok: false, infeasible: variant.infeasible! };
            else {
              evaluation = await evaluator.evaluate(variant.scenario);
              options.onProgress?.(++done, total, evaluator.computed);
            }
            const params = Object.fromEntries(
              parameters.map((parameter, d) => [parameter.path, point.values[d]]),
            );
            if (!evaluation.ok) {
              const row: SweepRow = {
                point: point.index,
                variant: variant.name,
                params,
                status: 'infeasible',
                reason: evaluation.infeasible.reason,
                meets_slo: false,
                pareto: false,
                replications,
                metrics: {},
                ci95: null,
                slo: null,
                model_draws: false,
                warnings: [],
                performance: {},
              };
              infeasible.set(row, evaluation.infeasible);
              return row;
            }
            const { replicated } = evaluation;
            const slo = checkSlo(loaded.slo, replicated, evaluation.runs);
            return {
              point: point.index,
              variant: variant.name,
              params,
              status: 'ok',
              reason: null,
              meets_slo: slo.met,
              pareto: false,
              replications,
              metrics: replicated.metrics,
              ci95: replicated.ci95,
              slo,
              model_draws: Object.keys(replicated.model_uncertainty?.fleets ?? {}).length > 0,
              warnings: replicated.warnings,
              performance: replicated.performance,
            };
          }),
        ),
      ),
    );
    rows = perPoint.flat();
    // A shard may hold only points that cannot run while others hold some that can: `merge` decides.
    if (options.shard == null && rows.every((row) => row.status === 'infeasible')) {
      const variants = new Set(rows.map((row) => row.variant)).size > 1;
      throw nothingFeasible(
        'sweep',
        rows.length,
        rows.map((row) => ({
          configuration: describeConfiguration(row.params, variants ? row.variant : null),
          infeasible: infeasible.get(row)!,
        })),
      );
    }
  } catch (error) {
    if (error instanceof Interrupted) {
      throw new Interrupted(
        `interrupted: ${done} of ${total} configuration(s) to run (points x variants) finished and saved in ${join(options.outDir, 'points')}; run the same command again to resume`,
      );
    }
    throw error;
  } finally {
    await runner.close();
  }
  markPareto(rows);
  const result: SweepResult = {
    scenario: loaded.name,
    seed: options.seed ?? loaded.seed,
    replications,
    sampling,
    parameters: parameters.map(({ path, values }) => ({ path, values })),
    slo: sloKeys(loaded.slo),
    points: generated.points.length,
    shard: options.shard == null ? null : { ...options.shard, digest: await shardDigest(loaded) },
    rows,
  };
  return {
    result,
    files: writeSweep(options.outDir, result),
    computed: evaluator.computed,
    reused: evaluator.reused,
    identicalNote: evaluator.identicalNote(),
  };
}

/**
 * What every shard of one sweep must agree on beyond the grid, sampling and seeds that `merge`
 * compares itself: see `SweepResult.shard`.
 */
function shardDigest(loaded: LoadedScenario): Promise<string> {
  const { variants, slo } = loaded;
  return studyDigest(
    variants.map((variant) => variant.scenario),
    { variants, slo },
  );
}

/**
 * The error of a study none of whose configurations can run: one line, placed where the first
 * configuration's reason is written (the grid value that caused it, when one did).
 */
export function nothingFeasible(
  study: 'sweep' | 'plan',
  count: number,
  failures: readonly { configuration: string; infeasible: Infeasibility }[],
): Error {
  const [first] = failures;
  const reasons = new Set(failures.map((failure) => failure.infeasible.reason)).size;
  const others = reasons > 1 ? ` (and ${reasons - 1} other reason(s))` : '';
  const what = study === 'sweep' ? 'configurations of the sweep' : 'candidates of the plan';
  const message = `all ${count} ${what} are infeasible; ${first.configuration}: ${first.infeasible.reason}${others}`;
  const at = first.infeasible.at;
  return at === null ? new RunInputError(message) : new ScenarioError([{ ...at, message }]);
}

export function writeSweep(outDir: string, result: SweepResult): string[] {
  const files: [string, string][] = [
    ['sweep.json', renderSweepJson(result)],
    ['sweep.csv', renderSweepCsv(result)],
  ];
  return files.map(([name, content]) => {
    const path = join(outDir, name);
    writeFileAtomic(path, content);
    return path;
  });
}
