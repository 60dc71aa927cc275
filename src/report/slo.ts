import { formatPercent, formatSeconds } from '../core/format.js';
import { evaluateSlo, type SloCheck, type SloObjectiveCheck, withClassVerdicts } from '../metrics/slo.js';
import type { Slo } from '../scenario/types.js';
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

/**
 * Each objective a check found missed, for people (`latency_p99 12.6 s > 2.00 s`), after the run
 * limit that cut the run short if one did; empty when the SLO is met.
 */
export function describeSloMisses(
  check: SloCheck,
  classes?: Readonly<Record<string, { slo: SloCheck }>>,
): string[] {
  return [
    ...(check.partial === undefined ? [] : [`PARTIAL run, stopped by ${check.partial}`]),
    ...check.objectives.filter((o) => !o.met).map(describeMiss),
    ...(check.failing_classes ?? []).map((name) => {
      const own = classes?.[name]?.slo.objectives.filter((o) => !o.met).map(describeMiss) ?? [];
      return own.length === 0 ? `class ${name} misses its own objective` : `class ${name}: ${own.join(', ')}`;
    }),
  ];
}

/** `drop rate <= 1.0 %, ttft_p95 <= 1.00 s`, from a verdict (what summary.json carries). */
export function describeCheckedObjectives(check: SloCheck): string {
  return check.objectives.map((o) => describeObjective(o.objective, o.limit)).join(', ');
}

/**
 * The verdict in sentences, for the terminal and markdown: the objective (saying when it is the
 * default), then one line per configuration that misses it with what it missed.
 */
export function verdictLines(
  variants: readonly Pick<VariantSummary, 'name' | 'slo' | 'classes'>[],
): string[] {
  if (variants.length === 0) return [];
  const check = variants[0].slo;
  const objective = `Objective: ${describeCheckedObjectives(check)}${
    check.default ? ' (the default; a scenario sets its own with slo:)' : ''
  }.`;
  const missing = variants.filter((v) => !v.slo.met);
  const classes = variants[0].classes;
  return [
    objective,
    ...(classes === undefined ? [] : [classObjectivesLine(classes)]),
    ...missing.map(
      (v) => `${v.name} MISSES its objective: ${describeSloMisses(v.slo, v.classes).join('; ')}.`,
    ),
    ...(missing.length === variants.length && variants.length > 1
      ? ['No configuration meets the objective.']
      : []),
  ];
}

/** Each objective `v` misses, for people; empty when it meets the SLO. */
export function sloFailures(v: VariantSummary, slo: Slo): string[] {
  return describeSloMisses(withClassVerdicts(evaluateSlo(slo, v), v.classes), v.classes);
}

/** What each class is judged against, and that every class must meet its own for the configuration to. */
export function classObjectivesLine(classes: Readonly<Record<string, { slo: SloCheck }>>): string {
  const each = Object.entries(classes)
    .map(([name, c]) => `${name}: ${describeCheckedObjectives(c.slo)}`)
    .join('; ');
  return `Each class is judged on its own requests (${each}); a configuration meets its objective only if every class meets its own.`;
}
