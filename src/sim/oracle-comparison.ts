import { US_PER_S } from '../core/time.js';
import { MAX_FIXED_BINS, type OracleGap } from '../metrics/index.js';
import { computeOracle } from '../policies/autoscaling/index.js';
import type { Fleet, Slo } from '../scenario/types.js';

/** What the run measured of each fleet, when the comparison is made. */
export interface OracleInputs {
  endUs: number;
  /** Per fleet: cost of what its policy launched. */
  policyCostUsd: Record<string, number>;
  /** Per fleet: requests completed and their summed service time, for its mean service time. */
  completed: Float64Array;
  busyUs: Float64Array;
  /** The queue-wait p99 the run achieved, the target without an SLO. */
  achievedWaitP99S: number | null;
}

/**
 * Each autoscaled fleet of one request per slot against a clairvoyant one: the fewest replicas
 * per interval that meet the SLO's queue-wait percentile (or its latency percentile less the mean
 * service time) in the M/M/c model, given the fleet's realized arrivals per interval and its
 * mean service time over the run. Arrivals are counted during the run; the rest is computed at
 * its end (`computeOracle`).
 */
export class OracleComparison {
  /** Per fleet: arrivals per interval, for the autoscaled fleets. */
  private readonly arrivals: number[][];

  /**
   * `autoscaled[f]`: fleet f has an autoscaler; `oneRequestPerSlot[f]`: it serves requests one
   * per slot (a service time, not batches or an LLM), the M/M/c model the oracle knows.
   */
  constructor(
    private readonly fleets: readonly Fleet[],
    private readonly autoscaled: readonly boolean[],
    private readonly oneRequestPerSlot: readonly boolean[],
    private intervalUs: number,
    private readonly slo: Slo | null,
  ) {
    this.arrivals = fleets.map(() => []);
  }

  /** An arrival routed to autoscaled `fleet` at `nowUs`. */
  count(fleet: number, nowUs: number): void {
    let bin = Math.floor(nowUs / this.intervalUs);
    while (bin >= MAX_FIXED_BINS) {
      this.widen();
      bin = Math.floor(nowUs / this.intervalUs);
    }
    const bins = this.arrivals[fleet];
    while (bins.length <= bin) bins.push(0);
    bins[bin]++;
  }

  /** Doubles the interval, merging neighbouring bins, so a run of simulated years keeps a bounded table. */
  private widen(): void {
    for (const [f, bins] of this.arrivals.entries()) {
      this.arrivals[f] = Array.from(
        { length: Math.ceil(bins.length / 2) },
        (_, b) => bins[2 * b] + (bins[2 * b + 1] ?? 0),
      );
    }
    this.intervalUs *= 2;
  }

  /** The gap per autoscaled fleet of one request per slot that completed any request; null when no fleet is autoscaled. */
  gaps(inputs: OracleInputs): Record<string, OracleGap> | null {
    if (!this.autoscaled.includes(true)) return null;
    const fromSlo = this.slo?.limits.find(
      (l) => (l.metric === 'queue_wait' || l.metric === 'latency') && l.statistic.startsWith('p'),
    );
    // Without an SLO: the cheapest clairvoyant fleet that waits no longer than this one did.
    // A wait p99 of zero asks for practically no waiting; 1 ms keeps the bound finite.
    const achieved = Math.max(inputs.achievedWaitP99S ?? 0, 1e-3);
    const limit = fromSlo ?? { metric: 'queue_wait' as const, statistic: 'p99' as const, seconds: achieved };
    const target =
      fromSlo === undefined
        ? `queue wait p99 <= ${achieved.toPrecision(3)} s, as this run achieved (no slo: given)`
        : `slo ${limit.metric}_${limit.statistic} <= ${limit.seconds} s`;
    const { endUs, policyCostUsd } = inputs;
    while (endUs / this.intervalUs > MAX_FIXED_BINS) this.widen();
    const intervalUs = this.intervalUs;
    const gaps: Record<string, OracleGap> = {};
    for (const [f, fleet] of this.fleets.entries()) {
      if (!this.autoscaled[f] || !this.oneRequestPerSlot[f] || inputs.completed[f] === 0) continue;
      const meanServiceS = inputs.busyUs[f] / inputs.completed[f] / US_PER_S;
      const maxWaitS = limit.metric === 'queue_wait' ? limit.seconds : limit.seconds - meanServiceS;
      if (!(maxWaitS > 0)) continue;
      const bins = Math.max(1, Math.ceil(endUs / intervalUs));
      const intervals = Array.from({ length: bins }, (_, bin) => ({
        durationS: (Math.min(intervalUs, endUs - bin * intervalUs) || intervalUs) / US_PER_S,
        arrivals: this.arrivals[f][bin] ?? 0,
        meanServiceS,
      }));
      const digits = limit.statistic.slice(1);
      const oracle = computeOracle(intervals, {
        concurrency: fleet.concurrency,
        waitPercentile: Number(digits) / 10 ** digits.length,
        maxWaitS,
        priceUsdPerHour: fleet.priceUsdPerHour,
        minReplicas: fleet.minReplicas,
        maxReplicas: fleet.maxReplicas,
      });
      gaps[fleet.name] = {
        policy_cost_usd: policyCostUsd[fleet.name],
        oracle_cost_usd: oracle.costUsd,
        gap_usd: policyCostUsd[fleet.name] - oracle.costUsd,
        oracle_replica_hours: oracle.replicaHours,
        infeasible_intervals: oracle.infeasibleIntervals,
        target,
      };
    }
    return gaps;
  }
}
