import { join } from 'node:path';
import { formatDiagnostic, RunInputError, type Scenario, type Slo, UserError } from '../scenario/types.js';
import type { JobResult } from './job.js';
import { identicalNote } from './noise.js';
import type { Infeasibility } from './parameters.js';
import { aggregateRuns, type ReplicatedMetrics, replicationSeeds } from './replications.js';
import type { RunMetrics } from './run-metrics.js';
import { createRunner, Interrupted, type JobRunner, type RunnerOptions } from './runner.js';
import { EvaluationStore, evaluationKey } from './store.js';

/** A configuration's results over its replications, or why it could not run. */
export type Evaluation =
  | { ok: true; replicated: ReplicatedMetrics; runs: RunMetrics[] }
  | { ok: false; infeasible: Infeasibility };

/**
 * Runs one configuration (a variant of a point) with every replication seed, once: a point file
 * from an earlier run is reused, and concurrent asks for the same configuration share one run.
 */
export class Evaluator {
  /** Configurations run now, and taken from point files. */
  computed = 0;
  reused = 0;
  private readonly pending = new Map<string, Promise<JobResult[] | Infeasibility>>();
  /** Each configuration evaluated, by key, and whether its replications came out identical. */
  private readonly outcomes = new Map<string, { label: string; scenario: Scenario; identical: boolean }>();

  constructor(
    private readonly runner: JobRunner,
    private readonly store: EvaluationStore,
    readonly seeds: readonly number[],
    /** Stop each run once this objective is missed for certain (`Job.stopWhenMissed`); null: run them whole. */
    private readonly stopWhenMissed: Slo | null = null,
    /** `LoadedScenario.dataRoot`, which every job checks its data files against (`Job.dataRoot`). */
    private readonly dataRoot: string | null = null,
  ) {}

  async evaluate(scenario: Scenario): Promise<Evaluation> {
    const key = await evaluationKey(scenario, this.seeds, this.stopWhenMissed);
    let runs = this.pending.get(key);
    if (runs === undefined) {
      runs = this.runAll(key, scenario);
      this.pending.set(key, runs);
    }
    const outcome = await runs;
    if (!Array.isArray(outcome)) return { ok: false, infeasible: outcome };
    const replicated = aggregateRuns(outcome);
    this.outcomes.set(key, { label: key, scenario, identical: replicated.identical });
    return { ok: true, replicated, runs: outcome.map((run) => run.metrics) };
  }

  /** What a study stopped by a signal says: what finished, where it is kept, how to go on. */
  interrupted(outDir: string): Interrupted {
    return new Interrupted(
      `interrupted: ${this.computed + this.reused} configuration(s) finished and saved in ${join(outDir, 'points')}; run the same command again to resume`,
    );
  }

  /** Why the replications of some configurations evaluated so far are identical; null when none are. */
  identicalNote(): string | null {
    return identicalNote(this.seeds.length, [...this.outcomes.values()], 0);
  }

  private async runAll(key: string, scenario: Scenario): Promise<JobResult[] | Infeasibility> {
    const stored = this.store.read(key, this.seeds.length);
    if (stored !== null) {
      this.reused++;
      return stored;
    }
    let runs: JobResult[];
    try {
      const stopWhenMissed = this.stopWhenMissed ?? undefined;
      const dataRoot = this.dataRoot ?? undefined;
      runs = await Promise.all(
        this.seeds.map((seed) => this.runner.run({ scenario, seed, stopWhenMissed, dataRoot })),
      );
    } catch (error) {
      // Input that proves unusable only while running (a rate expression turning negative at this
      // point's scale) makes this configuration infeasible, not the whole study. Not saved: it
      // fails again, quickly, on a rerun.
      if (!(error instanceof UserError || error instanceof RunInputError)) throw error;
      this.computed++;
      return error instanceof UserError
        ? { reason: formatDiagnostic(error.diagnostic), at: error.diagnostic }
        : { reason: error.message, at: null };
    }
    // Written before anything else can happen: a signal handled after this line finds the point saved.
    this.store.write(key, runs);
    this.computed++;
    return runs;
  }
}

/**
 * Runs a study on a runner whose worker threads (up to one per core) start at once, so that they
 * load their modules while this thread is still loading the scenario; the pool is closed however
 * the study ends.
 */
export async function withRunner<T>(
  options: RunnerOptions,
  study: (runner: JobRunner) => Promise<T>,
): Promise<T> {
  const runner = createRunner(options);
  try {
    return await study(runner);
  } finally {
    await runner.close();
  }
}

/**
 * What a study runs with on `runner`: its base seed and replications, and the evaluator, its
 * point files in `outDir/points`.
 */
export function studyEvaluator(
  options: { outDir: string; seed?: number; replications?: number },
  loaded: { seed: number; dataRoot: string | null },
  runner: JobRunner,
  stopWhenMissed: Slo | null = null,
): { seed: number; replications: number; evaluator: Evaluator } {
  const replications = options.replications ?? 1;
  const seed = options.seed ?? loaded.seed;
  const store = new EvaluationStore(options.outDir);
  const evaluator = new Evaluator(
    runner,
    store,
    replicationSeeds(seed, replications),
    stopWhenMissed,
    loaded.dataRoot,
  );
  return { seed, replications, evaluator };
}
