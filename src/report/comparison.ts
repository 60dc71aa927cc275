import { ownValue } from '../core/records.js';
import {
  DEFAULT_SLO,
  dropRate,
  evaluateSlo,
  evaluateSloValues,
  failingClassesInMetrics,
  type MetShare,
  metShare,
  partialCause,
  partialInMetrics,
  type SloCheck,
  withClassVerdicts,
} from '../metrics/slo.js';
import type { CostUsd, VariantEstimates } from './charts/index.js';
import { describeSloMisses, type Slo } from './slo.js';
import type { VariantSummary } from './summary.js';

/** One compared configuration: a variant of a scenario, with a label unique within the comparison. */
export interface ComparisonEntry {
  label: string;
  scenario: string;
  variant: string;
  summary: VariantSummary;
  /**
   * Every replication's summary, `summary` (replication 0) first, all with the same seeds across
   * entries; absent for a single run.
   */
  replicates?: readonly VariantSummary[];
  /**
   * Instead of `replicates` once the runs are gone: their means and 95 % half-widths by
   * summary.json dotted key, as replications.json holds them. Figures summed from several keys
   * (dropped + timed out, sums over fleets) get their mean without an interval, and no difference
   * is checked against noise: that needs the runs paired seed by seed.
   */
  estimates?: VariantEstimates & {
    replications: number;
    /** Per replication, whether its own figures met the objective (replications.json's `slo.met_by_replication`). */
    met_by_replication?: readonly boolean[];
  };
  /** Every replication drew the step-time parameters from their uncertainty (`model_uncertainty`). */
  modelDraws?: boolean;
}

/**
 * How often the replications of a configuration met the objective, each on its own figures: the
 * estimated probability that it meets it. With `model_draws` every replication ran with its own
 * draw of the step-time parameters, so the probability covers the step-time model's error too.
 */
export interface SloProbability extends MetShare {
  /** Per replication, in seed order. */
  met_by_replication: boolean[];
  model_draws: boolean;
}

/**
 * The mean of independent samples and the half-width of its 95 % confidence interval (null for
 * one sample): plan's `estimateMean`, passed in because plan sits above this layer.
 */
export type MeanEstimator = (samples: readonly number[]) => { mean: number; halfWidth: number | null };

export type MetricUnit = 'count' | 'fraction' | 'number' | 's' | 'usd';

export interface ComparisonMetric {
  /** The summary.json path of the value where there is one (`latency_s.p99`), else a name of its own. */
  key: string;
  title: string;
  unit: MetricUnit;
  /** Which way is better, for reading deltas; null when neither is (utilization: cost against headroom). */
  better: 'lower' | 'higher' | null;
  /** A DDSketch estimate: two of them can differ by up to twice its relative accuracy by themselves. */
  quantile: boolean;
}

export interface ComparisonRow {
  label: string;
  scenario: string;
  variant: string;
  /** With replications, the means over them. */
  values: Record<string, number | null>;
  /** Half-width of the 95 % confidence interval of each mean; null without replications. */
  ci95: Record<string, number | null> | null;
  /** Change against the baseline (the first row), in percent; null where either value is missing or the baseline is 0. */
  delta_pct: Record<string, number | null>;
  /**
   * With replications: whether the difference from the baseline is within noise, i.e. the 95 %
   * confidence interval of the paired differences (replication by replication, same seeds)
   * contains 0; null where it cannot be told. Null without replications, and for the baseline.
   */
  within_noise: Record<string, boolean | null> | null;
  /** Against the objective (the default one without `slo:`). With replications, judged on the means. */
  slo_met: boolean;
  slo_failures: string[];
  /**
   * With replications: how often they met the objective. It never replaces `slo_met`: a
   * configuration that misses on the means misses, however many replications met it. null for a
   * single run, and for replications known by their means alone.
   */
  slo_probability: SloProbability | null;
  /** Present when a run limit cut the run (or one of its replications) short: it fails, whatever its figures. */
  partial?: true;
}

export interface Comparison {
  seed: number;
  /** Independent runs of every configuration; values are their means when more than 1. */
  replications: number;
  baseline: string;
  /** What every row is judged against: the scenario's `slo:`, or the default objective. */
  slo: Slo;
  metrics: ComparisonMetric[];
  rows: ComparisonRow[];
  /** Sentences the caller adds before the notes of comparisonNotes. */
  notes?: string[];
  /** The cheapest row (by cost per 1k requests) meeting the objective; null if none does. */
  pick: {
    label: string;
    basis: 'cheapest meeting the SLO' | 'cheapest meeting the default objective';
  } | null;
}

interface MetricDefinition extends ComparisonMetric {
  value(v: VariantSummary): number | null;
  /**
   * Shown only when this holds for some configuration: a row of zeros (no spot fleet, no
   * transfer), or compute equal to the total, says nothing.
   */
  relevant?: (v: VariantSummary) => boolean;
}

// Saved summaries from before the cost breakdown and `instances` existed lack them.
const cost = (v: VariantSummary): CostUsd => v.cost_usd;
const instances = (v: VariantSummary) => Object.values((v as Partial<VariantSummary>).instances ?? {});
const hasTransfer = (v: VariantSummary) => (cost(v).transfer ?? 0) > 0;
const sumOrNull = (values: number[]) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0));

function metric(
  key: string,
  title: string,
  unit: MetricUnit,
  better: ComparisonMetric['better'],
  value: MetricDefinition['value'],
  quantile = false,
): MetricDefinition {
  return { key, title, unit, better, quantile, value };
}

function quantileMetrics(field: 'latency_s' | 'queue_wait_s' | 'ttft_s' | 'tpot_s', name: string) {
  return (['p50', 'p90', 'p99'] as const).map((stat) =>
    metric(`${field}.${stat}`, `${stat} ${name}`, 's', 'lower', (v) => v[field][stat], true),
  );
}

const METRIC_NAMES = { latency: 'latency', queue_wait: 'queue wait', ttft: 'TTFT', tpot: 'TPOT' } as const;

/**
 * The statistics the objective judges that the standard rows lack (TTFT p95 for `ttft_p95`), so
 * that every judged value is in the table.
 */
function judgedMetrics(slo: Slo, standard: readonly MetricDefinition[]): MetricDefinition[] {
  const keys = new Set(standard.map((m) => m.key));
  return slo.limits.flatMap(({ metric: name, statistic }) => {
    const field = `${name}_s` as const;
    const key = `${field}.${statistic}`;
    if (keys.has(key)) return [];
    keys.add(key);
    return [
      metric(key, `${statistic} ${METRIC_NAMES[name]}`, 's', 'lower', (v) => v[field][statistic], true),
    ];
  });
}

const prefixCache = (v: VariantSummary, fleet: string) => v.llm?.fleets[fleet]?.prefix_cache ?? null;

/**
 * What prefix caching saved on an LLM fleet: shown once some configuration's prompts shared a
 * cached prefix there; `-` in a row where the fleet runs without it (see `PREFIX_CACHE_OFF`).
 */
function prefixCacheMetrics(fleet: string): MetricDefinition[] {
  const relevant = (v: VariantSummary) => (prefixCache(v, fleet)?.cached_prompt_tokens ?? 0) > 0;
  return [
    {
      ...metric(
        `prefix_cache.${fleet}.hit_rate`,
        `prefix-cache hit rate ${fleet}`,
        'fraction',
        'higher',
        (v) => prefixCache(v, fleet)?.hit_rate ?? null,
      ),
      relevant,
    },
    {
      ...metric(
        `prefix_cache.${fleet}.prefill_tokens_saved`,
        `prompt tokens served from the prefix cache ${fleet}`,
        'count',
        'higher',
        (v) => prefixCache(v, fleet)?.prefill_tokens_saved ?? null,
      ),
      relevant,
    },
  ];
}

/** Every metric compared, in table order; those no entry has a value for are dropped later. */
function metricDefinitions(entries: readonly ComparisonEntry[], slo: Slo): MetricDefinition[] {
  const fleets = [...new Set(entries.flatMap((e) => Object.keys(e.summary.utilization)))];
  const llmFleets = [...new Set(entries.flatMap((e) => Object.keys(e.summary.llm?.fleets ?? {})))];
  const standard = [
    ...quantileMetrics('latency_s', 'latency'),
    metric('queue_wait_s.p99', 'p99 queue wait', 's', 'lower', (v) => v.queue_wait_s.p99, true),
    ...quantileMetrics('ttft_s', 'TTFT').filter((m) => m.key !== 'ttft_s.p90'),
    ...quantileMetrics('tpot_s', 'TPOT').filter((m) => m.key !== 'tpot_s.p90'),
  ];
  // Each judged statistic goes after the rows of its own metric.
  const judged = judgedMetrics(slo, standard);
  const field = (m: MetricDefinition) => m.key.slice(0, m.key.indexOf('.'));
  const latencies = standard.flatMap((m, i) =>
    i + 1 < standard.length && field(standard[i + 1]) === field(m)
      ? [m]
      : [m, ...judged.filter((j) => field(j) === field(m))],
  );
  return [
    metric('requests.completed', 'completed', 'count', 'higher', (v) => v.requests.completed),
    metric(
      'requests.lost',
      'lost (dropped, timed out, unfinished)',
      'count',
      'lower',
      (v) => v.requests.dropped + v.requests.timed_out + v.requests.in_flight_at_end,
    ),
    metric('drop_rate', 'share lost', 'fraction', 'lower', (v) => dropRate(v.requests)),
    metric('throughput_rps', 'throughput (req/s)', 'number', 'higher', (v) => v.throughput_rps),
    {
      ...metric('goodput_rps', 'goodput (req/s within the objective)', 'number', 'higher', (v) =>
        typeof v.goodput_rps === 'number' ? v.goodput_rps : null,
      ),
      relevant: () => slo.limits.length > 0,
    },
    ...latencies,
    ...fleets.map((fleet) =>
      metric(
        `utilization.${fleet}`,
        `utilization ${fleet}`,
        'fraction',
        null,
        (v) => ownValue(v.utilization, fleet) ?? null,
      ),
    ),
    metric('instances.mean', 'replicas (time-average)', 'number', null, (v) =>
      sumOrNull(instances(v).map((f) => f.mean)),
    ),
    {
      ...metric('instances.preempted', 'spot reclaims', 'count', 'lower', (v) =>
        sumOrNull(instances(v).map((f) => f.preempted)),
      ),
      relevant: (v) => instances(v).some((f) => f.preempted > 0),
    },
    metric(
      'offload.edge_share',
      'share served at the edge',
      'fraction',
      null,
      (v) => v.offload?.edge_share ?? null,
    ),
    metric('llm.preemptions', 'KV-cache preemptions', 'count', 'lower', (v) =>
      v.llm === null ? null : Object.values(v.llm.fleets).reduce((sum, f) => sum + f.preemptions, 0),
    ),
    ...llmFleets.flatMap((fleet) => prefixCacheMetrics(fleet)),
    metric('cost_usd.total', 'cost', 'usd', 'lower', (v) => v.cost_usd.total),
    {
      ...metric('cost_usd.compute', 'cost: compute', 'usd', 'lower', (v) => cost(v).compute ?? null),
      relevant: hasTransfer,
    },
    {
      ...metric('cost_usd.transfer', 'cost: data transfer', 'usd', 'lower', (v) => cost(v).transfer ?? null),
      relevant: hasTransfer,
    },
    metric('cost_usd.idle', 'cost: idle replicas', 'usd', 'lower', (v) => cost(v).idle ?? null),
    {
      ...metric(
        'cost_usd.recompute',
        'cost: recomputing preempted sequences',
        'usd',
        'lower',
        (v) => cost(v).recompute ?? null,
      ),
      relevant: (v) => (cost(v).recompute ?? 0) > 0,
    },
    {
      ...metric(
        'cost_usd.energy',
        'cost: electricity billed apart',
        'usd',
        'lower',
        (v) => cost(v).energy ?? null,
      ),
      relevant: (v) => (cost(v).energy ?? 0) > 0,
    },
    metric(
      'cost_per_1k_requests_usd',
      'cost per 1k requests',
      'usd',
      'lower',
      (v) => v.cost_per_1k_requests_usd,
    ),
    ...(['input', 'output', 'total'] as const).map((kind) =>
      metric(
        `cost_per_1m_tokens_usd.${kind}`,
        `cost per 1M ${kind === 'total' ? '' : `${kind} `}tokens`,
        'usd',
        'lower',
        (v) => v.cost_per_1m_tokens_usd[kind],
      ),
    ),
    // Estimates (docs/energy.md); a summary written before them, or a run with a fleet of unknown power, has none.
    metric('energy.kwh', 'energy, kWh (estimate)', 'number', 'lower', (v) => v.energy?.kwh ?? null),
    metric('energy.co2e_kg', 'CO2e, kg (estimate)', 'number', 'lower', (v) => v.energy?.co2e_kg ?? null),
    metric(
      'energy.kwh_per_1m_tokens',
      'energy per 1M tokens, kWh (estimate)',
      'number',
      'lower',
      (v) => v.energy?.kwh_per_1m_tokens ?? null,
    ),
  ];
}

export function deltaPercent(value: number | null, baseline: number | null): number | null {
  if (value === null || baseline === null) return null;
  if (baseline === 0) return value === 0 ? 0 : null;
  return ((value - baseline) / Math.abs(baseline)) * 100;
}

/** `value` with each number at a dotted key of `means` replaced by the mean. */
function withMeans<T>(value: T, means: Readonly<Record<string, number | null>>, path = ''): T {
  if (typeof value === 'number' || value === null) {
    return (Object.hasOwn(means, path) ? means[path] : value) as T;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      withMeans(child, means, path === '' ? key : `${path}.${key}`),
    ]),
  ) as T;
}

/**
 * The summaries an entry's values are the means of: its replicates, or the one run. A summary of
 * the means stands for replications known by their estimates: every metric is a sum of summary
 * figures, and the mean of a sum is the sum of the means.
 */
function summariesOf(e: ComparisonEntry): readonly VariantSummary[] {
  if (e.replicates !== undefined) return e.replicates;
  return [e.estimates === undefined ? e.summary : withMeans(e.summary, e.estimates.metrics)];
}

/** Numbers of one metric over the replications of an entry, replication order kept (null where not measured). */
function samplesOf(m: MetricDefinition, e: ComparisonEntry): (number | null)[] {
  // A figure replications.json holds itself (`drop_rate`) is its mean, not one rebuilt from other means.
  if (e.estimates !== undefined && Object.hasOwn(e.estimates.metrics, m.key))
    return [e.estimates.metrics[m.key]];
  return summariesOf(e).map((v) => m.value(v));
}

const present = (values: readonly (number | null)[]) => values.filter((x): x is number => x !== null);

function meanOf(values: readonly (number | null)[]): number | null {
  const xs = present(values);
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** The SLO on the means of the replications, as sweeps and plans judge it. */
export function checkReplicatedSlo(slo: Slo, replicates: readonly VariantSummary[]): SloCheck {
  return evaluateSloValues(slo, {
    statistic: (metric, statistic) => meanOf(replicates.map((v) => v[`${metric}_s`][statistic])),
    dropRate: meanOf(replicates.map((v) => dropRate(v.requests))),
    partial: replicates.map(partialCause).find((cause) => cause !== null) ?? null,
    // A class that missed its objective in any replication fails the configuration.
    ...(replicates[0]?.classes !== undefined && {
      failingClasses: [
        ...new Set(replicates.flatMap((v) => withClassVerdicts(v.slo, v.classes).failing_classes ?? [])),
      ],
    }),
  });
}

/** The SLO on means by dotted key, as replications.json judges it. */
function checkEstimatedSlo(slo: Slo, means: Readonly<Record<string, number | null>>): SloCheck {
  return evaluateSloValues(slo, {
    statistic: (metric, statistic) => means[`${metric}_s.${statistic}`] ?? null,
    dropRate: means.drop_rate ?? null,
    partial: partialInMetrics(means),
    ...failingClassesInMetrics(means),
  });
}

/** How often an entry's replications met the objective; null for a single run or replications without their verdicts. */
function sloProbabilityOf(e: ComparisonEntry, slo: Slo, replications: number): SloProbability | null {
  if (replications < 2) return null;
  const met =
    e.replicates !== undefined
      ? e.replicates.map((v) => withClassVerdicts(evaluateSlo(slo, v), v.classes).met)
      : e.estimates?.met_by_replication;
  if (met === undefined || met.length !== replications) return null;
  return { met_by_replication: [...met], ...metShare(met), model_draws: e.modelDraws ?? false };
}

/**
 * Whether the paired differences from the baseline leave 0 inside their 95 % confidence interval.
 * Common random numbers make the two runs of a seed move together, so the differences vary far
 * less than either run: overlapping intervals of the two means would call real differences noise.
 */
function withinNoise(
  row: readonly (number | null)[],
  base: readonly (number | null)[],
  estimate: MeanEstimator,
): boolean | null {
  const differences = row.flatMap((x, k) => (x === null || base[k] === null ? [] : [x - base[k]!]));
  if (differences.length < 2) return null;
  const { mean, halfWidth } = estimate(differences);
  return halfWidth === null ? null : Math.abs(mean) <= halfWidth;
}

/**
 * Compares entries against the first (the baseline): each metric with its change in percent,
 * whether each meets the SLO, and the one to pick. Metrics that no entry has (TTFT without an LLM
 * fleet, cost per token without tokens) are left out. Entries with `replicates` (all with as
 * many, from the same seeds) are compared on their means, with confidence intervals from `estimate`;
 * entries with `estimates` on the means and intervals they carry.
 */
export function buildComparison(
  entries: readonly ComparisonEntry[],
  seed: number,
  given?: Slo,
  estimate?: MeanEstimator,
): Comparison {
  const slo = given ?? DEFAULT_SLO;
  if (entries.length === 0) throw new RangeError('a comparison needs at least one entry');
  const count = (e: ComparisonEntry) => e.replicates?.length ?? e.estimates?.replications ?? 1;
  const replications = count(entries[0]);
  if (entries.some((e) => count(e) !== replications)) {
    throw new RangeError('every entry of a comparison needs the same number of replicates');
  }
  const paired = replications > 1 && entries.every((e) => e.replicates !== undefined);
  if (replications > 1 && entries.some((e) => e.replicates !== undefined) && estimate === undefined) {
    throw new RangeError('comparing replicates needs an estimate of the mean');
  }
  const allSummaries = entries.flatMap(summariesOf);
  const definitions = metricDefinitions(entries, slo).filter(
    (m) =>
      allSummaries.some((v) => m.value(v) !== null) &&
      (m.relevant === undefined || allSummaries.some((v) => m.relevant!(v))),
  );
  const samples = entries.map((e) => new Map(definitions.map((m) => [m.key, samplesOf(m, e)])));
  const rows = entries.map((e, i): ComparisonRow => {
    const values = Object.fromEntries(definitions.map((m) => [m.key, meanOf(samples[i].get(m.key)!)]));
    const overall =
      e.estimates !== undefined
        ? checkEstimatedSlo(slo, e.estimates.metrics)
        : replications > 1
          ? checkReplicatedSlo(slo, e.replicates!)
          : evaluateSlo(slo, e.summary);
    // A single run's classes judged themselves; replications judge theirs above.
    const check =
      replications > 1 || e.estimates !== undefined ? overall : withClassVerdicts(overall, e.summary.classes);
    const halfWidth = (m: MetricDefinition) => {
      if (e.estimates !== undefined) return e.estimates.ci95?.[m.key] ?? null;
      const xs = present(samples[i].get(m.key)!);
      return xs.length === 0 ? null : estimate!(xs).halfWidth;
    };
    return {
      label: e.label,
      scenario: e.scenario,
      variant: e.variant,
      values,
      ci95: replications > 1 ? Object.fromEntries(definitions.map((m) => [m.key, halfWidth(m)])) : null,
      delta_pct: {},
      within_noise:
        paired && i > 0
          ? Object.fromEntries(
              definitions.map((m) => [
                m.key,
                withinNoise(samples[i].get(m.key)!, samples[0].get(m.key)!, estimate!),
              ]),
            )
          : null,
      slo_met: check.met,
      slo_failures: describeSloMisses(check, e.summary.classes),
      slo_probability: sloProbabilityOf(e, slo, replications),
      ...(check.partial !== undefined && { partial: true as const }),
    };
  });
  for (const row of rows) {
    row.delta_pct = Object.fromEntries(
      definitions.map((m) => [m.key, deltaPercent(row.values[m.key], rows[0].values[m.key])]),
    );
  }
  const candidates = rows.filter((r) => r.slo_met && r.values.cost_per_1k_requests_usd !== null);
  const cheapest = candidates.reduce<ComparisonRow | null>(
    (best, r) =>
      best === null || r.values.cost_per_1k_requests_usd! < best.values.cost_per_1k_requests_usd! ? r : best,
    null,
  );
  return {
    seed,
    replications,
    baseline: entries[0].label,
    slo,
    metrics: definitions.map(({ value: _value, relevant: _relevant, ...m }) => m),
    rows,
    pick:
      cheapest === null
        ? null
        : {
            label: cheapest.label,
            basis: slo.isDefault ? 'cheapest meeting the default objective' : 'cheapest meeting the SLO',
          },
  };
}
