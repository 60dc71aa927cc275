import type { VariantResult } from '../../metrics/index.js';
import type { Slo } from '../slo.js';

/**
 * `cost_usd` as a saved `summary.json` may hold it: folders written before the compute, idle,
 * transfer and per-market breakdown existed lack those fields, and `fleetsim report` still draws them.
 */
export type CostUsd = Pick<VariantResult['cost_usd'], 'total' | 'by_fleet'> &
  Partial<Omit<VariantResult['cost_usd'], 'total' | 'by_fleet'>>;

/** Everything charts are drawn from: run results and the SLO they are judged by. */
export interface ChartInput {
  variants: readonly VariantResult[];
  slo?: Slo;
}
