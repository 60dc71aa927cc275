import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openTraceRows, type TraceRowsKind } from './trace-rows.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/traces/${name}`, import.meta.url));

function readRows(path: string, kind: TraceRowsKind, fields: string[], chunkBytes?: number) {
  const rows = openTraceRows(path, kind, fields, chunkBytes);
  const out: { line: number; values: unknown[] }[] = [];
  while (rows.next()) out.push({ line: rows.line, values: fields.map((_, i) => rows.value(i)) });
  rows.close();
  return out;
}

const tempDir = mkdtempSync(join(tmpdir(), 'fleetsim-rows-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const path = join(tempDir, name);
  writeFileSync(path, text);
  return path;
}

describe('CSV rows read in chunks', () => {
  it('give the same rows and lines whatever the chunk size', () => {
    const fields = ['arrived_at', 'num_decode_tokens'];
    const whole = readRows(fixture('vidur-splitwise-conv-200.csv'), 'csv', fields);
    expect(whole).toHaveLength(200);
    expect(whole[199]).toEqual({ line: 201, values: ['61.263537', '409'] });
    for (const chunkBytes of [1, 2, 7, 64, 1000]) {
      expect(readRows(fixture('vidur-splitwise-conv-200.csv'), 'csv', fields, chunkBytes)).toEqual(whole);
    }
  });

  it('keep quoted commas, newlines and doubled quotes inside a field, at any chunk size', () => {
    const path = writeTemp(
      'quoted.csv',
      'id,note\r\n1,"a, b"\r\n\r\n2,"two\r\nlines ""quoted"""\r\n3,plain\r\n4,"ünïcødé ✓ 🚀"',
    );
    const expected = [
      { line: 2, values: ['1', 'a, b'] },
      { line: 4, values: ['2', 'two\r\nlines "quoted"'] },
      { line: 6, values: ['3', 'plain'] },
      { line: 7, values: ['4', 'ünïcødé ✓ 🚀'] },
    ];
    for (const chunkBytes of [1, 3, 5, 16, 65_536]) {
      expect(readRows(path, 'csv', ['id', 'note'], chunkBytes), `chunk ${chunkBytes}`).toEqual(expected);
    }
  });

  it('skip a byte-order mark before the header', () => {
    const path = writeTemp('bom.csv', '\uFEFFtime,tokens\n1,2\n');
    expect(readRows(path, 'csv', ['time'])).toEqual([{ line: 2, values: ['1'] }]);
  });

  it('report the field number as the column', () => {
    const rows = openTraceRows(fixture('vidur-splitwise-conv-200.csv'), 'csv', [
      'num_decode_tokens',
      'arrived_at',
    ]);
    expect([rows.column(0), rows.column(1)]).toEqual([3, 1]);
    rows.close();
  });
});

describe('JSONL rows', () => {
  it('give the same rows and lines whatever the chunk size, skipping blank lines', () => {
    const path = writeTemp('rows.jsonl', '{"t": 1, "s": "é"}\r\n\n  \n{"t": 2.5, "s": "🚀"}');
    const expected = [
      { line: 1, values: [1, 'é'] },
      { line: 4, values: [2.5, '🚀'] },
    ];
    for (const chunkBytes of [1, 2, 9, 65_536]) {
      expect(readRows(path, 'jsonl', ['t', 's'], chunkBytes), `chunk ${chunkBytes}`).toEqual(expected);
    }
  });

  it('treat inherited keys as missing', () => {
    const path = writeTemp('proto.jsonl', '{"t": 1}\n');
    expect(readRows(path, 'jsonl', ['t', 'constructor'])).toEqual([{ line: 1, values: [1, undefined] }]);
  });
});
