import type { VariantResult } from './metrics/index.js';
import { type RunSummary, summarize } from './report/summary.js';
import { type ConfineDataPaths, loadScenarioFile, loadScenarioObject } from './scenario/index.js';
import { type Diagnostic, formatDiagnostic, type LoadedScenario } from './scenario/types.js';
import { type Progress, simulate } from './sim/index.js';
import type { RequestRecord } from './workload/index.js';

export interface RunOptions {
  /** Overrides the scenario's seed (all variants share it). */
  seed?: number;
  /** `path=value` overrides applied to the base scenario before variants, as `fleetsim run --set`. */
  set?: string[];
  /** For scenario objects: the folder relative paths are resolved against (default: the working directory). */
  baseDir?: string;
  /** Data files only inside the scenario's folder (or `baseDir`) or another one: see `LoadOptions.confineDataPaths`. */
  confineDataPaths?: ConfineDataPaths;
  /** User catalog files (absolute paths) on top of the shipped catalog: see `LoadOptions.catalogs`. */
  catalogs?: readonly string[];
  /**
   * Called with every measured request (arrived after warmup) as it reaches its outcome, variant
   * after variant in the scenario's order, and at the end of each variant for those still in
   * flight: the rows `fleetsim run --requests` writes to requests.jsonl, without the file.
   */
  onRequest?: (record: RequestRecord) => void;
}

export interface RunOutput {
  summary: RunSummary;
  results: VariantResult[];
  scenario: LoadedScenario;
}

/** A scenario that failed validation; `diagnostics` holds every error found, with its location. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}

/**
 * Loads a scenario (a YAML file path, or an object shaped like one) and runs its baseline and
 * every variant with the same seed. Rejects with a `ScenarioError` for invalid input.
 */
export async function runScenario(input: string | object, options: RunOptions = {}): Promise<RunOutput> {
  const { set, baseDir, confineDataPaths, catalogs } = options;
  const loaded =
    typeof input === 'string'
      ? await loadScenarioFile(input, { set, confineDataPaths, catalogs })
      : await loadScenarioObject(input, { set, baseDir, confineDataPaths, catalogs });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  return runLoadedScenario(loaded.value, options.seed, undefined, options.onRequest);
}

/**
 * Runs an already loaded scenario: the baseline, then each variant, all with one seed (common
 * random numbers). `onRequest` as in `RunOptions`.
 */
export function runLoadedScenario(
  scenario: LoadedScenario,
  seed = scenario.seed,
  onProgress?: (progress: Progress) => void,
  onRequest?: (record: RequestRecord) => void,
): RunOutput {
  const results = scenario.variants.map((variant) =>
    simulate(variant.scenario, {
      name: variant.name,
      seed,
      slo: scenario.slo,
      ...(onProgress && { onProgress }),
      ...(onRequest && { onRequest }),
    }),
  );
  return { summary: summarize(scenario.name, seed, results), results, scenario };
}
