import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BadRowError, openTraceRows, type TraceRowsKind, type TraceRowsOptions } from './trace-rows.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/traces/${name}`, import.meta.url));

function readRows(path: string, kind: TraceRowsKind, fields: string[], chunkBytes?: number) {
  const rows = openTraceRows(path, kind, fields, { chunkBytes });
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
 * Every row's byte offset, checked against the file's bytes: the row must
 * start there. Then each row is read again after seeking to its offset, in reverse order.
 */
function checkOffsets(path: string, kind: TraceRowsKind, fields: string[], chunkBytes: number) {
  const bytes = readFileSync(path);
  const rows = openTraceRows(path, kind, fields, { chunkBytes });
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
    const rows = openTraceRows(path, 'csv', ['arrived_at'], { chunkBytes: 64 });
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
});

/** Reads every row, noting each bad one (`!line:col: message`) where it comes, and reading on. */
function readAll(path: string, kind: TraceRowsKind, fields: string[], options: TraceRowsOptions = {}) {
  const rows = openTraceRows(path, kind, fields, options);
  const out: string[] = [];
  for (;;) {
    try {
      if (!rows.next()) break;
      out.push(`${rows.line}: ${fields.map((_, i) => JSON.stringify(rows.value(i))).join(' ')}`);
    } catch (error) {
      if (!(error instanceof BadRowError)) throw error;
      const { line, col, message } = error.diagnostic;
      out.push(`!${line}:${col}: ${message}`);
    }
  }
  rows.close();
  return out;
}

describe('bad rows', () => {
  it('CSV: each bad record is reported on its own line, and the records around it are read, at any chunk size', () => {
    const path = writeTemp(
      'bad-rows.csv',
      [
        't,note,n',
        '1,plain,1',
        '2,a"stray quote,2', // a quote inside an unquoted field spoils this record only
        '3,"text" after,3',
        '4,"two',
        'lines",4',
        '5,short',
        '6,"closed ""twice""",6',
        '',
      ].join('\n'),
    );
    const expected = [
      '2: "1" "1"',
      '!3:2: invalid CSV: a quote inside an unquoted field (quote the whole field and double the quote)',
      '!4:2: invalid CSV: text after the closing quote of a field',
      '5: "4" "4"',
      '!7:3: expected 3 fields as in the header, got 2',
      '8: "6" "6"',
    ];
    for (const chunkBytes of [1, 2, 5, 16, 65_536]) {
      expect(readAll(path, 'csv', ['t', 'n'], { chunkBytes }), `chunk ${chunkBytes}`).toEqual(expected);
    }
  });

  it('JSONL: invalid JSON and values that are not objects are reported where they are, and reading goes on', () => {
    const path = writeTemp('bad-rows.jsonl', '{"t": 1}\n{"t": \n[1, 2]\n\n7\n{"t": 6}\n');
    for (const chunkBytes of [1, 3, 65_536]) {
      const rows = readAll(path, 'jsonl', ['t'], { chunkBytes });
      expect(rows.map((row) => row.replace(/invalid JSON: .*/, 'invalid JSON'))).toEqual([
        '1: 1',
        '!2:1: invalid JSON',
        '!3:1: expected a JSON object, got an array',
        '!5:1: expected a JSON object, got "7"',
        '6: 6',
      ]);
    }
  });

  it('JSONL: an error quotes at most 40 characters of the line, escaped, not what V8 quotes of it', () => {
    const path = writeTemp('hostile.jsonl', `{"a": \u001b[2J${'y'.repeat(200)}}\n"${'s'.repeat(100)}"\n`);
    expect(readAll(path, 'jsonl', ['a'])).toEqual([
      // 40 characters: `{"a": `, the escape, `[2J` and 30 of the y.
      `!1:1: invalid JSON: Unexpected token '\\u001b'; the line reads "{\\"a\\": \\u001b[2J${'y'.repeat(30)}…"`,
      `!2:1: expected a JSON object, got "${'s'.repeat(40)}…"`,
    ]);
  });
});

describe('the row length limit', () => {
  const limit = 1024 * 1024;
  // One line of exactly `bytes` bytes before its line break, in each layout.
  const csvLine = (bytes: number) => `2,${'x'.repeat(bytes - 2)}`;
  const jsonLine = (bytes: number) => `{"t":2,"pad":"${'x'.repeat(bytes - 16)}"}`;

  it('is 1 MiB: a line of 1,048,576 bytes is read, one byte more is refused where it starts', () => {
    for (const [kind, line, header] of [
      ['csv', csvLine, 't,pad\n1,a\n'],
      ['jsonl', jsonLine, '{"t":1,"pad":"a"}\n'],
    ] as const) {
      const fitting = writeTemp(`fits.${kind}`, `${header}${line(limit)}\n`);
      expect(Buffer.byteLength(line(limit))).toBe(limit);
      expect(readAll(fitting, kind, ['t']).map((row) => row.slice(0, 2))).toEqual(
        kind === 'csv' ? ['2:', '3:'] : ['1:', '2:'],
      );
      const over = writeTemp(
        `over.${kind}`,
        `${header}${line(limit + 1)}\n${kind === 'csv' ? '3,b' : '{"t":3}'}\n`,
      );
      const first = kind === 'csv' ? 2 : 1;
      expect(readAll(over, kind, ['t'])).toEqual([
        `${first}: ${kind === 'csv' ? '"1"' : '1'}`,
        `!${first + 1}:1: line is longer than 1048576 bytes, the most one trace row may hold`,
        `${first + 2}: ${kind === 'csv' ? '"3"' : '3'}`,
      ]);
    }
  });

  it('refuses a long line without keeping it: what follows is read at its own line, at any chunk size', () => {
    const csv = writeTemp(
      'long.csv',
      `t,pad\n1,a\n2,"${'y'.repeat(500)}\n${'z'.repeat(500)}"\n3,b\n4,${'w'.repeat(300)}\n5,c`,
    );
    const jsonl = writeTemp('long.jsonl', `{"t":1}\n{"t":2,"pad":"${'y'.repeat(1000)}"}\r\n{"t":3}\n`);
    for (const chunkBytes of [1, 7, 64, 65_536]) {
      expect(readAll(csv, 'csv', ['t'], { chunkBytes, maxRowBytes: 200 }), `chunk ${chunkBytes}`).toEqual([
        '2: "1"',
        '!3:1: line is longer than 200 bytes, the most one trace row may hold',
        '5: "3"',
        '!6:1: line is longer than 200 bytes, the most one trace row may hold',
        '7: "5"',
      ]);
      expect(readAll(jsonl, 'jsonl', ['t'], { chunkBytes, maxRowBytes: 200 }), `chunk ${chunkBytes}`).toEqual(
        ['1: 1', '!2:1: line is longer than 200 bytes, the most one trace row may hold', '3: 3'],
      );
    }
  });

  it('a quote that is never closed runs to the end of the file as one row, refused once, at any chunk size', () => {
    const path = writeTemp('unclosed.csv', `t,note\n1,a\n2,"open\n${'3,b\n'.repeat(100)}`);
    for (const chunkBytes of [1, 7, 64, 65_536]) {
      expect(readAll(path, 'csv', ['t'], { chunkBytes, maxRowBytes: 100 }), `chunk ${chunkBytes}`).toEqual([
        '2: "1"',
        '!3:1: row is longer than 100 bytes, the most one trace row may hold: a quoted field from this line runs on over line breaks (is a quote not closed?)',
      ]);
    }
  });

  /** Best of three, in seconds. */
  function secondsToRead(path: string): number {
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const start = performance.now();
      const rows = readAll(path, 'jsonl', ['t'], { maxRowBytes: 64 * limit });
      best = Math.min(best, (performance.now() - start) / 1000);
      expect(rows.length).toBeGreaterThan(0);
    }
    return best;
  }

  it('JSONL: one line of 4 MB reads about as fast as 4 MB of short lines, not in the square of its length', () => {
    // A reader that joins and searches the text read so far on every chunk took 18 times as long
    // for the one line. (CSV hides such a cost behind csv-parse's own, which is linear but larger.)
    const bytes = 4 * limit;
    const oneLine = writeTemp('one-line.jsonl', `${jsonLine(bytes)}\n`);
    const lines = Array.from({ length: bytes / 1024 }, (_, i) => `{"t":${i},"pad":"${'s'.repeat(1000)}"}`);
    const manyLines = writeTemp('many-lines.jsonl', `${lines.join('\n')}\n`);
    expect(secondsToRead(oneLine) / secondsToRead(manyLines)).toBeLessThan(6);
  });
});
