import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestsFileWriter } from '../../src/report/index.js';
import { formatRequestLine, type RequestRecord } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-requests-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (i: number, variant = 'baseline'): RequestRecord => ({
  arrival: i / 7,
  first_token: null,
  finish: i / 7 + 0.25,
  input_tokens: i,
  output_tokens: null,
  fleet: 'gpu',
  replica: i % 3,
  outcome: 'completed',
  variant,
});

describe('RequestsFileWriter', () => {
  it('writes every line in order across buffer flushes, long and multi-byte lines included', () => {
    const path = join(dir, 'requests.jsonl');
    const records = Array.from({ length: 5000 }, (_, i) => record(i));
    // Longer than the buffer by itself, in 3-byte characters.
    records.splice(1234, 0, record(1234, '€'.repeat(200_000)));
    records.splice(2345, 0, record(2345, 'é'.repeat(40_000)));
    const writer = new RequestsFileWriter(path);
    for (const r of records) writer.write(r);
    expect(existsSync(path)).toBe(false);
    writer.commit();
    expect(readFileSync(path, 'utf8')).toBe(records.map(formatRequestLine).join(''));
    expect(readdirSync(dir)).toEqual(['requests.jsonl']);
  });

  it('abort leaves the file of an earlier run in place and removes its own', () => {
    const path = join(dir, 'kept.jsonl');
    writeFileSync(path, 'earlier\n');
    const writer = new RequestsFileWriter(path);
    writer.write(record(1));
    writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('earlier\n');
    expect(readdirSync(dir).filter((name) => name.startsWith('kept'))).toEqual(['kept.jsonl']);
  });
});
