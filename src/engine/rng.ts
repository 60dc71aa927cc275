import seedrandom from 'seedrandom';

/** A uniform random number generator on [0, 1). */
export type Uniform = () => number;

/**
 * Independent named random streams derived from one seed. Each stream is seeded from the seed
 * and its own name alone, so adding a stream (a new fleet, a new policy) or drawing more from one
 * shifts no other: variants of a scenario see the same arrivals and service times (common random
 * numbers).
 */
export interface Streams {
  readonly seed: number;
  stream(name: string): Uniform;
}

export function createStreams(seed: number): Streams {
  return {
    seed,
    // tychei: about 4 ns a draw here (ARC4, seedrandom's default, is about 45 ns; TOOLCHAIN.md).
    stream: (name) => seedrandom.tychei(`${seed}\u0000${name}`) as Uniform,
  };
}
