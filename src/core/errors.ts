/** Thrown when the simulator breaks one of its own laws: a bug, never a user error. */
export class InvariantError extends Error {
  override name = 'InvariantError';
}
