import * as z from 'zod';
import { InvariantError } from '../../core/errors.js';
import { Duration, expected, orList, PositiveDuration, PositiveNumber } from '../../core/schema-values.js';
import { sectionsUnder } from '../definition.js';
import { concurrency, createConcurrency } from './concurrency.js';
import { defineAutoscaler } from './definition.js';
import { createHoltWinters, createSeasonalNaive, type Forecaster } from './forecast.js';
import { createQueueDepth, queueDepth } from './queue-depth.js';
import { createTargetTracking, targetTracking } from './target-tracking.js';
import { type Autoscaler, clampReplicas, multipleOf, type ReplicaBounds, secondsToUs } from './types.js';

/**
 * Predictive scaling after AWS EC2 Auto Scaling's: forecast the request rate from the history
 * observed so far (nothing before a full season, as AWS wants 24 h of data), launch
 * `ceil(forecast / target)` replicas `lead` seconds ahead (AWS's scheduling buffer), and let a
 * reactive policy add capacity the forecast missed: the larger of the two wins, so the forecast
 * alone never scales in below what the reactive policy wants.
 */

/**
 * AWS forecasts hourly with a 300 s default scheduling buffer. The smoothing constants are ours:
 * a slow level and trend (traffic that repeats daily mostly changes by its season) and a faster
 * season, so a few days of history suffice; tune them per trace.
 */
export const PREDICTIVE_DEFAULTS = {
  method: 'holt-winters',
  season: 86_400,
  bucket: 3_600,
  lead: 300,
  alpha: 0.2,
  beta: 0.01,
  gamma: 0.3,
  scrape_interval: 60,
  reactive: null,
} as const;

/** A week of one-minute buckets; AWS forecasts hourly, 168 buckets a week. */
const MAX_SEASON_BUCKETS = 10_080;

/** Policies that may add what the forecast missed: those that react to what they observe. */
const REACTIVE = [targetTracking, concurrency, queueDepth] as const;

const schema = z
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
      'Length of one season (a day for daily traffic), at most 10,080 buckets.',
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
      .discriminatedUnion('policy', [targetTracking.schema, concurrency.schema, queueDepth.schema], {
        error: `expected a reactive policy: ${orList(REACTIVE.map((d) => d.name))}`,
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
    else if (Math.round(season / bucket) > MAX_SEASON_BUCKETS) {
      issue(
        `expected at most ${MAX_SEASON_BUCKETS.toLocaleString('en-US')} buckets of ${bucket} s: the forecast keeps a value per bucket of a season and reads up to a season of them at each decision`,
        season,
        ['season'],
      );
    }
  });

/**
 * A `predictive` block, durations in seconds: `target` requests per second per replica; a
 * forecast bucket every `bucket` within a `season` (both multiples of the scrape interval:
 * `scrape_interval` without a reactive policy, else the reactive policy's); capacity launched
 * `lead` ahead; `alpha`, `beta`, `gamma` smooth the Holt-Winters level, trend and season.
 */
export type PredictiveConfig = z.output<typeof schema>;

export function createPredictive(config: PredictiveConfig, bounds: ReplicaBounds): Autoscaler {
  if (!(config.target > 0)) throw new RangeError(`predictive target must be > 0, got ${config.target}`);
  const reactive = config.reactive === null ? null : createReactive(config.reactive, bounds);
  const scrapeIntervalUs = reactive?.scrapeIntervalUs ?? secondsToUs(config.scrape_interval);
  const bucketUs = secondsToUs(config.bucket);
  const seasonUs = secondsToUs(config.season);
  if (bucketUs % scrapeIntervalUs !== 0 || seasonUs % bucketUs !== 0) {
    throw new RangeError('predictive: season must be a multiple of bucket, bucket of the scrape interval');
  }
  const seasonLength = seasonUs / bucketUs;
  const forecaster: Forecaster =
    config.method === 'seasonal-naive'
      ? createSeasonalNaive(seasonLength)
      : createHoltWinters({ seasonLength, alpha: config.alpha, beta: config.beta, gamma: config.gamma });
  const leadUs = secondsToUs(config.lead);

  // Bucket k holds the samples whose windows end in (k * bucket, (k + 1) * bucket]; it is
  // complete, and goes into the forecaster, with the sample that ends exactly at its end.
  let openBucket = 0;
  let rateSum = 0;
  let samples = 0;

  // The forecast changes only when a bucket completes and the span only at bucket boundaries, so
  // the many decisions within one bucket reuse one peak.
  let known = { from: -1, to: -1, pushed: -1, replicas: 0 };

  function predicted(nowUs: number): number {
    // Capacity must cover every bucket from now to now + lead, not only the last one.
    const from = Math.floor(nowUs / bucketUs);
    const to = Math.floor((nowUs + leadUs) / bucketUs);
    if (from !== known.from || to !== known.to || openBucket !== known.pushed) {
      const peak = forecaster.peak(from, to);
      known = {
        from,
        to,
        pushed: openBucket,
        replicas: peak === null ? 0 : Math.ceil(Math.max(0, peak) / config.target),
      };
    }
    return known.replicas;
  }

  return {
    scrapeIntervalUs,
    evaluationPeriodUs: reactive?.evaluationPeriodUs ?? scrapeIntervalUs,
    observe(sample) {
      reactive?.observe(sample);
      const bucket = Math.ceil(sample.timeUs / bucketUs) - 1;
      if (bucket !== openBucket) {
        throw new InvariantError(
          `predictive: a rate sample for bucket ${bucket} while bucket ${openBucket} is open`,
        );
      }
      rateSum += sample.requestRateRps;
      samples++;
      if (sample.timeUs % bucketUs === 0) {
        forecaster.push(rateSum / samples);
        openBucket++;
        rateSum = 0;
        samples = 0;
      }
    },
    desiredReplicas(nowUs, counts) {
      const reactiveReplicas = reactive === null ? 0 : reactive.desiredReplicas(nowUs, counts);
      return clampReplicas(Math.max(reactiveReplicas, predicted(nowUs)), bounds);
    },
  };
}

function createReactive(
  config: NonNullable<PredictiveConfig['reactive']>,
  bounds: ReplicaBounds,
): Autoscaler {
  switch (config.policy) {
    case 'target-tracking':
      return createTargetTracking(config, bounds);
    case 'concurrency':
      return createConcurrency(config, bounds);
    case 'queue-depth':
      return createQueueDepth(config, bounds);
  }
}

export const predictive = defineAutoscaler({
  name: 'predictive',
  schema,
  defaults: PREDICTIVE_DEFAULTS,
  create: createPredictive,
  example: { policy: 'predictive', target: 20, lead: '10m', reactive: concurrency.example },
  sections: {
    reactive: concurrency.example,
    ...sectionsUnder('reactive', targetTracking.sections),
    ...sectionsUnder('reactive', queueDepth.sections),
  },
});
