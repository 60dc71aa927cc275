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
    stream: (name) => tycheiStream(seedrandom.tychei(`${seed}\u0000${name}`, { state: true }).state()),
  };
}

const BATCH = 256;
/** 2^-32: multiplying by it is exact, and cheaper than dividing by 2^32. */
const TWO_TO_MINUS_32 = 1 / 4294967296;

/**
 * seedrandom's tychei sequence, from the state its seeding left, drawn BATCH values at a time.
 * A draw is then an array read that inlines into its caller. seedrandom seeds the generator; its
 * recurrence is repeated here because through seedrandom each value cost two closure calls and
 * eight property accesses (about 110 instructions, half of a request's random draws), where this
 * loop keeps the state in registers. A test checks that the values are seedrandom's own.
 * `state` is the stream's own (seedrandom's `state()` returns a copy) and advances with it.
 */
function tycheiStream(state: seedrandom.State.Tychei): Uniform {
  const values = new Float64Array(BATCH);
  // Out of line: a draw inlines into its caller, and this loop inline would take a third of
  // V8's inlining budget per compiled function there.
  const refill = () => {
    let { a, b, c, d } = state;
    // Locals: module constants and captured variables are re-read (with checks) on every pass.
    const out = values;
    const scale = TWO_TO_MINUS_32;
    for (let i = 0; i < out.length; i++) {
      b = (b << 25) ^ (b >>> 7) ^ c;
      c = (c - d) | 0;
      d = (d << 24) ^ (d >>> 8) ^ a;
      a = (a - b) | 0;
      b = (b << 20) ^ (b >>> 12) ^ c;
      c = (c - d) | 0;
      d = (d << 16) ^ (c >>> 16) ^ a;
      a = (a - b) | 0;
      out[i] = (a >>> 0) * scale;
    }
    state.a = a;
    state.b = b;
    state.c = c;
    state.d = d;
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
