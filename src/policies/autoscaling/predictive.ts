import { InvariantError } from '../../core/errors.js';
import { type ConcurrencyConfig, createConcurrency } from './concurrency.js';
import { createHoltWinters, createSeasonalNaive, type Forecaster } from './forecast.js';
import { createQueueDepth, type QueueDepthConfig } from './queue-depth.js';
import { createTargetTracking, type TargetTrackingConfig } from './target-tracking.js';
import { type Autoscaler, clampReplicas, type ReplicaBounds, secondsToUs } from './types.js';

/**
 * Predictive scaling after AWS EC2 Auto Scaling's: forecast the request rate from the history
 * observed so far (nothing before a full season, as AWS wants 24 h of data), launch
 * `ceil(forecast / target)` replicas `lead` seconds ahead (AWS's scheduling buffer), and let a
 * reactive policy add capacity the forecast missed: the larger of the two wins, so the forecast
 * alone never scales in below what the reactive policy wants.
 */
export interface PredictiveConfig {
  policy: 'predictive';
  method: 'holt-winters' | 'seasonal-naive';
  /** Requests per second one replica should carry. */
  target: number;
  /** Seconds in one season (one day for daily traffic). */
  season: number;
  /** Seconds per forecast bucket; the season and the bucket are multiples of the scrape interval. */
  bucket: number;
  /** Seconds ahead the forecast capacity is launched. */
  lead: number;
  /** Holt-Winters smoothing of level, trend and season. */
  alpha: number;
  beta: number;
  gamma: number;
  /** Seconds between rate samples and decisions when there is no reactive policy (else the reactive policy's). */
  scrape_interval: number;
  reactive: TargetTrackingConfig | ConcurrencyConfig | QueueDepthConfig | null;
}

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
} as const satisfies Omit<PredictiveConfig, 'policy' | 'target'>;

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

  function predicted(nowUs: number): number {
    // Capacity must cover every bucket from now to now + lead, not only the last one.
    let peak = 0;
    for (let b = Math.floor(nowUs / bucketUs); b <= Math.floor((nowUs + leadUs) / bucketUs); b++) {
      const rate = forecaster.forecast(b);
      if (rate === null) return 0;
      peak = Math.max(peak, rate);
    }
    return Math.ceil(peak / config.target);
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
