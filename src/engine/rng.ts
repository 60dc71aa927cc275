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
    stream: (name) => buffered(seedrandom.tychei(`${seed}\u0000${name}`) as Uniform),
  };
}

const BATCH = 256;

/**
 * The same sequence as `generator`, drawn BATCH values at a time. A draw is then an array read
 * that inlines into its caller; calling seedrandom's generator (two closures deep) once per draw
 * cost more than the draw itself on the simulator's hot path.
 */
function buffered(generator: Uniform): Uniform {
  const values = new Float64Array(BATCH);
  // Out of line: a draw inlines into its caller, and with this loop inline it brought seedrandom's
  // generator along (about 300 bytes of bytecode, a third of V8's inlining budget per compiled
  // function); without it the simulation's `arrive` inlines both of its exponential draws.
  const refill = () => {
    for (let i = 0; i < BATCH; i++) values[i] = generator();
  };
  let next = BATCH;
  return () => {
    if (next === BATCH) {
      refill();
      next = 0;
    }
    return values[next++];
  };
}
