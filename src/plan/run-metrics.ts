import type { VariantResult } from '../metrics/index.js';
import { classMissedMetric, dropRate } from '../metrics/slo.js';
import type { Scenario } from '../scenario/types.js';

/** One run's numbers by dotted key (`latency_s.p99`, `cost_usd.by_fleet.gpu`): a row of sweep.csv. */
export type RunMetrics = Record<string, number | null>;

/** Per-run data that is not a figure to average: the variant's name, time series, CDF points, batch-size histograms. */
const SKIPPED = new Set(['name', 'timeseries', 'distributions', 'sizes']);

function flattenInto(value: unknown, prefix: string, into: RunMetrics): void {
  if (typeof value === 'number' || value === null) {
    into[prefix] = value;
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    if (!SKIPPED.has(key)) flattenInto(child, prefix === '' ? key : `${prefix}.${key}`, into);
  }
}

/**
 * Every number of a variant's summary by dotted key, plus `drop_rate` (the share `max_drop_rate`
 * limits) and `cost_usd_per_hour`, which plans and sweeps rank by: a fixed fleet's list price,
 * because the run's cost also carries the drain time, which varies with latency; an autoscaled
 * fleet's mean spend over the run, since its replica count is the policy's, not the scenario's.
 */
export function flattenMetrics(result: VariantResult, scenario: Scenario): RunMetrics {
  const metrics: RunMetrics = {};
  flattenInto(result, '', metrics);
  metrics.drop_rate = dropRate(result.requests);
  for (const [name, c] of Object.entries(result.classes ?? {}))
    metrics[classMissedMetric(name)] = c.slo.met ? 0 : 1;
  const hours = result.simulated_s.end / 3600;
  metrics.cost_usd_per_hour = scenario.fleets.reduce(
    (sum, fleet) =>
      sum +
      (fleet.autoscaling === null
        ? fleet.replicas * fleet.priceUsdPerHour
        : hours > 0
          ? (result.cost_usd.by_fleet[fleet.name] ?? 0) / hours
          : 0),
    0,
  );
  return metrics;
}
