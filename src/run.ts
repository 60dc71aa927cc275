import type { VariantResult } from './metrics/index.js';
import { type RunSummary, summarize } from './report/index.js';
import { type ConfineDataPaths, loadScenarioFile, loadScenarioObject } from './scenario/index.js';
import { type Diagnostic, formatDiagnostic, type LoadedScenario } from './scenario/types.js';
import { type Progress, simulate } from './sim/index.js';

export interface RunOptions {
  /** Overrides the scenario's seed (all variants share it). */
  seed?: number;
  /** `path=value` overrides applied to the base scenario before variants, as `fleetsim run --set`. */
  set?: string[];
  /** For scenario objects: the folder relative paths are resolved against (default: the working directory). */
  baseDir?: string;
  /** Data files only inside the scenario's folder (or `baseDir`) or another one: see `LoadOptions.confineDataPaths`. */
  confineDataPaths?: ConfineDataPaths;
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
  const { set, baseDir, confineDataPaths } = options;
  const loaded =
    typeof input === 'string'
      ? await loadScenarioFile(input, { set, confineDataPaths })
      : await loadScenarioObject(input, { set, baseDir, confineDataPaths });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  return runLoadedScenario(loaded.value, options.seed);
}

/** Runs an already loaded scenario: the baseline, then each variant, all with one seed (common random numbers). */
export function runLoadedScenario(
  scenario: LoadedScenario,
  seed = scenario.seed,
  onProgress?: (progress: Progress) => void,
): RunOutput {
  const results = scenario.variants.map((variant) =>
    simulate(variant.scenario, {
      name: variant.name,
      seed,
      slo: scenario.slo,
      ...(onProgress && { onProgress }),
    }),
  );
  return { summary: summarize(scenario.name, seed, results), results, scenario };
}
