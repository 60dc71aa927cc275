/**
 * Forecasts of a seasonal series of equal-width buckets (request rate per bucket), fed one bucket
 * at a time: seasonal naive (the same bucket one season earlier) and additive Holt-Winters
 * (level, trend and seasonal components, exponentially smoothed; Hyndman and Athanasopoulos,
 * "Forecasting: Principles and Practice", 3rd ed., section 8.3).
 */
export interface Forecaster {
  push(value: number): void;
  /** Forecast for bucket index `bucket` (after the last pushed), or null until a full season is known. */
  forecast(bucket: number): number | null;
}

export interface HoltWintersParams {
  /** Buckets per season. */
  seasonLength: number;
  alpha: number;
  beta: number;
  gamma: number;
}

export function createSeasonalNaive(seasonLength: number): Forecaster {
  const values: number[] = [];
  return {
    push: (value) => void values.push(value),
    forecast(bucket) {
      const last = values.length - 1;
      const seasonsBack = Math.ceil((bucket - last) / seasonLength);
      const source = bucket - seasonsBack * seasonLength;
      return source >= 0 ? values[source] : null;
    },
  };
}

/**
 * Initialised from the first season (level = its mean, trend 0, seasonal = deviations from the
 * mean), then updated bucket by bucket:
 *   level_t  = alpha (y_t - s_{t-m}) + (1 - alpha)(level_{t-1} + trend_{t-1})
 *   trend_t  = beta (level_t - level_{t-1}) + (1 - beta) trend_{t-1}
 *   s_t      = gamma (y_t - level_t) + (1 - gamma) s_{t-m}
 *   y^_{t+h} = level_t + h trend_t + s_{t+h-m(k+1)},  k = floor((h - 1) / m)
 */
export function createHoltWinters(params: HoltWintersParams): Forecaster {
  const { seasonLength: m, alpha, beta, gamma } = params;
  const firstSeason: number[] = [];
  const seasonal = new Float64Array(m);
  let level = 0;
  let trend = 0;
  let count = 0;

  return {
    push(value) {
      const phase = count % m;
      count++;
      if (count <= m) {
        firstSeason.push(value);
        if (count === m) {
          level = firstSeason.reduce((a, b) => a + b, 0) / m;
          for (let i = 0; i < m; i++) seasonal[i] = firstSeason[i] - level;
        }
        return;
      }
      const previousLevel = level;
      level = alpha * (value - seasonal[phase]) + (1 - alpha) * (level + trend);
      trend = beta * (level - previousLevel) + (1 - beta) * trend;
      seasonal[phase] = gamma * (value - level) + (1 - gamma) * seasonal[phase];
    },
    forecast(bucket) {
      if (count < m) return null;
      const h = bucket - (count - 1);
      // seasonal[] holds, per phase, the estimate from the latest season that reached it.
      return level + h * trend + seasonal[bucket % m];
    },
  };
}
