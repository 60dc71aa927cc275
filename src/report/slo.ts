import { evaluateSlo, type SloCheck, type SloObjectiveCheck } from '../metrics/slo.js';
import type { Slo } from '../scenario/types.js';
import { formatPercent, formatSeconds } from './format.js';
import type { VariantSummary } from './summary.js';

export type { Slo } from '../scenario/types.js';

/** An objective as the scenario spells it, with its limit: `latency_p99 <= 2.00 s`, `max_drop_rate <= 1.0 %`. */
function describeObjective(objective: string, limit: number): string {
  return objective === 'max_drop_rate'
    ? `drop rate <= ${formatPercent(limit)}`
    : `${objective} <= ${formatSeconds(limit)}`;
}

export function describeSlo(slo: Slo): string {
  return [
    ...slo.limits.map((l) => describeObjective(`${l.metric}_${l.statistic}`, l.seconds)),
    ...(slo.maxDropRate === null ? [] : [describeObjective('max_drop_rate', slo.maxDropRate)]),
  ].join(', ');
}

function describeMiss(check: SloObjectiveCheck): string {
  const format = check.objective === 'max_drop_rate' ? formatPercent : formatSeconds;
  const name = check.objective === 'max_drop_rate' ? 'drop rate' : check.objective;
  return check.value === null
    ? `${name}: not measured`
    : `${name} ${format(check.value)} > ${format(check.limit)}`;
}

/** Each objective a check found missed, for people (`latency_p99 12.6 s > 2.00 s`); empty when the SLO is met. */
export function describeSloMisses(check: SloCheck): string[] {
  return check.objectives.filter((o) => !o.met).map(describeMiss);
}

/** Each objective `v` misses, for people; empty when it meets the SLO. */
export function sloFailures(v: VariantSummary, slo: Slo): string[] {
  return describeSloMisses(evaluateSlo(slo, v));
}
