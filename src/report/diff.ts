import { RELATIVE_ACCURACY } from '../metrics/index.js';
import { dropRate, type SloCheck } from '../metrics/slo.js';
import { type ComparisonMetric, checkReplicatedSlo, deltaPercent, type MeanEstimator } from './comparison.js';
import { formatDelta } from './comparison-text.js';
import { FAIL_ON_METRICS } from './fail-on-metrics.js';
import { describeSlo, describeSloMisses, type Slo } from './slo.js';
import { roundNumbers, type VariantSummary } from './summary.js';

/**
 * What changed between two versions of a scenario (`fleetsim diff OLD NEW`): each configuration
 * of one paired by name with the same of the other, and which of the figures a reviewer reads
 * moved beyond noise.
 */

/** Cloud price lists' month (AWS and GCP quote 730 hours). */
export const HOURS_PER_MONTH = 730;

/**
 * Without replications there is no interval to tell noise from a change: a figure that moved by
 * at most this many percent is taken as unchanged. Lost requests and the verdict have no such
 * allowance: any change of them is shown.
 */
export const DIFF_NOISE_PCT = 5;

/** Quantile differences below this many percent are within the sketch's error, whatever the interval says. */
const QUANTILE_NOISE_PCT = 2 * RELATIVE_ACCURACY * 100;

export interface DiffMetric extends ComparisonMetric {
  /** Its header in the tables. */
  column: string;
  /** An objective of either side limits it. */
  judged: boolean;
}

interface DiffMetricDefinition extends Omit<DiffMetric, 'judged'> {
  value(v: VariantSummary): number | null;
}

const lost = (v: VariantSummary) => v.requests.dropped + v.requests.timed_out + v.requests.in_flight_at_end;

function quantile(field: 'latency_s' | 'ttft_s' | 'tpot_s', stat: 'p50' | 'p99', name: string) {
  return {
    key: `${field}.${stat}`,
    title: `${stat} ${name}`,
    column: `${name === 'latency' ? '' : `${name} `}${stat}`,
    unit: 's',
    better: 'lower',
    quantile: true,
    value: (v: VariantSummary) => v[field][stat],
  } as const satisfies DiffMetricDefinition;
}

/** The figures every diff carries, in this order (those judged by an objective follow). */
const STANDARD_METRICS: readonly DiffMetricDefinition[] = [
  {
    key: 'cost_usd_per_month',
    title: `cost per month (${HOURS_PER_MONTH} hours at the run's mean spend per hour)`,
    column: 'cost / month',
    unit: 'usd',
    better: 'lower',
    quantile: false,
    // The run's whole cost over its whole simulated time: what its fleets cost an hour on average.
    value: (v) =>
      v.simulated_s.end > 0 ? (v.cost_usd.total / v.simulated_s.end) * 3600 * HOURS_PER_MONTH : null,
  },
  {
    key: 'cost_usd_total',
    title: 'cost of the run',
    column: 'cost / run',
    unit: 'usd',
    better: 'lower',
    quantile: false,
    value: (v) => v.cost_usd.total,
  },
  {
    key: 'cost_per_1m_tokens_usd',
    title: 'cost per 1M delivered tokens',
    column: '$/1M tok',
    unit: 'usd',
    better: 'lower',
    quantile: false,
    value: (v) => v.cost_per_1m_tokens_usd.total,
  },
  {
    key: 'cost_per_1k_requests_usd',
    title: 'cost per 1k completed requests',
    column: '$/1k req',
    unit: 'usd',
    better: 'lower',
    quantile: false,
    value: (v) => v.cost_per_1k_requests_usd,
  },
  quantile('latency_s', 'p50', 'latency'),
  quantile('latency_s', 'p99', 'latency'),
  quantile('ttft_s', 'p50', 'TTFT'),
  quantile('ttft_s', 'p99', 'TTFT'),
  quantile('tpot_s', 'p50', 'TPOT'),
  quantile('tpot_s', 'p99', 'TPOT'),
  {
    key: 'requests.lost',
    title: 'lost requests (dropped, timed out, unfinished)',
    column: 'lost',
    unit: 'count',
    better: 'lower',
    quantile: false,
    value: lost,
  },
  {
    key: 'drop_rate',
    title: 'share of requests lost',
    column: 'share lost',
    unit: 'fraction',
    better: 'lower',
    quantile: false,
    value: (v) => dropRate(v.requests),
  },
];

const METRIC_NAMES = { latency: 'latency', queue_wait: 'queue wait', ttft: 'TTFT', tpot: 'TPOT' } as const;

/** Statistics an objective of either side limits that the standard figures lack (`queue_wait_p99`). */
function judgedMetrics(slos: readonly Slo[]): DiffMetricDefinition[] {
  const keys = new Set(STANDARD_METRICS.map((m) => m.key));
  return slos.flatMap((slo) =>
    slo.limits.flatMap(({ metric, statistic }) => {
      const field = `${metric}_s` as const;
      const key = `${field}.${statistic}`;
      if (keys.has(key)) return [];
      keys.add(key);
      return [
        {
          key,
          title: `${statistic} ${METRIC_NAMES[metric]}`,
          column: `${metric === 'latency' ? '' : `${METRIC_NAMES[metric]} `}${statistic}`,
          unit: 's',
          better: 'lower',
          quantile: true,
          value: (v: VariantSummary) => v[field][statistic],
        } satisfies DiffMetricDefinition,
      ];
    }),
  );
}

/**
 * A `--fail-on` threshold: `slo` (an objective met before is missed now, or missed by an added
 * configuration), `lost` (more requests lost than before), or a figure that rose by more than
 * `percent` (`cost:+10%`).
 */
export type FailOnRule =
  | { kind: 'slo'; text: string }
  | { kind: 'lost'; text: string }
  | { kind: 'rise'; text: string; metric: keyof typeof FAIL_ON_METRICS; percent: number };

/** One side of a diff: a scenario file, run with every replication's seed. */
export interface DiffSideInput {
  /** How the side is called in the outputs: the scenario's name, or its file where both share one. */
  label: string;
  /** The scenario file, as given on the command line. */
  file: string;
  scenario: string;
  seed: number;
  slo: Slo;
  /** Each configuration (the baseline, then each variant) with every replication's summary, in seed order. */
  configurations: readonly { name: string; replicates: readonly VariantSummary[] }[];
}

/** A side's verdict on one configuration (with replications, on the means, as `compare` judges). */
export interface DiffVerdict {
  met: boolean;
  /** Cut short by a run limit: it fails whatever its figures. */
  partial: boolean;
  /** Each objective it misses, for people (`drop rate 1.7 % > 1.0 %`). */
  misses: string[];
}

export interface MetricChange {
  /** With replications, the means. */
  old: number | null;
  new: number | null;
  /** Half-width of each mean's 95 % confidence interval; null for a single run. */
  old_ci95: number | null;
  new_ci95: number | null;
  /** (new - old) / |old| in percent; null where either is missing or old is 0 (and new is not). */
  delta_pct: number | null;
  /** With replications: the 95 % confidence interval of the mean of the paired differences (new - old). */
  difference_ci95: [number, number] | null;
  /** Beyond noise (see `Diff.noise`), or past a `--fail-on` threshold. */
  changed: boolean;
}

export type DiffStatus = 'changed' | 'unchanged' | 'added' | 'removed';

export interface DiffConfiguration {
  /** The variant name both files share (`baseline` for the base). */
  name: string;
  status: DiffStatus;
  slo: {
    old: DiffVerdict | null;
    new: DiffVerdict | null;
    /** Objectives missed by the new version that the old one met (or did not have, or every miss of an added configuration). */
    newly_missed: string[];
  };
  /** Every figure of `Diff.metrics`, by key. Only the side that exists has values for added and removed ones. */
  metrics: Record<string, MetricChange>;
}

export interface FailOnResult {
  rule: string;
  tripped: boolean;
  /** What tripped it, a sentence per configuration. */
  by: string[];
}

export interface DiffSide {
  label: string;
  file: string;
  scenario: string;
  seed: number;
  /** The objective the side is judged against, in words. */
  slo: string;
}

/** `diff.json`: its field names are a public contract (docs/review.md describes them). */
export interface Diff {
  old: DiffSide;
  new: DiffSide;
  replications: number;
  noise:
    | { rule: 'threshold'; threshold_pct: number; quantile_pct: number }
    | { rule: 'ci95'; quantile_pct: number };
  /** Whether the table reads as an LLM fleet's (TTFT and TPOT, cost per token) or as requests'. */
  llm: boolean;
  metrics: DiffMetric[];
  /** The new file's configurations in its order, then those only the old one has. */
  configurations: DiffConfiguration[];
  fail_on: FailOnResult[];
}

const present = (values: readonly (number | null)[]) => values.filter((x): x is number => x !== null);

/**
 * The mean to ten significant digits, as summary.json writes figures: a cost per month computed
 * from two runs of the same fleet differs in its last bits, which is no change.
 */
function meanOf(values: readonly (number | null)[]): number | null {
  const xs = present(values);
  return xs.length === 0 ? null : roundNumbers(xs.reduce((a, b) => a + b, 0) / xs.length);
}

function verdictOf(check: SloCheck): DiffVerdict {
  return { met: check.met, partial: check.partial !== undefined, misses: describeSloMisses(check) };
}

/** What `now` misses that `before` did not (every miss when there is no `before`). */
function newlyMissed(before: SloCheck | null, now: SloCheck): string[] {
  const missedBefore = new Set(before?.objectives.filter((o) => !o.met).map((o) => o.objective) ?? []);
  return describeSloMisses({
    ...now,
    objectives: now.objectives.filter((o) => !o.met && !missedBefore.has(o.objective)),
    partial: before?.partial === undefined ? now.partial : undefined,
  });
}

interface Samples {
  old: (number | null)[] | null;
  new: (number | null)[] | null;
}

/**
 * Whether a figure changed beyond noise. With replications: the 95 % confidence interval of the
 * paired differences (same seed on both sides) leaves out 0; without: it moved by more than
 * `DIFF_NOISE_PCT` percent, or at all for lost requests. Either way a quantile moving less than the
 * sketch resolves has not changed, and a figure that appears or vanishes has.
 */
function measureChange(
  m: DiffMetricDefinition,
  samples: Samples,
  estimate: MeanEstimator,
): Omit<MetricChange, 'changed'> & { beyondNoise: boolean } {
  const interval = (xs: (number | null)[] | null) => {
    const values = present(xs ?? []);
    return values.length < 2 ? null : estimate(values).halfWidth;
  };
  const old = samples.old === null ? null : meanOf(samples.old);
  const now = samples.new === null ? null : meanOf(samples.new);
  const base = {
    old,
    new: now,
    old_ci95: interval(samples.old),
    new_ci95: interval(samples.new),
    delta_pct: deltaPercent(now, old),
    difference_ci95: null as [number, number] | null,
  };
  if (samples.old === null || samples.new === null) return { ...base, beyondNoise: false };
  if (old === null || now === null) return { ...base, beyondNoise: old !== now };
  const differences = samples.new.flatMap((x, k) =>
    x === null || samples.old![k] === null ? [] : [x - samples.old![k]!],
  );
  const paired = differences.length >= 2 ? estimate(differences) : null;
  const difference_ci95 =
    paired === null || paired.halfWidth === null
      ? null
      : ([paired.mean - paired.halfWidth, paired.mean + paired.halfWidth] as [number, number]);
  // To ten digits, as the figures: 1.00 s to 1.05 s is 5 %, not 5.000000000000004 %.
  const size = base.delta_pct === null ? Number.POSITIVE_INFINITY : roundNumbers(Math.abs(base.delta_pct));
  let beyondNoise: boolean;
  if (old === now) beyondNoise = false;
  else if (difference_ci95 !== null) beyondNoise = difference_ci95[0] > 0 || difference_ci95[1] < 0;
  else if (m.key === 'requests.lost' || m.key === 'drop_rate') beyondNoise = true;
  else beyondNoise = size > DIFF_NOISE_PCT;
  if (m.quantile && size < QUANTILE_NOISE_PCT) beyondNoise = false;
  return { ...base, difference_ci95, beyondNoise };
}

const RULE_TITLES: Record<keyof typeof FAIL_ON_METRICS, string> = {
  cost: 'cost per month',
  'cost-per-1m-tokens': 'cost per 1M tokens',
  'cost-per-1k-requests': 'cost per 1k requests',
  p50: 'p50 latency',
  p99: 'p99 latency',
  'ttft-p50': 'p50 TTFT',
  'ttft-p99': 'p99 TTFT',
  'tpot-p50': 'p50 TPOT',
  'tpot-p99': 'p99 TPOT',
};

/**
 * Whether a rise rule trips on a change: the figure rose by more than its percent (from 0, by any
 * amount). With replications the rise must also be beyond noise; without, the rule's own percent
 * is the allowance, which may be under `DIFF_NOISE_PCT`.
 */
function risesPast(change: Omit<MetricChange, 'changed'>, percent: number, replications: number): boolean {
  if (change.old === null || change.new === null || change.new <= change.old) return false;
  if (replications > 1 && change.difference_ci95 !== null && change.difference_ci95[0] <= 0) return false;
  return change.delta_pct === null || roundNumbers(change.delta_pct) > percent;
}

export interface DiffOptions {
  replications: number;
  estimate: MeanEstimator;
  failOn?: readonly FailOnRule[];
}

/**
 * Pairs the configurations of `old` and `new` by name and measures, for each pair, which figures
 * changed beyond noise and how the verdict moved; each side is judged against its own file's
 * objective. `replications` is how many summaries each configuration has (the same seeds, in the
 * same order, on both sides).
 */
export function buildDiff(old: DiffSideInput, now: DiffSideInput, options: DiffOptions): Diff {
  const { replications, estimate } = options;
  const rules = options.failOn ?? [];
  const definitions = [...STANDARD_METRICS, ...judgedMetrics([old.slo, now.slo])];
  const judged = new Set(
    [old.slo, now.slo].flatMap((slo) => [
      ...slo.limits.map((l) => `${l.metric}_s.${l.statistic}`),
      ...(slo.maxDropRate === null ? [] : ['drop_rate']),
    ]),
  );
  const oldByName = new Map(old.configurations.map((c) => [c.name, c]));
  const newNames = new Set(now.configurations.map((c) => c.name));
  const pairs = [
    ...now.configurations.map((c) => ({ name: c.name, old: oldByName.get(c.name) ?? null, new: c })),
    ...old.configurations
      .filter((c) => !newNames.has(c.name))
      .map((c) => ({ name: c.name, old: c, new: null })),
  ];
  const trips = new Map<FailOnRule, string[]>(rules.map((rule) => [rule, []]));
  const configurations = pairs.map((pair): DiffConfiguration => {
    const oldCheck = pair.old === null ? null : checkReplicatedSlo(old.slo, pair.old.replicates);
    const newCheck = pair.new === null ? null : checkReplicatedSlo(now.slo, pair.new.replicates);
    const newly = newCheck === null ? [] : newlyMissed(oldCheck, newCheck);
    const measured = definitions.map((m) => ({
      m,
      change: measureChange(
        m,
        {
          old: pair.old === null ? null : pair.old.replicates.map((v) => m.value(v)),
          new: pair.new === null ? null : pair.new.replicates.map((v) => m.value(v)),
        },
        estimate,
      ),
    }));
    const byKey = new Map(measured.map((x) => [x.m.key, x.change]));
    const tripped = new Set<string>();
    for (const rule of rules) {
      const by = trips.get(rule)!;
      if (rule.kind === 'slo' && newly.length > 0) {
        by.push(`${pair.name} newly misses its objective: ${newly.join('; ')}`);
      } else if (rule.kind === 'lost') {
        const change = byKey.get('requests.lost')!;
        if (change.beyondNoise && change.old !== null && change.new !== null && change.new > change.old) {
          by.push(`${pair.name} loses more requests: ${countText(change.old)} → ${countText(change.new)}`);
        }
      } else if (rule.kind === 'rise') {
        const key = FAIL_ON_METRICS[rule.metric];
        const change = byKey.get(key)!;
        if (risesPast(change, rule.percent, replications)) {
          tripped.add(key);
          const definition = definitions.find((m) => m.key === key)!;
          const rise =
            change.delta_pct === null
              ? 'from 0'
              : formatDelta({ ...definition, quantile: false }, change.delta_pct);
          by.push(`${pair.name} ${RULE_TITLES[rule.metric]} rose ${rise}, more than +${rule.percent} %`);
        }
      }
    }
    const metrics = Object.fromEntries(
      measured.map(({ m, change: { beyondNoise, ...change } }) => [
        m.key,
        { ...change, changed: beyondNoise || tripped.has(m.key) },
      ]),
    );
    const verdictMoved =
      oldCheck !== null && newCheck !== null && (oldCheck.met !== newCheck.met || newly.length > 0);
    const status: DiffStatus =
      pair.old === null
        ? 'added'
        : pair.new === null
          ? 'removed'
          : verdictMoved || Object.values(metrics).some((c) => c.changed)
            ? 'changed'
            : 'unchanged';
    return {
      name: pair.name,
      status,
      slo: {
        old: oldCheck === null ? null : verdictOf(oldCheck),
        new: newCheck === null ? null : verdictOf(newCheck),
        newly_missed: newly,
      },
      metrics,
    };
  });
  const side = (s: DiffSideInput): DiffSide => ({
    label: s.label,
    file: s.file,
    scenario: s.scenario,
    seed: s.seed,
    slo: `${describeSlo(s.slo)}${s.slo.isDefault ? ' (the default)' : ''}`,
  });
  const all = [...old.configurations, ...now.configurations].flatMap((c) => c.replicates);
  return {
    old: side(old),
    new: side(now),
    replications,
    noise:
      replications > 1
        ? { rule: 'ci95', quantile_pct: QUANTILE_NOISE_PCT }
        : { rule: 'threshold', threshold_pct: DIFF_NOISE_PCT, quantile_pct: QUANTILE_NOISE_PCT },
    llm: all.some((v) => v.llm !== null),
    metrics: definitions.map(({ value: _value, ...m }) => ({ ...m, judged: judged.has(m.key) })),
    configurations,
    fail_on: rules.map((rule) => ({
      rule: rule.text,
      tripped: trips.get(rule)!.length > 0,
      by: trips.get(rule)!,
    })),
  };
}

/** A count, or the mean of replications' counts. */
export function countText(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}
