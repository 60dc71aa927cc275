import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CompiledExpression,
  compileExpression,
  isMathLoaded,
  loadMath,
  MAX_EXPRESSION_LENGTH,
  MAX_EXPRESSION_NESTING,
} from './expression.js';

const REQUEST = ['input_tokens', 'output_tokens', 'request_bytes', 'response_bytes'];

function compile(source: string, variables: readonly string[] = REQUEST): CompiledExpression {
  const result = compileExpression(source, variables);
  if (!result.ok) throw new Error(result.message);
  return result.fn;
}

function messageOf(source: string, variables: readonly string[] = REQUEST): string {
  const result = compileExpression(source, variables);
  if (result.ok) throw new Error(`"${source}" compiled but was expected to fail`);
  return result.message;
}

it('compileExpression before loadMath is a programming error, and loadMath loads once', async () => {
  expect(isMathLoaded()).toBe(false);
  expect(() => compileExpression('1', [])).toThrow(/loadMath/);
  const first = loadMath();
  expect(loadMath()).toBe(first);
  await first;
  expect(isMathLoaded()).toBe(true);
});

describe('compiled expressions', () => {
  beforeAll(loadMath);

  it('evaluates service times and rates to hand-computed values', () => {
    const service = compile('20ms + 0.05ms * input_tokens');
    expect(service([1000, 0, 0, 0])).toBeCloseTo(0.07, 15);
    expect(service([0, 0, 0, 0])).toBeCloseTo(0.02, 15);

    const rate = compile('40 * (1 + 0.5 * sin(2 * pi * t / 86400))', ['t']);
    expect(rate([0])).toBeCloseTo(40, 12);
    expect(rate([21_600])).toBeCloseTo(60, 12); // a quarter day: sin = 1
    expect(rate([64_800])).toBeCloseTo(20, 12); // three quarters: sin = -1

    const decode = compile('0.5ms * output_tokens + (input_tokens > 2000 ? 50ms : 10ms)');
    expect(decode([3000, 100, 0, 0])).toBeCloseTo(0.1, 15);
    expect(decode([1000, 100, 0, 0])).toBeCloseTo(0.06, 15);

    const pairs: [string, number][] = [
      ['7 % 3', 1],
      ['-7 % 3', 2], // mathjs mod takes the sign of the divisor
      ['+3 - -2', 5],
      ['log(8, 2)', 3],
      ['log(e)', 1],
      ['log2(1024) + log10(1000)', 13],
      ['exp(0) + sqrt(16) + abs(-2)', 7],
      ['min(3, 1, 2) + max(3, 1, 2)', 4],
      ['floor(2.7) + ceil(2.1) + round(2.5) + round(-2.5)', 2 + 3 + 3 - 3],
      ['round(1.005, 2)', 1.01],
      ['pow(2, 10) + sign(-4) + sign(0)', 1023],
      ['atan2(1, 1) * 4', Math.PI],
      ['asin(1) + acos(1) + atan(0) + tan(0) + cos(0)', Math.PI / 2 + 1],
      ['2 < 3 and 3 <= 3 and not (1 == 2) and (0 or 1)', 1],
      ['1 < 2 < 3', 1],
      ['1 < 3 < 2', 0],
      ['0.1 + 0.2 == 0.3', 1], // mathjs compares with a relative tolerance
      ['10% * 50', 5],
      ['max(1, 1 + 1e-13) - 1', 0], // nearly equal: mathjs keeps the first
    ];
    for (const [source, expected] of pairs) expect(compile(source)([]), source).toBeCloseTo(expected, 12);
  });

  it('reads duration units as seconds, minutes as m, unless a variable has the name', () => {
    const pairs: [string, number][] = [
      ['1us', 1e-6],
      ['1ms', 1e-3],
      ['1s + 1sec', 2],
      ['1min', 60],
      ['1m', 60],
      ['1h + 1hr', 7200],
      ['1d + 1day', 172_800],
      ['1.5 h', 5400],
      ['min(1min, 2min)', 60],
    ];
    for (const [source, seconds] of pairs) expect(compile(source)([]), source).toBeCloseTo(seconds, 15);
    expect(compile('2m', ['m'])([7])).toBe(14);
    expect(compile('d + 1d', ['d'])([3])).toBe(6);
    expect(compile('e', ['e'])([5])).toBe(5);
  });

  it('follows mathjs precedence', () => {
    expect(compile('2^3^2')([])).toBe(512);
    expect(compile('-2^2')([])).toBe(-4);
    expect(compile('(-2)^2')([])).toBe(4);
    expect(compile('2 + 3 * 4 ^ 2 / 8')([])).toBe(8);
    expect(compile('1 ? 2 : 0 ? 3 : 4')([])).toBe(2);
    // mathjs reads a number/number pair before a symbol as one coefficient: (1/2) ms.
    expect(compile('1/2ms')([])).toBeCloseTo(0.0005, 15);
    expect(compile('t / 2h', ['t'])([14_400])).toBe(2);
  });

  it('agrees with mathjs evaluate on random inputs', async () => {
    const math = await import('mathjs/number');
    // `min` stays out: in a mathjs scope it would shadow the function min().
    const units = { us: 1e-6, ms: 1e-3, s: 1, sec: 1, m: 60, h: 3600, hr: 3600, d: 86_400, day: 86_400 };
    const sources = [
      '20ms + 0.05ms * input_tokens - output_tokens / 3',
      'input_tokens ^ 2 % 7 - -output_tokens',
      'input_tokens > output_tokens ? sqrt(abs(input_tokens)) : log(1 + abs(output_tokens), 3)',
      'floor(input_tokens) + ceil(output_tokens) + round(input_tokens * output_tokens, 2)',
      'max(input_tokens, output_tokens, 0.5) + max(output_tokens, input_tokens) - min(input_tokens, 2h) + sign(output_tokens)',
      'input_tokens <= output_tokens != (input_tokens == output_tokens)',
      'sin(input_tokens) * cos(output_tokens) + atan2(input_tokens, output_tokens) + exp(-abs(output_tokens))',
    ];
    const number = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    for (const source of sources) {
      const fn = compile(source);
      const expression = math.compile(source);
      fc.assert(
        fc.property(number, number, (input_tokens, output_tokens) => {
          const expected = Number(expression.evaluate({ ...units, input_tokens, output_tokens }));
          const actual = fn([input_tokens, output_tokens, 0, 0]);
          return Number.isNaN(expected) ? Number.isNaN(actual) : Object.is(actual, expected);
        }),
        // Shrinking nearly-equal doubles can take minutes; the raw counterexample is enough.
        { numRuns: 300, endOnFailure: true },
      );
    }
  });

  it('explains unknown names, unsupported syntax and parse errors', () => {
    expect(messageOf('20ms + 0.05ms * input_token')).toBe(
      'in "20ms + 0.05ms * input_token": unknown name "input_token" (did you mean input_tokens?); known: ' +
        'input_tokens, output_tokens, request_bytes, response_bytes, pi, e, us, µs, ms, s, sec, min, m, h, hr, d, day',
    );
    expect(messageOf('sinh(t)', ['t'])).toMatch(
      /unknown function "sinh" \(did you mean sin\?\); known: sin, cos/,
    );
    expect(messageOf('sqrt * 2')).toMatch(
      /unknown name "sqrt" \(sqrt is a function: call it as sqrt\(\.\.\.\)\)/,
    );
    expect(messageOf('2 +')).toBe('cannot parse "2 +": Unexpected end of expression (char 4)');
    expect(messageOf('a = 3')).toMatch(/unsupported assignment "a = 3"; expressions may use numbers/);
    expect(messageOf('f(x) = x')).toMatch(/unsupported function definition/);
    expect(messageOf('[1, 2]')).toMatch(/unsupported matrix/);
    expect(messageOf('"fast"')).toMatch(/unsupported string constant "fast"/);
    expect(messageOf('1; 2')).toMatch(/unsupported multiple statements/);
    expect(messageOf('3!')).toMatch(/unsupported operator "!"/);
    expect(messageOf('max()')).toMatch(/max\(\) takes at least 1 argument\(s\), got 0/);
    expect(messageOf('atan2(1)')).toMatch(/atan2\(\) takes 2 argument\(s\), got 1/);
  });

  it('rejects a value that is not finite with every variable = 1', () => {
    expect(messageOf('1 / (input_tokens - 1)')).toBe(
      '"1 / (input_tokens - 1)" evaluates to Infinity with input_tokens = 1, output_tokens = 1, ' +
        'request_bytes = 1, response_bytes = 1; expected a finite number',
    );
    expect(messageOf('sqrt(-1)', [])).toBe('"sqrt(-1)" evaluates to NaN; expected a finite number');
    expect(compileExpression('1 / input_tokens', REQUEST).ok).toBe(true);
  });

  it('refuses an expression beyond the length or nesting limit instead of overflowing the stack', () => {
    const terms = (n: number) => Array(n).fill('1ms').join(' + ');
    // 166 terms of "1ms" joined by " + " are 166 * 3 + 165 * 3 = 993 characters.
    expect(compile(terms(166))([])).toBeCloseTo(0.166, 12);
    expect(messageOf(terms(2000))).toBe('the expression is 11997 characters long; the limit is 1000');
    const nested = (n: number) => `${'('.repeat(n)}input_tokens${')'.repeat(n)}`;
    expect(compile(nested(MAX_EXPRESSION_NESTING))([7])).toBe(7);
    expect(messageOf(nested(MAX_EXPRESSION_NESTING + 1))).toBe(
      'the expression nests parentheses 51 deep; the limit is 50',
    );
    expect(messageOf(`${'max(1, '.repeat(60)}2${')'.repeat(60)}`)).toBe(
      'the expression nests parentheses 60 deep; the limit is 50',
    );
  });

  it('compiles and evaluates the deepest trees the limits allow', () => {
    const limit = MAX_EXPRESSION_LENGTH;
    // Each is a chain the parser and compiler descend one level per operator, at the length limit.
    const chains: [string, number][] = [
      [`${'-'.repeat(limit - 'input_tokens'.length)}input_tokens`, 3],
      [
        Array(limit / 2)
          .fill('1')
          .join('+'),
        limit / 2,
      ],
      [
        Array(limit / 2)
          .fill('1')
          .join('^'),
        1,
      ],
      [`${'input_tokens > 5 ? 1 : '.repeat(43)}2`, 2],
    ];
    for (const [source, expected] of chains) {
      expect(source.length).toBeGreaterThan(limit - 20);
      expect(source.length).toBeLessThanOrEqual(limit);
      expect(compile(source)([3, 0, 0, 0])).toBe(expected);
    }
  });

  it('prints compiled vs mathjs evaluate cost per call (not asserted: shared machine)', async () => {
    const math = await import('mathjs/number');
    const source = '20ms + 0.05ms * input_tokens + 0.5ms * output_tokens';
    const fn = compile(source);
    const expression = math.compile(source);
    const scope = new Map<string, number>([
      ['ms', 1e-3],
      ['input_tokens', 0],
      ['output_tokens', 200],
    ]);
    const values = new Float64Array(4);
    const time = (calls: number, body: (i: number) => number): number => {
      let sink = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) sink += body(i);
      const ns = Number(process.hrtime.bigint() - start) / calls;
      expect(Number.isFinite(sink)).toBe(true);
      return ns;
    };
    const compiledNs = time(2_000_000, (i) => {
      values[0] = i & 1023;
      return fn(values);
    });
    const mathjsNs = time(200_000, (i) => {
      scope.set('input_tokens', i & 1023);
      return expression.evaluate(scope) as number;
    });
    console.info(
      `expression "${source}": compiled ${compiledNs.toFixed(1)} ns/call, ` +
        `mathjs evaluate ${mathjsNs.toFixed(0)} ns/call (${(mathjsNs / compiledNs).toFixed(0)}x)`,
    );
  });
});
