import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TraceSource } from '../scenario/types.js';
import {
  type ArrivalRecord,
  type ArrivalSource,
  createArrivalRecord,
  type SkippedRows,
} from './arrival-source.js';
import * as arrivals from './trace-arrivals.js';
import { replayedTrace } from './trace-replay.js';

// Counts the reads of the file itself, which a replay does not make.
vi.mock('./trace-arrivals.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./trace-arrivals.js')>();
  return { ...original, createTraceArrivals: vi.fn(original.createTraceArrivals) };
});
const fileReads = vi.mocked(arrivals.createTraceArrivals);
beforeEach(() => {
  fileReads.mockClear();
});

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string): string {
  const path = join(dir, `t${files++}.csv`);
  writeFileSync(path, text);
  return path;
}

/** Every column the reader fills: tokens, bytes, class, model, adapter, prefix blocks; one bad row, one bad time. */
const ROWS = [
  't,prompt,output,req,resp,kind,model,adapter,blocks',
  '0,100,10,1000,2000,chat,llama,,1;2',
  '0.5,300,20,1100,2100,code,llama,sql,1;2;3;4;5;6;7;8;9;10;11;12',
  '0.5,50,oops,1200,2200,chat,mistral,,',
  '1.25,40,5,900,1900,chat,mistral,,9',
  'later,1,1,1,1,chat,llama,,',
  '3,700,70,1300,2300,code,llama,sql,1;2;3',
];

function trace(path: string, overrides: Partial<TraceSource> = {}): TraceSource {
  return {
    path,
    format: 'csv',
    timeColumn: 't',
    timeUnit: 's',
    columns: {
      input_tokens: 'prompt',
      output_tokens: 'output',
      request_bytes: 'req',
      response_bytes: 'resp',
    },
    speed: 1,
    limit: null,
    duration: null,
    onBadRow: 'skip',
    prefixBlocks: { column: 'blocks', blockTokens: 16 },
    classColumn: { column: 'kind', names: ['chat', 'code'] },
    modelColumn: 'model',
    adapterColumn: 'adapter',
    ...overrides,
  };
}

interface Step {
  record: Omit<ArrivalRecord, 'prefix'> & { blocks: number[]; ends: number[] };
  skipped: SkippedRows | undefined;
}

/** Everything a run sees of a source, record by record, with the skipped rows after each. */
function read(source: ArrivalSource): { steps: Step[]; end: SkippedRows | undefined } {
  const steps: Step[] = [];
  const out = createArrivalRecord();
  while (source.next(out)) {
    const { prefix, ...fields } = out;
    steps.push({
      record: {
        ...fields,
        blocks: [...prefix.hashes.subarray(0, prefix.segments)],
        ends: [...prefix.ends.subarray(0, prefix.segments)],
      },
      skipped: structuredClone(source.skippedRows?.()),
    });
  }
  const end = structuredClone(source.skippedRows?.());
  source.close();
  return { steps, end };
}

describe('a trace read again in one thread', () => {
  it('replays from memory from the third read on, exactly as the file reads', () => {
    const path = file(`${ROWS.join('\n')}\n`);
    const direct = read(arrivals.createTraceArrivals(trace(path), null));
    expect(direct.steps).toHaveLength(4);
    expect(direct.end?.count).toBe(2);
    fileReads.mockClear();

    const reads = [1, 2, 3, 4].map(() => read(replayedTrace(trace(path), null)));
    for (const again of reads) expect(again).toEqual(direct);
    // The first read notes the trace, the second records it, the rest replay it.
    expect(fileReads.mock.calls).toHaveLength(2);
  });

  it('replays at another speed the times a read at that speed gives, from one recording', () => {
    const path = file(`${ROWS.join('\n')}\n`);
    replayedTrace(trace(path), null).close();
    read(replayedTrace(trace(path), null));
    fileReads.mockClear();
    // Rows were skipped, so another speed cannot rule out a skipped row's time: read again.
    const skippedFast = read(replayedTrace(trace(path, { speed: 3 }), null));
    expect(fileReads.mock.calls).toHaveLength(1);

    const clean = file(`${ROWS.filter((row) => !/oops|later/.test(row)).join('\n')}\n`);
    const cleanTrace = (speed: number) => trace(clean, { speed, onBadRow: 'error' });
    read(replayedTrace(cleanTrace(1), null));
    read(replayedTrace(cleanTrace(1), null));
    fileReads.mockClear();
    const fast = read(replayedTrace(cleanTrace(1.7), null));
    expect(fileReads.mock.calls).toHaveLength(0);
    expect(fast).toEqual(read(arrivals.createTraceArrivals(cleanTrace(1.7), null)));
    expect(fast.steps.map((step) => step.record.timeS)).toEqual([0, 0.5 / 1.7, 1.25 / 1.7, 3 / 1.7]);
    expect(skippedFast).toEqual(read(arrivals.createTraceArrivals(trace(path, { speed: 3 }), null)));
  });

  it('reads an edited file again, and keeps nothing of a read that stopped early or failed', () => {
    const path = file(`${ROWS.join('\n')}\n`);
    read(replayedTrace(trace(path), null));
    const partly = replayedTrace(trace(path), null);
    partly.next(createArrivalRecord());
    partly.close();
    fileReads.mockClear();
    read(replayedTrace(trace(path), null));
    expect(fileReads.mock.calls).toHaveLength(1);

    read(replayedTrace(trace(path), null));
    writeFileSync(path, `${ROWS.slice(0, 3).join('\n')}\n`);
    fileReads.mockClear();
    const edited = read(replayedTrace(trace(path), null));
    expect(fileReads.mock.calls).toHaveLength(1);
    expect(edited.steps).toHaveLength(2);

    const strict = trace(path, { onBadRow: 'error' });
    writeFileSync(path, `${ROWS.join('\n')}\n`);
    for (let i = 0; i < 3; i++) {
      expect(() => read(replayedTrace(strict, null))).toThrow(
        /column "output": expected a non-negative number/,
      );
    }
  });

  it('keeps at most 2^19 requests in all: a longer trace streams every time, and a new recording pushes out older ones', () => {
    const rows = (count: number) =>
      `t,prompt,output\n${Array.from({ length: count }, (_, i) => `${i / 1000},${i % 97},${i % 13}`).join('\n')}\n`;
    const plain = (path: string): TraceSource => ({
      path,
      format: 'csv',
      timeColumn: 't',
      timeUnit: 's',
      columns: { input_tokens: 'prompt', output_tokens: 'output' },
      speed: 1,
      limit: null,
      duration: null,
    });
    const count = (source: ArrivalSource) => {
      const out = createArrivalRecord();
      let n = 0;
      while (source.next(out)) n++;
      source.close();
      return n;
    };
    const small = plain(file(rows(10)));
    const longest = plain(file(rows(1 << 19)));
    const longer = plain(file(rows((1 << 19) + 1)));
    const reads = (trace: TraceSource, times: number) => {
      fileReads.mockClear();
      const counts = Array.from({ length: times }, () => count(replayedTrace(trace, null)));
      return { counts, fromFile: fileReads.mock.calls.length };
    };

    expect(reads(small, 3)).toEqual({ counts: [10, 10, 10], fromFile: 2 });
    expect(reads(longer, 3)).toEqual({ counts: Array(3).fill((1 << 19) + 1), fromFile: 3 });
    expect(reads(small, 1)).toEqual({ counts: [10], fromFile: 0 });
    expect(reads(longest, 3)).toEqual({ counts: Array(3).fill(1 << 19), fromFile: 2 });
    expect(reads(small, 1)).toEqual({ counts: [10], fromFile: 1 });
  });

  it('keys a windowed read by its speed, which decides where the window ends', () => {
    const clean = file(`${ROWS.filter((row) => !/oops|later/.test(row)).join('\n')}\n`);
    const at = (speed: number) => trace(clean, { speed, onBadRow: 'error' });
    for (let i = 0; i < 3; i++) read(replayedTrace(at(1), 1.3));
    fileReads.mockClear();
    const fast = read(replayedTrace(at(4), 1.3));
    expect(fileReads.mock.calls).toHaveLength(1);
    expect(fast.steps).toHaveLength(4);
    expect(read(replayedTrace(at(1), 1.3)).steps).toHaveLength(3);
  });
});
