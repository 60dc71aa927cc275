/** The simulation clock counts integer microseconds; scenarios and outputs speak seconds. */
export const US_PER_S = 1e6;
/** The longest time the microsecond clock counts exactly: 2^53 us, about 285 years. */
export const MAX_SECONDS = Number.MAX_SAFE_INTEGER / US_PER_S;

/** Seconds to the clock's whole microseconds: event times then compare exactly and sum without drift. */
export function toUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}
