/**
 * The value types of the scenario reference: distributions of tokens, sizes and durations, service
 * times and rates (durations and sizes themselves are in src/core/schema-values.ts).
 */

import * as z from 'zod';
import {
  Count,
  Duration,
  expected,
  NonNegativeNumber,
  PositiveCount,
  PositiveDuration,
  PositiveNumber,
  PositiveSize,
  Size,
} from '../../core/schema-values.js';
import { parseDuration } from '../../core/units.js';
import type { Distribution, Rate, RequestAttribute, ServiceTime } from '../types.js';
import { exactlyOne } from './common.js';

// Schemas under z.lazy are built on first use: many scenarios give no token, turn, size or duration
// distribution, and building zod schemas is a noticeable part of what a short `fleetsim run` waits
// for.

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
              `Header of the column to resample (values in ${unit === 'tokens' || unit === 'turns' ? unit : 'seconds or bytes'}, plain numbers).`,
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

export const TokenDistribution = z.lazy(() =>
  z
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
    }),
);

export const TurnDistribution = z.lazy(() =>
  z
    .union(
      [
        z
          .number(expected('a number of turns'))
          .min(1, expected('at least 1 turn'))
          .transform(constantDistribution),
        distributionObject(Count, PositiveCount, 'turns'),
      ],
      { error: 'expected a number of turns or a distribution like {gamma: {mean: 6, cv: 0.8}}' },
    )
    .meta({
      id: 'TurnDistribution',
      title: 'Turn distribution',
      description:
        'Turns per session: a number (constant, at least 1) or a distribution object as for tokens. Each draw ' +
        'is rounded to a whole number, at least 1.',
    }),
);

export const SizeDistribution = z.lazy(() =>
  z
    .union([Size.transform(constantDistribution), distributionObject(Size, PositiveSize, 'size')], {
      error: 'expected a size like 4KB or a distribution like {lognormal: {median: 2KB, sigma: 0.5}}',
    })
    .meta({
      id: 'SizeDistribution',
      title: 'Size distribution',
      description:
        'Bytes per request: a size (constant) or a distribution object as for tokens, whose values are sizes ' +
        '(`4KB`, `2MiB` or bytes).',
    }),
);

export const DurationDistribution = z.lazy(() =>
  z
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
    }),
);

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

export const ServiceTimeSchema = z
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

export const RateSchema = z
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
