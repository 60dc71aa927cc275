/** The simulation clock counts integer microseconds; scenarios and outputs speak seconds. */
export const US_PER_S = 1e6;
/**
 * The latest time the microsecond clock keeps exactly: integer microseconds are exact in a double
 * up to 2^53, about 285 years. Beyond it neighbouring times merge, and beyond 1.8e302 s they are
 * infinite.
 */
export const MAX_SECONDS = Number.MAX_SAFE_INTEGER / US_PER_S;

/** Seconds to the clock's whole microseconds: event times then compare exactly and sum without drift. */
export function toUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}
