import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { azureConversationTrace } from '../../test/helpers/traces.js';
import { createStreams } from '../engine/rng.js';
import { type Diagnostic, type TraceSource, UserError } from '../scenario/types.js';
import { type ArrivalRecord, createArrivalRecord, createArrivalSource } from './arrival-source.js';
import { createTraceArrivals } from './trace-arrivals.js';

const fromRoot = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const fixture = (name: string) => fromRoot(`test/fixtures/traces/${name}`);

const tempDir = mkdtempSync(join(tmpdir(), 'fleetsim-trace-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

const azure = azureConversationTrace;

function vidur(overrides: Partial<TraceSource> = {}): TraceSource {
  return {
    path: fixture('vidur-splitwise-conv-200.csv'),
    format: 'vidur',
    timeColumn: 'arrived_at',
    timeUnit: 's',
    columns: { input_tokens: 'num_prefill_tokens', output_tokens: 'num_decode_tokens' },
    speed: 1,
    limit: null,
    duration: null,
    ...overrides,
  };
}

function mooncake(overrides: Partial<TraceSource> = {}): TraceSource {
  return {
    path: fixture('mooncake-synthetic-200.jsonl'),
    format: 'mooncake',
    timeColumn: 'timestamp',
    timeUnit: 'ms',
    columns: { input_tokens: 'input_length', output_tokens: 'output_length' },
    speed: 1,
    limit: null,
    duration: null,
    ...overrides,
  };
}

function replay(trace: TraceSource, durationS: number | null = null, chunkBytes?: number): ArrivalRecord[] {
  const source = createTraceArrivals(trace, durationS, { chunkBytes });
  const records: ArrivalRecord[] = [];
  for (let record = createArrivalRecord(); source.next(record); record = createArrivalRecord())
    records.push(record);
  source.close();
  return records;
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

const row = (timeS: number, input: number, output: number): ArrivalRecord => ({
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

/** The fixture's arrived_at column, read the plain way: the truth the streamed reader must match. */
const vidurTimesS = readFileSync(fixture('vidur-splitwise-conv-200.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => Number(line.split(',')[0]));

describe('Azure LLM 2023 conversation trace', () => {
  const records = replay(azure());

  it('has every request, rebased to the first one', () => {
    expect(records).toHaveLength(19_366);
    // 18:15:46.6805900 and 18:15:50.9951690 in the file
    expect(records[0]).toEqual(row(0, 374, 44));
    expect(records[1].timeS).toBeCloseTo(4.314579, 9);
    expect(records[1].input_tokens).toBe(396);
    // 19:14:08.4025270 - 18:15:46.6805900 = 58 min 21.7219370 s
    expect(records[19_365].timeS).toBeCloseTo(3501.721937, 9);
    expect(records[19_365].input_tokens).toBe(197);
    expect(records[19_365].output_tokens).toBe(183);
  });

  it('agrees with the vidur copy of the same trace (arrived_at already in seconds)', () => {
    const vidurRecords = replay(vidur());
    for (let i = 0; i < vidurRecords.length; i++) {
      expect(records[i].timeS).toBeCloseTo(vidurRecords[i].timeS, 6);
      expect(records[i].input_tokens).toBe(vidurRecords[i].input_tokens);
      expect(records[i].output_tokens).toBe(vidurRecords[i].output_tokens);
    }
  });

  it('never decreases', () => {
    expect(records.every((r, i) => i === 0 || r.timeS >= records[i - 1].timeS)).toBe(true);
  });
});

describe('vidur and mooncake slices', () => {
  it('vidur: arrived_at in seconds, prefill and decode tokens', () => {
    const records = replay(vidur());
    expect(records).toHaveLength(200);
    expect(records.slice(0, 2)).toEqual([row(0, 374, 44), row(4.314579, 396, 109)]);
    expect(records[199]).toEqual(row(61.263537, 1143, 409));
  });

  it('mooncake: JSONL, timestamp in milliseconds, equal times kept', () => {
    const records = replay(mooncake());
    expect(records).toHaveLength(200);
    expect(records.slice(0, 3)).toEqual([row(0, 40160, 6), row(0, 36640, 4), row(0.04, 23769, 3)]);
    expect(records[199]).toEqual(row(58.501, 37625, 2));
  });

  it('the same rows at any chunk size', () => {
    expect(replay(vidur(), null, 5)).toEqual(replay(vidur()));
    expect(replay(mooncake(), null, 5)).toEqual(replay(mooncake()));
  });

  it('unmapped attributes are NaN', () => {
    const [first] = replay(vidur({ columns: { output_tokens: 'num_decode_tokens' } }));
    expect(first.input_tokens).toBeNaN();
    expect(first.output_tokens).toBe(44);
  });

  it('other time units: microseconds, and numbers given as JSON strings', () => {
    const path = join(tempDir, 'us.jsonl');
    writeFileSync(path, '{"t": "1000000", "n": 1}\n{"t": 3500000, "n": "2"}\n');
    const trace = mooncake({
      path,
      format: 'jsonl',
      timeColumn: 't',
      timeUnit: 'us',
      columns: { input_tokens: 'n' },
    });
    expect(replay(trace).map((r) => [r.timeS, r.input_tokens])).toEqual([
      [0, 1],
      [2.5, 2],
    ]);
  });

  it('ISO 8601 times with zones', () => {
    const path = join(tempDir, 'iso.csv');
    writeFileSync(path, 'at,n\n2023-11-16T18:15:46.5Z,1\n2023-11-16T19:15:48.000001+01:00,2\n');
    const trace = azure({ path, format: 'csv', timeColumn: 'at', columns: { input_tokens: 'n' } });
    const times = replay(trace).map((r) => r.timeS);
    expect(times[0]).toBe(0);
    expect(times[1]).toBeCloseTo(1.500001, 9);
  });
});

describe('speed, limit and duration', () => {
  it('speed divides the gaps', () => {
    expect(replay(vidur({ speed: 2 })).map((r) => r.timeS)).toEqual(vidurTimesS.map((t) => t / 2));
  });

  it('limit stops after that many requests', () => {
    expect(replay(vidur({ limit: 5 })).map((r) => r.timeS)).toEqual(vidurTimesS.slice(0, 5));
    expect(replay(vidur({ limit: 0 }))).toEqual([]);
  });

  it('duration stops before the first request at or after it, in replayed time', () => {
    expect(replay(vidur({ duration: 30 })).map((r) => r.timeS)).toEqual(vidurTimesS.filter((t) => t < 30));
    expect(replay(vidur({ duration: 10, speed: 2 })).map((r) => r.timeS)).toEqual(
      vidurTimesS.filter((t) => t / 2 < 10).map((t) => t / 2),
    );
  });

  it("the run's duration applies too, whichever ends first", () => {
    expect(replay(vidur({ duration: 30 }), 20).map((r) => r.timeS)).toEqual(
      vidurTimesS.filter((t) => t < 20),
    );
    expect(replay(vidur({ duration: 20 }), 30).map((r) => r.timeS)).toEqual(
      vidurTimesS.filter((t) => t < 20),
    );
    expect(replay(vidur({ limit: 3 }), 30)).toHaveLength(3);
  });

  it('through createArrivalSource, close() ends the replay early', () => {
    const source = createArrivalSource(
      { kind: 'trace', trace: vidur() },
      { uniform: createStreams(1).stream('arrivals'), durationS: null },
    );
    const record = createArrivalRecord();
    expect(source.next(record)).toBe(true);
    source.close();
    expect(source.next(record)).toBe(false);
  });
});

describe('trace errors name the file, line and column', () => {
  const at = (name: string, line: number, col: number, message: string, code = 'BAD_TRACE_ROW') => ({
    code,
    file: fixture(name),
    line,
    col,
    message,
  });
  const bad = (name: string, trace: (o: Partial<TraceSource>) => TraceSource = vidur) =>
    diagnosticOf(() => replay(trace({ path: fixture(name) })));

  it('a value that is not a number', () => {
    expect(bad('bad-number.csv', azure)).toEqual(
      at('bad-number.csv', 4, 2, 'column "ContextTokens": expected a non-negative number, got "abc"'),
    );
  });

  it('a row replayed later than the clock keeps exactly (2^53 us) is refused at the row, unless the window ends first', () => {
    const far = join(tempDir, 'far.csv');
    writeFileSync(far, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n0.4,1,1\n1e308,1,1\n');
    expect(diagnosticOf(() => replay(vidur({ path: far, speed: 2 })))).toEqual({
      code: 'BAD_TRACE_ROW',
      file: far,
      line: 4,
      col: 1,
      message:
        'column "arrived_at": this row is replayed 5e+307 s after the first request, later than the 9007200000 s (about 285 years) a run can simulate exactly',
    });
    // 285 years minus a little is kept; sped up, a row ten times later is too.
    writeFileSync(far, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n9e9,1,1\n');
    expect(replay(vidur({ path: far })).map((r) => r.timeS)).toEqual([0, 9e9]);
    writeFileSync(far, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n9e10,1,1\n');
    expect(replay(vidur({ path: far, speed: 10 })).map((r) => r.timeS)).toEqual([0, 9e9]);
    // A duration ends the window before the far row: nothing to refuse.
    writeFileSync(far, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,1,1\n1e308,1,1\n');
    expect(replay(vidur({ path: far, duration: 60 })).map((r) => r.timeS)).toEqual([0]);
  });

  it('a trace without a request, whatever its format: a CSV header alone, an empty JSONL file', () => {
    const headerOnly = join(tempDir, 'header-only.csv');
    writeFileSync(headerOnly, 'arrived_at,num_prefill_tokens,num_decode_tokens\n');
    const empty = join(tempDir, 'empty.jsonl');
    writeFileSync(empty, '');
    expect(diagnosticOf(() => replay(vidur({ path: headerOnly })))).toMatchObject({
      file: headerOnly,
      message: 'the trace has no requests',
    });
    expect(diagnosticOf(() => replay(mooncake({ path: empty })))).toMatchObject({
      file: empty,
      message: 'the trace has no requests',
    });
    // A limit of 0 asks for no request: that is not the trace's fault.
    expect(replay(vidur({ path: headerOnly, limit: 0 }))).toEqual([]);
  });

  it('repeats at most a short, escaped excerpt of a bad value', () => {
    const path = join(tempDir, 'foreign.csv');
    const secret = `${'s3cr3t'.repeat(50)}\u001b[2J`;
    writeFileSync(path, `arrived_at,num_prefill_tokens,num_decode_tokens\n0,"${secret}",1\n`);
    const { message } = diagnosticOf(() => replay(vidur({ path })));
    expect(message).toBe(
      `column "num_prefill_tokens": expected a non-negative number, got "${secret.slice(0, 40)}…"`,
    );
    // A terminal escape sequence reaches the message as inert text.
    writeFileSync(path, 'arrived_at,num_prefill_tokens,num_decode_tokens\n0,\u001b[2Jx,1\n');
    const escaped = diagnosticOf(() => replay(vidur({ path }))).message;
    expect(escaped).toBe('column "num_prefill_tokens": expected a non-negative number, got "\\u001b[2Jx"');
    expect(escaped).not.toContain('\u001b');
  });

  it('the full message reads file:line:col', () => {
    expect(() => replay(azure({ path: fixture('bad-number.csv') }))).toThrow(
      `${fixture('bad-number.csv')}:4:2: column "ContextTokens": expected a non-negative number, got "abc"`,
    );
  });

  it('a column missing from the header, when the source is created', () => {
    expect(
      diagnosticOf(() => createTraceArrivals(azure({ path: fixture('missing-column.csv') }), null)),
    ).toEqual(
      at(
        'missing-column.csv',
        1,
        1,
        'column "GeneratedTokens" not found; the header has: "TIMESTAMP", "ContextTokens"',
      ),
    );
  });

  it('an arrival earlier than the previous one, with a command that sorts the file', () => {
    const path = fixture('decreasing-time.csv');
    const sorted = fixture('decreasing-time.sorted.csv');
    expect(bad('decreasing-time.csv')).toEqual(
      at(
        'decreasing-time.csv',
        5,
        1,
        'column "arrived_at": arrival times must not decrease (previous 12.5 s, this 10.25 s after the first request): ' +
          `sort the file by time first, e.g. (head -n 1 '${path}' && tail -n +2 '${path}' | LC_ALL=C sort -s -t, -k1,1g) > '${sorted}'`,
      ),
    );
  });

  it('a date-time that does not exist', () => {
    expect(bad('bad-datetime.csv', azure)).toEqual(
      at(
        'bad-datetime.csv',
        3,
        1,
        'column "TIMESTAMP": expected a date-time such as "2023-11-16 18:17:03.0000000" or ' +
          '"2023-11-16T18:17:03Z", got "2023-11-16 25:15:50.9951690"',
      ),
    );
  });

  it('a bad value after a quoted field that spans lines is reported on its own line', () => {
    expect(bad('quoted-multiline.csv')).toEqual(
      at(
        'quoted-multiline.csv',
        5,
        3,
        'column "num_prefill_tokens": expected a non-negative number, got "x"',
      ),
    );
  });

  it('a row with fewer fields than the header', () => {
    expect(bad('short-row.csv')).toEqual(
      at('short-row.csv', 3, 3, 'expected 3 fields as in the header, got 2'),
    );
  });

  it('a quote that never closes', () => {
    expect(bad('unclosed-quote.csv')).toEqual(
      at('unclosed-quote.csv', 3, 2, 'invalid CSV: a quoted field is not closed before the end of the file'),
    );
  });

  it('an empty file', () => {
    expect(bad('empty.csv')).toEqual(
      at('empty.csv', 1, 1, 'the trace is empty: expected a header row naming the columns'),
    );
  });

  it('invalid JSON', () => {
    const diagnostic = bad('bad-json.jsonl', mooncake);
    expect({ ...diagnostic, message: '' }).toEqual(at('bad-json.jsonl', 3, 1, ''));
    expect(diagnostic.message).toMatch(/^invalid JSON: /);
  });

  it('a JSON key that is missing', () => {
    expect(bad('missing-key.jsonl', mooncake)).toEqual(
      at(
        'missing-key.jsonl',
        2,
        1,
        'key "output_length": expected a non-negative number, got nothing (the field is missing)',
      ),
    );
  });

  it('a file that does not exist', () => {
    expect(bad('no-such-file.csv')).toEqual(
      at('no-such-file.csv', 1, 1, 'trace file not found', 'MISSING_FILE'),
    );
  });

  it('a directory', () => {
    expect(diagnosticOf(() => createTraceArrivals(vidur({ path: tempDir }), null))).toEqual({
      code: 'MISSING_FILE',
      file: tempDir,
      line: 1,
      col: 1,
      message: 'trace path is not a file',
    });
  });

  it('rows before the bad one are still produced, and the replay ends at it', () => {
    const source = createTraceArrivals(azure({ path: fixture('bad-number.csv') }), null);
    const record = createArrivalRecord();
    expect(source.next(record)).toBe(true);
    expect(source.next(record)).toBe(true);
    expect(() => source.next(record)).toThrow(UserError);
    expect(source.next(record)).toBe(false);
  });
});

describe('on_bad_row: skip', () => {
  const header = 'arrived_at,num_prefill_tokens,num_decode_tokens';
  const good = ['2.0,10,1', '3.5,20,2', '7.0,50,5'];

  function replaySkipping(path: string, durationS: number | null = null, chunkBytes?: number) {
    const source = createTraceArrivals(vidur({ path, onBadRow: 'skip' }), durationS, { chunkBytes });
    const records: ArrivalRecord[] = [];
    for (let record = createArrivalRecord(); source.next(record); record = createArrivalRecord())
      records.push(record);
    const skipped = source.skippedRows?.();
    source.close();
    return { records, skipped };
  }

  it('passes over bad rows and counts them, keeping the first three located; the rest replays as the file without them', () => {
    const path = join(tempDir, 'some-bad.csv');
    writeFileSync(
      path,
      [
        header,
        '1.0,abc,5', // line 2: the first row, bad: the origin is the first good row's time
        good[0],
        'x,10,1',
        good[1],
        '4.0,"a"b,3',
        '5.0,30',
        '6.0,40,-4',
        good[2],
        '',
      ].join('\n'),
    );
    const clean = join(tempDir, 'none-bad.csv');
    writeFileSync(clean, [header, ...good, ''].join('\n'));
    for (const chunkBytes of [3, 65_536]) {
      const { records, skipped } = replaySkipping(path, null, chunkBytes);
      expect(records).toEqual([row(0, 10, 1), row(1.5, 20, 2), row(5, 50, 5)]);
      expect(records).toEqual(replay(vidur({ path: clean })));
      expect(skipped?.count).toBe(5);
      expect(skipped?.first.map((d) => `${d.line}:${d.col}: ${d.message}`)).toEqual([
        '2:2: column "num_prefill_tokens": expected a non-negative number, got "abc"',
        '4:1: column "arrived_at": expected a number of seconds, got "x"',
        '6:2: invalid CSV: text after the closing quote of a field',
      ]);
      expect(skipped?.first.every((d) => d.file === path && d.code === 'BAD_TRACE_ROW')).toBe(true);
    }
  });

  it('JSONL: a line over the limit and a line that is not JSON are passed over, and what follows is read', () => {
    const path = join(tempDir, 'some-bad.jsonl');
    const pad = 'p'.repeat(1024 * 1024);
    writeFileSync(
      path,
      `{"timestamp": 0, "input_length": 1, "output_length": 1}\n{"timestamp": 5, "pad": "${pad}"}\n{oops\n` +
        '{"timestamp": 1000, "input_length": 2, "output_length": 2}\n',
    );
    const source = createTraceArrivals(mooncake({ path, onBadRow: 'skip' }), null);
    const record = createArrivalRecord();
    const times: number[] = [];
    while (source.next(record)) times.push(record.timeS);
    expect(times).toEqual([0, 1]);
    expect(source.skippedRows?.().count).toBe(2);
    expect(source.skippedRows?.().first[0].message).toBe(
      'line is longer than 1048576 bytes, the most one trace row may hold',
    );
  });

  it('a decreasing time is still an error: the file needs sorting, not skipping', () => {
    expect(
      diagnosticOf(() => replay(vidur({ path: fixture('decreasing-time.csv'), onBadRow: 'skip' }))),
    ).toMatchObject({
      line: 5,
      message: expect.stringContaining('arrival times must not decrease'),
    });
  });

  it('a trace whose rows are all bad has no requests, and says why', () => {
    const path = join(tempDir, 'all-bad.csv');
    writeFileSync(path, `${header}\n1,a,1\n2,b,2\n`);
    expect(diagnosticOf(() => replaySkipping(path)).message).toBe(
      'the trace has no requests: on_bad_row: skip passed over all 2 of its rows, the first at line 2 ' +
        '(column "num_prefill_tokens": expected a non-negative number, got "a")',
    );
  });

  it('a row after the end of the window is not judged: its bad value neither stops nor counts', () => {
    const path = join(tempDir, 'bad-after-window.csv');
    writeFileSync(path, `${header}\n0,1,1\n5,2,2\n20,bad,3\n`);
    const { records, skipped } = replaySkipping(path, 10);
    expect(records.map((r) => r.timeS)).toEqual([0, 5]);
    expect(skipped?.count).toBe(0);
    expect(replay(vidur({ path }), 10)).toHaveLength(2);
  });

  it('on_bad_row: error (the default) offers no count: the first bad row stops the replay', () => {
    const source = createTraceArrivals(azure({ path: fixture('bad-number.csv') }), null);
    expect(source.skippedRows).toBeUndefined();
    source.close();
  });
});

describe('the sort command an unsorted trace is refused with', () => {
  const hasJq = spawnSync('jq', ['--version']).status === 0;

  /** The command the error names, run by a shell; returns the replay of the file it wrote. */
  function sortAsTold(trace: TraceSource): ArrivalRecord[] {
    const { message } = diagnosticOf(() => replay(trace));
    const command = message.slice(message.indexOf('e.g. ') + 'e.g. '.length);
    execFileSync('sh', ['-c', command]);
    const sorted = trace.path.replace(/(\.[^./]*)$/, '.sorted$1');
    return replay({ ...trace, path: sorted });
  }

  // Unsorted, with a space and a quote in the folder's name, and equal times kept in file order.
  const dir = join(tempDir, "it's unsorted");
  mkdirSync(dir, { recursive: true });

  it('CSV with times in seconds, the time column not the first', () => {
    const path = join(dir, 'times.csv');
    writeFileSync(path, 'in,t,out\n1,3,10\n2,1e0,20\n3,3,30\n4,0.5,40\n5,12,50\n');
    const trace = vidur({ path, format: 'csv', timeColumn: 't', columns: { input_tokens: 'in' } });
    expect(sortAsTold(trace).map((r) => [r.timeS, r.input_tokens])).toEqual([
      [0, 4],
      [0.5, 2],
      [2.5, 1],
      [2.5, 3],
      [11.5, 5],
    ]);
  });

  it('CSV with date-times (the Azure layout)', () => {
    const path = join(dir, 'azure.csv');
    writeFileSync(
      path,
      'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:50.0000000,2,1\n' +
        '2023-11-16 18:15:46.5000000,1,1\n2023-11-16 18:16:00.0000000,3,1\n',
    );
    expect(sortAsTold(azure({ path })).map((r) => [r.timeS, r.input_tokens])).toEqual([
      [0, 1],
      [3.5, 2],
      [13.5, 3],
    ]);
  });

  it.skipIf(!hasJq)('JSONL, with jq', () => {
    const path = join(dir, 'requests.jsonl');
    writeFileSync(
      path,
      '{"timestamp": 3000, "input_length": 1, "output_length": 1, "note": "a\\tb, \\"c\\""}\n' +
        '{"timestamp": 1000, "input_length": 2, "output_length": 1}\n' +
        '{"timestamp": 3000, "input_length": 3, "output_length": 1}\n',
    );
    expect(sortAsTold(mooncake({ path })).map((r) => [r.timeS, r.input_tokens])).toEqual([
      [0, 2],
      [2, 1],
      [2, 3],
    ]);
  });
});
