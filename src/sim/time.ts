/** Simulated time is integer microseconds: event times then compare exactly and sum without drift. */
export const US_PER_S = 1e6;

export function toUs(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}
