import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createStreams } from '../engine/rng.js';
import { type Diagnostic, type TraceSource, UserError } from '../scenario/types.js';
import { type ArrivalRecord, createArrivalRecord } from './arrival-source.js';
import { createTraceArrivals } from './trace-arrivals.js';
import { createBootstrapArrivals, MAX_BOOTSTRAP_BLOCKS } from './trace-bootstrap.js';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../test/fixtures/traces/${name}`, import.meta.url));

const tempDir = mkdtempSync(join(tmpdir(), 'fleetsim-bootstrap-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const path = join(tempDir, name);
  writeFileSync(path, text);
  return path;
}

function csvTrace(path: string, overrides: Partial<TraceSource> = {}): TraceSource {
  return {
    path,
    format: 'csv',
    timeColumn: 't',
    timeUnit: 's',
    columns: { input_tokens: 'in', output_tokens: 'out' },
    speed: 1,
    limit: null,
    duration: null,
    ...overrides,
  };
}

const vidur = (overrides: Partial<TraceSource> = {}): TraceSource => ({
  path: fixture('vidur-splitwise-conv-200.csv'),
  format: 'vidur',
  timeColumn: 'arrived_at',
  timeUnit: 's',
  columns: { input_tokens: 'num_prefill_tokens', output_tokens: 'num_decode_tokens' },
  speed: 1,
  limit: null,
  duration: null,
  ...overrides,
});

function collect(next: (out: ArrivalRecord) => boolean): ArrivalRecord[] {
  const records: ArrivalRecord[] = [];
  for (let record = createArrivalRecord(); next(record); record = createArrivalRecord()) records.push(record);
  return records;
}

function bootstrap(
  trace: TraceSource,
  blockS: number,
  seed: number,
  durationS: number | null = null,
  chunkBytes?: number,
): ArrivalRecord[] {
  const source = createBootstrapArrivals(
    trace,
    { blockS },
    durationS,
    createStreams(seed).stream('trace-bootstrap'),
    { chunkBytes },
  );
  const records = collect((out) => source.next(out));
  source.close();
  return records;
}

function plain(trace: TraceSource, durationS: number | null = null): ArrivalRecord[] {
  const source = createTraceArrivals(trace, durationS);
  const records = collect((out) => source.next(out));
  source.close();
  return records;
}

/** The blocks a replay drew: the same stream, drawn once per slot as the replay does. */
function drawnBlocks(seed: number, blocks: number): number[] {
  const uniform = createStreams(seed).stream('trace-bootstrap');
  return Array.from({ length: blocks }, () => Math.floor(uniform() * blocks));
}

const request = (timeS: number, input: number, output: number): ArrivalRecord => ({
  timeS,
  input_tokens: input,
  output_tokens: output,
  request_bytes: Number.NaN,
  response_bytes: Number.NaN,
  prefix: createArrivalRecord().prefix,
  classIndex: -1,
  model: '',
  adapter: '',
});

/**
 * A hand-made trace with 10 s blocks: block 0 holds three requests, block 1 one, block 2 none,
 * block 3 three, the last at 40 s (which ends the window and so belongs to block 3). Times start
 * at 100 s in the file: the replay rebases them to the first request.
 */
const HAND_TRACE = [
  't,in,out',
  '100,1,10',
  '103,2,20',
  '107,3,30',
  '112,4,40',
  '131,5,50',
  '135,6,60',
  '140,7,70',
].join('\n');

/** The same blocks by hand: [offset within the block, input tokens, output tokens]. */
const HAND_BLOCKS: [number, number, number][][] = [
  [
    [0, 1, 10],
    [3, 2, 20],
    [7, 3, 30],
  ],
  [[2, 4, 40]],
  [],
  [
    [1, 5, 50],
    [5, 6, 60],
    [10, 7, 70],
  ],
];

describe('block bootstrap of a hand-made trace', () => {
  const path = writeTemp('hand.csv', HAND_TRACE);

  it('puts the drawn blocks in place, with their offsets, sizes and request counts', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const drawn = drawnBlocks(seed, 4);
      const expected = drawn.flatMap((block, slot) =>
        HAND_BLOCKS[block].map(([offset, input, output]) => request(slot * 10 + offset, input, output)),
      );
      expect(bootstrap(csvTrace(path), 10, seed), `seed ${seed}: blocks ${drawn}`).toEqual(expected);
    }
  });

  it('draws different blocks on different seeds, the same on the same seed', () => {
    const replays = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) =>
      JSON.stringify(bootstrap(csvTrace(path), 10, seed)),
    );
    expect(new Set(replays).size).toBeGreaterThan(1);
    expect(JSON.stringify(bootstrap(csvTrace(path), 10, 3))).toBe(replays[2]);
  });

  it('with a duration, the window ends there and a request at that time is left out of every slot', () => {
    // duration 35 s: the window is [0, 35) in four blocks, the last 5 s long; 135 (offset 35) is cut.
    const blocks = HAND_BLOCKS.map((block, b) => block.filter(([offset]) => b * 10 + offset < 35));
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const drawn = drawnBlocks(seed, 4);
      const expected = drawn.flatMap((block, slot) =>
        blocks[block]
          .filter(([offset]) => slot * 10 + offset < 35)
          .map(([offset, input, output]) => request(slot * 10 + offset, input, output)),
      );
      expect(bootstrap(csvTrace(path, { duration: 35 }), 10, seed), `seed ${seed}`).toEqual(expected);
    }
  });

  it('speed divides the replayed times; blocks stay in trace time, so the same blocks are drawn', () => {
    for (const seed of [1, 2, 3]) {
      const atOne = bootstrap(csvTrace(path), 10, seed);
      const atFour = bootstrap(csvTrace(path, { speed: 4 }), 10, seed);
      expect(atFour).toEqual(atOne.map((r) => ({ ...r, timeS: r.timeS / 4 })));
    }
  });

  it('limit: blocks are cut from the first `limit` requests only', () => {
    // limit 4: the window ends at the fourth request (12 s), in two blocks [0, 10) and [10, 12].
    for (const seed of [1, 2, 3, 4]) {
      const drawn = drawnBlocks(seed, 2);
      const expected = drawn.flatMap((block, slot) =>
        HAND_BLOCKS[block]
          .filter(([offset]) => slot * 10 + offset <= 12)
          .map(([offset, input, output]) => request(slot * 10 + offset, input, output)),
      );
      expect(bootstrap(csvTrace(path, { limit: 4 }), 10, seed), `seed ${seed}`).toEqual(expected);
    }
  });

  it('a block longer than the window replays the window as it is', () => {
    expect(bootstrap(csvTrace(path), 3600, 9)).toEqual(plain(csvTrace(path)));
  });
});

describe('block bootstrap of a real trace slice', () => {
  const trace = vidur();
  const source = plain(trace);
  const endS = source.at(-1)!.timeS;
  const blockS = 5;
  const blockCount = Math.ceil(endS / blockS);
  /** The source's requests by block, offsets within the block. */
  const sourceBlocks = Array.from({ length: blockCount }, (_, b) =>
    source
      .filter((r) => Math.min(Math.floor(r.timeS / blockS), blockCount - 1) === b)
      .map((r) => ({ ...r, timeS: r.timeS - b * blockS })),
  );

  it('every slot replays one block of the trace, with offsets, sizes and count kept, within the window', () => {
    for (const seed of [11, 12, 13]) {
      const replay = bootstrap(trace, blockS, seed);
      const drawn = drawnBlocks(seed, blockCount);
      for (let slot = 0; slot < blockCount; slot++) {
        const inSlot = replay
          .filter(
            (r) => r.timeS >= slot * blockS && (r.timeS < (slot + 1) * blockS || slot === blockCount - 1),
          )
          .map((r) => ({ ...r, timeS: r.timeS - slot * blockS }));
        const expected = sourceBlocks[drawn[slot]].filter(
          (r) => slot < blockCount - 1 || slot * blockS + r.timeS <= endS,
        );
        expect(inSlot.length, `seed ${seed} slot ${slot}`).toBe(expected.length);
        for (const [i, r] of inSlot.entries()) {
          expect(r.timeS).toBeCloseTo(expected[i].timeS, 9);
          expect([r.input_tokens, r.output_tokens]).toEqual([
            expected[i].input_tokens,
            expected[i].output_tokens,
          ]);
        }
      }
      expect(
        replay.every(
          (r, i) => r.timeS >= 0 && r.timeS <= endS && (i === 0 || r.timeS >= replay[i - 1].timeS),
        ),
      ).toBe(true);
    }
  });

  it('keeps the length of the window: the replay fills it to its last block', () => {
    const replays = [21, 22, 23, 24].map((seed) => bootstrap(trace, blockS, seed));
    for (const replay of replays) {
      expect(replay.at(-1)!.timeS).toBeLessThanOrEqual(endS);
      expect(replay.at(-1)!.timeS).toBeGreaterThan(endS - 2 * blockS);
    }
    // The request count varies with the blocks drawn; over many seeds it averages the trace's.
    const counts = Array.from({ length: 200 }, (_, seed) => bootstrap(trace, blockS, seed).length);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    expect(new Set(counts).size).toBeGreaterThan(5);
    expect(Math.abs(mean - source.length)).toBeLessThan(0.05 * source.length);
  });

  it('the run duration cuts the window, as it does the plain replay', () => {
    const replay = bootstrap(trace, blockS, 5, 30);
    expect(replay.every((r) => r.timeS < 30)).toBe(true);
    const window = plain(trace, 30);
    const allowed = new Set(window.map((r) => `${r.input_tokens}/${r.output_tokens}`));
    expect(replay.every((r) => allowed.has(`${r.input_tokens}/${r.output_tokens}`))).toBe(true);
  });

  it('reads blocks by seeking in a file many times the chunk size: the same replay as with one chunk', () => {
    for (const seed of [31, 32]) {
      expect(bootstrap(trace, blockS, seed, null, 64)).toEqual(bootstrap(trace, blockS, seed));
    }
  });

  it('JSONL traces too', () => {
    const mooncake: TraceSource = {
      path: fixture('mooncake-synthetic-200.jsonl'),
      format: 'mooncake',
      timeColumn: 'timestamp',
      timeUnit: 'ms',
      columns: { input_tokens: 'input_length', output_tokens: 'output_length' },
      speed: 1,
      limit: null,
      duration: null,
    };
    const whole = plain(mooncake);
    const replay = bootstrap(mooncake, 5, 3, null, 100);
    expect(replay).toEqual(bootstrap(mooncake, 5, 3));
    const allowed = new Set(whole.map((r) => `${r.input_tokens}/${r.output_tokens}`));
    expect(replay.length).toBeGreaterThan(0);
    expect(replay.every((r) => allowed.has(`${r.input_tokens}/${r.output_tokens}`))).toBe(true);
  });
});

describe('block bootstrap reading', () => {
  it('finds its blocks after multi-byte text and a byte-order mark', () => {
    const path = writeTemp(
      'unicode.csv',
      `\uFEFFt,in,out,note\n${Array.from({ length: 40 }, (_, i) => `${i},${i},${2 * i},"ünïcødé ✓ 🚀 ${i}"`).join('\n')}\n`,
    );
    for (const seed of [1, 2]) {
      const drawn = drawnBlocks(seed, 4);
      // Four blocks of ten requests; the last ends the window at 39 s, so nothing is cut.
      const expected = drawn.flatMap((block, slot) =>
        Array.from({ length: 10 }, (_, k) => request(slot * 10 + k, block * 10 + k, 2 * (block * 10 + k))),
      );
      expect(bootstrap(csvTrace(path), 10, seed, null, 7), `seed ${seed}`).toEqual(expected);
    }
  });

  it('a trace without a request is refused as in a plain replay, not replayed as nothing', () => {
    const path = writeTemp('header-only.csv', 't,in,out\n');
    expect(() => bootstrap(csvTrace(path), 10, 1)).toThrow(`${path}:1:1: the trace has no requests`);
    expect(() => plain(csvTrace(path))).toThrow(`${path}:1:1: the trace has no requests`);
  });

  it(`a window of more than ${MAX_BOOTSTRAP_BLOCKS} blocks is refused at the row that makes it so, before memory grows with it`, () => {
    // Blocks of 2 s: a row 2,000,000 s after the first starts block 1,000,000, one too many.
    const path = writeTemp('far-row.csv', 't,in,out\n0,1,1\n1999998,1,1\n2000000,1,1\n');
    expect(() => bootstrap(csvTrace(path), 2, 1)).toThrow(
      `${path}:4:1: column "t": bootstrap: a window of 2000000 s of trace in blocks of 2 s holds more than 1,000,000 blocks; use longer blocks (bootstrap.block), or a shorter window (limit, duration)`,
    );
    // The same file in 4 s blocks is 500,000 of them (mostly empty, so a replay may draw nothing).
    expect(() => bootstrap(csvTrace(path), 4, 1)).not.toThrow();
    // A window cut by the run's duration counts its empty blocks too.
    expect(() => bootstrap(csvTrace(path), 1e-3, 1, 1e4)).toThrow('holds more than 1,000,000 blocks');
  });

  it('a decreasing time anywhere in the window is reported before anything is replayed', () => {
    const source = createBootstrapArrivals(
      csvTrace(fixture('decreasing-time.csv'), { timeColumn: 'arrived_at', columns: {} }),
      { blockS: 10 },
      null,
      createStreams(1).stream('trace-bootstrap'),
    );
    let diagnostic: Diagnostic | null = null;
    try {
      source.next(createArrivalRecord());
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      diagnostic = error.diagnostic;
    }
    expect(diagnostic?.code).toBe('BAD_TRACE_ROW');
    expect(diagnostic?.message).toContain('must not decrease');
  });
});

describe('block bootstrap with on_bad_row: skip', () => {
  // The hand-made trace with bad rows in and between its blocks, the first row among them.
  const dirty = writeTemp(
    'hand-dirty.csv',
    [
      't,in,out',
      '99,x,1',
      '100,1,10',
      '103,2,20',
      'oops,1,1',
      '107,3,30',
      '108,"a"b,1',
      '112,4,40',
      '131,5,50',
      '135,6,60',
      '136,7',
      '140,7,70',
    ].join('\n'),
  );
  const clean = writeTemp('hand-clean.csv', HAND_TRACE);

  it('replays as the file without its bad rows, and counts each bad row once however often its block is drawn', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const source = createBootstrapArrivals(
        csvTrace(dirty, { onBadRow: 'skip' }),
        { blockS: 10 },
        null,
        createStreams(seed).stream('trace-bootstrap'),
        { chunkBytes: 7 },
      );
      const replay = collect((out) => source.next(out));
      expect(replay, `seed ${seed}`).toEqual(bootstrap(csvTrace(clean), 10, seed));
      expect(source.skippedRows?.().count).toBe(4);
      expect(source.skippedRows?.().first.map((d) => d.line)).toEqual([2, 5, 7]);
      source.close();
    }
  });

  it('the plain replay of the same file skips the same rows', () => {
    const source = createTraceArrivals(csvTrace(dirty, { onBadRow: 'skip' }), null);
    expect(collect((out) => source.next(out))).toEqual(plain(csvTrace(clean)));
    expect(source.skippedRows?.().count).toBe(4);
    source.close();
  });
});
