import { createStreams } from '../engine/index.js';
import type { LatencyStats, PartialRun } from '../metrics/index.js';
import type { Scenario, Slo, SloMetric, SloStatistic } from '../scenario/types.js';
import { Arrivals } from './arrivals.js';
import type { Meters } from './meters.js';

const QUANTILE: Record<Exclude<SloStatistic, 'mean'>, number> = {
  p50: 0.5,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
  p999: 0.999,
};

/**
 * Tells when a run has missed its objective whatever the requests still to come would do, so a
 * plan can stop it: the rule compares what is already lost or slow with the measured requests the
 * whole run has (`total`). Those do not depend on the fleet for an open workload: they are counted
 * once, by replaying the run's arrival process alone with the same seed, and only when the run
 * already misses the objective on what it has measured so far. Sessions wait for answers, so their
 * arrivals do depend on the fleet: such a run is never stopped.
 *
 * - `max_drop_rate` r: missed once more than r x total requests are dropped or timed out (the
 *   share at the end counts every one of them, over at most `total`).
 * - A percentile objective (`latency_p99` L): missed once at least total x (1 - q) + q measured
 *   values lie two sketch buckets or more above L. However many of the other requests complete,
 *   the rank the sketch reads the quantile at falls among those values, so it reads above L.
 * - A mean objective is never judged early: requests still to come could lower it.
 */
export class CertainMiss {
  /** Measured requests of the whole run; undefined until counted. */
  private total: number | undefined = undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly seed: number,
    private readonly slo: Slo,
    private readonly meters: Meters,
    private readonly warmupUs: number,
  ) {}

  /** Why the run can stop now, or null while its objective can still be met. */
  check(nowS: number): PartialRun | null {
    if (!this.missedSoFar()) return null;
    this.total ??= new Arrivals(this.scenario, createStreams(this.seed)).countFrom(this.warmupUs);
    const total = this.total;
    const meters = this.meters;
    const lost = meters.dropped + meters.timedOut;
    const stop = (reason: string): PartialRun => ({
      limit: 'objective',
      at_s: nowS,
      reason,
      measured_total: total,
    });
    const maxDropRate = this.slo.maxDropRate;
    if (maxDropRate !== null && lost > maxDropRate * total) {
      return stop(
        `${count(lost)} of the run's ${count(total)} measured requests already lost, more than max_drop_rate ${maxDropRate} allows`,
      );
    }
    for (const { metric, statistic, seconds } of this.slo.limits) {
      if (statistic === 'mean') continue;
      const q = QUANTILE[statistic];
      const above = statsOf(meters, metric).countClearlyAbove(seconds);
      if (above >= total * (1 - q) + q) {
        return stop(
          `${count(above)} of the run's ${count(total)} measured requests already over the ${seconds} s ${metric}_${statistic} limit, more than a ${statistic} allows`,
        );
      }
    }
    return null;
  }

  /** The same rule against the requests measured so far: cheap, and needed before the whole can be missed. */
  private missedSoFar(): boolean {
    const meters = this.meters;
    const maxDropRate = this.slo.maxDropRate;
    if (maxDropRate !== null && meters.dropped + meters.timedOut > maxDropRate * meters.arrived) return true;
    return this.slo.limits.some(({ metric, statistic, seconds }) => {
      if (statistic === 'mean') return false;
      const q = QUANTILE[statistic];
      const stats = statsOf(meters, metric);
      const measured = stats.count;
      return measured > 0 && stats.countClearlyAbove(seconds) >= measured * (1 - q) + q;
    });
  }
}

function statsOf(meters: Meters, metric: SloMetric): LatencyStats {
  switch (metric) {
    case 'latency':
      return meters.latency;
    case 'queue_wait':
      return meters.wait;
    case 'ttft':
      return meters.ttft;
    case 'tpot':
      return meters.tpot;
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
