import type { FleetPerformance, VariantResult } from '../metrics/result.js';
import { type RunWarning, runWarnings } from '../metrics/warnings.js';
import { confinementProblem } from '../scenario/confine.js';
import { isMathLoaded, loadMath } from '../scenario/expression.js';
import type { Scenario, Slo } from '../scenario/types.js';
import { RunInputError, UserError } from '../scenario/types.js';
import { drawStepTimeModel, type FleetDraw } from '../serving/model-uncertainty.js';
import { simulate } from '../sim/index.js';
import { flattenMetrics, type RunMetrics } from './run-metrics.js';

/**
 * One simulation: a fully resolved scenario (one variant of one point) and one seed. With
 * `model_uncertainty` the seed also draws the step-time parameters (drawStepTimeModel).
 */
export interface Job {
  scenario: Scenario;
  seed: number;
  /** `LoadedScenario.dataRoot`: the folder the scenario's data files must still be inside. */
  dataRoot?: string;
  /** Stop the run once this objective is missed for certain (`simulate`'s `stopWhenMissed`). */
  stopWhenMissed?: Slo;
}

export interface JobResult {
  metrics: RunMetrics;
  warnings: RunWarning[];
  /** Per fleet, where its step or service times come from (summary.json's `performance`). */
  performance: Record<string, FleetPerformance>;
  /** With `model_uncertainty`: per roofline fleet, the step-time parameters this run drew. */
  model?: Record<string, FleetDraw>;
}

/**
 * User errors found while running, as data: a worker thread would hand them back as plain
 * `Error`s (structured clone keeps no subclass), and the CLI tells user errors from bugs by class.
 */
export type JobOutcome =
  | { ok: true; result: JobResult }
  | {
      ok: false;
      error: { kind: 'run-input'; message: string } | { kind: 'user'; diagnostic: UserError['diagnostic'] };
    };

/** True when a value anywhere in the resolved scenario is a mathjs expression (rate, service time, batch latency...). */
function usesExpressions(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if ((value as { kind?: unknown }).kind === 'expression') return true;
  return Object.values(value).some(usesExpressions);
}

/**
 * Runs one job. A worker thread has its own module instances, so it loads mathjs itself, the
 * first time a scenario needs it (loading is what the scenario loader does on the main thread).
 */
export async function runJob(job: Job): Promise<JobOutcome> {
  if (job.dataRoot !== undefined) {
    const problem = confinementProblem(job.scenario, job.dataRoot);
    if (problem !== null) return { ok: false, error: { kind: 'run-input', message: problem } };
  }
  if (!isMathLoaded() && usesExpressions(job.scenario)) await loadMath();
  const options = { seed: job.seed, stopWhenMissed: job.stopWhenMissed ?? null };
  try {
    if (!job.scenario.modelUncertainty) {
      return { ok: true, result: jobResultOf(simulate(job.scenario, options), job.scenario) };
    }
    const draw = drawStepTimeModel(job.scenario, job.seed);
    const result = jobResultOf(simulate(draw.scenario, options), job.scenario);
    return { ok: true, result: { ...result, model: draw.fleets } };
  } catch (error) {
    if (error instanceof RunInputError)
      return { ok: false, error: { kind: 'run-input', message: error.message } };
    if (error instanceof UserError)
      return { ok: false, error: { kind: 'user', diagnostic: error.diagnostic } };
    throw error;
  }
}

/** What a job reports of a finished run. */
export function jobResultOf(result: VariantResult, scenario: Scenario): JobResult {
  return {
    metrics: flattenMetrics(result, scenario),
    warnings: runWarnings(result, scenario),
    performance: result.performance,
  };
}

/** The result, or the user error rethrown as its own class. */
export function unwrapOutcome(outcome: JobOutcome): JobResult {
  if (outcome.ok) return outcome.result;
  if (outcome.error.kind === 'run-input') throw new RunInputError(outcome.error.message);
  throw new UserError(outcome.error.diagnostic);
}
