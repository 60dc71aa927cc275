import type {
  ConditionalNode,
  ConstantNode,
  FunctionNode,
  MathNode,
  OperatorNode,
  ParenthesisNode,
  RelationalNode,
  SymbolNode,
} from 'mathjs';
import { closestNames, typoTolerance } from '../util/closest-names.js';

/**
 * Scenario expressions (`"20ms + 0.05ms * input_tokens"`, `"40 * (1 + sin(2 * pi * t / 1d))"`):
 * mathjs parses them, and this module turns the syntax tree into a tree of plain closures over
 * a values array. mathjs' own compiled form costs 300-600 ns a call (a Map scope plus typed-function
 * dispatch), too slow for one evaluation per simulated request; the closures take 5-40 ns.
 * Numeric semantics follow mathjs where they differ from JavaScript (mod sign, tolerant comparisons,
 * round half away from zero, floor/ceil snapping) so the mathjs documentation stays the reference.
 */

type MathModule = typeof import('mathjs/number');

let math: MathModule | undefined;
let loading: Promise<void> | undefined;

export function isMathLoaded(): boolean {
  return math !== undefined;
}

/**
 * Imports mathjs once. The `mathjs/number` build is used: its parser is the same as the full
 * build's (same trees for every construct below), and here it imported in 370-530 ms / 95-106 MB RSS
 * against 750-910 ms / 125-131 MB for `mathjs` (Node 20, 2 vCPU; TOOLCHAIN.md measured 0.55 s vs 1.1 s).
 */
export function loadMath(): Promise<void> {
  loading ??= import('mathjs/number').then((module) => {
    math = module;
  });
  return loading;
}

export type CompiledExpression = (values: ArrayLike<number>) => number;

const SECOND = 1;
const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

/** Duration symbols, in seconds. `m` is a minute: scenario values are times, never lengths. */
const UNIT_SECONDS: ReadonlyMap<string, number> = new Map([
  ['us', 1e-6],
  ['ms', 1e-3],
  ['s', SECOND],
  ['sec', SECOND],
  ['min', MINUTE],
  ['m', MINUTE],
  ['h', HOUR],
  ['hr', HOUR],
  ['d', DAY],
  ['day', DAY],
]);

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
]);

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

type Fn = CompiledExpression;

interface FunctionSpec {
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

const FUNCTIONS: ReadonlyMap<string, FunctionSpec> = new Map([
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
const OPERATORS: ReadonlyMap<string, (args: Fn[]) => Fn> = new Map<string, (args: Fn[]) => Fn>([
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

type Comparison = 'larger' | 'largerEq' | 'smaller' | 'smallerEq' | 'equal' | 'unequal';

function compare(x: number, y: number, op: Comparison): number {
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

function isComparison(name: string): name is Comparison {
  return COMPARISONS.has(name);
}

const SUPPORTED_SUMMARY =
  'expressions may use numbers, variables, duration units, + - * / ^ %, comparisons, ' +
  'and/or/not, cond ? a : b and the functions ' +
  [...FUNCTIONS.keys()].join(', ');

class CompileError extends Error {}

function didYouMean(name: string, candidates: Iterable<string>): string {
  const close = closestNames(name, candidates, { count: 3, maxDistance: typoTolerance(name) });
  return close.length > 0 ? ` (did you mean ${close.join(', ')}?)` : '';
}

interface Compiled {
  fn: Fn;
  /** True when the value depends on no variable, so a parent may fold it to a number. */
  constant: boolean;
  /** Set on a bare variable, so arithmetic with a constant can read `values` directly. */
  variable?: number;
}

function constant(value: number): Compiled {
  return { fn: () => value, constant: true };
}

/** Builds a node from compiled children, folding it to a number when every child is constant. */
function combine(children: Compiled[], make: (args: Fn[]) => Fn): Compiled {
  const fn = make(children.map((child) => child.fn));
  return children.every((child) => child.constant) ? constant(fn([])) : { fn, constant: false };
}

/**
 * `k * x`, `k + x`, `x / k`... with a constant k as one closure instead of three: the typical
 * service time `20ms + 0.05ms * input_tokens` then runs in two calls (about 2x faster).
 */
function fuseConstant(op: string, left: Compiled, right: Compiled): Fn | undefined {
  if (left.constant === right.constant) return undefined;
  const k = (left.constant ? left : right).fn([]);
  const other = left.constant ? right : left;
  const x = other.fn;
  const i = other.variable;
  switch (op) {
    case 'add':
      return i === undefined ? (v) => k + x(v) : (v) => k + v[i];
    case 'multiply':
      return i === undefined ? (v) => k * x(v) : (v) => k * v[i];
    case 'subtract':
      return left.constant ? (v) => k - x(v) : (v) => x(v) - k;
    case 'divide':
      return left.constant ? (v) => k / x(v) : (v) => x(v) / k;
    default:
      return undefined;
  }
}

class Compiler {
  private readonly indexByName = new Map<string, number>();

  constructor(variables: readonly string[]) {
    variables.forEach((name, index) => {
      if (!this.indexByName.has(name)) this.indexByName.set(name, index);
    });
  }

  compile(node: MathNode): Compiled {
    switch (node.type) {
      case 'ConstantNode':
        return this.constantNode(node as ConstantNode);
      case 'SymbolNode':
        return this.symbol((node as SymbolNode).name);
      case 'ParenthesisNode':
        return this.compile((node as ParenthesisNode).content);
      case 'OperatorNode':
        return this.operator(node as OperatorNode);
      case 'FunctionNode':
        return this.call(node as FunctionNode);
      case 'ConditionalNode':
        return this.conditional(node as ConditionalNode);
      case 'RelationalNode':
        return this.relational(node as RelationalNode);
      default:
        throw new CompileError(
          `unsupported ${describeNode(node.type)} "${node.toString()}"; ${SUPPORTED_SUMMARY}`,
        );
    }
  }

  private constantNode(node: ConstantNode): Compiled {
    if (typeof node.value !== 'number') {
      throw new CompileError(
        `unsupported ${typeof node.value} constant ${node.toString()}; only numbers are allowed`,
      );
    }
    return constant(node.value);
  }

  private symbol(name: string): Compiled {
    const index = this.indexByName.get(name);
    if (index !== undefined) return { fn: (v) => v[index], constant: false, variable: index };
    const value = CONSTANTS.get(name) ?? UNIT_SECONDS.get(name);
    if (value !== undefined) return constant(value);
    const known = [...this.indexByName.keys(), ...CONSTANTS.keys(), ...UNIT_SECONDS.keys()];
    const hint = FUNCTIONS.has(name)
      ? ` (${name} is a function: call it as ${name}(...))`
      : didYouMean(name, known);
    throw new CompileError(`unknown name "${name}"${hint}; known: ${known.join(', ')}`);
  }

  private operator(node: OperatorNode): Compiled {
    const make = OPERATORS.get(node.fn);
    if (!make)
      throw new CompileError(
        `unsupported operator "${node.op}" in "${node.toString()}"; ${SUPPORTED_SUMMARY}`,
      );
    const args = node.args.map((arg) => this.compile(arg));
    const fused = args.length === 2 ? fuseConstant(node.fn, args[0], args[1]) : undefined;
    return fused ? { fn: fused, constant: false } : combine(args, make);
  }

  private call(node: FunctionNode): Compiled {
    const callee = node.fn as MathNode;
    if (callee.type !== 'SymbolNode') {
      throw new CompileError(`unsupported call "${node.toString()}": only named functions can be called`);
    }
    const name = (callee as SymbolNode).name;
    const spec = FUNCTIONS.get(name);
    if (!spec) {
      const known = [...FUNCTIONS.keys()];
      throw new CompileError(
        `unknown function "${name}"${didYouMean(name, known)}; known: ${known.join(', ')}`,
      );
    }
    const count = node.args.length;
    if (count < spec.minArgs || count > spec.maxArgs) {
      const expected =
        spec.minArgs === spec.maxArgs
          ? `${spec.minArgs}`
          : spec.maxArgs === Infinity
            ? `at least ${spec.minArgs}`
            : `${spec.minArgs} or ${spec.maxArgs}`;
      throw new CompileError(`${name}() takes ${expected} argument(s), got ${count} in "${node.toString()}"`);
    }
    return combine(
      node.args.map((arg) => this.compile(arg)),
      spec.make,
    );
  }

  private conditional(node: ConditionalNode): Compiled {
    const condition = this.compile(node.condition);
    const whenTrue = this.compile(node.trueExpr);
    const whenFalse = this.compile(node.falseExpr);
    if (condition.constant) return condition.fn([]) ? whenTrue : whenFalse;
    return combine(
      [condition, whenTrue, whenFalse],
      ([c, a, b]) =>
        (v) =>
          c(v) ? a(v) : b(v),
    );
  }

  /** `a < b <= c` (mathjs chains comparisons): every adjacent pair must hold. */
  private relational(node: RelationalNode): Compiled {
    const params = node.params.map((param) => this.compile(param));
    const comparisons = node.conditionals.map((name) => {
      if (!isComparison(name))
        throw new CompileError(`unsupported comparison ${name} in "${node.toString()}"`);
      return name;
    });
    return combine(params, (args) => (v) => {
      let left = args[0](v);
      for (let i = 0; i < comparisons.length; i++) {
        const right = args[i + 1](v);
        if (!compare(left, right, comparisons[i])) return 0;
        left = right;
      }
      return 1;
    });
  }
}

function describeNode(type: string): string {
  const names: Record<string, string> = {
    AssignmentNode: 'assignment',
    FunctionAssignmentNode: 'function definition',
    ArrayNode: 'matrix',
    ObjectNode: 'object',
    AccessorNode: 'property or index access',
    IndexNode: 'index',
    RangeNode: 'range',
    BlockNode: 'multiple statements',
  };
  return names[type] ?? type;
}

/**
 * Limits on an expression's text. mathjs parses and this module compiles by recursion, so an
 * unbounded expression (thousands of terms, hundreds of nested parentheses) would exhaust the
 * stack; real service times and rates fit in a line or two.
 */
export const MAX_EXPRESSION_LENGTH = 1000;
/** Parentheses (and brackets) open at once. */
export const MAX_EXPRESSION_NESTING = 50;

function nestingDepth(source: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of source) {
    if (char === '(' || char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ')' || char === ']' || char === '}') depth--;
  }
  return deepest;
}

function sizeProblem(source: string): string | null {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return `the expression is ${source.length} characters long; the limit is ${MAX_EXPRESSION_LENGTH}`;
  }
  const depth = nestingDepth(source);
  if (depth > MAX_EXPRESSION_NESTING) {
    return `the expression nests parentheses ${depth} deep; the limit is ${MAX_EXPRESSION_NESTING}`;
  }
  return null;
}

/**
 * Compiles `source` into a closure; `values[i]` is the value of `variables[i]`. A variable
 * shadows a unit or constant of the same name. User mistakes come back as `{ ok: false }`.
 */
export function compileExpression(
  source: string,
  variables: readonly string[],
): { ok: true; fn: CompiledExpression } | { ok: false; message: string } {
  if (!math) throw new Error('compileExpression called before loadMath() resolved');
  const tooBig = sizeProblem(source);
  if (tooBig !== null) return { ok: false, message: tooBig };
  let tree: MathNode;
  try {
    tree = math.parse(source);
  } catch (error) {
    return { ok: false, message: `cannot parse "${source}": ${(error as Error).message}` };
  }
  let compiled: Compiled;
  try {
    compiled = new Compiler(variables).compile(tree);
  } catch (error) {
    if (error instanceof CompileError) return { ok: false, message: `in "${source}": ${error.message}` };
    throw error;
  }
  // Catches constant mistakes (`1/0`, `log(-1)`) before a run starts; the all-ones point is
  // arbitrary but never a zero, so `1 / input_tokens` passes.
  const probe = compiled.fn(variables.map(() => 1));
  if (!Number.isFinite(probe)) {
    const at = variables.length > 0 ? ` with ${variables.map((name) => `${name} = 1`).join(', ')}` : '';
    return { ok: false, message: `"${source}" evaluates to ${probe}${at}; expected a finite number` };
  }
  return { ok: true, fn: compiled.fn };
}
