import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { duplicateKeyOffset, duplicateKeyOffsets, parseKeyed } from './yaml-keys.js';

/** Where the yaml package's own check (`uniqueKeys`, quadratic) finds repeated keys, in the order of the text. */
function yamlPackageOffsets(text: string): number[] {
  const found = parseDocument(text, { uniqueKeys: true }).errors.filter((e) => e.code === 'DUPLICATE_KEY');
  return found.map((e) => e.pos[0]).sort((a, b) => a - b);
}

describe('duplicateKeyOffset', () => {
  it.each([
    ['no repeat', 'a: 1\nb: { a: 2 }\nc: [{ a: 3 }, { a: 4 }]\n'],
    ['a repeat in the top mapping', 'a: 1\nb: 2\na: 3\n'],
    ['a repeat in a flow mapping', 'x: {a: 1, b: 2, a: 3}\n'],
    ['a nested repeat before a top one', 'a: { x: 1, x: 2 }\na: 3\n'],
    ['a top repeat before a nested one', 'a: 1\na: 2\nb: { x: 1, x: 2 }\n'],
    ['a repeat in a mapping of a list', '- a: 1\n  b: 2\n  a: 3\n'],
    ['quoted and plain spellings of one key', '"a": 1\n\'b\': 2\nb: 3\n'],
    ['an explicit key', '? a\n: 1\na: 2\n'],
    ['an anchored or tagged repeat', 'a: 1\n&k a: 2\n!!str b: 3\nb: 4\n'],
    ['1 and 1.0, one number', '1: a\n1.0: b\n'],
    ['-0 and 0', '-0: a\n0: b\n'],
    ['null spelled two ways', '~: a\nnull: b\n'],
    ['true spelled two ways', 'true: a\nTrue: b\n'],
    ['a number and a string that read alike', '1: a\n"1": b\n'],
    ['.nan twice, never equal to itself', '.nan: a\n.nan: b\n'],
    ['an alias beside the key it names', '&x a: 1\n*x : 2\n'],
    ['lists as keys', '? [a]\n: 1\n? [a]\n: 2\n'],
    ['three of one key and two of another', 'a: 1\nb: 2\na: 3\nc: { b: 1, b: 2 }\nb: 4\na: 5\n'],
  ])('finds what the yaml package finds: %s', (_what, text) => {
    const document = parseDocument(text, { uniqueKeys: false });
    expect(duplicateKeyOffsets(document)).toEqual(yamlPackageOffsets(text));
    expect(duplicateKeyOffset(document)).toBe(yamlPackageOffsets(text)[0] ?? null);
  });
});

describe('parseKeyed', () => {
  /** Each error's first line and place, as the yaml package's own parse (with its check of keys) gives them. */
  const told = (errors: readonly { message: string; linePos?: unknown }[]) =>
    errors.map((e) => [e.message.split('\n')[0], e.linePos]);

  it.each([
    ['a repeated key', 'a: 1\nb: 2\na: 3\n'],
    ['repeats in two mappings', 'a: 1\na: 2\nb: { x: 1, x: 2 }\n'],
    ['a repeat, then a syntax error', 'a: 1\na: 2\nb: [1, 2\n'],
    ['no repeat, a syntax error', 'a: 1\nb: "open\n'],
  ])('tells the errors the yaml package tells, in its order: %s', (_what, text) => {
    const { errors } = parseKeyed(text, new LineCounter());
    expect(told(errors)).toEqual(told(parseDocument(text, { lineCounter: new LineCounter() }).errors));
  });

  it('puts a repeat before a syntax error that derails the parser later in the text, and counts all', () => {
    const text = 'a: 1\na: 2\nb: [1, {c: 2\n';
    const { errors } = parseKeyed(text, new LineCounter());
    expect(errors[0].message).toBe('Map keys must be unique at line 2, column 1:');
    expect(errors).toHaveLength(parseDocument(text).errors.length);
  });
});
