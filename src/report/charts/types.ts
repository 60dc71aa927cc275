import type { VariantResult } from '../../metrics/index.js';
import type { Slo } from '../slo.js';

/** Something that happened to a fleet at an instant: a spot reclaim, a scale-out, a scale-in. */
export interface TimelineEvent {
  time_s: number;
  kind: string;
  fleet: string;
}

/**
 * `cost_usd` as a saved `summary.json` may hold it: folders written before the compute, idle,
 * transfer and per-market breakdown existed lack those fields, and `fleetsim report` still draws them.
 */
export type CostUsd = Pick<VariantResult['cost_usd'], 'total' | 'by_fleet'> &
  Partial<Omit<VariantResult['cost_usd'], 'total' | 'by_fleet'>>;

/** Everything charts are drawn from: run results, plus what a run does not record yet. */
export interface ChartInput {
  variants: readonly VariantResult[];
  slo?: Slo;
  /** Timeline marks per variant name. The simulator records no such events yet. */
  timelineEvents?: Readonly<Record<string, readonly TimelineEvent[]>>;
}
