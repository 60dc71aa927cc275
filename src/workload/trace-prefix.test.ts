import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Diagnostic, type TraceSource, UserError } from '../scenario/types.js';
import { createArrivalRecord } from './arrival-source.js';
import { createTraceArrivals } from './trace-arrivals.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-prefix-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function jsonl(lines: string[], blockTokens = 512): TraceSource {
  return {
    path: file(`t${Math.random().toString(36).slice(2)}.jsonl`, `${lines.join('\n')}\n`),
    format: 'mooncake',
    timeColumn: 'timestamp',
    timeUnit: 'ms',
    columns: { input_tokens: 'input_length', output_tokens: 'output_length' },
    speed: 1,
    limit: null,
    duration: null,
    prefixBlocks: { column: 'hash_ids', blockTokens },
  };
}

function csv(lines: string[]): TraceSource {
  return {
    path: file(`t${Math.random().toString(36).slice(2)}.csv`, `${lines.join('\n')}\n`),
    format: 'csv',
    timeColumn: 't',
    timeUnit: 's',
    columns: { input_tokens: 'prompt', output_tokens: 'output' },
    speed: 1,
    limit: null,
    duration: null,
    prefixBlocks: { column: 'blocks', blockTokens: 100 },
  };
}

/** Each request's prefix as [hash, end] pairs. */
function prefixes(trace: TraceSource): [number, number][][] {
  const source = createTraceArrivals(trace, null);
  const out: [number, number][][] = [];
  const record = createArrivalRecord();
  while (source.next(record)) {
    const { segments, hashes, ends } = record.prefix;
    out.push(Array.from({ length: segments }, (_, i) => [hashes[i], ends[i]]));
  }
  source.close();
  return out;
}

function diagnosticOf(run: () => unknown): Diagnostic {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error.diagnostic;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('prompt prefixes from a trace', () => {
  it("reads Mooncake's hash_ids as 512-token blocks, the last one ending with the prompt", () => {
    const trace = jsonl([
      '{"timestamp": 0, "input_length": 1100, "output_length": 5, "hash_ids": [4, 9, 17]}',
      '{"timestamp": 5, "input_length": 1024, "output_length": 5, "hash_ids": [4, 9]}',
      '{"timestamp": 6, "input_length": 300, "output_length": 5, "hash_ids": []}',
      '{"timestamp": 7, "input_length": 300, "output_length": 5}',
      // More ids than the prompt has blocks: those past its end are dropped.
      '{"timestamp": 8, "input_length": 600, "output_length": 5, "hash_ids": [4, 10, 11]}',
    ]);
    expect(prefixes(trace)).toEqual([
      [
        [4, 512],
        [9, 1024],
        [17, 1100],
      ],
      [
        [4, 512],
        [9, 1024],
      ],
      [],
      [],
      [
        [4, 512],
        [10, 600],
      ],
    ]);
  });

  it('grows its arrays for a prompt of more blocks than they hold', () => {
    const ids = Array.from({ length: 40 }, (_, i) => i + 100);
    const trace = jsonl(
      [`{"timestamp": 0, "input_length": 640, "output_length": 1, "hash_ids": ${JSON.stringify(ids)}}`],
      16,
    );
    const [only] = prefixes(trace);
    expect(only.length).toBe(40);
    expect(only[39]).toEqual([139, 640]);
  });

  it('reads a CSV list separated by spaces or semicolons', () => {
    const trace = csv([
      't,prompt,output,blocks',
      '0,250,3,1 2 3',
      '1,250,3,1;2;7',
      '2,50,3,',
      '3,250,3, 5 ;6 ',
    ]);
    expect(prefixes(trace)).toEqual([
      [
        [1, 100],
        [2, 200],
        [3, 250],
      ],
      [
        [1, 100],
        [2, 200],
        [7, 250],
      ],
      [],
      [
        [5, 100],
        [6, 200],
      ],
    ]);
  });

  it('locates a list that is not one, or an id that is not a non-negative integer', () => {
    const notList = jsonl(['{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": 7}']);
    expect(diagnosticOf(() => prefixes(notList))).toMatchObject({
      file: notList.path,
      line: 1,
      col: 1,
      message: 'key "hash_ids": expected a list of prefix-block ids (non-negative integers), got "7"',
    });
    const fraction = jsonl([
      '{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}',
      '{"timestamp": 1, "input_length": 10, "output_length": 1, "hash_ids": [1, 2.5]}',
    ]);
    expect(diagnosticOf(() => prefixes(fraction))).toMatchObject({
      line: 2,
      message:
        'key "hash_ids": prefix block 2 of 2: expected a non-negative integer id below 2^53, got "2.5"',
    });
    const text = csv(['t,prompt,output,blocks', '0,250,3,1 x 3']);
    expect(diagnosticOf(() => prefixes(text))).toMatchObject({
      line: 2,
      col: 4,
      message: 'column "blocks": prefix block 2 of 3: expected a non-negative integer id below 2^53, got "x"',
    });
    const negative = jsonl(['{"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [-1]}']);
    expect(diagnosticOf(() => prefixes(negative)).message).toContain('got "-1"');
  });
});
