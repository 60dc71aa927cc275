import { DDSketch } from '@datadog/sketches-js';
import { US_PER_S } from '../core/time.js';

export const RELATIVE_ACCURACY = 0.01;

/**
 * Whether the 95 % confidence half-width of a quantile's mean is below what the sketch resolves:
 * every estimate is only within RELATIVE_ACCURACY of the true quantile, so a narrower interval
 * shows which of the sketch's bins the estimates fell in, not how much the quantile varies.
 */
export function belowSketchResolution(halfWidth: number, value: number): boolean {
  return halfWidth < RELATIVE_ACCURACY * Math.abs(value);
}

/**
 * Keys of DDSketch's LogarithmicMapping for RELATIVE_ACCURACY, the mapping `new DDSketch()`
 * makes: ceil(log2(value) * KEYS_PER_OCTAVE) with its offset of 0, the multiplier computed by the
 * same operations as the library's, so every key is the same. Computed here, not by
 * `mapping.key`, because that call (two levels deep) cost more than the logarithm on the
 * simulator's hot path; a test checks that the keys agree.
 */
const KEYS_PER_OCTAVE = (1 / Math.log1p((2 * RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY))) * Math.log(2);

/** Values at or below it are left to the sketch itself (its mapping's `minPossible`). */
export const MIN_INDEXABLE = new DDSketch({ relativeAccuracy: RELATIVE_ACCURACY }).mapping.minPossible;

/** The key of a value above MIN_INDEXABLE, as `mapping.key` gives it. */
export function sketchKey(value: number): number {
  return Math.ceil(Math.log2(value) * KEYS_PER_OCTAVE);
}

// Latencies and waits are whole microseconds divided by 10^6, and a logarithm (a call into C)
// was most of the cost of sketching one. For d microseconds, d < 2^31, the key of d / 10^6 comes
// from tables instead: d's leading bit and the next CELL_BITS bits pick a cell, a range of d
// narrower than a key (2^-6 of an octave; a key is 1/35), so a cell holds at most one key edge,
// found once by bisection with `sketchKey` itself. The keys are therefore exactly sketchKey's.
const CELL_BITS = 6;
const CELLS_PER_OCTAVE = 1 << CELL_BITS;
const OCTAVES = 31;
/** d below this takes the tables; d / 10^6 is then below 2147 s. */
export const MICROS_LIMIT = 2 ** OCTAVES;

/** Keys of d = 0 .. CELLS_PER_OCTAVE - 1, where a cell would be less than one microsecond wide. */
const SMALL_KEYS = new Int32Array(CELLS_PER_OCTAVE);
/** Per cell: the key of its first d, and the first d of the next key (Infinity when the cell has no edge). */
const CELL_KEY = new Int32Array(OCTAVES * CELLS_PER_OCTAVE);
const CELL_EDGE = new Float64Array(OCTAVES * CELLS_PER_OCTAVE);

const microsKey = (d: number) => sketchKey(d / US_PER_S);

for (let d = 1; d < CELLS_PER_OCTAVE; d++) SMALL_KEYS[d] = microsKey(d);
for (let octave = CELL_BITS; octave < OCTAVES; octave++) {
  const width = 2 ** (octave - CELL_BITS);
  for (let c = 0; c < CELLS_PER_OCTAVE; c++) {
    const cell = octave * CELLS_PER_OCTAVE + c;
    const first = 2 ** octave + c * width;
    const last = first + width - 1;
    const key = microsKey(first);
    CELL_KEY[cell] = key;
    if (microsKey(last) === key) {
      CELL_EDGE[cell] = Number.POSITIVE_INFINITY;
      continue;
    }
    let below = first;
    let atEdge = last;
    while (atEdge - below > 1) {
      const middle = below + Math.floor((atEdge - below) / 2);
      if (microsKey(middle) === key) below = middle;
      else atEdge = middle;
    }
    CELL_EDGE[cell] = atEdge;
  }
}

/** sketchKey(d / 10^6) for a whole number of microseconds 1 <= d < MICROS_LIMIT. */
export function microsecondsKey(d: number): number {
  const octave = 31 - Math.clz32(d);
  if (octave < CELL_BITS) return SMALL_KEYS[d];
  const cell = (octave << CELL_BITS) | ((d >>> (octave - CELL_BITS)) & (CELLS_PER_OCTAVE - 1));
  // A comparison turned into a number compiles to a flag, not a branch: which side of the edge
  // a latency falls on is a coin toss, and the mispredicted branch cost half of the key.
  return CELL_KEY[cell] + +(d >= CELL_EDGE[cell]);
}
