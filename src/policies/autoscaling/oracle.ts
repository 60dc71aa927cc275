/**
 * A clairvoyant lower bound on replicas, computed after a run from the load that was realized: per
 * interval, the fewest replicas whose slots, taken as an M/M/c queue at the interval's arrival
 * rate and mean service time, keep the wait percentile within the SLO. It knows each interval's
 * load in advance, starts replicas instantly and pays by the exact second with no minimum, so no
 * policy can be cheaper at the same SLO (under the M/M/c approximation of the fleet).
 */

/** One interval of realized load. */
export interface OracleInterval {
  durationS: number;
  arrivals: number;
  /** Mean service time of the interval's requests (any value when there were none). */
  meanServiceS: number;
}

export interface OracleOptions {
  /** Requests one replica serves at once: servers per replica in the M/M/c model. */
  concurrency: number;
  /** The SLO: the `waitPercentile` quantile of queue wait is at most `maxWaitS`. */
  waitPercentile: number;
  maxWaitS: number;
  priceUsdPerHour: number;
  /** The fleet's bounds: the oracle stays within them as the policy must. */
  minReplicas: number;
  maxReplicas: number;
}

export interface OracleResult {
  /** Replicas per interval. */
  replicas: number[];
  /** Intervals where even `maxReplicas` misses the SLO (given `maxReplicas` there). */
  infeasibleIntervals: number;
  replicaHours: number;
  costUsd: number;
}

export function computeOracle(intervals: readonly OracleInterval[], options: OracleOptions): OracleResult {
  const replicas = intervals.map((interval) => fewestReplicas(interval, options));
  const infeasibleIntervals = replicas.filter((n) => n === null).length;
  const chosen = replicas.map((n) => n ?? options.maxReplicas);
  const replicaHours = chosen.reduce((sum, n, i) => sum + (n * intervals[i].durationS) / 3600, 0);
  return {
    replicas: chosen,
    infeasibleIntervals,
    replicaHours,
    costUsd: replicaHours * options.priceUsdPerHour,
  };
}

/** The fewest replicas in [min, max] meeting the SLO in one interval, or null when none does. */
function fewestReplicas(interval: OracleInterval, options: OracleOptions): number | null {
  const { concurrency: c, waitPercentile, maxWaitS, minReplicas, maxReplicas } = options;
  if (interval.arrivals === 0) return minReplicas;
  const lambda = interval.arrivals / interval.durationS;
  const mu = 1 / interval.meanServiceS;
  const offered = lambda * interval.meanServiceS;
  // Erlang B by its recurrence B(k) = a B(k-1) / (k + a B(k-1)), carried forward as the server
  // count grows: stable for any load, where a^k / k! overflows past a few hundred servers.
  let erlangB = 1;
  let servers = 0;
  for (let n = Math.max(1, minReplicas); n <= maxReplicas; n++) {
    for (; servers < n * c; ) {
      servers++;
      erlangB = (offered * erlangB) / (servers + offered * erlangB);
    }
    if (servers <= offered) continue;
    const waitProbability = (servers * erlangB) / (servers - offered * (1 - erlangB));
    // M/M/c: P(wait > t) = C(c, a) exp(-(c mu - lambda) t); C = 0 when service takes no time.
    const tail = waitProbability === 0 ? 0 : waitProbability * Math.exp(-(servers * mu - lambda) * maxWaitS);
    if (tail <= 1 - waitPercentile) return n;
  }
  return null;
}
