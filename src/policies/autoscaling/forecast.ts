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
  /**
   * The largest forecast over buckets `from` to `to` (after the last pushed), or null until a
   * full season is known. Both forecasts repeat every season apart from a linear trend, so it
   * reads at most one season of buckets however long the span.
   */
  peak(from: number, to: number): number | null;
}

/** Max of `forecast` over `from..to`, reading one season at the end the trend favours. */
function seasonalPeak(
  forecast: (bucket: number) => number | null,
  seasonLength: number,
  from: number,
  to: number,
  trend: number,
): number | null {
  // Within one phase the forecasts differ by the trend alone: the last occurrence is the largest
  // when it rises, the first otherwise, and any season of consecutive buckets holds each phase once.
  const first = to - from + 1 > seasonLength && trend > 0 ? to - seasonLength + 1 : from;
  const last = Math.min(to, first + seasonLength - 1);
  let peak = Number.NEGATIVE_INFINITY;
  for (let b = first; b <= last; b++) {
    const value = forecast(b);
    if (value === null) return null;
    if (value > peak) peak = value;
  }
  return peak;
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
  function forecast(bucket: number): number | null {
    const last = values.length - 1;
    const seasonsBack = Math.ceil((bucket - last) / seasonLength);
    const source = bucket - seasonsBack * seasonLength;
    return source >= 0 ? values[source] : null;
  }
  return {
    push: (value) => void values.push(value),
    forecast,
    peak: (from, to) => seasonalPeak(forecast, seasonLength, from, to, 0),
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

  function forecast(bucket: number): number | null {
    if (count < m) return null;
    const h = bucket - (count - 1);
    // seasonal[] holds, per phase, the estimate from the latest season that reached it.
    return level + h * trend + seasonal[bucket % m];
  }

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
    forecast,
    peak: (from, to) => seasonalPeak(forecast, m, from, to, trend),
  };
}
