/**
 * The numbers of the expression language: its functions and operators as closure makers. Numeric
 * semantics follow mathjs where they differ from JavaScript (mod sign, tolerant comparisons, round
 * half away from zero, floor/ceil snapping) so the mathjs documentation stays the reference.
 */

// mathjs config defaults (relTol 1e-12, absTol 1e-15): `0.1 + 0.2 == 0.3` is true there, and
// floor(0.7 * 100) is 70, so the closures use the same tolerance.
const REL_TOL = 1e-12;
const ABS_TOL = 1e-15;

function nearlyEqual(a: number, b: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= Math.max(REL_TOL * Math.max(Math.abs(a), Math.abs(b)), ABS_TOL);
}

function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Snaps x to 12 decimals when that is within tolerance, as mathjs' round does before rounding. */
function snap(x: number): number {
  const snapped = roundHalfAwayFromZero(x * 1e12) / 1e12;
  return nearlyEqual(x, snapped) ? snapped : x;
}

// mathjs rounds the decimal string, so round(1.005, 2) is 1.01 although 1.005 * 100 is
// 100.49999999999999; snapping the scaled value gives the same answers without strings.
function roundTo(x: number, decimals: number): number {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 15) return Number.NaN;
  const scale = 10 ** decimals;
  return roundHalfAwayFromZero(snap(x * scale)) / scale;
}

function floorTolerant(x: number): number {
  const f = Math.floor(x);
  const r = roundHalfAwayFromZero(x);
  return f !== r && nearlyEqual(x, r) && !nearlyEqual(x, f) ? r : f;
}

function ceilTolerant(x: number): number {
  const c = Math.ceil(x);
  const r = roundHalfAwayFromZero(x);
  return c !== r && nearlyEqual(x, r) && !nearlyEqual(x, c) ? r : c;
}

function pow(x: number, y: number): number {
  // mathjs returns a real 0 here; Math.pow agrees except for these limits.
  if ((x * x < 1 && y === Infinity) || (x * x > 1 && y === -Infinity)) return 0;
  return x ** y;
}

/** A compiled expression or any part of one: `values[i]` is the value of the i-th variable. */
export type Fn = (values: ArrayLike<number>) => number;

export interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  make(args: Fn[]): Fn;
}

function unary(f: (x: number) => number): FunctionSpec {
  return {
    minArgs: 1,
    maxArgs: 1,
    make:
      ([a]) =>
      (v) =>
        f(a(v)),
  };
}

function binary(f: (x: number, y: number) => number): FunctionSpec {
  return {
    minArgs: 2,
    maxArgs: 2,
    make:
      ([a, b]) =>
      (v) =>
        f(a(v), b(v)),
  };
}

/** min/max over any number of arguments from a pairwise pick, as mathjs folds them. */
function fold(pick: (best: number, x: number) => number): FunctionSpec {
  return {
    minArgs: 1,
    maxArgs: Infinity,
    make: (args) => {
      if (args.length === 1) return args[0];
      if (args.length === 2) {
        const [a, b] = args;
        return (v) => pick(a(v), b(v));
      }
      return (v) => {
        let best = args[0](v);
        for (let i = 1; i < args.length; i++) best = pick(best, args[i](v));
        return best;
      };
    },
  };
}

// mathjs keeps the earlier argument when two are nearly equal, and NaN wins.
const largest = (best: number, x: number): number =>
  Number.isNaN(x) || compare(x, best, 'larger') ? x : best;
const smallest = (best: number, x: number): number =>
  Number.isNaN(x) || compare(x, best, 'smaller') ? x : best;

export const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map([
  ['sin', unary(Math.sin)],
  ['cos', unary(Math.cos)],
  ['tan', unary(Math.tan)],
  ['asin', unary(Math.asin)],
  ['acos', unary(Math.acos)],
  ['atan', unary(Math.atan)],
  ['atan2', binary(Math.atan2)],
  ['exp', unary(Math.exp)],
  [
    'log',
    {
      minArgs: 1,
      maxArgs: 2,
      make: ([a, base]) => (base ? (v) => Math.log(a(v)) / Math.log(base(v)) : (v) => Math.log(a(v))),
    },
  ],
  ['log2', unary(Math.log2)],
  ['log10', unary(Math.log10)],
  ['sqrt', unary(Math.sqrt)],
  ['abs', unary(Math.abs)],
  ['min', fold(smallest)],
  ['max', fold(largest)],
  ['floor', unary(floorTolerant)],
  ['ceil', unary(ceilTolerant)],
  [
    'round',
    {
      minArgs: 1,
      maxArgs: 2,
      make: ([a, decimals]) =>
        decimals ? (v) => roundTo(a(v), decimals(v)) : (v) => roundHalfAwayFromZero(snap(a(v))),
    },
  ],
  ['pow', binary(pow)],
  ['sign', unary(Math.sign)],
]);

const truth = (x: unknown): number => (x ? 1 : 0);

/** mathjs OperatorNode `fn` names -> closure makers; comparisons and logic yield 1 or 0. */
export const OPERATORS: ReadonlyMap<string, (args: Fn[]) => Fn> = new Map<string, (args: Fn[]) => Fn>([
  [
    'unaryMinus',
    ([a]) =>
      (v) =>
        -a(v),
  ],
  ['unaryPlus', ([a]) => a],
  [
    'add',
    ([a, b]) =>
      (v) =>
        a(v) + b(v),
  ],
  [
    'subtract',
    ([a, b]) =>
      (v) =>
        a(v) - b(v),
  ],
  [
    'multiply',
    ([a, b]) =>
      (v) =>
        a(v) * b(v),
  ],
  [
    'divide',
    ([a, b]) =>
      (v) =>
        a(v) / b(v),
  ],
  [
    'pow',
    ([a, b]) =>
      (v) =>
        pow(a(v), b(v)),
  ],
  [
    'mod',
    ([a, b]) =>
      (v) => {
        const x = a(v);
        const y = b(v);
        return y === 0 ? x : x - y * Math.floor(x / y);
      },
  ],
  [
    'larger',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'larger'),
  ],
  [
    'largerEq',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'largerEq'),
  ],
  [
    'smaller',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'smaller'),
  ],
  [
    'smallerEq',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'smallerEq'),
  ],
  [
    'equal',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'equal'),
  ],
  [
    'unequal',
    ([a, b]) =>
      (v) =>
        compare(a(v), b(v), 'unequal'),
  ],
  [
    'and',
    ([a, b]) =>
      (v) =>
        truth(a(v) && b(v)),
  ],
  [
    'or',
    ([a, b]) =>
      (v) =>
        truth(a(v) || b(v)),
  ],
  [
    'not',
    ([a]) =>
      (v) =>
        truth(!a(v)),
  ],
]);

export type Comparison = 'larger' | 'largerEq' | 'smaller' | 'smallerEq' | 'equal' | 'unequal';

export function compare(x: number, y: number, op: Comparison): number {
  const near = nearlyEqual(x, y);
  switch (op) {
    case 'larger':
      return truth(x > y && !near);
    case 'largerEq':
      return truth(x >= y || near);
    case 'smaller':
      return truth(x < y && !near);
    case 'smallerEq':
      return truth(x <= y || near);
    case 'equal':
      return truth(near);
    case 'unequal':
      return truth(!near);
  }
}

const COMPARISONS: ReadonlySet<string> = new Set<Comparison>([
  'larger',
  'largerEq',
  'smaller',
  'smallerEq',
  'equal',
  'unequal',
]);

export function isComparison(name: string): name is Comparison {
  return COMPARISONS.has(name);
}
