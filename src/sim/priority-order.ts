import { toUs } from '../core/time.js';
import type { RequestClass } from '../scenario/types.js';

/**
 * The order in which queues serve the request classes: each class has a level, 0 served last,
 * and a queue serves a higher level before a lower one, arrival order within a level. Classes
 * with a deadline (deferrable batch work) rank below every class without one, by priority among
 * themselves; the others rank by priority.
 *
 * With one level (every request alike, as in any workload without classes), the queues keep the
 * plain FIFOs they had before priorities, so such runs are unchanged.
 */
export interface PriorityOrder {
  /** Distinct levels, at least 1. */
  readonly levels: number;
  /** Per class (index in the workload's classes): its level. */
  readonly classLevel: Int32Array;
  /** Per class: microseconds within which its requests must finish after arriving; Infinity for none. */
  readonly deadlineUs: Float64Array;
  /** Whether some class has a deadline. */
  readonly hasDeadlines: boolean;
}

export function priorityOrder(classes: readonly RequestClass[]): PriorityOrder {
  // Deadline classes' keys sit below every priority an interactive class can have (the schema bounds them).
  const key = (c: RequestClass) => (c.deadline === null ? 0 : -4e9) + c.priority;
  const keys = [...new Set(classes.map(key))].sort((a, b) => a - b);
  const deadlineUs = Float64Array.from(classes, (c) =>
    c.deadline === null ? Number.POSITIVE_INFINITY : toUs(c.deadline),
  );
  return {
    levels: keys.length,
    classLevel: Int32Array.from(classes, (c) => keys.indexOf(key(c))),
    deadlineUs,
    hasDeadlines: classes.some((c) => c.deadline !== null),
  };
}
