/**
 * The statistics a calibration compares between a measured run and its replay, and the errors it
 * reports. Per-request times are seconds, NaN where a request has none (it did not complete, or
 * TPOT with one output token).
 */

export const METRICS = ['ttft', 'tpot', 'latency'] as const;
export type Metric = (typeof METRICS)[number];

/** Per-request TTFT, TPOT and latency, indexed as the measured run orders its requests. */
export type RequestTimes = Record<Metric, Float64Array>;

/** The statistics every error table shows, per metric. */
export const SUMMARY_STATISTICS = ['mean', 'p50', 'p90', 'p99'] as const;
export type SummaryStatistic = (typeof SUMMARY_STATISTICS)[number];

/** Requests a stratum of prompt lengths holds at least, so that its mean is not one request's luck. */
const REQUESTS_PER_STRATUM = 200;
const MAX_STRATA = 5;
/** A statistic resting on fewer values than this is left out of the fit. */
const MIN_VALUES = 20;

/** Linear interpolation between order statistics (numpy's default): `sorted` ascending, not empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (h - lo);
}

/** One compared statistic: the mean of ln(metric) over a stratum, or ln of a quantile or of the mean over all. */
export interface Statistic {
  metric: Metric;
  kind: 'stratum-log-mean' | 'log-p50' | 'log-p90' | 'log-mean';
  /** For `stratum-log-mean`: which stratum of prompt lengths, from 0 (shortest). */
  stratum: number;
}

/**
 * The fitted statistics of a set of requests: for each metric, the mean of its logarithm within
 * each stratum of prompt lengths, and the logarithms of its median, 90th percentile and mean over
 * all. Strata are quantiles of the measured prompt lengths (one per 200 completed requests, at
 * most five), so TTFT is compared across prompt lengths, which tells compute-bound prefill from
 * the per-iteration overhead. Statistics with fewer than 20 measured values are left out.
 */
export class StatisticsDesign {
  readonly statistics: Statistic[];
  /** Stratum of every request of the run (the fit set's cut points apply to all). */
  readonly stratumOf: Int8Array;
  readonly strata: number;

  constructor(measured: RequestTimes, inputTokens: Float64Array, fitSet: Int32Array) {
    let completed = 0;
    for (const i of fitSet) if (measured.latency[i] > 0) completed++;
    this.strata = Math.max(1, Math.min(MAX_STRATA, Math.floor(completed / REQUESTS_PER_STRATUM)));
    const prompts = Float64Array.from(fitSet, (i) => inputTokens[i]).sort();
    const cuts = Array.from({ length: this.strata - 1 }, (_, k) => quantile(prompts, (k + 1) / this.strata));
    this.stratumOf = Int8Array.from(inputTokens, (tokens) => {
      let s = 0;
      while (s < cuts.length && tokens > cuts[s]) s++;
      return s;
    });
    const candidates: Statistic[] = [];
    for (const metric of METRICS) {
      for (let stratum = 0; stratum < this.strata; stratum++) {
        candidates.push({ metric, kind: 'stratum-log-mean', stratum });
      }
      for (const kind of ['log-p50', 'log-p90', 'log-mean'] as const)
        candidates.push({ metric, kind, stratum: -1 });
    }
    const counts = this.#counts(measured, fitSet);
    this.statistics = candidates.filter((s) => counts(s) >= MIN_VALUES);
  }

  #counts(times: RequestTimes, set: Int32Array): (s: Statistic) => number {
    const byMetric = new Map<Metric, number[]>();
    for (const metric of METRICS) {
      const perStratum = new Array<number>(this.strata + 1).fill(0);
      const values = times[metric];
      for (const i of set) {
        if (values[i] > 0) {
          perStratum[this.stratumOf[i]]++;
          perStratum[this.strata]++;
        }
      }
      byMetric.set(metric, perStratum);
    }
    return (s) =>
      (byMetric.get(s.metric) as number[])[s.kind === 'stratum-log-mean' ? s.stratum : this.strata];
  }

  /** The statistics of `times` over the requests `set` (which may repeat requests); NaN where none has a value. */
  evaluate(times: RequestTimes, set: Int32Array): Float64Array {
    const out = new Float64Array(this.statistics.length);
    const perMetric = new Map<Metric, { logSum: Float64Array; count: Float64Array; all: Float64Array }>();
    for (const metric of METRICS) {
      if (!this.statistics.some((s) => s.metric === metric)) continue;
      const logSum = new Float64Array(this.strata);
      const count = new Float64Array(this.strata);
      const all: number[] = [];
      const values = times[metric];
      for (const i of set) {
        const v = values[i];
        if (!(v > 0)) continue;
        const s = this.stratumOf[i];
        logSum[s] += Math.log(v);
        count[s]++;
        all.push(v);
      }
      perMetric.set(metric, { logSum, count, all: Float64Array.from(all).sort() });
    }
    this.statistics.forEach((s, k) => {
      const { logSum, count, all } = perMetric.get(s.metric) as {
        logSum: Float64Array;
        count: Float64Array;
        all: Float64Array;
      };
      if (s.kind === 'stratum-log-mean')
        out[k] = count[s.stratum] > 0 ? logSum[s.stratum] / count[s.stratum] : Number.NaN;
      else if (all.length === 0) out[k] = Number.NaN;
      else if (s.kind === 'log-p50') out[k] = Math.log(quantile(all, 0.5));
      else if (s.kind === 'log-p90') out[k] = Math.log(quantile(all, 0.9));
      else out[k] = Math.log(mean(all));
    });
    return out;
  }
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** mean, p50, p90 and p99 of each metric over the requests `set` that have it; null without any. */
export type SummaryStatistics = Record<Metric, Record<SummaryStatistic, number> | null>;

export function summarize(times: RequestTimes, set: Int32Array): SummaryStatistics {
  const out = {} as SummaryStatistics;
  for (const metric of METRICS) {
    const values: number[] = [];
    for (const i of set) if (times[metric][i] >= 0) values.push(times[metric][i]);
    if (values.length === 0) {
      out[metric] = null;
      continue;
    }
    const sorted = Float64Array.from(values).sort();
    out[metric] = {
      mean: mean(sorted),
      p50: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      p99: quantile(sorted, 0.99),
    };
  }
  return out;
}

/** Simulated against measured, per metric and statistic: (simulated - measured) / measured. */
export type RelativeErrors = Record<Metric, Record<SummaryStatistic, number> | null>;

export function relativeErrors(simulated: SummaryStatistics, measured: SummaryStatistics): RelativeErrors {
  const out = {} as RelativeErrors;
  for (const metric of METRICS) {
    const s = simulated[metric];
    const m = measured[metric];
    if (s === null || m === null) {
      out[metric] = null;
      continue;
    }
    out[metric] = Object.fromEntries(
      SUMMARY_STATISTICS.map((stat) => [stat, m[stat] > 0 ? (s[stat] - m[stat]) / m[stat] : Number.NaN]),
    ) as Record<SummaryStatistic, number>;
  }
  return out;
}

/** The largest absolute error and where it is; null when nothing was compared. */
export function worstError(
  errors: RelativeErrors,
): { metric: Metric; statistic: SummaryStatistic; error: number } | null {
  let worst: { metric: Metric; statistic: SummaryStatistic; error: number } | null = null;
  for (const metric of METRICS) {
    const row = errors[metric];
    if (row === null) continue;
    for (const statistic of SUMMARY_STATISTICS) {
      const error = row[statistic];
      if (Number.isFinite(error) && (worst === null || Math.abs(error) > Math.abs(worst.error))) {
        worst = { metric, statistic, error };
      }
    }
  }
  return worst;
}
