import type { Slo, SloMetric, SloStatistic } from '../scenario/types.js';

import type { PartialRun, RequestCounts, VariantResult } from './result.js';

export { DEFAULT_MAX_DROP_RATE, DEFAULT_SLO } from '../scenario/types.js';

/** What an SLO reads from a result: a single run's, or the mean of replications in the same shape. */
export type SloInput = Pick<
  VariantResult,
  'latency_s' | 'ttft_s' | 'tpot_s' | 'queue_wait_s' | 'requests' | 'partial'
>;

export interface SloObjectiveCheck {
  /** The scenario key: `latency_p99`, `queue_wait_mean`, `max_drop_rate`. */
  objective: string;
  /** Seconds, or a share for `max_drop_rate`. */
  limit: number;
  /** null when not measured: no completed request, or TTFT/TPOT without an LLM fleet. */
  value: number | null;
  met: boolean;
}

export interface SloCheck {
  met: boolean;
  /** True when the scenario gave no `slo:` and fleetsim's default objective judged the run. */
  default: boolean;
  objectives: SloObjectiveCheck[];
  /**
   * Present when a run limit cut the run short (what stopped it, e.g. `limits.max_events at
   * 12.5 s simulated`): its figures cover part of the run, so it fails whatever they are.
   */
  partial?: string;
  /**
   * With `workload.classes`: the classes that missed their own objective (`classes.<name>.slo`),
   * in declared order; any makes `met` false.
   */
  failing_classes?: string[];
}

/**
 * Share of measured requests not served: dropped, timed out, or still in flight when `max_drain`
 * cut the run short. The last count as failures because a run that is cut short would otherwise
 * leave its slowest requests out of every latency percentile.
 */
export function dropRate(requests: RequestCounts): number | null {
  if (requests.arrived === 0) return null;
  return (requests.dropped + requests.timed_out + requests.in_flight_at_end) / requests.arrived;
}

/** Share of measured requests (arrived after warmup) that completed; null when none arrived. */
export function completedShare(requests: RequestCounts): number | null {
  return requests.arrived === 0 ? null : requests.completed / requests.arrived;
}

/** Reads the figures an SLO limits; `evaluateSlo` reads them from a result, a sweep from means of replications. */
export interface SloValues {
  statistic(metric: SloMetric, statistic: SloStatistic): number | null;
  dropRate: number | null;
  /** What cut the run (or one of the runs averaged) short; null for a whole run. */
  partial: string | null;
  /**
   * With `workload.classes`: the classes that missed their own objective (in the run, or in any
   * of the runs averaged); absent without classes.
   */
  failingClasses?: readonly string[];
}

/** What cut a run short: `limits.max_events`, or its objective once missed for certain. */
export function stoppedBy(partial: PartialRun): string {
  return partial.limit === 'objective' ? 'its objective, missed for certain' : `limits.${partial.limit}`;
}

/** `limits.max_events at 12.5 s simulated`, or null for a run that was not cut short. */
export function partialCause(result: Pick<VariantResult, 'partial'>): string | null {
  const partial = result.partial;
  return partial === undefined
    ? null
    : `${stoppedBy(partial)} at ${Number(partial.at_s.toPrecision(6))} s simulated`;
}

/** Flattened metrics (sweeps, replications) hold `classes.<name>.missed`, 1 when the class missed its own objective. */
const CLASS_MISSED = /^classes\.(.+)\.missed$/;

/** The key of flattened metrics that says whether a class missed its objective. */
export function classMissedMetric(name: string): string {
  return `classes.${name}.missed`;
}

/**
 * The classes flattened metrics say missed their objective; on means of replications, those that
 * missed it in any replication. Absent when the metrics have no classes.
 */
export function failingClassesInMetrics(metrics: Readonly<Record<string, number | null>>): {
  failingClasses?: string[];
} {
  const keys = Object.keys(metrics).filter((key) => CLASS_MISSED.test(key));
  if (keys.length === 0) return {};
  return {
    failingClasses: keys
      .filter((key) => (metrics[key] ?? 0) > 0)
      .map((key) => (CLASS_MISSED.exec(key) as RegExpExecArray)[1]),
  };
}

/** Flattened metrics (sweeps, replications) hold `partial.at_s` when some run was cut short. */
export const PARTIAL_METRIC = 'partial.at_s';
/** Present with it when the run was stopped because its objective was already missed. */
const MEASURED_TOTAL_METRIC = 'partial.measured_total';

/** The `partial` of `SloValues` for means of flattened runs. */
export function partialInMetrics(metrics: Readonly<Record<string, number | null>>): string | null {
  if (metrics[PARTIAL_METRIC] == null) return null;
  return metrics[MEASURED_TOTAL_METRIC] == null
    ? 'a run limit (limits:)'
    : 'the plan once its objective was missed for certain (figures until then)';
}

/** Every objective of `slo` against `result`; an objective that could not be measured is not met. */
export function evaluateSlo(slo: Slo, result: SloInput): SloCheck {
  return evaluateSloValues(slo, {
    statistic: (metric, statistic) => result[`${metric}_s`][statistic],
    dropRate: dropRate(result.requests),
    partial: partialCause(result),
  });
}

export function evaluateSloValues(slo: Slo, values: SloValues): SloCheck {
  const objectives: SloObjectiveCheck[] = slo.limits.map(({ metric, statistic, seconds }) => {
    const value = values.statistic(metric, statistic);
    return {
      objective: `${metric}_${statistic}`,
      limit: seconds,
      value,
      met: value !== null && value <= seconds,
    };
  });
  if (slo.maxDropRate !== null) {
    const value = values.dropRate;
    objectives.push({
      objective: 'max_drop_rate',
      limit: slo.maxDropRate,
      value,
      met: value !== null && value <= slo.maxDropRate,
    });
  }
  const failing = values.failingClasses;
  const met =
    values.partial === null &&
    objectives.every((objective) => objective.met) &&
    (failing === undefined || failing.length === 0);
  return {
    met,
    default: slo.isDefault === true,
    objectives,
    ...(values.partial !== null && { partial: values.partial }),
    ...(failing !== undefined && { failing_classes: [...failing] }),
  };
}

/**
 * A variant's verdict, failed by any class that missed its own objective: a configuration that
 * serves one class within its objective and starves another does not meet its objective. Without
 * classes, the check as it is.
 */
export function withClassVerdicts(
  check: SloCheck,
  classes: Readonly<Record<string, { slo: SloCheck }>> | undefined,
): SloCheck {
  if (classes === undefined) return check;
  const failing = Object.entries(classes)
    .filter(([, result]) => !result.slo.met)
    .map(([name]) => name);
  return { ...check, met: check.met && failing.length === 0, failing_classes: failing };
}

/** Per metric, the largest value one request may have and still count as served within the objective. */
export type RequestLimits = Record<SloMetric, number>;

/**
 * What a single request must meet to count towards goodput: per metric, the loosest limit the SLO
 * sets on it (normally its tail percentile: a `latency_p99: 5s` objective says a request slower
 * than 5 s is one of the 1 % allowed to fail, while a `latency_p50: 1s` one says nothing about a
 * request at 2 s). A metric without a limit accepts any value.
 */
export function requestLimits(slo: Slo): RequestLimits {
  const limits: RequestLimits = {
    latency: Number.POSITIVE_INFINITY,
    ttft: Number.POSITIVE_INFINITY,
    tpot: Number.POSITIVE_INFINITY,
    queue_wait: Number.POSITIVE_INFINITY,
  };
  const seen = new Set<SloMetric>();
  for (const { metric, seconds } of slo.limits) {
    limits[metric] = seen.has(metric) ? Math.max(limits[metric], seconds) : seconds;
    seen.add(metric);
  }
  return limits;
}

/** The normal quantile of a two-sided 95 % interval. */
const Z_975 = 1.959963984540054;

/**
 * The 95 % Wilson score interval of a probability from `successes` in `trials` (Wilson 1927):
 * unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or `trials` successes.
 */
export function wilsonInterval(successes: number, trials: number): [number, number] {
  const p = successes / trials;
  const z2 = Z_975 * Z_975;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (Z_975 / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  // At none and all the bound is exactly 0 or 1, which the subtraction misses by an ulp: a
  // 2.8e-17 would read as a probability above zero.
  return [
    successes === 0 ? 0 : Math.max(0, centre - half),
    successes === trials ? 1 : Math.min(1, centre + half),
  ];
}

/** How often the replications of one configuration met the SLO: the estimated probability that it does. */
export interface MetShare {
  /** The share of replications whose own figures meet every objective. */
  met_share: number;
  /** Its 95 % Wilson score interval. */
  met_share_ci95: [number, number];
}

/** `met_by_replication`: per replication, whether its own figures met every objective; at least one. */
export function metShare(met_by_replication: readonly boolean[]): MetShare {
  const runs = met_by_replication.length;
  if (runs === 0) throw new RangeError('no replications');
  const met = met_by_replication.filter(Boolean).length;
  return { met_share: met / runs, met_share_ci95: wilsonInterval(met, runs) };
}
