import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { duplicateKeyOffset } from './yaml-keys.js';

/** Where the yaml package's own check (`uniqueKeys`, quadratic) finds the first repeated key. */
function yamlPackageOffset(text: string): number | null {
  const found = parseDocument(text, { uniqueKeys: true }).errors.find((e) => e.code === 'DUPLICATE_KEY');
  return found?.pos[0] ?? null;
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
  ])('finds what the yaml package finds: %s', (_what, text) => {
    expect(duplicateKeyOffset(parseDocument(text, { uniqueKeys: false }))).toBe(yamlPackageOffset(text));
  });
});
