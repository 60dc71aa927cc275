import { createStreams } from '../engine/index.js';
import type { FleetPerformance, VariantResult } from '../metrics/result.js';
import {
  evaluateSloValues,
  failingClassesInMetrics,
  metShare,
  partialInMetrics,
  type SloCheck,
  type SloValues,
} from '../metrics/slo.js';
import { checkReplicatedRuns } from '../scenario/index.js';
import { type LoadedScenario, RunInputError, type Slo } from '../scenario/types.js';
import { type JobResult, jobResultOf } from './job.js';
import type { RunMetrics } from './run-metrics.js';
import { createRunner, type RunnerOptions } from './runner.js';
import { estimateMean } from './statistics.js';

/**
 * Seeds of `count` replications. The first is the scenario's own seed, so one replication is
 * exactly `fleetsim run`; the others are drawn from a stream of it. Every point of a sweep uses
 * the same list, so points differ by their configuration, not by their random numbers.
 */
export function replicationSeeds(seed: number, count: number): number[] {
  const draw = createStreams(seed).stream('replications');
  return [seed, ...Array.from({ length: count - 1 }, () => Math.floor(draw() * 2 ** 32))];
}

/** Mean (and 95 % confidence half-width) of each metric over the replications of one configuration. */
export interface ReplicatedMetrics {
  replications: number;
  /** Mean over the replications that measured it (null where none did); ten significant digits. */
  metrics: RunMetrics;
  /**
   * Half-width of the 95 % confidence interval of each mean; null with a single replication, and
   * when the replications are identical (an interval of 0 would claim a precision never measured).
   */
  ci95: RunMetrics | null;
  /** Whether there were several replications and every metric came out the same in all of them. */
  identical: boolean;
  /** Each distinct warning once, with how many replications raised it. */
  warnings: string[];
  /** Per fleet, where its step or service times come from: the scenario decides it, so every replication has the same. */
  performance: Record<string, FleetPerformance>;
  /** With `model_uncertainty`: what each replication drew; null without. */
  model_uncertainty: ModelUncertainty | null;
}

/** The step-time parameters drawn across the replications of one configuration. */
export interface ModelUncertainty {
  /** Per roofline fleet: the spread of the natural logarithm of each drawn parameter, and where it comes from. */
  fleets: Record<string, { basis: string; spread: Record<string, number> }>;
  /** Per replication, in seed order: per fleet, the parameters it ran with. */
  draws: Record<string, Record<string, number>>[];
}

function modelUncertaintyOf(runs: readonly JobResult[]): ModelUncertainty | null {
  const first = runs[0]?.model;
  if (first === undefined) return null;
  return {
    fleets: Object.fromEntries(
      Object.entries(first).map(([fleet, { basis, spread }]) => [fleet, { basis, spread }]),
    ),
    draws: runs.map((run) =>
      Object.fromEntries(
        Object.entries(run.model ?? {}).map(([fleet, { drawn }]) => [
          fleet,
          Object.fromEntries(Object.entries(drawn).map(([key, value]) => [key, roundMetric(value)])),
        ]),
      ),
    ),
  };
}

/** Ten significant digits, as summary.json: hides binary noise and stays deterministic. */
export function roundMetric(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(10)) : value;
}

export function aggregateRuns(runs: readonly JobResult[]): ReplicatedMetrics {
  const metrics: RunMetrics = {};
  const ci95: RunMetrics = {};
  const keys = new Set(runs.flatMap((run) => Object.keys(run.metrics)));
  let identical = runs.length > 1;
  for (const key of keys) {
    const samples = runs
      .map((run) => run.metrics[key])
      .filter((value): value is number => typeof value === 'number');
    if (samples.length === 0) {
      metrics[key] = null;
      ci95[key] = null;
      continue;
    }
    const { mean, halfWidth } = estimateMean(samples);
    metrics[key] = roundMetric(mean);
    ci95[key] = halfWidth === null ? null : roundMetric(halfWidth);
    // estimateMean gives 0 for samples equal but for rounding; a metric some runs lack differs too.
    if (samples.length < runs.length || halfWidth !== 0) identical = false;
  }
  const counted = new Map<string, { message: string; count: number }>();
  for (const run of runs) {
    for (const warning of run.warnings) {
      const id = `${warning.code}/${warning.subject}`;
      const entry = counted.get(id);
      if (entry) entry.count++;
      else counted.set(id, { message: warning.message, count: 1 });
    }
  }
  const warnings = [...counted.values()].map(({ message, count }) =>
    runs.length > 1 ? `${message} (${count} of ${runs.length} replications)` : message,
  );
  return {
    replications: runs.length,
    metrics,
    ci95: runs.length > 1 && !identical ? ci95 : null,
    identical,
    warnings,
    performance: runs[0]?.performance ?? {},
    model_uncertainty: modelUncertaintyOf(runs),
  };
}

/**
 * An SLO check of replicated metrics: on the means, on the upper ends of their confidence
 * intervals, and replication by replication.
 */
export interface ReplicatedSloCheck extends SloCheck {
  /** Whether the SLO still holds at mean + half-width of every limited metric; null with one replication. */
  met_at_upper_ci95: boolean | null;
  /**
   * Per replication, in seed order: whether its own figures meet every objective. A replication
   * that misses one, that could not measure one, or that a run limit cut short does not.
   */
  met_by_replication: boolean[];
  /** The share of replications that met it: the estimated probability that this configuration meets the SLO. */
  met_share: number;
  /** The 95 % Wilson score interval of that probability. */
  met_share_ci95: [number, number];
}

function sloValues(metrics: RunMetrics, margin: RunMetrics | null): SloValues {
  const value = (key: string) => {
    const mean = metrics[key] ?? null;
    return mean === null || margin === null ? mean : mean + (margin[key] ?? 0);
  };
  return {
    statistic: (metric, statistic) => value(`${metric}_s.${statistic}`),
    dropRate: value('drop_rate'),
    partial: partialInMetrics(metrics),
    ...failingClassesInMetrics(metrics),
  };
}

/** `runs` are the replications' own metrics, in seed order, that `replicated` aggregates. */
export function checkSlo(
  slo: Slo,
  replicated: ReplicatedMetrics,
  runs: readonly RunMetrics[],
): ReplicatedSloCheck {
  const check = evaluateSloValues(slo, sloValues(replicated.metrics, null));
  const met_by_replication = runs.map((metrics) => evaluateSloValues(slo, sloValues(metrics, null)).met);
  const {
    met_share,
    met_share_ci95: [low, high],
  } = metShare(met_by_replication);
  return {
    ...check,
    met_at_upper_ci95:
      replicated.ci95 === null
        ? null
        : evaluateSloValues(slo, sloValues(replicated.metrics, replicated.ci95)).met,
    met_by_replication,
    met_share: roundMetric(met_share),
    met_share_ci95: [roundMetric(low), roundMetric(high)],
  };
}

/** One draw of the step-time parameters is no estimate of what their uncertainty does. */
export const ONE_DRAW =
  'model_uncertainty draws the step-time parameters once per replication: give --replications N with N of at least 2 (or --no-model-uncertainty)';

export interface ReplicateOptions extends RunnerOptions {
  /** Independent runs per variant (>= 1). */
  replications: number;
  /** Base seed; default: the scenario's. */
  seed?: number;
  /**
   * Results of every variant already run with the base seed, in variant order (what `fleetsim
   * run` has just written): the first replication takes them instead of running them again,
   * except where it draws the step-time parameters (they ran with the scenario's own).
   */
  firstRuns?: readonly VariantResult[];
  /**
   * Draw the step-time parameters of roofline fleets from their uncertainty in every replication
   * (the scenario's `model_uncertainty`, which this overrides when given).
   */
  modelUncertainty?: boolean;
}

export interface ReplicatedVariant extends ReplicatedMetrics {
  name: string;
  seeds: number[];
  /** Against the scenario's `slo:`, or the default objective without one. */
  slo: ReplicatedSloCheck;
}

/**
 * Runs every variant of a loaded scenario `replications` times with independent seeds (on a
 * worker pool when `workers` > 1) and reports the mean and 95 % confidence interval of every
 * metric, with warnings for fleets near saturation and queues that kept growing.
 */
export async function replicateScenario(
  loaded: LoadedScenario,
  options: ReplicateOptions,
): Promise<ReplicatedVariant[]> {
  if (!(Number.isInteger(options.replications) && options.replications >= 1)) {
    throw new RangeError(`replications must be a positive integer, got ${options.replications}`);
  }
  checkReplicatedRuns(
    '--replications: ',
    loaded.variants.length,
    options.replications,
    'lower --replications',
  );
  const drawing =
    options.modelUncertainty ?? loaded.variants.some(({ scenario }) => scenario.modelUncertainty);
  if (drawing && options.replications < 2) throw new RunInputError(ONE_DRAW);
  const seeds = replicationSeeds(options.seed ?? loaded.seed, options.replications);
  const firstRuns = options.firstRuns;
  if (firstRuns !== undefined && firstRuns.length !== loaded.variants.length) {
    throw new RangeError(`firstRuns has ${firstRuns.length} results for ${loaded.variants.length} variants`);
  }
  const runner = createRunner(options);
  const dataRoot = loaded.dataRoot ?? undefined;
  try {
    return await Promise.all(
      loaded.variants.map(async ({ name, scenario: written }, v) => {
        const scenario =
          options.modelUncertainty === undefined
            ? written
            : { ...written, modelUncertainty: options.modelUncertainty };
        const runs = await Promise.all(
          seeds.map((seed, r) =>
            r === 0 && firstRuns !== undefined && !scenario.modelUncertainty
              ? jobResultOf(firstRuns[v], scenario)
              : runner.run({ scenario, seed, dataRoot }),
          ),
        );
        const replicated = aggregateRuns(runs);
        const slo = checkSlo(
          loaded.slo,
          replicated,
          runs.map((run) => run.metrics),
        );
        return { name, seeds, ...replicated, slo };
      }),
    );
  } finally {
    await runner.close();
  }
}
