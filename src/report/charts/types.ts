import type { VariantResult } from '../../metrics/index.js';
import type { Slo } from '../slo.js';

/**
 * `cost_usd` as a saved `summary.json` may hold it: folders written before the compute, idle,
 * transfer and per-market breakdown existed lack those fields, and `fleetsim report` still draws them.
 */
export type CostUsd = Pick<VariantResult['cost_usd'], 'total' | 'by_fleet'> &
  Partial<Omit<VariantResult['cost_usd'], 'total' | 'by_fleet'>>;

/** A variant's figures over replications by summary.json dotted key (`latency_s.p99`), as replications.json holds them. */
export interface VariantEstimates {
  metrics: Record<string, number | null>;
  /** Half-width of the 95 % confidence interval of each mean; null with a single replication. */
  ci95: Record<string, number | null> | null;
}

/** Means and confidence intervals of independent replications of every variant, by variant name. */
export interface Replicated {
  replications: number;
  variants: ReadonlyMap<string, VariantEstimates>;
}

/** Everything charts are drawn from: run results, the SLO they are judged by, and replications of them. */
export interface ChartInput {
  variants: readonly VariantResult[];
  slo?: Slo;
  /** Charts of headline figures then show the means with error bars of their 95 % confidence intervals. */
  replicated?: Replicated;
}
