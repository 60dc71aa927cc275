import * as z from 'zod';
import { SPOT_ADVISOR_BUCKETS } from '../fleet/interruption.js';
import { ACCELERATOR_IDS, MARKETS } from '../hardware/index.js';
import {
  type AutoscalingConfig,
  CONCURRENCY_DEFAULT_TARGET,
  CONCURRENCY_DEFAULTS,
  PREDICTIVE_DEFAULTS,
  parseWeeklyTimes,
  QUEUE_DEPTH_DEFAULTS,
  SCHEDULED_DEFAULTS,
  type ScalingRules,
  secondsToUs,
  stepsProblem,
  TARGET_TRACKING_DEFAULTS,
} from '../policies/autoscaling/index.js';
import { LLM_PRESETS, type LlmSpec, type Optimization, SERVING_STACKS } from '../serving/llm/index.js';
import { closestNames, typoTolerance } from '../util/closest-names.js';
import { findUnprintable } from '../util/unprintable.js';
import { TRACE_PRESETS } from './trace-presets.js';
import type {
  Arrivals,
  Batching,
  BatchLatency,
  CapacityUnavailable,
  DataTransferConfig,
  Distribution,
  EfficiencyOverrides,
  MetricsConfig,
  NetworkConfig,
  OnBadRow,
  QueueConfig,
  Rate,
  ReplicaPolicy,
  ReportConfig,
  RequestAttribute,
  RunLimits,
  ServiceTime,
  Slo,
  SloMetric,
  SloStatistic,
  StepTime,
  Sweep,
  TimeUnit,
  TraceFormat,
  TraceSource,
  Workload,
} from './types.js';
import {
  DEFAULT_MAX_DRAIN_S,
  DEFAULT_MAX_DROP_RATE,
  DEFAULT_RUN_LIMITS,
  MAX_PRICE_USD_PER_HOUR,
  REPLICA_POLICIES,
  REPORT_CHART_NAMES,
  SLO_METRICS,
  SLO_STATISTICS,
} from './types.js';
import { DURATION_EXAMPLE, type Parsed, parseDuration, parseSize, SIZE_EXAMPLE } from './units.js';

/**
 * The scenario YAML as a zod schema. Every object is `.strict()` so a typo is an error, every key
 * carries the text `docs/scenario-reference.md` is generated from, and defaults are `prefault`s in
 * YAML form: they go through the same transforms as user values and show up in the JSON Schema.
 * Defaults that need more than the YAML (the file name, the instance catalog, the fleet list) are
 * applied by `finishScenario` in load.ts. Checks that span keys or files live in checks.ts.
 */

function expected(what: string): { error: string } {
  return { error: `expected ${what}` };
}

/** The error of a name longer than `max`, with its length. */
function tooLong(what: string, max: number): { error: (issue: { input?: unknown }) => string } {
  return {
    error: (issue) => `expected ${what} of at most ${max} characters, got ${String(issue.input).length}`,
  };
}

/** Longest free-text name (scenario, model, accelerator): a title, not a paragraph. */
const MAX_NAME = 200;

/**
 * What is wrong with a free-text name shown in reports, titles and on the terminal (`what`: `a
 * scenario name`), or null: it may hold any characters but those `findUnprintable` finds, which
 * would garble them or break the SVG charts, and at most `MAX_NAME` of them.
 */
export function displayNameProblem(what: string, name: string): string | null {
  if (name.length > MAX_NAME) return `expected ${what} of at most ${MAX_NAME} characters, got ${name.length}`;
  const found = findUnprintable(name);
  return found === null ? null : `expected ${what} without control characters; found ${found}`;
}

function displayName(what: string) {
  return z
    .string(expected(what))
    .min(1, expected(what))
    .superRefine((name, ctx) => {
      const problem = displayNameProblem(what, name);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    });
}

function quantity(parse: (input: unknown) => Parsed, example: string) {
  return z.union([z.number(), z.string()], expected(example)).transform((input, ctx): number => {
    const parsed = parse(input);
    if (parsed.ok) return parsed.value;
    ctx.issues.push({ code: 'custom', message: parsed.message, input, params: { code: 'BAD_UNIT' } });
    return z.NEVER;
  });
}

const Duration = quantity(parseDuration, DURATION_EXAMPLE).meta({
  id: 'Duration',
  title: 'Duration',
  description:
    'A length of time: a number of seconds, or a string with a unit: `us`, `ms`, `s`, `m` or `min` ' +
    '(minutes), `h`, `d`, e.g. `250ms`, `30s`, `5m`, `1.5h`, `1d`.',
});
const PositiveDuration = Duration.refine((seconds) => seconds > 0, 'expected a positive duration');

const Size = quantity(parseSize, SIZE_EXAMPLE).meta({
  id: 'Size',
  title: 'Size',
  description:
    'An amount of data: a number of bytes, or a string with a unit: `B`, decimal `KB` `MB` `GB` `TB` ' +
    '(powers of 1000) or binary `KiB` `MiB` `GiB` `TiB` (powers of 1024), e.g. `4KB`, `2MiB`, `1.5GB`.',
});
const PositiveSize = Size.refine((bytes) => bytes > 0, 'expected a positive size');

const Count = z.number(expected('a non-negative number')).nonnegative(expected('a non-negative number'));
const PositiveCount = z.number(expected('a positive number')).positive(expected('a positive number'));
const PositiveNumber = PositiveCount;
const NonNegativeNumber = Count;
/**
 * Upper bounds of counts. The simulator keeps per-replica state in arrays of 32-bit integers, so
 * no count may pass 2^31 - 1; replicas and the slots of one replica are bounded far lower, where
 * a fleet is still simulated in seconds and megabytes rather than failing for lack of memory.
 */
export const MAX_COUNT = 2 ** 31 - 1;
/** Replicas of one fleet (fixed, autoscaling bounds, schedules). */
export const MAX_REPLICAS = 100_000;
/** Requests one replica serves or batches at once (concurrency, max_batch, max_num_seqs). */
export const MAX_SLOTS = 100_000;

function positiveInteger(max: number) {
  return z
    .number(expected('a positive integer'))
    .int(expected('a positive integer'))
    .positive(expected('a positive integer'))
    .max(max, expected(`an integer no larger than ${max}`));
}

function nonNegativeInteger(max: number) {
  return z
    .number(expected('a non-negative integer'))
    .int(expected('a non-negative integer'))
    .nonnegative(expected('a non-negative integer'))
    .max(max, expected(`an integer no larger than ${max}`));
}

const PositiveInteger = positiveInteger(MAX_COUNT);
const NonNegativeInteger = nonNegativeInteger(MAX_COUNT);
const ReplicaCount = positiveInteger(MAX_REPLICAS);
const NonNegativeReplicaCount = nonNegativeInteger(MAX_REPLICAS);
const SlotCount = positiveInteger(MAX_SLOTS);

/** Pushes an issue unless exactly one key of `value` is set: the YAML spells a choice as its only key. */
function exactlyOne(choices: readonly string[]) {
  return (ctx: { value: Record<string, unknown>; issues: z.core.$ZodRawIssue[] }) => {
    const given = choices.filter((key) => ctx.value[key] !== undefined);
    if (given.length === 1) return;
    const message =
      given.length === 0
        ? `expected one of the keys ${choices.join(', ')}`
        : `expected only one of ${given.join(', ')}`;
    ctx.issues.push({ code: 'custom', message, input: ctx.value });
  };
}

/**
 * Whether `whole` seconds are a whole number of `part` seconds on the microsecond clock of the
 * autoscalers (which refuse other periods when the run starts).
 */
function multipleOf(whole: number, part: number): boolean {
  const partUs = secondsToUs(part);
  return partUs > 0 && secondsToUs(whole) % partUs === 0;
}

const DISTRIBUTION_KINDS = ['constant', 'exponential', 'lognormal', 'gamma', 'uniform', 'empirical'] as const;

/**
 * The object forms of a distribution, for one kind of quantity. `value` parses a quantity
 * (duration, size or count) and `positive` one that must be > 0.
 */
function distributionObject(
  value: z.ZodType<number, unknown>,
  positive: z.ZodType<number, unknown>,
  unit: string,
) {
  const Lognormal = z
    .object({
      median: positive.optional().describe(`Median (${unit}); give it with \`sigma\`.`),
      sigma: NonNegativeNumber.optional().describe('Standard deviation of ln X; give it with `median`.'),
      mean: positive.optional().describe(`Mean (${unit}); give it with \`cv\`.`),
      cv: NonNegativeNumber.optional().describe(
        'Coefficient of variation (std / mean); give it with `mean`.',
      ),
    })
    .strict()
    .check((ctx) => {
      const { median, sigma, mean, cv } = ctx.value;
      const byMedian = median !== undefined && sigma !== undefined && mean === undefined && cv === undefined;
      const byMean = mean !== undefined && cv !== undefined && median === undefined && sigma === undefined;
      if (!byMedian && !byMean) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected either {median, sigma} or {mean, cv}',
          input: ctx.value,
        });
      }
    })
    .describe('Log-normal: `{median, sigma}` or `{mean, cv}`.');
  return z
    .object({
      constant: value.optional().describe(`Always this value (${unit}).`),
      exponential: z
        .object({ mean: positive.describe(`Mean (${unit}).`) })
        .strict()
        .optional()
        .describe('Exponential (memoryless) with this mean.'),
      lognormal: Lognormal.optional(),
      gamma: z
        .object({
          mean: positive.describe(`Mean (${unit}).`),
          cv: PositiveNumber.describe('Coefficient of variation (std / mean); 1 is exponential.'),
        })
        .strict()
        .optional()
        .describe('Gamma with this mean and coefficient of variation.'),
      uniform: z
        .object({
          min: value.describe(`Smallest value (${unit}).`),
          max: value.describe(`Largest value (${unit}).`),
        })
        .strict()
        .check((ctx) => {
          if (ctx.value.min > ctx.value.max) {
            ctx.issues.push({
              code: 'custom',
              message: 'expected min <= max',
              input: ctx.value,
              path: ['max'],
            });
          }
        })
        .optional()
        .describe('Uniform between `min` and `max`.'),
      empirical: z
        .object({
          path: z
            .string(expected('a file path'))
            .min(1, expected('a file path'))
            .describe('CSV file with a header row, relative to the scenario file.'),
          column: z
            .string(expected('a column name'))
            .min(1, expected('a column name'))
            .describe(
              `Header of the column to resample (values in ${unit === 'tokens' ? 'tokens' : 'seconds or bytes'}, plain numbers).`,
            ),
        })
        .strict()
        .optional()
        .describe('Values of one CSV column, resampled uniformly with replacement.'),
    })
    .strict()
    .meta({ minProperties: 1, maxProperties: 1 })
    .check(exactlyOne(DISTRIBUTION_KINDS))
    .check((ctx) => {
      // A cv far from 1 overflows the parameters toDistribution derives (1 + cv^2, 1 / cv^2),
      // and every draw would then be NaN or infinite.
      const { lognormal, gamma } = ctx.value;
      if (lognormal?.cv !== undefined && !Number.isFinite(lognormal.cv ** 2)) {
        ctx.issues.push({
          code: 'custom',
          message: 'cv is too large',
          input: lognormal.cv,
          path: ['lognormal', 'cv'],
        });
      }
      if (gamma !== undefined) {
        const shape = 1 / gamma.cv ** 2;
        if (!(shape > 0 && Number.isFinite(shape) && Number.isFinite(gamma.mean / shape))) {
          ctx.issues.push({
            code: 'custom',
            message: 'cv is out of range',
            input: gamma.cv,
            path: ['gamma', 'cv'],
          });
        }
      }
    })
    .transform(toDistribution);
}

function toDistribution(spec: {
  constant?: number;
  exponential?: { mean: number };
  lognormal?: { median?: number; sigma?: number; mean?: number; cv?: number };
  gamma?: { mean: number; cv: number };
  uniform?: { min: number; max: number };
  empirical?: { path: string; column: string };
}): Distribution {
  if (spec.constant !== undefined) return { kind: 'constant', value: spec.constant };
  if (spec.exponential) return { kind: 'exponential', mean: spec.exponential.mean };
  if (spec.lognormal) {
    const { median, sigma, mean, cv } = spec.lognormal;
    if (median !== undefined && sigma !== undefined)
      return { kind: 'lognormal', mu: Math.log(median), sigma };
    const variance = Math.log(1 + cv! ** 2);
    return { kind: 'lognormal', mu: Math.log(mean!) - variance / 2, sigma: Math.sqrt(variance) };
  }
  if (spec.gamma) {
    const shape = 1 / spec.gamma.cv ** 2;
    return { kind: 'gamma', shape, scale: spec.gamma.mean / shape };
  }
  if (spec.uniform) return { kind: 'uniform', min: spec.uniform.min, max: spec.uniform.max };
  return { kind: 'empirical', path: spec.empirical!.path, column: spec.empirical!.column };
}

const constantDistribution = (value: number): Distribution => ({ kind: 'constant', value });

const TokenDistribution = z
  .union([Count.transform(constantDistribution), distributionObject(Count, PositiveCount, 'tokens')], {
    error: 'expected a token count or a distribution like {lognormal: {median: 1000, sigma: 0.9}}',
  })
  .meta({
    id: 'TokenDistribution',
    title: 'Token distribution',
    description:
      'A token count per request: a number (constant) or one of the distribution objects ' +
      '`{constant}`, `{exponential: {mean}}`, `{lognormal: {median, sigma}}`, `{lognormal: {mean, cv}}`, ' +
      '`{gamma: {mean, cv}}`, `{uniform: {min, max}}`, `{empirical: {path, column}}`.',
  });

const SizeDistribution = z
  .union([Size.transform(constantDistribution), distributionObject(Size, PositiveSize, 'size')], {
    error: 'expected a size like 4KB or a distribution like {lognormal: {median: 2KB, sigma: 0.5}}',
  })
  .meta({
    id: 'SizeDistribution',
    title: 'Size distribution',
    description:
      'Bytes per request: a size (constant) or a distribution object as for tokens, whose values are sizes ' +
      '(`4KB`, `2MiB` or bytes).',
  });

export const SERVICE_TIME_VARIABLES: readonly RequestAttribute[] = [
  'input_tokens',
  'output_tokens',
  'request_bytes',
  'response_bytes',
];
export const RATE_VARIABLES: readonly string[] = ['t'];
export const BATCH_LATENCY_VARIABLES: readonly string[] = ['b'];

/** A service-time string is a duration when it parses as one, otherwise an expression (compiled in checks.ts). */
export function serviceTimeFromString(source: string): ServiceTime {
  const duration = parseDuration(source);
  return duration.ok ? { kind: 'constant', value: duration.value } : { kind: 'expression', source };
}

const ServiceTimeSchema = z
  .union(
    [
      Count.transform(constantDistribution),
      z.string().trim().min(1, expected('a duration or an expression')).transform(serviceTimeFromString),
      distributionObject(Duration, PositiveDuration, 'duration'),
    ],
    {
      error:
        'expected a duration (100ms), an expression ("20ms + 0.05ms * input_tokens") or a distribution like {exponential: {mean: 100ms}}',
    },
  )
  .meta({
    id: 'ServiceTime',
    title: 'Service time',
    description:
      'Time one replica spends on one request: a duration (constant), a distribution object whose values ' +
      'are durations, or a mathjs expression of `input_tokens`, `output_tokens`, `request_bytes`, ' +
      '`response_bytes` whose value is a duration (units `us ms s m min h d` may be used in it; a bare number is seconds).',
  });

const RateSchema = z
  .union(
    [
      PositiveNumber.transform((value): Rate => ({ kind: 'constant', value })),
      z
        .string()
        .trim()
        .min(1, expected('an expression'))
        .transform((source): Rate => ({ kind: 'expression', source })),
    ],
    { error: 'expected a rate (requests/second) or an expression of t' },
  )
  .meta({
    id: 'Rate',
    title: 'Rate',
    description:
      'Requests per second: a positive number, or a mathjs expression of simulated time `t` (seconds), ' +
      'e.g. `"40 * (1 + 0.5 * sin(2 * pi * t / 1d))"`.',
  });

const TRACE_FORMATS = [
  'azure-llm',
  'vidur',
  'mooncake',
  'csv',
  'jsonl',
] as const satisfies readonly TraceFormat[];
const TIME_UNITS = ['s', 'ms', 'us', 'datetime'] as const satisfies readonly TimeUnit[];
const ON_BAD_ROW = ['error', 'skip'] as const satisfies readonly OnBadRow[];

const column = (attribute: string) =>
  z
    .string(expected('a column name'))
    .min(1, expected('a column name'))
    .optional()
    .describe(`Column (CSV header) or JSON key holding ${attribute}.`);

export const traceSchema = z
  .object({
    path: z
      .string(expected('a file path'))
      .min(1, expected('a file path'))
      .describe('Trace file, relative to the scenario file.'),
    format: z
      .enum(TRACE_FORMATS, expected(`one of ${TRACE_FORMATS.join(', ')}`))
      .optional()
      .describe(
        'File layout. `azure-llm` (Azure LLM inference trace CSV), `vidur` (Vidur request CSV) and `mooncake` ' +
          '(Mooncake JSONL) preset the time column, time unit and token columns; `csv` and `jsonl` need ' +
          '`time_column`. Default: with no `time_column` either, the preset whose columns the first line ' +
          'names (the CSV header, or the keys of the first JSONL record); else `jsonl` for a `.jsonl` file, ' +
          'otherwise `csv`.',
      ),
    speed: PositiveNumber.prefault(1).describe('Replay speed-up: 2 halves every gap between arrivals.'),
    limit: PositiveInteger.nullable()
      .prefault(null)
      .describe('Stop after this many requests; null reads the whole trace.'),
    duration: PositiveDuration.nullable()
      .prefault(null)
      .describe('Stop at this trace time (after the first request, after `speed`); null reads to the end.'),
    time_column: z
      .string(expected('a column name'))
      .min(1, expected('a column name'))
      .optional()
      .describe(
        'Column or key holding the arrival time. Default: the preset of `format`; required for csv/jsonl.',
      ),
    time_unit: z
      .enum(TIME_UNITS, expected(`one of ${TIME_UNITS.join(', ')}`))
      .optional()
      .describe(
        'Unit of the time column: `s`, `ms`, `us` (numbers) or `datetime` (ISO-8601 text). Default: the preset of ' +
          '`format`, else `s`.',
      ),
    columns: z
      .object({
        input_tokens: column('the prompt length in tokens'),
        output_tokens: column('the generated length in tokens'),
        request_bytes: column('the request size in bytes'),
        response_bytes: column('the response size in bytes'),
      })
      .strict()
      .optional()
      .describe('Where the trace keeps request attributes; each key overrides the preset of `format`.'),
    bootstrap: z
      .object({
        block: PositiveDuration.describe(
          'Block length in trace time (before `speed`, so every `workload.scale` draws the same blocks), e.g. ' +
            '`5m`: long enough to keep bursts and their queues together, short enough that the window holds ' +
            'many blocks.',
        ),
      })
      .strict()
      .nullable()
      .prefault(null)
      .describe(
        'Replay a block bootstrap of the trace instead of the trace itself, so replications see different ' +
          'workloads: the window `limit` and `duration` select is cut into consecutive blocks of `block`, and a ' +
          'replay of the same length is built from blocks drawn uniformly with replacement with the seed of the run. ' +
          'Requests keep their offsets within their block and their sizes; the replay is cut at the end of the window, ' +
          'so it holds about as many requests as the window, more or fewer as busier or quieter blocks are ' +
          'drawn. null: replay the trace as it is, the same on every seed.',
      ),
    on_bad_row: z
      .enum(ON_BAD_ROW, expected(`one of ${ON_BAD_ROW.join(', ')}`))
      .prefault('error')
      .describe(
        'What a bad row does: a malformed CSV record or JSON line, a line over 1 MiB (1,048,576 bytes), a time ' +
          'or token count that is not a number. `error` stops the run at the first, with its location. `skip` ' +
          'passes over it and reads on: the run counts what it skipped (`skipped_trace_rows` in summary.json) ' +
          'and warns, with the first few locations, wherever its warnings go (terminal, summary.json, summary.md, ' +
          'report), as it replays fewer requests than the file holds. `fleetsim validate` reads the trace and ' +
          'lists its bad rows either way. Arrival times that decrease are an error either way: the error names ' +
          'a command that sorts the file.',
      ),
  })
  .strict()
  .transform((trace, ctx): TraceSource | typeof z.NEVER => {
    const format = trace.format ?? (/\.jsonl$/i.test(trace.path) ? 'jsonl' : 'csv');
    const preset = format === 'csv' || format === 'jsonl' ? null : TRACE_PRESETS[format];
    const timeColumn = trace.time_column ?? preset?.timeColumn;
    if (timeColumn === undefined) {
      ctx.issues.push({
        code: 'custom',
        message: `required for format ${format} (only azure-llm, vidur and mooncake have presets)`,
        input: trace,
        path: ['time_column'],
      });
      return z.NEVER;
    }
    const columns: TraceSource['columns'] = { ...preset?.columns };
    for (const [attribute, name] of Object.entries(trace.columns ?? {})) {
      if (name !== undefined) columns[attribute as RequestAttribute] = name;
    }
    return {
      path: trace.path,
      format,
      timeColumn,
      timeUnit: trace.time_unit ?? preset?.timeUnit ?? 's',
      columns,
      speed: trace.speed,
      limit: trace.limit,
      duration: trace.duration,
      bootstrap: trace.bootstrap === null ? null : { blockS: trace.bootstrap.block },
      onBadRow: trace.on_bad_row,
    };
  })
  .describe('Replay arrivals (and request attributes) from a file.');

const ARRIVAL_KINDS = ['poisson', 'gamma', 'constant', 'trace'] as const;

const ArrivalsSchema = z
  .object({
    poisson: z
      .object({
        rate: RateSchema.describe('Mean arrival rate, requests/second (number or expression of t).'),
      })
      .strict()
      .optional()
      .describe('Poisson process: independent exponential gaps.'),
    gamma: z
      .object({
        rate: PositiveNumber.meta({ description: 'Mean arrival rate, requests/second.', unit: 'requests/s' }),
        cv: PositiveNumber.describe(
          'Coefficient of variation of the gaps; above 1 is burstier than Poisson.',
        ),
      })
      .strict()
      .optional()
      .describe('Renewal process with gamma-distributed gaps.'),
    constant: z
      .object({
        rate: PositiveNumber.meta({ description: 'Arrivals per second, evenly spaced.', unit: 'requests/s' }),
      })
      .strict()
      .optional()
      .describe('Deterministic arrivals every 1/rate seconds.'),
    trace: traceSchema.optional(),
  })
  .strict()
  .meta({ minProperties: 1, maxProperties: 1 })
  .check(exactlyOne(ARRIVAL_KINDS))
  .transform((spec): Arrivals => {
    if (spec.poisson) return { kind: 'poisson', rate: spec.poisson.rate };
    if (spec.gamma) return { kind: 'gamma', rate: spec.gamma.rate, cv: spec.gamma.cv };
    if (spec.constant) return { kind: 'constant', rate: spec.constant.rate };
    return { kind: 'trace', trace: spec.trace! };
  })
  .describe('When requests arrive: exactly one of `poisson`, `gamma`, `constant`, `trace`.');

const WorkloadSchema = z
  .object({
    arrivals: ArrivalsSchema,
    input_tokens: TokenDistribution.optional().describe(
      'Prompt length, tokens. Default: 0 (or the trace column).',
    ),
    output_tokens: TokenDistribution.optional().describe(
      'Generated length, tokens. Default: 0 (or the trace column).',
    ),
    request_bytes: SizeDistribution.optional().describe(
      'Request body size. Default: 0 (or the trace column).',
    ),
    response_bytes: SizeDistribution.optional().describe(
      'Response body size. Default: 0 (or the trace column).',
    ),
    scale: PositiveNumber.prefault(1).describe(
      "Load multiplier: every arrival rate (a trace's `speed`) is multiplied by it. Sweeps and plans vary it " +
        'for growth, e.g. `workload.scale: [1, 1.5, 2]`.',
    ),
  })
  .strict()
  .transform(({ arrivals, scale, ...attributes }): Workload => {
    const drawn: Workload['attributes'] = {};
    for (const [attribute, distribution] of Object.entries(attributes)) {
      if (distribution !== undefined) drawn[attribute as RequestAttribute] = distribution;
    }
    return { arrivals: scaleArrivals(arrivals, scale), attributes: drawn };
  })
  .describe('The requests: when they arrive and what they carry.');

/**
 * Scaling rates (not thinning or copying requests) keeps common random numbers across loads: the
 * same uniform draws give inter-arrival gaps divided by `scale`, so a higher load is the same
 * arrival sequence compressed in time.
 */
function scaleArrivals(arrivals: Arrivals, scale: number): Arrivals {
  if (scale === 1) return arrivals;
  switch (arrivals.kind) {
    case 'poisson':
      return {
        kind: 'poisson',
        rate:
          arrivals.rate.kind === 'constant'
            ? { kind: 'constant', value: arrivals.rate.value * scale }
            : { kind: 'expression', source: `(${arrivals.rate.source}) * ${scale}` },
      };
    case 'gamma':
    case 'constant':
      return { ...arrivals, rate: arrivals.rate * scale };
    case 'trace':
      return { kind: 'trace', trace: { ...arrivals.trace, speed: arrivals.trace.speed * scale } };
  }
}

const ReplicaPolicySchema = z
  .enum(
    REPLICA_POLICIES as [ReplicaPolicy, ...ReplicaPolicy[]],
    expected(`one of ${REPLICA_POLICIES.join(', ')}`),
  )
  .meta({
    id: 'ReplicaPolicy',
    title: 'Replica policy',
    description:
      'How a replica is picked: `round-robin` (in turn), `random`, `least-outstanding` (fewest requests queued ' +
      'or in service), `power-of-two` (the less loaded of two random replicas).',
  });

const QueueSchema = z
  .object({
    capacity: NonNegativeInteger.nullable()
      .prefault(null)
      .describe(
        'Requests waiting per replica beyond those in service; arrivals past it are dropped. null: unbounded.',
      ),
    timeout: PositiveDuration.nullable()
      .prefault(null)
      .describe('A request still waiting after this long gives up (timed out). null: never.'),
  })
  .strict()
  .transform(
    ({ capacity, timeout }): QueueConfig => ({ capacity: capacity ?? Number.POSITIVE_INFINITY, timeout }),
  )
  .describe('The wait queue in front of each replica.');

const PRECISIONS = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'] as const;

const Fraction = z
  .number(expected('a fraction in (0, 1]'))
  .gt(0, expected('a fraction in (0, 1]'))
  .lte(1, expected('a fraction in (0, 1]'));

const DEFAULT_FROM_CATALOG =
  "Default: the accelerator catalog's (pricing/accelerators.yaml; the median of its entries for an accelerator it lacks).";

const EfficiencySchema = z
  .object({
    compute: Fraction.optional().describe(
      'Share of the dense peak (`tflops` for the model precision) that large matmuls sustain, in (0, 1]. ' +
        DEFAULT_FROM_CATALOG,
    ),
    memory: Fraction.optional().describe(
      'Share of `bandwidth_gbps` sustained while streaming weights and reading or writing the KV cache, ' +
        `in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
    ),
    attention: Fraction.optional().describe(
      'Share of the 16-bit dense peak that attention kernels sustain on their FLOPs (4 x heads x head_dim ' +
        `per query-key pair), in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
    ),
    activation: Fraction.optional().describe(
      'Share of `bandwidth_gbps` sustained by the element-wise kernels between the matmuls (norms, rotary, ' +
        `activation, residual adds), in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
    ),
    iteration_overhead: Duration.optional().describe(
      "Time the serving engine adds to every iteration outside the kernels (scheduling, input preparation, sampling). Default: the `model.serving_stack`'s.",
    ),
    layer_overhead: Duration.optional().describe(
      "Latency floor of one layer's small kernels, added per layer to every iteration. Default: the `model.serving_stack`'s.",
    ),
    worker_overhead: Duration.optional().describe(
      "Time added to every iteration per tensor-parallel worker beyond the first, to drive it. Default: the `model.serving_stack`'s.",
    ),
  })
  .strict()
  .transform(parameterKeys)
  .describe(
    "Values for the free parameters of the `roofline` step time, each replacing the accelerator catalog's " +
      "(or, for the overheads, the serving stack's); for example fitted to measured step times. A fleet's " +
      '`performance` then names them as scenario overrides. See docs/llm-serving.md.',
  );

/** The step-time parameters by their scenario keys -> `EfficiencyOverrides`, only those given. */
function parameterKeys(e: Partial<Record<(typeof PARAMETER_NAMES)[number], number>>): EfficiencyOverrides {
  return Object.fromEntries(
    [
      ['compute', e.compute],
      ['memory', e.memory],
      ['attention', e.attention],
      ['activation', e.activation],
      ['iterationOverheadS', e.iteration_overhead],
      ['layerOverheadS', e.layer_overhead],
      ['workerOverheadS', e.worker_overhead],
    ].filter(([, value]) => value !== undefined),
  ) as EfficiencyOverrides;
}

const PARAMETER_NAMES = [
  'compute',
  'memory',
  'attention',
  'activation',
  'iteration_overhead',
  'layer_overhead',
  'worker_overhead',
] as const;

/** Larger spreads are almost surely a percentage written as a number (10 for 10 %). */
const MAX_SPREAD = 2;

const Spread = z
  .number(expected('a relative spread in [0, 2]'))
  .min(0, expected('a relative spread in [0, 2]'))
  .max(MAX_SPREAD, expected('a relative spread in [0, 2] (0.1 is about +-10 %)'));

const EfficiencyUncertaintySchema = z
  .object(
    Object.fromEntries(
      PARAMETER_NAMES.map((name) => [
        name,
        Spread.optional().describe(
          `Relative spread of \`${name}\`, as \`efficiency\` or the default sets it.`,
        ),
      ]),
    ) as Record<(typeof PARAMETER_NAMES)[number], z.ZodOptional<typeof Spread>>,
  )
  .strict()
  .transform(parameterKeys)
  .describe(
    'How uncertain each step-time parameter is, for replications that draw them (`model_uncertainty`): the ' +
      'standard deviation of the natural logarithm of its value (0.1 is about +-10 %), keyed as `efficiency`. ' +
      'Each replication multiplies the value by exp(spread x a standard normal draw); a fraction is capped at 1. ' +
      'Given, it replaces the default spreads of the accelerator (docs/calibration.md), and a parameter it leaves ' +
      'out is not drawn. `fleetsim calibrate` writes the bootstrap spread of each value it fitted.',
  );

const CalibrationSchema = z
  .object({
    measured: z
      .string(expected('the measured run'))
      .min(1, expected('the measured run'))
      .superRefine((text, ctx) => {
        // Every caveat line quotes it: no control characters in a terminal or a report.
        const found = findUnprintable(text);
        if (found !== null)
          ctx.addIssue({
            code: 'custom',
            message: `expected text without control characters; found ${found}`,
          });
      })
      .describe('The measured run the values were fitted to, as `fleetsim calibrate` names it.'),
    accelerator: z
      .string(expected('an accelerator id'))
      .min(1, expected('an accelerator id'))
      .describe(
        'The accelerator they were fitted on. On another accelerator the values are scenario overrides, not a calibration.',
      ),
    hold_out_error: z
      .number(expected('a relative error'))
      .nonnegative(expected('a relative error'))
      .nullable()
      .prefault(null)
      .describe(
        'The largest relative error of the compared statistics when values fitted on the earlier requests predicted the later ones; null: no hold-out check.',
      ),
  })
  .strict()
  .transform((spec) => ({
    measured: spec.measured,
    accelerator: spec.accelerator.toLowerCase(),
    holdOutError: spec.hold_out_error,
  }))
  .describe(
    "Marks `efficiency` as fitted by `fleetsim calibrate` (which writes it): the fleet's `performance` is then " +
      '`calibrated`, naming the measured run and the hold-out error.',
  );

const HardwareSchema = z
  .object({
    vcpus: PositiveInteger.optional().describe('vCPUs of one replica.'),
    memory_gib: PositiveNumber.optional().meta({ description: 'Host memory of one replica.', unit: 'GiB' }),
    accelerator: z
      .object({
        name: displayName('an accelerator name')
          .optional()
          .describe(
            `Accelerator model, required with \`price_per_hour\`. A catalog id (${ACCELERATOR_IDS.join(', ')}; any case) ` +
              'takes its specs from the catalog where the keys below are left out; any other name needs ' +
              '`memory_gib`, `bandwidth_gbps` and `tflops`.',
          ),
        count: PositiveInteger.optional().describe('Accelerators in one replica. Default: 1.'),
        memory_gib: PositiveNumber.optional().meta({
          description: 'Memory of one accelerator.',
          unit: 'GiB',
        }),
        bandwidth_gbps: PositiveNumber.optional().meta({
          description: 'Memory bandwidth of one accelerator.',
          unit: 'GB/s',
        }),
        tflops: z
          .object(
            Object.fromEntries(
              PRECISIONS.map((precision) => [
                precision,
                PositiveNumber.optional().describe(`Peak dense ${precision} TFLOPS (TOPS for integers).`),
              ]),
            ) as Record<(typeof PRECISIONS)[number], z.ZodOptional<typeof PositiveNumber>>,
          )
          .strict()
          .optional()
          .describe('Peak dense throughput of one accelerator by precision.'),
        efficiency: EfficiencySchema.optional(),
        efficiency_uncertainty: EfficiencyUncertaintySchema.optional(),
        calibration: CalibrationSchema.optional(),
      })
      .strict()
      .optional()
      .describe('The accelerator of one replica; leave out for a CPU-only replica.'),
  })
  .strict()
  .describe(
    'Hardware of one replica when it is not a catalog `instance` (give `price_per_hour` with it). With `instance`, ' +
      'whose catalog entry brings the hardware, only `accelerator.efficiency`, `efficiency_uncertainty` and ' +
      '`calibration` may be given: `hardware: { accelerator: { efficiency: {...} } }` sets the step-time ' +
      'parameters of its accelerator.',
  );

const BatchingSchema = z
  .discriminatedUnion(
    'policy',
    [
      z
        .object({
          policy: z.literal('none').describe('One request per slot, each with its own service time.'),
        })
        .strict(),
      z
        .object({
          policy: z.literal('static').describe('Batches of exactly `max_batch`.'),
          max_batch: SlotCount.describe('Requests per batch.'),
          max_wait: PositiveDuration.nullable()
            .prefault(null)
            .describe(
              'Run a partial batch once its oldest request has waited this long. null: always wait for a full one (then `queue.timeout` or `max_drain` must end the wait of a last batch that never fills).',
            ),
        })
        .strict(),
      z
        .object({
          policy: z.literal('dynamic').describe("Triton's dynamic batcher."),
          max_batch: SlotCount.describe('Largest batch.'),
          max_queue_delay: Duration.prefault(0).describe(
            'How long the oldest request may wait for a batch to fill before what is there runs. Default 0 (Triton).',
          ),
          preferred_batch_sizes: z
            .array(SlotCount, expected('a list of batch sizes'))
            .prefault([])
            .describe('Sizes that run as soon as that many requests wait, without waiting for `max_batch`.'),
        })
        .strict(),
      z
        .object({
          policy: z
            .literal('continuous')
            .describe(
              'Iteration-level LLM batching (vLLM, Orca); needs `model:` or `step_time: { profile }`.',
            ),
          max_num_seqs: SlotCount.prefault(256).describe(
            'Sequences (prefilling or decoding) in one iteration; vLLM `max_num_seqs`.',
          ),
          max_num_batched_tokens: PositiveInteger.prefault(2048).describe(
            'Tokens processed in one iteration, prompt chunks and decodes together; vLLM `max_num_batched_tokens`.',
          ),
          chunked_prefill: z
            .boolean(expected('true or false'))
            .prefault(true)
            .describe(
              'Split long prompts across iterations. false: a prompt is prefilled whole in one iteration, ' +
                'and a prompt longer than `max_num_batched_tokens` is rejected (counted as dropped).',
            ),
          block_size: PositiveInteger.prefault(16).describe('Tokens per KV-cache block.'),
          gpu_memory_utilization: z
            .number(expected('a fraction in (0, 1]'))
            .gt(0, expected('a fraction in (0, 1]'))
            .lte(1, expected('a fraction in (0, 1]'))
            .prefault(0.9)
            .describe(
              'Share of accelerator memory vLLM budgets for the weights, the activations of its profiling pass, ' +
                'memory outside PyTorch and the KV cache; the rest is headroom (CUDA graphs, fragmentation). ' +
                'vLLM `gpu_memory_utilization`.',
            ),
          kv_cache_tokens: PositiveInteger.nullable()
            .prefault(null)
            .describe(
              'KV-cache capacity of one replica in tokens, e.g. as vLLM logged it. null: computed the way vLLM does, ' +
                'from memory, `gpu_memory_utilization`, the weights and a profiling pass of `max_num_batched_tokens` ' +
                '(docs/llm-serving.md).',
            ),
          tensor_parallel: PositiveInteger.nullable()
            .prefault(null)
            .describe("Accelerators one model replica spans. null: all of the replica's accelerators."),
        })
        .strict(),
    ],
    { error: 'expected policy none, static, dynamic or continuous' },
  )
  .transform((batching): Batching => {
    switch (batching.policy) {
      case 'none':
        return { policy: 'none' };
      case 'static':
        return { policy: 'static', maxBatch: batching.max_batch, maxWait: batching.max_wait };
      case 'dynamic':
        return {
          policy: 'dynamic',
          maxBatch: batching.max_batch,
          maxQueueDelay: batching.max_queue_delay,
          preferredBatchSizes: batching.preferred_batch_sizes,
        };
      case 'continuous':
        return {
          policy: 'continuous',
          maxNumSeqs: batching.max_num_seqs,
          maxNumBatchedTokens: batching.max_num_batched_tokens,
          chunkedPrefill: batching.chunked_prefill,
          blockSize: batching.block_size,
          gpuMemoryUtilization: batching.gpu_memory_utilization,
          kvCacheTokens: batching.kv_cache_tokens,
          tensorParallel: batching.tensor_parallel,
        };
    }
  })
  .describe(
    'How a replica groups waiting requests: `none` (default), `static`, `dynamic` or `continuous`. `static` and ' +
      '`dynamic` fleets give `batch_latency` instead of `service_time`; `concurrency` is then the number of batches ' +
      'one replica runs at once. `continuous` fleets serve the scenario `model` (or a measured `step_time` profile) ' +
      'and need neither.',
  );

const BatchLatencySchema = z
  .union(
    [
      z
        .string()
        .trim()
        .min(1, expected('an expression of b'))
        .transform((source): BatchLatency => ({ kind: 'expression', source })),
      z
        .object({
          table: z
            .array(
              z
                .object({
                  batch: SlotCount.describe('Batch size.'),
                  latency: Duration.describe('Time to run a batch of that size.'),
                })
                .strict(),
              expected('a list of { batch, latency } points'),
            )
            .min(1, expected('at least one { batch, latency } point')),
        })
        .strict()
        .transform(
          ({ table }): BatchLatency => ({
            kind: 'table',
            points: table.map((point) => ({ batch: point.batch, seconds: point.latency })),
          }),
        ),
    ],
    { error: 'expected an expression of b like "8ms + 1.2ms * b", or { table: [{ batch, latency }, ...] }' },
  )
  .describe(
    'Time to run one batch of `b` requests: a mathjs expression of `b` (`"8ms + 1.2ms * b"`), or measured ' +
      'points `{ table: [{ batch: 1, latency: 9ms }, { batch: 8, latency: 18ms }] }` interpolated linearly ' +
      '(the last segment extends beyond the largest batch).',
  );

const StepTimeSchema = z
  .union(
    [
      z.literal('roofline').transform((): StepTime => ({ kind: 'roofline' })),
      z
        .object({
          profile: z
            .object({
              path: z
                .string(expected('a file path'))
                .min(1, expected('a file path'))
                .describe('A splitwise-sim `perf_model.csv`, relative to the scenario file.'),
              model: z.string(expected('a model name')).min(1).describe('Value of its `model` column.'),
              hardware: z
                .string(expected('a hardware name'))
                .min(1)
                .describe('Value of its `hardware` column.'),
            })
            .strict(),
        })
        .strict()
        .transform(({ profile }): StepTime => ({ kind: 'profile', ...profile })),
    ],
    { error: 'expected roofline or { profile: { path, model, hardware } }' },
  )
  .describe(
    'Iteration times of a `continuous` fleet: `roofline` (default: physics of the scenario `model` on the ' +
      "fleet's accelerators) or a measured profile interpolated (prefill time by prompt size, decode step by batch size).",
  );

const DurationDistribution = z
  .union(
    [Duration.transform(constantDistribution), distributionObject(Duration, PositiveDuration, 'duration')],
    {
      error: 'expected a duration (3m) or a distribution like {lognormal: {median: 3m, sigma: 0.3}}',
    },
  )
  .meta({
    id: 'DurationDistribution',
    title: 'Duration distribution',
    description: 'A duration (constant) or a distribution object whose values are durations.',
  });

const ReplicasSchema = z
  .union(
    [
      ReplicaCount.transform((n) => ({ min: n, max: n, initial: n })),
      z
        .object({
          min: NonNegativeReplicaCount.prefault(0).describe('Fewest replicas the autoscaler keeps.'),
          max: ReplicaCount.describe('Most replicas the autoscaler launches.'),
          initial: NonNegativeReplicaCount.optional().describe('Replicas ready at time 0. Default: `min`.'),
        })
        .strict()
        .check((ctx) => {
          const { min, max, initial } = ctx.value;
          if (min > max)
            ctx.issues.push({
              code: 'custom',
              message: `expected min (${min}) <= max (${max})`,
              input: min,
              path: ['min'],
            });
          if (initial !== undefined && (initial < min || initial > max)) {
            ctx.issues.push({
              code: 'custom',
              message: `expected initial between min (${min}) and max (${max})`,
              input: initial,
              path: ['initial'],
            });
          }
        })
        .transform(({ min, max, initial }) => ({ min, max, initial: initial ?? min })),
    ],
    { error: 'expected a replica count or { min, max, initial }' },
  )
  .describe(
    'Number of replicas (servers): a number for a fixed fleet, or `{ min, max, initial }` for an autoscaled one. ' +
      'Initial replicas are ready at time 0.',
  );

const ScalingRulesSchema = (defaults: ScalingRules) =>
  z
    .object({
      stabilization_window: Duration.prefault(defaults.stabilization_window).describe(
        'Past recommendations taken into account (the highest for scale-down, the lowest for scale-up).',
      ),
      select_policy: z
        .enum(['max', 'min', 'disabled'], expected('max, min or disabled'))
        .prefault(defaults.select_policy)
        .describe(
          'Which policy wins: the one allowing the largest change (`max`), the smallest (`min`), or none (`disabled`).',
        ),
      policies: z
        .array(
          z
            .object({
              type: z
                .enum(['pods', 'percent'], expected('pods or percent'))
                .describe('Replicas or percent of the current count.'),
              value: PositiveNumber.describe('How many replicas (or percent) per period.'),
              period: PositiveDuration.describe('Length of the period.'),
            })
            .strict(),
          expected('a list of { type, value, period }'),
        )
        .prefault(defaults.policies.map((p) => ({ ...p })))
        .describe('Rate limits, Kubernetes `behavior` style.'),
    })
    .strict();

const TargetTrackingSchema = z
  .object({
    policy: z
      .literal('target-tracking')
      .describe('Kubernetes HPA: desired = ceil(current x metric / target).'),
    metric: z
      .enum(
        ['utilization', 'concurrency', 'rps_per_replica', 'queue_per_replica'],
        expected('utilization, concurrency, rps_per_replica or queue_per_replica'),
      )
      .describe('What each ready replica reports, averaged over the scrape interval.'),
    target: PositiveNumber.describe(
      'Per replica: a fraction of busy slots for `utilization`, requests otherwise (requests/s for rps).',
    ),
    tolerance: NonNegativeNumber.prefault(TARGET_TRACKING_DEFAULTS.tolerance).describe(
      'No change while metric / target is within this of 1.',
    ),
    sync_period: PositiveDuration.prefault(TARGET_TRACKING_DEFAULTS.sync_period).describe(
      'Time between evaluations.',
    ),
    scrape_interval: PositiveDuration.prefault(TARGET_TRACKING_DEFAULTS.scrape_interval).describe(
      'Time between metric scrapes.',
    ),
    metric_delay: Duration.prefault(TARGET_TRACKING_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
    behavior: z
      .object({
        scale_up: ScalingRulesSchema(TARGET_TRACKING_DEFAULTS.behavior.scale_up as ScalingRules).prefault({}),
        scale_down: ScalingRulesSchema(TARGET_TRACKING_DEFAULTS.behavior.scale_down as ScalingRules).prefault(
          {},
        ),
      })
      .strict()
      .prefault({})
      .describe('Stabilization windows and rate limits (Kubernetes defaults).'),
  })
  .strict();

const ConcurrencySchema = z
  .object({
    policy: z.literal('concurrency').describe('Knative KPA: stable and panic windows, scale to zero.'),
    metric: z
      .enum(['concurrency', 'rps'], expected('concurrency or rps'))
      .prefault(CONCURRENCY_DEFAULTS.metric)
      .describe('In-flight requests or requests per second.'),
    target: PositiveNumber.optional().describe(
      "Per replica. Default: 100 (concurrency) or 200 (rps), Knative's.",
    ),
    target_utilization: z
      .number(expected('a fraction in (0, 1]'))
      .gt(0)
      .lte(1)
      .prefault(CONCURRENCY_DEFAULTS.target_utilization)
      .describe('Share of `target` aimed at.'),
    stable_window: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.stable_window).describe(
      'Window averaged for the stable decision.',
    ),
    panic_window_percentage: z
      .number(expected('a percentage'))
      .gt(0)
      .lte(100)
      .prefault(CONCURRENCY_DEFAULTS.panic_window_percentage)
      .describe('Panic window as a percentage of the stable window.'),
    panic_threshold: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.panic_threshold).describe(
      'Panic when the panic window wants this multiple of the ready replicas.',
    ),
    max_scale_up_rate: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.max_scale_up_rate).describe(
      'At most this multiple of the ready replicas per decision.',
    ),
    max_scale_down_rate: PositiveNumber.prefault(CONCURRENCY_DEFAULTS.max_scale_down_rate).describe(
      'At least ready / this per decision.',
    ),
    scale_down_delay: Duration.prefault(CONCURRENCY_DEFAULTS.scale_down_delay).describe(
      'A scale-down waits this long: the highest count wanted within it applies (against flapping with slow cold starts).',
    ),
    scale_to_zero_grace_period: Duration.prefault(CONCURRENCY_DEFAULTS.scale_to_zero_grace_period).describe(
      'How long the last replica stays once zero is wanted.',
    ),
    tick_interval: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.tick_interval).describe(
      'Time between decisions.',
    ),
    scrape_interval: PositiveDuration.prefault(CONCURRENCY_DEFAULTS.scrape_interval).describe(
      'Time between scrapes.',
    ),
    metric_delay: Duration.prefault(CONCURRENCY_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
  })
  .strict()
  .transform((c) => ({ ...c, target: c.target ?? CONCURRENCY_DEFAULT_TARGET[c.metric] }));

const QueueDepthSchema = z
  .object({
    policy: z.literal('queue-depth').describe('AWS step scaling on the backlog per ready replica.'),
    steps: z
      .array(
        z
          .object({
            lower: NonNegativeNumber.nullable()
              .prefault(null)
              .describe('Backlog per replica from which this step applies (null: unbounded).'),
            upper: NonNegativeNumber.nullable()
              .prefault(null)
              .describe('Backlog per replica below which it applies (null: unbounded).'),
            change: z
              .number(expected('a number'))
              .describe('Replicas (or percent) to add; negative removes.'),
          })
          .strict(),
        expected('a list of { lower, upper, change }'),
      )
      .min(1, expected('at least one step'))
      .describe('Non-overlapping backlog intervals, each with an adjustment.'),
    adjustment_type: z
      .enum(['change', 'percent'], expected('change or percent'))
      .prefault(QUEUE_DEPTH_DEFAULTS.adjustment_type)
      .describe('Replicas, or percent of the current count.'),
    min_adjustment_magnitude: NonNegativeReplicaCount.prefault(
      QUEUE_DEPTH_DEFAULTS.min_adjustment_magnitude,
    ).describe('Percent adjustments move at least this many replicas.'),
    cooldown: Duration.prefault(QUEUE_DEPTH_DEFAULTS.cooldown).describe(
      'Time after a scaling activity during which AWS cooldown rules apply.',
    ),
    period: PositiveDuration.prefault(QUEUE_DEPTH_DEFAULTS.period).describe(
      'Alarm period: averaging time and time between evaluations.',
    ),
    evaluation_periods: PositiveInteger.prefault(QUEUE_DEPTH_DEFAULTS.evaluation_periods).describe(
      'Consecutive breaching periods before the alarm fires.',
    ),
    scrape_interval: PositiveDuration.prefault(QUEUE_DEPTH_DEFAULTS.scrape_interval).describe(
      'Time between scrapes within a period.',
    ),
    metric_delay: Duration.prefault(QUEUE_DEPTH_DEFAULTS.metric_delay).describe(
      'Delay before a scrape is visible.',
    ),
  })
  .strict()
  .check((ctx) => {
    const problem = stepsProblem(ctx.value.steps);
    if (problem !== null) {
      ctx.issues.push({
        code: 'custom',
        message: problem.message,
        input: ctx.value.steps[problem.index],
        path: ['steps', problem.index],
      });
    }
    if (!multipleOf(ctx.value.period, ctx.value.scrape_interval)) {
      ctx.issues.push({
        code: 'custom',
        message: 'expected a whole number of scrape_interval',
        input: ctx.value.period,
        path: ['period'],
      });
    }
  });

const ScheduledSchema = z
  .object({
    policy: z.literal('scheduled').describe('Replica counts by time of day and week.'),
    start: z
      .string(expected('a weekday and time like "Mon 00:00"'))
      .prefault(SCHEDULED_DEFAULTS.start)
      .describe('Weekday and time at simulated time 0.'),
    schedule: z
      .array(
        z
          .object({
            at: z
              .string(expected('a time like "Mon-Fri 08:00"'))
              .describe('`HH:MM`, optionally after days: `Mon-Fri 08:00`, `Sat,Sun 10:00`.'),
            replicas: NonNegativeReplicaCount.describe('Replicas from then on.'),
          })
          .strict(),
        expected('a list of { at, replicas }'),
      )
      .min(1, expected('at least one entry'))
      .describe('Entries of the weekly table; the latest one before now applies.'),
  })
  .strict()
  .check((ctx) => {
    const issue = (message: string, input: string, path: (string | number)[]) =>
      ctx.issues.push({ code: 'custom', message, input, path });
    // The simulator reads the table with the same rules: what fails here would fail mid-run.
    try {
      if (parseWeeklyTimes(ctx.value.start).length !== 1) {
        issue(`"${ctx.value.start}": start must name one day`, ctx.value.start, ['start']);
      }
    } catch (error) {
      issue((error as Error).message, ctx.value.start, ['start']);
    }
    const taken = new Set<number>();
    ctx.value.schedule.forEach((entry, i) => {
      try {
        const minutes = parseWeeklyTimes(entry.at);
        if (minutes.some((m) => taken.has(m))) {
          issue(`"${entry.at}": another entry already sets a count at the same time`, entry.at, [
            'schedule',
            i,
            'at',
          ]);
        }
        for (const m of minutes) taken.add(m);
      } catch (error) {
        issue((error as Error).message, entry.at, ['schedule', i, 'at']);
      }
    });
  });

const PredictiveSchema = z
  .object({
    policy: z
      .literal('predictive')
      .describe('Forecast the request rate a season back; launch capacity a lead time ahead.'),
    method: z
      .enum(['holt-winters', 'seasonal-naive'], expected('holt-winters or seasonal-naive'))
      .prefault(PREDICTIVE_DEFAULTS.method)
      .describe('Forecasting method.'),
    target: PositiveNumber.describe('Requests per second one replica should carry.'),
    season: PositiveDuration.prefault(PREDICTIVE_DEFAULTS.season).describe(
      'Length of one season (a day for daily traffic).',
    ),
    bucket: PositiveDuration.prefault(PREDICTIVE_DEFAULTS.bucket).describe('Forecast resolution.'),
    lead: Duration.prefault(PREDICTIVE_DEFAULTS.lead).describe('How far ahead capacity is launched.'),
    alpha: z
      .number()
      .gt(0)
      .lte(1)
      .prefault(PREDICTIVE_DEFAULTS.alpha)
      .describe('Holt-Winters level smoothing.'),
    beta: z
      .number()
      .gte(0)
      .lte(1)
      .prefault(PREDICTIVE_DEFAULTS.beta)
      .describe('Holt-Winters trend smoothing.'),
    gamma: z
      .number()
      .gte(0)
      .lte(1)
      .prefault(PREDICTIVE_DEFAULTS.gamma)
      .describe('Holt-Winters seasonal smoothing.'),
    scrape_interval: PositiveDuration.prefault(PREDICTIVE_DEFAULTS.scrape_interval).describe(
      'Time between rate samples (without a reactive policy).',
    ),
    reactive: z
      .discriminatedUnion('policy', [TargetTrackingSchema, ConcurrencySchema, QueueDepthSchema], {
        error: 'expected a reactive policy: target-tracking, concurrency or queue-depth',
      })
      .nullable()
      .prefault(null)
      .describe('A reactive policy combined with the forecast: the larger count wins.'),
  })
  .strict()
  .check((ctx) => {
    const { season, bucket, reactive } = ctx.value;
    const scrape = reactive?.scrape_interval ?? ctx.value.scrape_interval;
    const issue = (message: string, input: number, path: string[]) =>
      ctx.issues.push({ code: 'custom', message, input, path });
    if (!multipleOf(bucket, scrape)) {
      const of = reactive === null ? 'scrape_interval' : "the reactive policy's scrape_interval";
      issue(`expected a whole number of ${of} (${scrape} s)`, bucket, ['bucket']);
    } else if (!multipleOf(season, bucket)) issue('expected a whole number of buckets', season, ['season']);
  });

const AutoscalingSchema = z
  .discriminatedUnion(
    'policy',
    [TargetTrackingSchema, ConcurrencySchema, QueueDepthSchema, ScheduledSchema, PredictiveSchema],
    {
      error:
        'expected an autoscaling policy: target-tracking, concurrency, queue-depth, scheduled or predictive',
    },
  )
  .transform((config): AutoscalingConfig => config as AutoscalingConfig)
  .describe(
    'How an autoscaled fleet decides its size (see docs/autoscaling.md); needs `replicas: { min, max }`.',
  );

const InterruptionSchema = z
  .object({
    per_hour: NonNegativeNumber.optional().describe('Reclaims per replica-hour (a Poisson rate).'),
    bucket: z
      .enum(SPOT_ADVISOR_BUCKETS, expected(`one of ${SPOT_ADVISOR_BUCKETS.join(', ')}`))
      .optional()
      .describe('An AWS Spot Instance Advisor frequency-of-interruption bucket (per month).'),
    trace: z
      .string(expected('a file path'))
      .min(1)
      .optional()
      .describe('CSV with a `time` column: seconds at which one replica is reclaimed.'),
    notice: Duration.optional().describe(
      "Warning before a reclaim. Default: the provider's (AWS 2m, GCP and Azure 30s).",
    ),
  })
  .strict()
  .check(exactlyOne(['per_hour', 'bucket', 'trace']))
  .describe('Spot reclaims: a rate, an AWS Spot Advisor bucket, or a trace of reclaim times.');

const UnavailableSchema = z
  .object({
    per_hour: PositiveNumber.optional().describe(
      'Periods starting per hour (a Poisson rate); give it with `mean_duration`.',
    ),
    mean_duration: PositiveDuration.optional().describe('Mean length of a period (exponential).'),
    trace: z
      .string(expected('a file path'))
      .min(1)
      .optional()
      .describe('CSV with `start` and `end` columns, seconds.'),
  })
  .strict()
  .check((ctx) => {
    const { per_hour, mean_duration, trace } = ctx.value;
    const byRate = per_hour !== undefined && mean_duration !== undefined && trace === undefined;
    const byTrace = trace !== undefined && per_hour === undefined && mean_duration === undefined;
    if (!byRate && !byTrace) {
      ctx.issues.push({
        code: 'custom',
        message: 'expected either {per_hour, mean_duration} or {trace}',
        input: ctx.value,
      });
    }
  })
  .transform(
    (spec): CapacityUnavailable =>
      spec.trace !== undefined
        ? { kind: 'trace', path: spec.trace }
        : { kind: 'rate', perHour: spec.per_hour as number, meanDurationS: spec.mean_duration as number },
  )
  .describe(
    'Periods in which no replica of the fleet can be launched (spot capacity unavailable): a rate with a mean ' +
      'length, or a trace. Replacements wait for the period to end; routing falls back meanwhile.',
  );

const FLEET_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Inline hardware describes a replica priced with `price_per_hour`; an `instance` brings its
 * catalog hardware, and then only the step-time parameters of its accelerator may be given.
 */
function definedKeys(object: object): string[] {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
}

/** What `hardware.accelerator` of an instance fleet may hold: its step-time parameters. */
const STEP_TIME_KEYS = new Set(['efficiency', 'efficiency_uncertainty', 'calibration']);

function checkHardware(
  hardware: z.output<typeof HardwareSchema>,
  withInstance: boolean,
  issues: z.core.$ZodRawIssue[],
): void {
  const accelerator = hardware.accelerator;
  if (!withInstance) {
    if (accelerator !== undefined && accelerator.name === undefined) {
      issues.push({
        code: 'custom',
        message: 'expected an accelerator name',
        input: accelerator,
        path: ['hardware', 'accelerator', 'name'],
      });
    }
    return;
  }
  const message =
    'the instance brings its own hardware; with instance, hardware takes only accelerator.efficiency, efficiency_uncertainty and calibration (the step-time parameters of its accelerator)';
  for (const key of definedKeys(hardware).filter((k) => k !== 'accelerator')) {
    issues.push({ code: 'custom', message, input: hardware, path: ['hardware', key] });
  }
  for (const key of definedKeys(accelerator ?? {}).filter((k) => !STEP_TIME_KEYS.has(k))) {
    issues.push({ code: 'custom', message, input: accelerator, path: ['hardware', 'accelerator', key] });
  }
}

const FleetSchema = z
  .object({
    name: z
      .string(expected('a fleet name'))
      .regex(FLEET_NAME, expected('a fleet name of letters, digits, _ . -'))
      .describe('Unique name, used by `routing` and in reports: letters, digits, `_`, `.`, `-`.'),
    replicas: ReplicasSchema,
    startup: DurationDistribution.optional().describe(
      'Time from launching a replica to ready (billed from launch). Default: lognormal around 3m (sigma 0.3) ' +
        'for accelerator replicas, 60s for CPU-only ones (see docs/autoscaling.md).',
    ),
    autoscaling: AutoscalingSchema.optional(),
    interruption: InterruptionSchema.optional(),
    on_interrupt: z
      .enum(['requeue', 'retry-elsewhere', 'drop'], expected('requeue, retry-elsewhere or drop'))
      .prefault('requeue')
      .describe(
        'What happens to requests still on a replica when it is reclaimed: routed again (`requeue`), routed to ' +
          'another fleet (`retry-elsewhere`), or lost (`drop`, counted as dropped).',
      ),
    unavailable: UnavailableSchema.optional(),
    spot_price: z
      .object({
        trace: z
          .string(expected('a file path'))
          .min(1)
          .describe(
            'CSV with `time` (seconds) and `price` (USD per hour) columns; each price holds until the next.',
          ),
      })
      .strict()
      .optional()
      .describe(
        "A spot price that changes over time, in place of the catalog's constant one (before the first row).",
      ),
    site: z
      .string(expected('a site name'))
      .min(1)
      .optional()
      .describe('Edge site of the fleet, a place in `network.rtt` (cloud fleets are at their `region`).'),
    fallback: z
      .string(expected('a fleet name'))
      .optional()
      .describe(
        'Fleet that takes requests while this spot fleet has no ready replica (e.g. an on-demand fleet).',
      ),
    concurrency: SlotCount.prefault(1).describe('Requests one replica serves at once.'),
    price_per_hour: NonNegativeNumber.max(
      MAX_PRICE_USD_PER_HOUR,
      `expected a price of at most ${MAX_PRICE_USD_PER_HOUR.toLocaleString('en-US')} USD per hour`,
    )
      .optional()
      .meta({
        description: 'Price of one replica, USD per hour. Give this or `instance`, not both.',
        unit: 'USD/hour',
      }),
    instance: z
      .string(expected('an instance key'))
      .min(1, expected('an instance key'))
      .optional()
      .describe(
        'Catalog instance type whose price (in `region`, for `market`), billing rules and hardware apply, ' +
          'e.g. `aws/g5.xlarge`, `gcp/tpu-v5e-4`; `fleetsim catalog list` shows them. Give this or ' +
          '`price_per_hour`, not both.',
      ),
    region: z
      .string(expected('a region'))
      .min(1, expected('a region'))
      .optional()
      .describe("Region for the `instance` price, e.g. `us-east-1`. Default: the catalog's default region."),
    market: z
      .enum(MARKETS, expected(`one of ${MARKETS.join(', ')}`))
      .optional()
      .describe(
        'Which `instance` price applies: `on-demand`, `spot`, or `reserved` (the 1-year commitment price). ' +
          'Default: `on-demand`.',
      ),
    hardware: HardwareSchema.optional(),
    service_time: ServiceTimeSchema.optional().describe(
      'Time to serve one request on one replica. Required without batching; not allowed with it (see `batch_latency`).',
    ),
    batching: BatchingSchema.prefault({ policy: 'none' }),
    batch_latency: BatchLatencySchema.optional(),
    step_time: StepTimeSchema.optional(),
    queue: QueueSchema.prefault({}),
    billing: z
      .object({
        increment: PositiveDuration.optional().describe(
          "Billing granularity. Default: the instance's, else `1s` (per-second billing).",
        ),
        minimum: Duration.optional().describe(
          "Minimum billed time per replica. Default: the instance's, else `60s`.",
        ),
      })
      .strict()
      .optional()
      .describe('How replica time is billed.'),
  })
  .strict()
  .check((ctx) => {
    const {
      price_per_hour,
      instance,
      region,
      market,
      hardware,
      batching,
      service_time,
      batch_latency,
      step_time,
    } = ctx.value;
    if (step_time !== undefined && batching.policy !== 'continuous') {
      ctx.issues.push({
        code: 'custom',
        message: 'step_time applies only with batching policy continuous',
        input: step_time,
        path: ['step_time'],
      });
    }
    if (batching.policy === 'continuous') {
      for (const [key, value] of [
        ['service_time', service_time],
        ['batch_latency', batch_latency],
      ] as const) {
        if (value !== undefined) {
          ctx.issues.push({
            code: 'custom',
            message: `a continuous-batching fleet takes its times from the model (or step_time), not ${key}`,
            input: value,
            path: [key],
          });
        }
      }
    } else if (batching.policy === 'none') {
      if (service_time === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected service_time (or a batching policy with batch_latency)',
          input: ctx.value,
        });
      }
      if (batch_latency !== undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'batch_latency applies only with a batching policy (static or dynamic)',
          input: batch_latency,
          path: ['batch_latency'],
        });
      }
    } else {
      if (batch_latency === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `batching policy ${batching.policy} needs batch_latency`,
          input: batching,
          path: ['batching'],
        });
      }
      if (service_time !== undefined) {
        ctx.issues.push({
          code: 'custom',
          message: 'a batching fleet takes batch_latency, not service_time',
          input: service_time,
          path: ['service_time'],
        });
      }
    }
    if ((price_per_hour === undefined) === (instance === undefined)) {
      ctx.issues.push({
        code: 'custom',
        message: 'expected exactly one of price_per_hour or instance',
        input: ctx.value,
      });
    }
    for (const [key, value] of [
      ['region', region],
      ['market', market],
    ] as const) {
      if (value !== undefined && instance === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `${key} applies only with instance`,
          input: value,
          path: [key],
        });
      }
    }
    if (hardware !== undefined) checkHardware(hardware, instance !== undefined, ctx.issues);
  })
  .describe('A pool of identical replicas.');

/** A fleet before the instance catalog fills in its price and billing (see `finishScenario`). */
export type FleetSpec = z.output<typeof FleetSchema>;

const WithinSchema = ReplicaPolicySchema.prefault('least-outstanding').describe(
  'Replica policy inside the chosen fleet.',
);

const RoutingSchema = z
  .discriminatedUnion(
    'policy',
    [
      z
        .object({
          policy: ReplicaPolicySchema.describe(
            'One replica policy over the replicas of all fleets as one pool.',
          ),
        })
        .strict(),
      z
        .object({
          policy: z.literal('weighted').describe('Pick a fleet at random by weight, then a replica in it.'),
          weights: z
            .record(z.string(), NonNegativeNumber)
            .check((ctx) => {
              if (!Object.values(ctx.value).some((weight) => weight > 0)) {
                ctx.issues.push({
                  code: 'custom',
                  message: 'expected at least one positive weight',
                  input: ctx.value,
                });
              }
            })
            .describe('Fleet name -> relative weight (non-negative; they need not sum to 1).'),
          within: WithinSchema,
        })
        .strict(),
      z
        .object({
          policy: z.literal('spillover').describe('Send to the first fleet in `order` with room.'),
          order: z
            .array(z.string(expected('a fleet name')), expected('a list of fleet names'))
            .min(1, expected('a list of fleet names'))
            .optional()
            .describe('Fleet names, most preferred first. Default: the order of `fleets`.'),
          within: WithinSchema,
          max_queue_per_replica: NonNegativeInteger.prefault(0).describe(
            'A fleet has room while its chosen replica has fewer than concurrency + this many requests.',
          ),
        })
        .strict(),
      z
        .object({
          policy: z
            .literal('offload')
            .describe(
              'Edge first: a request stays on the `edge` fleet while it has room and the request is small enough.',
            ),
          edge: z.string(expected('a fleet name')).describe('The edge fleet, tried first.'),
          cloud: z.string(expected('a fleet name')).describe('Where overflow and oversize requests go.'),
          within: WithinSchema,
          max_queue_per_replica: NonNegativeInteger.prefault(0).describe(
            'The edge has room while its chosen replica has fewer than concurrency + this many requests.',
          ),
          max_input_tokens: NonNegativeInteger.nullable()
            .prefault(null)
            .describe('Requests with more input tokens go to the cloud. null: no limit.'),
          max_request_bytes: Size.nullable()
            .prefault(null)
            .describe('Requests larger than this go to the cloud. null: no limit.'),
        })
        .strict(),
    ],
    {
      error: `expected a routing policy: one of ${[...REPLICA_POLICIES, 'weighted', 'spillover', 'offload'].join(', ')}`,
    },
  )
  .meta({
    title: 'Routing',
  })
  .describe('How each arriving request picks a fleet and a replica.');

/** Routing before `finishScenario` fills a missing spillover order. */
export type RoutingSpec = z.output<typeof RoutingSchema>;

const MetricsSchema = z
  .object({
    interval: PositiveDuration.nullable()
      .prefault(null)
      .describe(
        'Width of one `timeseries.csv` row. null: picked from the run length (about 500 rows), and doubled whenever a run outgrows 1,000 rows, as a trace of unknown length can.',
      ),
  })
  .strict()
  .transform((metrics): MetricsConfig => metrics)
  .describe('What is measured.');

/** A limit of `limits:`: null turns it off. */
function orUnlimited(value: number | null): number {
  return value ?? Number.POSITIVE_INFINITY;
}

const LimitsSchema = z
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
        'Requests in the system at once (held, queued or in service, warmup ones included): bounds the memory ' +
          'a run holds, some 70 bytes a request (250 on an LLM fleet). Past it the run ends as a partial result. ' +
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

const PRESET_NAMES = Object.keys(LLM_PRESETS);
const PrecisionSchema = z.enum(PRECISIONS, expected(`one of ${PRECISIONS.join(', ')}`));

const LlmShapeSchema = z
  .object({
    // Checked by checkScenario: a problem found here, in a union with a preset, would be
    // reported as the preset's unknown keys.
    name: z
      .string(expected('a model name'))
      .min(1)
      .optional()
      .describe(`Name in reports: at most ${MAX_NAME} characters, no control characters.`),
    params: PositiveNumber.describe('All parameters, embeddings included (e.g. `8.03e9`).'),
    layers: PositiveInteger.describe('Transformer layers.'),
    hidden: PositiveInteger.describe('Hidden size.'),
    heads: PositiveInteger.describe('Attention heads.'),
    kv_heads: PositiveInteger.optional().describe(
      'Key/value heads (grouped-query attention). Default: `heads`.',
    ),
    head_dim: PositiveInteger.optional().describe('Dimension of one head. Default: `hidden / heads`.'),
    vocab: PositiveInteger.optional().describe('Vocabulary size. Default: 32000.'),
    tied_embeddings: z
      .boolean(expected('true or false'))
      .optional()
      .describe('The output projection shares the input embedding matrix.'),
    precision: PrecisionSchema.optional().describe('Weight and compute precision. Default: `bf16`.'),
  })
  .strict()
  .check((ctx) => {
    const { heads, kv_heads } = ctx.value;
    if (kv_heads !== undefined && heads % kv_heads !== 0) {
      ctx.issues.push({
        code: 'custom',
        message: `expected heads (${heads}) to be a multiple of kv_heads (${kv_heads})`,
        input: kv_heads,
        path: ['kv_heads'],
      });
    }
  })
  .transform(
    (shape): LlmSpec => ({
      ...(shape.name !== undefined && { name: shape.name }),
      params: shape.params,
      layers: shape.layers,
      hidden: shape.hidden,
      heads: shape.heads,
      ...(shape.kv_heads !== undefined && { kvHeads: shape.kv_heads }),
      ...(shape.head_dim !== undefined && { headDim: shape.head_dim }),
      ...(shape.vocab !== undefined && { vocab: shape.vocab }),
      ...(shape.tied_embeddings !== undefined && { tiedEmbeddings: shape.tied_embeddings }),
      ...(shape.precision !== undefined && { precision: shape.precision }),
    }),
  );

const PresetSchema = z.enum(PRESET_NAMES, expected(`a preset: ${PRESET_NAMES.join(', ')}`));

const LlmSchema = z
  .union(
    [
      z
        .object({
          preset: PresetSchema.describe(`A known open model: ${PRESET_NAMES.join(', ')}.`),
          precision: PrecisionSchema.prefault('bf16').describe('Weight and compute precision.'),
        })
        .strict()
        .transform(({ preset, precision }): { preset: string; precision: (typeof PRECISIONS)[number] } => ({
          preset,
          precision,
        })),
      LlmShapeSchema,
    ],
    { error: 'expected { preset, precision } or a shape { params, layers, hidden, heads, ... }' },
  )
  .describe(
    'The model: a named preset (`{ preset: Llama-3.1-8B, precision: bf16 }`) or its shape (`params`, `layers`, ' +
      '`hidden`, `heads`, `kv_heads`, `head_dim`, `vocab`, `precision`).',
  );

const QualityDelta = z
  .number(expected('a number'))
  .optional()
  .describe('Stated quality change of this step (e.g. accuracy points), added up into the summary.');

const OptimizationSchema = z
  .union(
    [
      z
        .object({
          quantize: z
            .enum(['int8', 'fp8', 'int4'], expected('int8, fp8 or int4'))
            .describe(
              'Weight precision: `int8` (W8A8 matmuls), `fp8`, or `int4` (weight-only; matmuls stay 16-bit).',
            ),
          kv_cache: z
            .enum(['fp8', 'int8'], expected('fp8 or int8'))
            .optional()
            .describe('Also store the KV cache in 8 bits.'),
          quality_delta: QualityDelta,
        })
        .strict(),
      z
        .object({
          prune: z
            .object({
              sparsity: z
                .number(expected('a fraction in [0, 1)'))
                .min(0, expected('a fraction in [0, 1)'))
                .lt(1, expected('a fraction in [0, 1)'))
                .describe(
                  'Share of parameters removed (structured pruning: whole heads, channels or layers).',
                ),
              structured: z
                .literal('2:4', expected('"2:4"'))
                .optional()
                .describe(
                  '2:4 semi-structured sparsity (sparsity must be 0.5): halves matmul work on parts with sparse tensor cores.',
                ),
            })
            .strict()
            .check((ctx) => {
              if (ctx.value.structured === '2:4' && ctx.value.sparsity !== 0.5) {
                ctx.issues.push({
                  code: 'custom',
                  message: `2:4 sparsity is 0.5 by definition; got ${ctx.value.sparsity}`,
                  input: ctx.value.sparsity,
                  path: ['sparsity'],
                });
              }
            }),
          quality_delta: QualityDelta,
        })
        .strict(),
      z
        .object({
          distill: z
            .object({
              into: z
                .union([PresetSchema, LlmShapeSchema], expected('a preset name or a model shape'))
                .describe('The student model: a preset name or a shape.'),
            })
            .strict(),
          quality_delta: QualityDelta,
        })
        .strict(),
    ],
    { error: 'expected { quantize }, { prune } or { distill }' },
  )
  .transform((step): Optimization => {
    const qualityDelta = step.quality_delta === undefined ? {} : { qualityDelta: step.quality_delta };
    if ('quantize' in step) {
      return {
        quantize: step.quantize,
        ...(step.kv_cache !== undefined && { kvCache: step.kv_cache }),
        ...qualityDelta,
      };
    }
    if ('prune' in step) {
      return {
        prune: {
          sparsity: step.prune.sparsity,
          ...(step.prune.structured !== undefined && { structured: '2:4' }),
        },
        ...qualityDelta,
      };
    }
    return { distill: { into: step.distill.into }, ...qualityDelta };
  });

const SERVING_STACK_NAMES = Object.keys(SERVING_STACKS) as (keyof typeof SERVING_STACKS)[];

const ModelSchema = z
  .object({
    llm: LlmSchema,
    optimizations: z
      .array(OptimizationSchema, expected('a list of optimizations'))
      .prefault([])
      .describe(
        'Transforms applied in order before simulation: `{ quantize: int8 | fp8 | int4 }`, ' +
          '`{ prune: { sparsity: 0.5, structured: "2:4" } }`, `{ distill: { into: Llama-3.1-8B } }`; each may state a `quality_delta`.',
      ),
    quality_delta: z
      .number(expected('a number'))
      .optional()
      .describe(
        "Quality change of the served model against the reference, carried into the summary. Default: the sum of the optimizations' `quality_delta`.",
      ),
    serving_stack: z
      .enum(SERVING_STACK_NAMES, expected(`one of ${SERVING_STACK_NAMES.join(', ')}`))
      .prefault('vllm')
      .describe('Serving software whose per-iteration overheads apply (see docs/validation.md).'),
  })
  .strict()
  .describe(
    'The LLM that `continuous` fleets serve. Its step times follow from its shape and the fleet hardware.',
  );

export type ModelSpec = z.output<typeof ModelSchema>;

const BANDWIDTH_UNITS: Readonly<Record<string, number>> = {
  bps: 1 / 8,
  kbps: 1e3 / 8,
  Mbps: 1e6 / 8,
  Gbps: 1e9 / 8,
  'B/s': 1,
  'KB/s': 1e3,
  'MB/s': 1e6,
  'GB/s': 1e9,
};

/** Bytes per second: a number, or bits (`20Mbps`) or bytes (`5MB/s`) per second with a decimal unit. */
const Bandwidth = z
  .union([z.number(), z.string()], expected('a bandwidth like 100Mbps'))
  .transform((input, ctx): number => {
    if (typeof input === 'number' && input > 0) return input;
    const match = typeof input === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z/]+)\s*$/.exec(input) : null;
    const factor = match ? BANDWIDTH_UNITS[match[2]] : undefined;
    if (match && factor !== undefined && Number(match[1]) > 0) return Number(match[1]) * factor;
    ctx.issues.push({
      code: 'custom',
      message: `expected a positive bandwidth like 100Mbps or 5MB/s (units ${Object.keys(BANDWIDTH_UNITS).join(', ')}); got ${JSON.stringify(input)}`,
      input,
    });
    return z.NEVER;
  });

const NetworkSchema = z
  .object({
    origin: z
      .string(expected('a place name'))
      .min(1)
      .describe('Where requests come from: a place named in `rtt` (a city, an edge site, a region).'),
    rtt: z
      .record(z.string(), z.record(z.string(), Duration))
      .prefault({})
      .describe(
        'Round-trip times between places: `{ from: { to: 12ms } }`; one direction is enough. Places are cloud ' +
          "regions (a fleet's `region`), edge sites (a fleet's `site`) and `origin`.",
      ),
    same_place_rtt: Duration.prefault(0.001).describe(
      'Round trip within one place (AWS zones measure 0.5-1.5 ms).',
    ),
    bandwidth: z
      .object({
        up: Bandwidth.optional().describe(
          "Client's upload bandwidth, for request bytes. Default: unlimited.",
        ),
        down: Bandwidth.optional().describe(
          "Client's download bandwidth, for response bytes. Default: unlimited.",
        ),
      })
      .strict()
      .prefault({})
      .describe('Bandwidth of one client connection (`20Mbps`, `5MB/s`).'),
    bytes_per_token: PositiveNumber.prefault(4).describe(
      'Bytes per token of text, for requests and responses without byte counts (OpenAI: a token is about 4 characters of English).',
    ),
    envelope_bytes: Size.prefault(0).describe(
      'Bytes of JSON and headers added to every request and response.',
    ),
  })
  .strict()
  .transform(
    (network): NetworkConfig => ({
      origin: network.origin,
      rtt: network.rtt,
      samePlaceRtt: network.same_place_rtt,
      uplinkBytesPerS: network.bandwidth.up ?? Number.POSITIVE_INFINITY,
      downlinkBytesPerS: network.bandwidth.down ?? Number.POSITIVE_INFINITY,
      bytesPerToken: network.bytes_per_token,
      envelopeBytes: network.envelope_bytes,
    }),
  )
  .describe(
    'Where requests come from and how far that is: each request spends one round trip plus its bytes over the ' +
      'bandwidth on the wire, added to its latency (and to time to first token).',
  );

const DataTransferSchema = z
  .object({
    tiering: z
      .enum(['prorated', 'run'], expected('prorated or run'))
      .prefault('prorated')
      .describe(
        'How monthly volume tiers apply: `prorated` prices the run as steady traffic over a 730-hour month; ' +
          '`run` treats the run as the start of a billing month.',
      ),
    month_to_date: Size.prefault(0).describe(
      'With `run`: bytes already sent this month from the same source.',
    ),
  })
  .strict()
  .transform(
    (transfer): DataTransferConfig => ({
      tiering: transfer.tiering,
      monthToDateBytes: transfer.month_to_date,
    }),
  )
  .describe(
    "Price response bytes leaving cloud fleets (internet egress, or inter-region to an origin in the provider's own " +
      'region) from pricing/data-transfer.yaml; edge fleets send for free.',
  );

/** A variant's name heads a column of every comparison and labels it in every chart. */
const MAX_VARIANT_NAME = 100;

const VariantSchema = z
  .object({
    name: z
      .string(expected('a variant name'))
      .regex(FLEET_NAME, expected('a variant name of letters, digits, _ . -'))
      .max(MAX_VARIANT_NAME, tooLong('a variant name', MAX_VARIANT_NAME))
      .describe(
        `Unique name (not \`baseline\`), used in reports: letters, digits, \`_\`, \`.\`, \`-\`, at most ${MAX_VARIANT_NAME} characters.`,
      ),
    set: z
      .record(z.string(), z.unknown())
      .describe(
        'Dotted path (numeric indices for lists, e.g. `fleets.0.replicas`) -> new value, applied to the ' +
          'baseline (after `--set`).',
      ),
  })
  .strict()
  .describe('A copy of the scenario with some values changed, run and compared with the baseline.');

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

const SloSchema = z
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
  );

const SWEEP_SAMPLINGS = ['grid', 'random', 'latin-hypercube'] as const;
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

const SweepValuesSchema = z
  .unknown()
  .transform((input, ctx): unknown[] => {
    const parsed = parseSweepValues(input);
    if (parsed.ok) return parsed.values;
    ctx.issues.push({ code: 'custom', message: parsed.message, input });
    return z.NEVER;
  })
  .describe('A list of values, a range `"2..24"` or `"0.5..2 step 0.5"`, or one value.');

const SweepSchema = z
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
    points: PositiveInteger.optional().describe('How many points `random` and `latin-hypercube` draw.'),
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

const ReportSchema = z
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
  );

export const scenarioSchema = z
  .object({
    name: displayName('a scenario name')
      .optional()
      .describe(
        `Scenario name, used in reports and for the default output folder: at most ${MAX_NAME} characters, ` +
          'no control characters. Default: the file name without its extension.',
      ),
    seed: z
      .number(expected('a non-negative integer'))
      .int(expected('a non-negative integer'))
      .nonnegative(expected('a non-negative integer'))
      .prefault(1)
      .describe('Seed of every random stream; the same seed gives the same results.'),
    duration: PositiveDuration.nullable()
      .optional()
      .describe(
        'Arrivals stop at this simulated time; requests in flight then drain. Required unless arrivals are a ' +
          'trace (then null or absent: the end of the trace).',
      ),
    warmup: Duration.prefault(0).describe('Requests arriving before this time are left out of the metrics.'),
    max_drain: Duration.nullable()
      .prefault(DEFAULT_MAX_DRAIN_S)
      .describe(
        'Draining stops this long after arrivals stop; the requests still in flight then count as lost ' +
          '(against `max_drop_rate`), with a warning. null: drain until the last request leaves.',
      ),
    workload: WorkloadSchema,
    model: ModelSchema.optional(),
    network: NetworkSchema.optional(),
    data_transfer: DataTransferSchema.optional(),
    fleets: z
      .array(FleetSchema, expected('a list of fleets'))
      .min(1, expected('at least one fleet'))
      .describe('The fleets that serve requests.'),
    routing: RoutingSchema.prefault({ policy: 'least-outstanding' }),
    metrics: MetricsSchema.prefault({}),
    limits: LimitsSchema.prefault({}),
    slo: SloSchema.optional(),
    model_uncertainty: z
      .boolean(expected('true or false'))
      .prefault(false)
      .describe(
        'Replications (`--replications`) draw the step-time parameters of roofline LLM fleets from their ' +
          'uncertainty (`efficiency_uncertainty`, or the default spread of the accelerator), a draw per ' +
          'replication, so confidence intervals and SLO verdicts include it; the run itself keeps the values as ' +
          'written. `--model-uncertainty` sets it. See docs/calibration.md.',
      ),
    sweep: SweepSchema.optional(),
    report: ReportSchema.optional(),
    variants: z
      .array(VariantSchema, expected('a list of variants'))
      .optional()
      .describe('Alternatives to compare with the baseline (the scenario as written).'),
  })
  .strict()
  .meta({
    $id: 'https://github.com/fleetsim/fleetsim/schema/scenario.schema.json',
    title: 'fleetsim scenario',
    description: 'A fleetsim scenario: the workload, the fleets that serve it, and how requests are routed.',
  });

export type ScenarioSpec = z.output<typeof scenarioSchema>;
