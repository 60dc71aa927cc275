import { oneLine } from './unprintable.js';

/** A user error located in a file. */
export interface Diagnostic {
  code:
    | 'YAML_SYNTAX'
    | 'UNKNOWN_KEY'
    | 'INVALID_VALUE'
    | 'BAD_UNIT'
    | 'BAD_EXPRESSION'
    | 'MISSING_FILE'
    | 'OUTSIDE_DATA_ROOT'
    | 'BAD_TRACE_ROW'
    | 'BAD_OVERRIDE'
    | 'UNKNOWN_REFERENCE';
  message: string;
  /**
   * The scenario is well formed but this configuration cannot run: the model does not fit the
   * accelerators, the instance is not sold in that region or market. `fleetsim sweep` and `plan`
   * record such a point as infeasible and go on; everywhere else it is an error like the others.
   */
  infeasible?: true;
  file: string;
  line: number;
  col: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; errors: Diagnostic[] };

/** `file:line:col: message`, one line. */
export function formatDiagnostic(d: Diagnostic): string {
  return oneLine(`${d.file}:${d.line}:${d.col}: ${d.message}`);
}

/** Thrown for user errors found while running (e.g. a bad trace row); the CLI prints it as one line and exits 2. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(readonly diagnostic: Diagnostic) {
    super(formatDiagnostic(diagnostic));
  }
}

/**
 * User input that proved invalid only while running, where no file position is known (a rate
 * expression that turns negative, a service-time expression that gives a negative duration).
 * The CLI prints its message as one line and exits 2.
 */
export class RunInputError extends Error {
  override name = 'RunInputError';
}

/** Thrown when the simulator breaks one of its own laws: a bug, never a user error. */
export class InvariantError extends Error {
  override name = 'InvariantError';
}
