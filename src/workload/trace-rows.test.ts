import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('skip blank lines that arrive in chunks of their own, also at the end', () => {
    const path = writeTemp('blank.csv', 'id\n1\n\n\r\n\n2\n\n\n');
    for (const chunkBytes of [1, 2, 3, 65_536]) {
      expect(readRows(path, 'csv', ['id'], chunkBytes), `chunk ${chunkBytes}`).toEqual([
        { line: 2, values: ['1'] },
        { line: 6, values: ['2'] },
      ]);
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

/**
 * Every row's byte offset, read with `offsets`, checked against the file's bytes: the row must
 * start there. Then each row is read again after seeking to its offset, in reverse order.
 */
function checkOffsets(path: string, kind: TraceRowsKind, fields: string[], chunkBytes: number) {
  const bytes = readFileSync(path);
  const rows = openTraceRows(path, kind, fields, chunkBytes, true);
  const seen: { line: number; byte: number; values: unknown[] }[] = [];
  while (rows.next()) {
    seen.push({ line: rows.line, byte: rows.byteOffset, values: fields.map((_, i) => rows.value(i)) });
  }
  for (const { line, byte, values } of seen.toReversed()) {
    // The row starts right after a line ending (or the byte-order mark at the very start).
    expect(byte === 0 || byte === 3 || bytes[byte - 1] === 0x0a, `line ${line} at byte ${byte}`).toBe(true);
    rows.seek(byte, line);
    expect(rows.next()).toBe(true);
    expect({ line: rows.line, byte: rows.byteOffset, values: fields.map((_, i) => rows.value(i)) }).toEqual({
      line,
      byte,
      values,
    });
  }
  rows.close();
  return seen;
}

describe('byte offsets and seeking', () => {
  it('CSV: offsets of rows after multi-byte characters, quoted newlines and a byte-order mark, at any chunk size', () => {
    const text = '\uFEFFid,note\r\n1,"a, b"\r\n\r\n2,"two\r\nlines ""quoted"""\r\n3,ünïcødé ✓ 🚀\r\n4,plain';
    const path = writeTemp('offsets.csv', text);
    const bytes = Buffer.from(text);
    // Independent truth: where "1,", "2,", "3," and "4," start in the encoded file.
    const expected = ['1,', '2,', '3,', '4,'].map((start) => bytes.indexOf(`\n${start}`) + 1);
    for (const chunkBytes of [1, 3, 5, 16, 65_536]) {
      const seen = checkOffsets(path, 'csv', ['id', 'note'], chunkBytes);
      expect(
        seen.map((row) => row.byte),
        `chunk ${chunkBytes}`,
      ).toEqual(expected);
      expect(seen.map((row) => row.line)).toEqual([2, 4, 6, 7]);
    }
  });

  it('JSONL: offsets after blank lines and multi-byte characters, at any chunk size', () => {
    const text = '{"t": 1, "s": "é"}\r\n\n  \n{"t": 2.5, "s": "🚀"}\n{"t": 3, "s": "✓"}';
    const path = writeTemp('offsets.jsonl', text);
    const bytes = Buffer.from(text);
    const expected = [0, bytes.indexOf('{"t": 2.5'), bytes.indexOf('{"t": 3')];
    for (const chunkBytes of [1, 2, 9, 65_536]) {
      expect(checkOffsets(path, 'jsonl', ['t', 's'], chunkBytes).map((row) => row.byte)).toEqual(expected);
    }
  });

  it('a file many times the chunk size is read by seeking, not from the start', () => {
    const path = fixture('vidur-splitwise-conv-200.csv');
    const rows = openTraceRows(path, 'csv', ['arrived_at'], 64, true);
    const offsets: number[] = [];
    const times: unknown[] = [];
    while (rows.next()) {
      offsets.push(rows.byteOffset);
      times.push(rows.value(0));
    }
    expect(offsets.at(-1)).toBeGreaterThan(64 * 50);
    rows.seek(offsets[150], 152);
    expect(rows.next()).toBe(true);
    expect([rows.line, rows.value(0)]).toEqual([152, times[150]]);
    rows.close();
  });

  it('offsets are NaN unless asked for', () => {
    const rows = openTraceRows(fixture('vidur-splitwise-conv-200.csv'), 'csv', ['arrived_at']);
    rows.next();
    expect(rows.byteOffset).toBeNaN();
    rows.close();
  });
});
