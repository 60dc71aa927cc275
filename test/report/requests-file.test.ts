import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestsFileWriter } from '../../src/report/index.js';
import { formatRequestLine, REQUEST_OUTCOMES, type RequestRecord } from '../../src/workload/index.js';

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

  it('writes each record as formatRequestLine does, whatever its values and names', () => {
    const time = fc.oneof(
      fc.double({ min: 0, max: 1e7, noNaN: true }),
      fc.integer({ min: 0, max: 2 ** 40 }).map((us) => us / 1e6),
    );
    const tokens = fc.oneof(
      fc.constant(null),
      fc.integer({ min: 1, max: 200_000 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
    );
    // A few names repeat, as a run's do; the others pass the writer's cache of them.
    const name = fc.oneof(
      fc.constantFrom('gpu', 'cpu', 'baseline', 'two-gpus'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const record = fc.record({
      arrival: time,
      first_token: fc.option(time),
      finish: fc.option(time),
      input_tokens: tokens,
      output_tokens: tokens,
      fleet: fc.option(name),
      replica: fc.option(fc.integer({ min: 0, max: 5000 })),
      outcome: fc.constantFrom(...REQUEST_OUTCOMES),
      variant: fc.option(name),
    });
    const path = join(dir, 'property.jsonl');
    fc.assert(
      fc.property(fc.array(record, { maxLength: 3000 }), (records) => {
        const writer = new RequestsFileWriter(path);
        for (const r of records) writer.write(r);
        writer.commit();
        expect(readFileSync(path, 'utf8')).toBe(records.map(formatRequestLine).join(''));
        expect(writer.count).toBe(records.length);
      }),
      { numRuns: 40 },
    );
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
