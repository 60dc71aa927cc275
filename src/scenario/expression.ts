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
import { GREEK_MU, MICRO_SIGN, SECONDS_PER_UNIT, secondsPerUnit } from '../core/units.js';
import { closestNames, typoTolerance } from '../util/closest-names.js';
import { compare, type Fn, FUNCTIONS, isComparison, OPERATORS } from './expression-functions.js';

/**
 * Scenario expressions (`"20ms + 0.05ms * input_tokens"`, `"40 * (1 + sin(2 * pi * t / 1d))"`):
 * mathjs parses them, and this module turns the syntax tree into a tree of plain closures over
 * a values array. mathjs' own compiled form costs 300-600 ns a call (a Map scope plus typed-function
 * dispatch), too slow for one evaluation per simulated request; the closures take 5-40 ns.
 * The functions and operators, with mathjs' numeric semantics, are in expression-functions.ts.
 */

/** mathjs' expression parser: the one part of mathjs fleetsim uses. */
type Parse = (source: string) => MathNode;

let parse: Parse | undefined;
let loading: Promise<void> | undefined;

export function isMathLoaded(): boolean {
  return parse !== undefined;
}

/**
 * Imports mathjs' parser once (expression-parser.ts), from the `mathjs/number` build: its parser is
 * the same as the full build's (same trees for every construct below), and here it imported in
 * 370-530 ms / 95-106 MB RSS against 750-910 ms / 125-131 MB for `mathjs` (Node 20, 2 vCPU;
 * TOOLCHAIN.md measured 0.55 s vs 1.1 s).
 */
export function loadMath(): Promise<void> {
  loading ??= import('./expression-parser.js').then((module) => {
    parse = module.parse;
  });
  return loading;
}

export type CompiledExpression = Fn;

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
]);

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
    const value = CONSTANTS.get(name) ?? secondsPerUnit(name);
    if (value !== undefined) return constant(value);
    const known = [...this.indexByName.keys(), ...CONSTANTS.keys(), ...SECONDS_PER_UNIT.keys()];
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
  if (!parse) throw new Error('compileExpression called before loadMath() resolved');
  const tooBig = sizeProblem(source);
  if (tooBig !== null) return { ok: false, message: tooBig };
  let tree: MathNode;
  try {
    // mathjs reads Greek mu in a name but not the micro sign, which is what keyboards type.
    tree = parse(source.replaceAll(MICRO_SIGN, GREEK_MU));
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
