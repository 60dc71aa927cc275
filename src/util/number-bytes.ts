/**
 * Numbers written as ASCII bytes into a buffer, with the exact text of `String(value)` and of
 * `value.toFixed(6)` (its trailing zeros cut), but without a string per number: V8 takes a few
 * hundred nanoseconds for the shortest text of a fractional double, and a file of a million
 * lines holds millions of them. The common cases are decided here with the error of each floating-point
 * step bounded; a value outside them (negative, huge, below one, or too near a rounding boundary
 * to decide within that bound) is left to the language's own conversion, so the text never differs.
 */

/**
 * Room either writer may need from `at`: `String` of a double is at most 25 characters, and
 * digits go in four or eight at a time, so bytes past a number's end, within this room, may be
 * overwritten (with junk that whatever is written next replaces).
 */
export const NUMBER_MAX_BYTES = 32;

/** 10^i, exact for i <= 22 (parsed from literals: `**` need not be correctly rounded). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** Dekker's split of each power of ten into two halves of 26 bits, for exact products. */
const SPLITTER = 134217729; // 2^27 + 1
const POW10_HIGH = POW10.map((p) => SPLITTER * p - (SPLITTER * p - p));
const POW10_LOW = POW10.map((p, i) => p - POW10_HIGH[i]);
/** 2^53: below it every integer is a double. */
const EXACT_INTEGERS = 9007199254740992;
/** A bound on the relative error of one rounded product, with a margin of two. */
const PRODUCT_ERROR = 2 ** -52;
/** Seconds whose integer part `writeInteger` takes and whose fraction keeps microseconds. */
const MAX_FAST_SECONDS = 2 ** 32;

const ZERO = 0x30;
const DOT = 0x2e;

/**
 * "0000" to "9999" as little-endian words, for four digits in one store: a typed-array store
 * costs a dozen instructions of checks whatever its width.
 */
const FOUR_DIGITS = Uint32Array.from(
  { length: 10000 },
  (_, n) =>
    ZERO +
    Math.floor(n / 1000) +
    ((ZERO + (Math.floor(n / 100) % 10)) << 8) +
    ((ZERO + (Math.floor(n / 10) % 10)) << 16) +
    (ZERO + (n % 10)) * 2 ** 24,
);

/** Writes the text of `String(value)` at `at`; returns the position after it. Needs `NUMBER_MAX_BYTES` of room. */
export function writeNumber(view: DataView, at: number, value: number): number {
  if (value >= 0 && value < EXACT_INTEGERS && Number.isInteger(value)) return writeInteger(view, at, value);
  if (value > 1 && value < EXACT_INTEGERS) {
    const end = writeShortestFraction(view, at, value);
    if (end >= 0) return end;
  }
  return writeAscii(view, at, String(value));
}

/**
 * Writes the text of `value.toFixed(6)` without the zeros that end its fraction (nor a point
 * left bare) at `at`; returns the position after it. Needs `NUMBER_MAX_BYTES` of room.
 */
export function writeSixDecimals(view: DataView, at: number, value: number): number {
  if (value >= 0 && value < MAX_FAST_SECONDS) {
    // toFixed takes the integer nearest to value * 10^6; the whole seconds are exact.
    let whole = Math.floor(value);
    const scaled = (value - whole) * 1e6;
    const rounded = Math.round(scaled);
    // Off a tie by more than the product's error, so the rounding is the exact product's.
    if (Math.abs(Math.abs(rounded - scaled) - 0.5) > scaled * PRODUCT_ERROR) {
      let micros = rounded | 0;
      if (micros === 1000000) {
        whole++;
        micros = 0;
      }
      at = writeInteger(view, at, whole);
      if (micros === 0) return at;
      view.setUint8(at, DOT);
      // All six digits, then the end moved back over the zeros that close them.
      writeEight(view, at + 1, micros * 100);
      let digits = 6;
      while (micros % 10 === 0) {
        micros = (micros / 10) | 0;
        digits--;
      }
      return at + 1 + digits;
    }
  }
  const fixed = value.toFixed(6);
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === ZERO) end--;
  if (fixed.charCodeAt(end - 1) === DOT) end--;
  return writeAscii(view, at, fixed.slice(0, end));
}

/** Below 2^52 a double's halves are doubles too, so a tie between two integers can be told. */
const HALVES_EXACT = 2 ** 52;

const YES = 1;
const NO = 0;
/** Too near a boundary to tell: the caller falls back. */
const UNSURE = -1;

/**
 * The shortest decimal that reads back as `value` (1 < value < 2^53, not an integer), the
 * nearest to it among those as short: what `String` writes. Returns -1 where it cannot decide.
 *
 * Seventeen significant digits always read back. Most fractions drawn at random need sixteen or
 * seventeen, the rest mostly fifteen: one exact product of the fraction and 10^places (places
 * for seventeen digits) tells all three apart, rounded to the nearest multiple of 1, 10 or 100.
 * Fewer digits are searched by bisection, each with its own product.
 */
function writeShortestFraction(view: DataView, at: number, value: number): number {
  const whole = Math.floor(value);
  const fraction = value - whole;
  const places = 17 - digitCount(whole);
  const product = scaled(fraction, places);
  if (!(product < HALVES_EXACT)) return -1;
  const error = productError[0];
  const half = halfUlp(whole);
  const bound = half * POW10[places];
  let digits: number;
  let decimals: number;
  const sixteen = nearestMultiple(product, error, 10);
  const sixteenReads = within(sixteen, product, error, bound);
  if (sixteenReads === UNSURE) return -1;
  if (sixteenReads === NO) {
    digits = nearestMultiple(product, error, 1);
    if (within(digits, product, error, bound) !== YES) return -1;
    decimals = places;
  } else {
    const fifteen = nearestMultiple(product, error, 100);
    const fifteenReads = within(fifteen, product, error, bound);
    if (fifteenReads === UNSURE) return -1;
    if (fifteenReads === NO) {
      digits = sixteen / 10;
      decimals = places - 1;
    } else {
      digits = fifteen / 100;
      decimals = places - 2;
      // Fewer places still, by bisection: `decimals` reads back, `low - 1` does not.
      let low = 1;
      while (low < decimals) {
        const middle = (low + decimals) >> 1;
        const fewer = scaled(fraction, middle);
        const fewerError = productError[0];
        const nearest = nearestMultiple(fewer, fewerError, 1);
        const reads = within(nearest, fewer, fewerError, half * POW10[middle]);
        if (reads === UNSURE) return -1;
        if (reads === NO) low = middle + 1;
        else {
          decimals = middle;
          digits = nearest;
        }
      }
    }
  }
  // The decimal reads back, so it is not the next integer: `digits` < 10^decimals.
  at = writeInteger(view, at, whole);
  view.setUint8(at++, DOT);
  // Zeros appended fill eight places, of which the first `decimals` are written.
  if (decimals <= 8) {
    writeEight(view, at, digits * POW10[8 - decimals]);
    return at + decimals;
  }
  // The first eight digits, then the rest as above. Exact: the quotient's rounding error stays
  // under a unit of its remainder.
  const rest = POW10[decimals - 8];
  const upper = Math.floor(digits / rest);
  writeEight(view, at, upper);
  writeEight(view, at + 8, (digits - upper * rest) * POW10[16 - decimals]);
  return at + decimals;
}

/** Where `scaled` leaves the error of its product, in a typed array as a double kept in a module variable would be boxed anew at each store. */
const productError = new Float64Array(1);

/**
 * `fraction` times 10^j, rounded, its exact error (the product is their sum) left in
 * `productError[0]`: Dekker's product, as JavaScript has no fused multiply-add.
 */
function scaled(fraction: number, j: number): number {
  const product = fraction * POW10[j];
  const c = SPLITTER * fraction;
  const fh = c - (c - fraction);
  const fl = fraction - fh;
  productError[0] = fh * POW10_HIGH[j] - product + fh * POW10_LOW[j] + fl * POW10_HIGH[j] + fl * POW10_LOW[j];
  return product;
}

/**
 * The multiple of `p` (1, 10 or 100) nearest to `product + error` (0 <= product < 2^52), or -1
 * for a tie. `product` minus the midpoint between two multiples is exact where it is small (the
 * two are within a factor of two), so the sign of that difference plus `error`, rounded once,
 * is exact.
 */
function nearestMultiple(product: number, error: number, p: number): number {
  const below = Math.floor(Math.floor(product) / p) * p;
  const side = product - (below + p / 2) + error;
  if (side === 0) return -1;
  return side > 0 ? below + p : below;
}

/**
 * Whether `candidate` (a multiple of a power of ten, or -1 for none) lies strictly within
 * `bound` (half a unit in the last place of the value, times the same power of ten as the
 * product: 5^j times a power of two, so exact) of `product + error`: whether that decimal reads
 * back as the value, whose neighbours are as far on both sides. `candidate - product` is exact
 * (the two are within a factor of two, or the candidate is 0), and so is it plus or minus
 * `bound`: all lie on the grid of half the value's last place, scaled, and are small enough for
 * 53 bits. Each sign below then comes from one rounding, so it is exact.
 */
function within(candidate: number, product: number, error: number, bound: number): number {
  if (candidate < 0) return UNSURE;
  const offset = candidate - product;
  const above = offset + bound - error;
  const below = offset - bound - error;
  if (above === 0 || below === 0) return UNSURE;
  return above > 0 && below < 0 ? YES : NO;
}

/** 2^(k-53) for k from 0 to 52: half the gap between doubles from 2^k to 2^(k+1). */
const HALF_ULP = Array.from({ length: 53 }, (_, k) => 2 ** (k - 53));

/** Half the gap between a double of integer part `whole` (1 <= whole < 2^53) and the next one. */
function halfUlp(whole: number): number {
  // The highest bit of `whole`, from its count of leading zeros as 32 bits (its upper half's above 2^32).
  const k = whole < 2 ** 32 ? 31 - Math.clz32(whole) : 63 - Math.clz32(whole / 2 ** 32);
  return HALF_ULP[k];
}

/** Digits of `n` (0 <= n < 2^53, an integer). */
function digitCount(n: number): number {
  let count = 1;
  while (n >= POW10[count]) count++;
  return count;
}

/** Writes `n` (0 <= n < 2^53, an integer) in decimal. */
function writeInteger(view: DataView, at: number, n: number): number {
  if (n < 1e8) return writeShort(view, at, n | 0);
  // Exact below 2^53: the quotient's rounding error stays under 10^-8.
  const upper = Math.floor(n / 1e8);
  at = writeShort(view, at, upper | 0);
  writeEight(view, at, (n - upper * 1e8) | 0);
  return at + 8;
}

/** Writes `n` (0 <= n < 10^8, an int32) in decimal, without leading zeros. */
function writeShort(view: DataView, at: number, n: number): number {
  if (n < 10000) {
    const digits = n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : 4;
    // Little-endian: shifting right drops the leading zeros.
    view.setUint32(at, FOUR_DIGITS[n] >>> (32 - 8 * digits), true);
    return at + digits;
  }
  const upper = (n / 10000) | 0;
  const digits = upper < 100 ? (upper < 10 ? 1 : 2) : upper < 1000 ? 3 : 4;
  view.setUint32(at, FOUR_DIGITS[upper] >>> (32 - 8 * digits), true);
  view.setUint32(at + digits, FOUR_DIGITS[n - upper * 10000], true);
  return at + digits + 4;
}

/** Writes `n` (0 <= n < 10^8, an integer) as eight digits, zeros first. */
function writeEight(view: DataView, at: number, n: number): void {
  const upper = (n / 10000) | 0;
  view.setUint32(at, FOUR_DIGITS[upper], true);
  view.setUint32(at + 4, FOUR_DIGITS[(n | 0) - upper * 10000], true);
}

function writeAscii(view: DataView, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) view.setUint8(at++, text.charCodeAt(i));
  return at;
}
