import * as z from 'zod';
import { MAX_SECONDS } from '../core/time.js';
import { PERFORMANCE_SOURCE_KINDS } from '../metrics/index.js';
import { formatPath, type PathSegment } from '../scenario/locate.js';
import { SLO_METRICS, SLO_STATISTICS } from '../scenario/types.js';

/*
 * What `fleetsim report` reads back of the files `fleetsim run` wrote into a run folder: a file
 * edited by hand or damaged (a figure as text, a null where a mapping stood) is refused at the
 * field, not met as a TypeError while drawing. Only the fields the report reads are checked, and
 * objects are loose, so folders written by older or newer versions with other fields still read.
 * A field is optional where folders written before it existed lack it. Each schema is built on
 * first use (`z.lazy`): most commands that load this module never read a run folder.
 */

/**
 * Where each fleet's step times came from, as summary.json, sweep.json and a study's point files
 * record it. The outputs name a source through a table of them: another word has no name there.
 */
export function fleetPerformanceSchema() {
  return z.record(
    z.string(),
    z.looseObject({
      source: z.enum(PERFORMANCE_SOURCE_KINDS),
      accelerator: z.string().nullable(),
      detail: z.string(),
      caveat: z.string().nullable(),
    }),
  );
}

/** summary.json; a comparison needs at least one configuration. */
export const SUMMARY_FILE = z.lazy(() => {
  const number = z.number();
  const figure = number.nullable();
  const byName = z.record(z.string(), number);
  // The statistics an objective may judge, which the comparison and charts read.
  const distribution = z.looseObject(Object.fromEntries(SLO_STATISTICS.map((s) => [s, figure])));
  const requests = z.looseObject({
    arrived: number,
    completed: number,
    dropped: number,
    timed_out: number,
    in_flight_at_end: number,
  });
  const tokenCosts = z.looseObject({ input: figure, output: figure, total: figure });
  // Built only when a summary has classes.
  const classes = z.lazy(() =>
    z.record(
      z.string(),
      z.looseObject({
        tenant: z.string(),
        priority: number,
        slo: z.looseObject({
          met: z.boolean(),
          objectives: z.array(
            z.looseObject({ objective: z.string(), limit: number, value: figure, met: z.boolean() }),
          ),
          partial: z.string().optional(),
          failing_classes: z.array(z.string()).optional(),
        }),
        requests,
        latency_s: distribution,
        ttft_s: distribution,
        cost_usd: z.looseObject({ total: number, idle_share: number }),
        cost_per_1k_requests_usd: figure,
        cost_per_1m_tokens_usd: tokenCosts,
      }),
    ),
  );
  const variant = z.looseObject({
    name: z.string(),
    partial: z.looseObject({ limit: z.string(), at_s: number }).optional(),
    requests,
    latency_s: distribution,
    queue_wait_s: distribution,
    ttft_s: distribution,
    tpot_s: distribution,
    throughput_rps: number,
    goodput_rps: number.optional(),
    utilization: byName,
    cost_usd: z.looseObject({
      total: number,
      by_fleet: byName,
      compute: number.optional(),
      idle: number.optional(),
      recompute: number.optional(),
      transfer: number.optional(),
      energy: number.optional(),
      by_market: byName.optional(),
    }),
    instances: z.record(
      z.string(),
      z.looseObject({ mean: number, preempted: number, market: z.string().optional() }),
    ),
    offload: z.looseObject({ edge_share: figure }).nullable(),
    llm: z
      .lazy(() =>
        z.looseObject({
          fleets: z.record(
            z.string(),
            z.looseObject({
              preemptions: number,
              prefix_cache: z
                .looseObject({ hit_rate: figure, prefill_tokens_saved: number, cached_prompt_tokens: number })
                .optional(),
            }),
          ),
        }),
      )
      .nullable(),
    cost_per_1k_requests_usd: figure,
    cost_per_1m_tokens_usd: tokenCosts,
    simulated_s: z.looseObject({ warmup: number, end: number }),
    events: number,
    performance: fleetPerformanceSchema().optional(),
    energy: z.looseObject({ kwh: figure, co2e_kg: figure, kwh_per_1m_tokens: figure.optional() }).optional(),
    warnings: z.array(z.string()).optional(),
    classes: classes.optional(),
    cost_attribution: z.looseObject({ idle: number }).optional(),
  });
  return z.looseObject({ scenario: z.string(), seed: number.int(), variants: z.array(variant).min(1) });
});

/** Where `value` is not a list of `[quantile, seconds]` pairs of numbers, or null. */
function pairsProblem(value: unknown): { path: number[]; message: string } | null {
  if (!Array.isArray(value)) return { path: [], message: 'expected a list of [quantile, seconds] pairs' };
  for (const [i, pair] of value.entries()) {
    if (
      !(
        Array.isArray(pair) &&
        pair.length === 2 &&
        typeof pair[0] === 'number' &&
        typeof pair[1] === 'number'
      )
    )
      return { path: [i], message: 'expected a [quantile, seconds] pair of numbers' };
    // A run writes quantiles of 0 to 1 and latencies it measured; 1e308 drew no chart axis.
    if (!(pair[0] >= 0 && pair[0] <= 1) || !(pair[1] >= 0 && pair[1] <= MAX_SECONDS))
      return {
        path: [i],
        message: `expected a quantile from 0 to 1 and a latency from 0 s to 285 years, got [${pair[0]}, ${pair[1]}]`,
      };
  }
  return null;
}

/**
 * Checked by hand rather than as zod tuples: 5,000 variants hold two million pairs, which took
 * zod 1.5 s.
 */
const points = () =>
  z.custom().superRefine((value, context) => {
    const problem = pairsProblem(value);
    if (problem !== null) context.addIssue({ code: 'custom', ...problem });
  });

/** distributions.json; a distribution is absent in folders written before it was kept. */
export const DISTRIBUTIONS_FILE = z.lazy(() =>
  z.looseObject({
    variants: z.array(
      z.looseObject({
        name: z.string(),
        latency_s: points().optional(),
        queue_wait_s: points().optional(),
        ttft_s: points().optional(),
        tpot_s: points().optional(),
      }),
    ),
  }),
);

export const CAPACITY_EVENTS_FILE = z.lazy(() =>
  z.looseObject({
    variants: z.array(
      z.looseObject({
        name: z.string(),
        events: z.array(
          z.looseObject({
            time_s: z.number(),
            fleet: z.string(),
            kind: z.enum(['scale', 'notice', 'reclaim', 'unavailable', 'available']),
            from: z.number().optional(),
            to: z.number().optional(),
          }),
        ),
      }),
    ),
  }),
);

/**
 * replications.json. Whether it describes the run of summary.json, and holds a verdict for each
 * replication, is checked against summary.json by its reader.
 */
export const REPLICATIONS_FILE = z.lazy(() => {
  const figures = z.record(z.string(), z.number().nullable());
  return z.looseObject({
    scenario: z.string(),
    seed: z.number().int(),
    replications: z.number().int().positive(),
    variants: z.array(
      z.looseObject({
        name: z.string(),
        metrics: figures,
        ci95: figures.nullable(),
        slo: z.looseObject({ met_by_replication: z.array(z.boolean()).optional() }).optional(),
        model_uncertainty: z.looseObject({}).nullable().optional(),
      }),
    ),
  });
});

/** report-options.json: its chart names are checked against the charts there are by its reader. */
export const REPORT_OPTIONS_FILE = z.lazy(() =>
  z.looseObject({
    charts: z.array(z.string()).nullable(),
    slo: z
      .looseObject({
        limits: z.array(
          z.looseObject({
            metric: z.enum(SLO_METRICS),
            statistic: z.enum(SLO_STATISTICS),
            seconds: z.number().nonnegative(),
          }),
        ),
        maxDropRate: z.number().min(0).max(1).nullable(),
        isDefault: z.boolean().optional(),
      })
      .nullable(),
    // Absent from the options of a run drawn before PNGs were optional.
    png: z.boolean().optional(),
  }),
);

/** Why `data` is not what `schema` describes, at the first field that is not (`variants[0].requests: ...`); null when it is. */
export function shapeProblem(schema: z.ZodType, data: unknown): string | null {
  // Each file is read once a process: compiling fast parsers for it would cost more than the one parse.
  const parsed = schema.safeParse(data, { jitless: true });
  if (parsed.success) return null;
  const [issue] = parsed.error.issues;
  const at = formatPath(issue.path as PathSegment[]);
  return at === '' ? issue.message : `${at}: ${issue.message}`;
}
