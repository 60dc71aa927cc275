/**
 * What a run measures, is limited by and judged against, and what it writes: `metrics`, `limits`,
 * `slo`, `sweep`, `report`, `variants`.
 */

import * as z from 'zod';
import { expected, PositiveDuration, PositiveInteger, positiveInteger } from '../../core/schema-values.js';
import { US_PER_S } from '../../core/time.js';
import { closestNames, typoTolerance } from '../../util/closest-names.js';
import type {
  MetricsConfig,
  ReportConfig,
  RunLimits,
  Slo,
  SloMetric,
  SloStatistic,
  Sweep,
} from '../types.js';
import {
  DEFAULT_FLAP_WINDOW_S,
  DEFAULT_MAX_DROP_RATE,
  DEFAULT_RUN_LIMITS,
  MAX_RUNS,
  REPORT_CHART_NAMES,
  SLO_METRICS,
  SLO_STATISTICS,
} from '../types.js';
import { FLEET_NAME, notReservedName, RESERVED_NAME, tooLong } from './common.js';

// Schemas under z.lazy are built on first use: most scenarios have no variants, SLO, sweep or
// report settings, and building zod schemas is a noticeable part of what a short `fleetsim run`
// waits for.

export const MetricsSchema = z
  .object({
    interval: PositiveDuration.refine(
      (seconds) => seconds >= 1 / US_PER_S,
      'expected at least 1us: the simulation clock counts whole microseconds',
    )
      .nullable()
      .prefault(null)
      .describe(
        'Width of one `timeseries.csv` row. null: picked from the run length (about 500 rows), and doubled whenever a run outgrows 1,000 rows, as a trace of unknown length can. ' +
          'A given width keeps at most 100,000 rows: a day in rows of `1s` (86,400) keeps it, a longer run has its rows widened, ' +
          'doubling until the run fits, with a `SERIES_WIDENED` warning that says the width used. ' +
          'Either way the rows hold at most 2,000,000 values, two per fleet in each, so many fleets widen them sooner, ' +
          'a given width with the same warning: 1,000 fleets keep fewer than 997 rows, a day in rows of `1s` keeps them up to 9 fleets.',
      ),
    flap_window: PositiveDuration.prefault(`${DEFAULT_FLAP_WINDOW_S}s`).describe(
      'An autoscaled fleet flaps when a scale-in is followed by a scale-out within this window: ' +
        '`scaling.<fleet>.flaps` counts them and a `FLAPPING` warning names the fleet. ' +
        "Default 5 minutes, Kubernetes HPA's default scale-down stabilization window.",
    ),
  })
  .strict()
  .transform((metrics): MetricsConfig => ({ interval: metrics.interval, flapWindow: metrics.flap_window }))
  .describe('What is measured.');

/** A limit of `limits:`: null turns it off. */
function orUnlimited(value: number | null): number {
  return value ?? Number.POSITIVE_INFINITY;
}

export const LimitsSchema = z
  .object({
    max_events: positiveInteger(Number.MAX_SAFE_INTEGER)
      .nullable()
      .prefault(DEFAULT_RUN_LIMITS.maxEvents)
      .describe(
        'Events one simulation may handle (an arrival, a completion, a batch, an autoscaler tick are one each): ' +
          'bounds its work. A run that would need more ends there as a partial result; a scenario whose ' +
          'expected arrivals alone exceed it is refused before it starts. null: no limit.',
      ),
    max_in_flight: PositiveInteger.nullable()
      .prefault(DEFAULT_RUN_LIMITS.maxInFlight)
      .describe(
        'Requests in the system at once (held, queued or in service, warmup ones included), plus the turns ' +
          'that sessions waiting for their next turn drew: bounds the memory a run holds, some 70 bytes a request ' +
          '(250 on an LLM fleet), 50 a turn and 110 a session. Past it the run ends as a partial result. ' +
          'null: no limit.',
      ),
    max_wall: PositiveDuration.nullable()
      .prefault(DEFAULT_RUN_LIMITS.maxWallS)
      .describe(
        'Wall-clock time one simulation (one variant, one replication) may take; past it the run ends as a ' +
          'partial result, which then depends on the speed of the machine. null: no limit.',
      ),
  })
  .strict()
  .transform(
    (limits): RunLimits => ({
      maxEvents: orUnlimited(limits.max_events),
      maxInFlight: orUnlimited(limits.max_in_flight),
      maxWallS: orUnlimited(limits.max_wall),
    }),
  )
  .describe(
    'Guards against a run that never ends or exhausts the machine (docs/reliability.md, Run limits). A run that ' +
      'reaches one ends early as a partial result: marked `partial` in every output and failing its objective; ' +
      '`fleetsim run` and `compare` exit with status 2 once every output is written, `sweep` and `plan` record ' +
      'the point as failing. Checked every 4,096 events.',
  );

/** A variant's name heads a column of every comparison and labels it in every chart. */
const MAX_VARIANT_NAME = 100;

export const VariantSchema = z.lazy(() =>
  z
    .object({
      name: z
        .string(expected('a variant name'))
        .regex(FLEET_NAME, expected('a variant name of letters, digits, _ . -'))
        .refine(notReservedName, RESERVED_NAME)
        .max(MAX_VARIANT_NAME, tooLong('a variant name', MAX_VARIANT_NAME))
        .describe(
          `Unique name (not \`baseline\`), used in reports: letters, digits, \`_\`, \`.\`, \`-\`, at most ${MAX_VARIANT_NAME} characters.`,
        ),
      set: z
        .record(z.string(), z.unknown())
        .describe(
          'Dotted path (numeric indices for lists, e.g. `fleets.0.replicas`) -> new value, applied to the ' +
            'baseline (after `--set`). null removes an optional key whose value cannot be null ' +
            '(`fleets.0.autoscaling: null` with `fleets.0.replicas: 4`: a fixed fleet; a key with a default ' +
            'takes it again); where null is a value (`max_drain: null`, `queue.capacity: null`) it sets that ' +
            'value; a required key cannot be removed. `--set path=null` does the same.',
        ),
    })
    .strict()
    .describe('A copy of the scenario with some values changed, run and compared with the baseline.'),
);

const SLO_METRIC_NAMES: Record<SloMetric, string> = {
  latency: 'latency (arrival to completion)',
  ttft: 'time to first token (LLM fleets)',
  tpot: 'time per output token after the first (LLM fleets)',
  queue_wait: 'queue wait (arrival to start of service)',
};

const SLO_STATISTIC_NAMES: Record<SloStatistic, string> = {
  mean: 'mean',
  p50: 'median',
  p90: '90th percentile',
  p95: '95th percentile',
  p99: '99th percentile',
  p999: '99.9th percentile',
};

export const SloSchema = z.lazy(() =>
  z
    .object({
      ...Object.fromEntries(
        SLO_METRICS.flatMap((metric) =>
          SLO_STATISTICS.map((statistic) => [
            `${metric}_${statistic}`,
            PositiveDuration.optional().describe(
              `Upper limit on the ${SLO_STATISTIC_NAMES[statistic]} of ${SLO_METRIC_NAMES[metric]}.`,
            ),
          ]),
        ),
      ),
      max_drop_rate: z
        .number(expected('a share between 0 and 1'))
        .min(0, expected('a share between 0 and 1'))
        .max(1, expected('a share between 0 and 1'))
        .optional()
        .describe(
          'Largest share of measured requests dropped, timed out, or still in flight when `max_drain` ended the run ' +
            '(default 0.01; 1 turns the limit off).',
        ),
    })
    .strict()
    .refine((spec) => Object.values(spec).some((limit) => limit !== undefined), {
      error: 'expected at least one objective',
      // An unknown key (a misspelt objective) is the better message on its own.
      when: (payload) => payload.issues.length === 0,
    })
    .transform((spec): Slo => {
      const limits: Slo['limits'] = [];
      for (const metric of SLO_METRICS) {
        for (const statistic of SLO_STATISTICS) {
          const seconds = (spec as Record<string, number | undefined>)[`${metric}_${statistic}`];
          if (seconds !== undefined) limits.push({ metric, statistic, seconds });
        }
      }
      return { limits, maxDropRate: spec.max_drop_rate ?? DEFAULT_MAX_DROP_RATE };
    })
    .describe(
      'Service-level objective that every run, comparison and sweep point is judged against and `fleetsim plan` ' +
        'searches for (without `slo:`, the default objective: at most 1 % of measured requests lost): ' +
        'limits named `<metric>_<statistic>` (metric `latency`, `ttft`, `tpot` or `queue_wait`; statistic `mean`, ' +
        '`p50`, `p90`, `p95`, `p99` or `p999`), and `max_drop_rate`.',
    ),
);

export const SWEEP_SAMPLINGS = ['grid', 'random', 'latin-hypercube'] as const;

/** More values than this in one range is a typo (`1..1000000`), not a sweep. */
const MAX_RANGE_VALUES = 10_000;

const RANGE = /^\s*(-?\d+(?:\.\d+)?)\s*\.\.\s*(-?\d+(?:\.\d+)?)\s*(?:step\s+(\d+(?:\.\d+)?)\s*)?$/;

/**
 * The values one swept key takes: a list as written, a range `"2..24"` (integers, both ends
 * included) or `"0.5..2 step 0.5"`, or any other single value. `fleetsim sweep --grid` parses its
 * values with it too.
 */
export function parseSweepValues(
  input: unknown,
): { ok: true; values: unknown[] } | { ok: false; message: string } {
  if (Array.isArray(input)) {
    return input.length > 0
      ? { ok: true, values: input }
      : { ok: false, message: 'expected at least one value' };
  }
  const range = typeof input === 'string' ? RANGE.exec(input) : null;
  if (range === null) return { ok: true, values: [input] };
  const low = Number(range[1]);
  const high = Number(range[2]);
  const step = range[3] === undefined ? 1 : Number(range[3]);
  if (range[3] === undefined && !(Number.isInteger(low) && Number.isInteger(high))) {
    return { ok: false, message: `a range of non-integers needs a step, e.g. "${low}..${high} step 0.5"` };
  }
  if (low > high) return { ok: false, message: `expected low..high with low <= high, got "${input}"` };
  if (!(step > 0)) return { ok: false, message: 'expected a positive step' };
  const count = Math.floor((high - low) / step + 1e-9) + 1;
  if (count > MAX_RANGE_VALUES) {
    return { ok: false, message: `the range has ${count} values; at most ${MAX_RANGE_VALUES} are allowed` };
  }
  // Twelve significant digits: 0.1 + 2 * 0.1 is 0.3, not 0.30000000000000004.
  return {
    ok: true,
    values: Array.from({ length: count }, (_, i) => Number((low + i * step).toPrecision(12))),
  };
}

const SweepValuesSchema = z.lazy(() =>
  z
    .unknown()
    .transform((input, ctx): unknown[] => {
      const parsed = parseSweepValues(input);
      if (parsed.ok) return parsed.values;
      ctx.issues.push({ code: 'custom', message: parsed.message, input });
      return z.NEVER;
    })
    .describe('A list of values, a range `"2..24"` or `"0.5..2 step 0.5"`, or one value.'),
);

export const SweepSchema = z.lazy(() =>
  z
    .object({
      grid: z
        .record(z.string(), SweepValuesSchema)
        .check((ctx) => {
          if (Object.keys(ctx.value).length === 0) {
            ctx.issues.push({
              code: 'custom',
              message: 'expected at least one key to sweep',
              input: ctx.value,
            });
          }
        })
        .describe(
          'Override path (as in `variants[].set`, e.g. `fleets.0.replicas`) -> its values: a list, a range ' +
            '`"2..24"` (integers, both ends included) or `"0.5..2 step 0.5"`, or a single value.',
        ),
      sampling: z
        .enum(SWEEP_SAMPLINGS, expected(`one of ${SWEEP_SAMPLINGS.join(', ')}`))
        .prefault('grid')
        .describe(
          '`grid`: every combination. `random`: `points` distinct combinations drawn at random. `latin-hypercube`: ' +
            '`points` combinations that spread over the range of every key. Draws follow `seed`.',
        ),
      points: positiveInteger(MAX_RUNS)
        .optional()
        .describe(
          `How many points \`random\` and \`latin-hypercube\` draw. A sweep runs at most ${MAX_RUNS} (points x variants x replications).`,
        ),
    })
    .strict()
    .check((ctx) => {
      const { sampling, points } = ctx.value;
      if (sampling !== 'grid' && points === undefined) {
        ctx.issues.push({ code: 'custom', message: `sampling ${sampling} needs points`, input: ctx.value });
      }
      if (sampling === 'grid' && points !== undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'points applies only with sampling random or latin-hypercube',
          input: points,
          path: ['points'],
        });
      }
    })
    .transform(
      (spec): Sweep => ({
        parameters: Object.entries(spec.grid).map(([path, values]) => ({ path, values })),
        sampling: spec.sampling,
        points: spec.points ?? null,
      }),
    )
    .describe(
      'Points that `fleetsim sweep` runs: each is the scenario with some keys overridden. A point that cannot run ' +
        '(the model does not fit the instance, the instance is not sold in that region) is recorded as infeasible ' +
        'and skipped; `fleetsim validate` lists them.',
    ),
);

const ReportChartSchema = z.enum(REPORT_CHART_NAMES, {
  error: (issue) => {
    const input = issue.input;
    const [near] =
      typeof input === 'string'
        ? closestNames(input, REPORT_CHART_NAMES, { count: 1, maxDistance: typoTolerance(input) })
        : [];
    return near === undefined
      ? `expected one of ${REPORT_CHART_NAMES.join(', ')}`
      : `unknown chart "${input}"; did you mean "${near}"?`;
  },
});

export const ReportSchema = z.lazy(() =>
  z
    .object({
      charts: z
        .array(ReportChartSchema, expected('a list of chart names'))
        .optional()
        .describe(
          'Charts to draw, named as their files in `charts/`; the report shows them in its own fixed order. ' +
            'Default: all of them (each only when the run has data for it).',
        ),
      requests: z
        .boolean(expected('true or false'))
        .prefault(false)
        .describe(
          'Also write `requests.jsonl`: one line per measured request (arrival, first token, finish, tokens, ' +
            'fleet, replica, outcome, variant), as `fleetsim run --requests` does; `--no-requests` overrides it.',
        ),
    })
    .strict()
    .transform((spec): ReportConfig => ({ charts: spec.charts ?? null, requests: spec.requests }))
    .describe(
      'What a run writes besides its summary: the charts of its report (`charts/` and `report.html`; ' +
        '`fleetsim report DIR` keeps them) and `requests.jsonl`, a line per measured request.',
    ),
);
