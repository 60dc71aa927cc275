import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../scenario/types.js';
import {
  formatRequestLine,
  REQUEST_COLUMNS,
  type RequestRecord,
  readRequestRecords,
} from './request-records.js';

const tempDir = mkdtempSync(join(tmpdir(), 'fleetsim-requests-'));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

function writeTemp(name: string, text: string): string {
  const path = join(tempDir, name);
  writeFileSync(path, text);
  return path;
}

const RECORDS: RequestRecord[] = [
  {
    arrival: 12.5,
    first_token: 12.75,
    finish: 14.000001,
    input_tokens: 300,
    output_tokens: 20,
    fleet: 'gpu',
    replica: 3,
    outcome: 'completed',
    variant: 'baseline',
  },
  {
    arrival: 13,
    first_token: null,
    finish: 13,
    input_tokens: 5000,
    output_tokens: 1,
    fleet: 'gpu',
    replica: 0,
    outcome: 'rejected',
    variant: 'baseline',
  },
  {
    arrival: 0.000001,
    first_token: null,
    finish: 10.000001,
    input_tokens: null,
    output_tokens: null,
    fleet: 'spot-fleet.eu',
    replica: null,
    outcome: 'timed_out',
    variant: 'a "quoted" naïve/variant',
  },
  {
    arrival: 7200.25,
    first_token: null,
    finish: null,
    input_tokens: 1.5,
    output_tokens: 2.25,
    fleet: 'cpu',
    replica: 12,
    outcome: 'in_flight_at_end',
    variant: 'two',
  },
];

function read(path: string, options?: Parameters<typeof readRequestRecords>[1]): RequestRecord[] {
  return [...readRequestRecords(path, options)];
}

/** The one-line message of the UserError reading `path` throws. */
function failure(path: string, options?: Parameters<typeof readRequestRecords>[1]): string {
  try {
    read(path, options);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message.replace(`${tempDir}/`, '');
  }
  throw new Error(`reading ${path} did not fail`);
}

describe('requests.jsonl lines', () => {
  it('are JSON objects with the columns in their order, times to the microsecond', () => {
    const line = formatRequestLine({ ...RECORDS[0], arrival: 12.5000004, finish: 14.0000006 });
    expect(line).toBe(
      '{"arrival":12.5,"first_token":12.75,"finish":14.000001,"input_tokens":300,"output_tokens":20,"fleet":"gpu","replica":3,"outcome":"completed","variant":"baseline"}\n',
    );
    expect(Object.keys(JSON.parse(line))).toEqual([...REQUEST_COLUMNS]);
    // Large times keep all six decimals; tiny ones print without an exponent.
    expect(formatRequestLine({ ...RECORDS[0], arrival: 86399.999999 })).toMatch(
      /^\{"arrival":86399\.999999,/,
    );
    expect(formatRequestLine({ ...RECORDS[0], arrival: 0.000001 })).toMatch(/^\{"arrival":0\.000001,/);
  });

  it('read back as the records written, at any chunk size', () => {
    const path = writeTemp('round-trip.jsonl', RECORDS.map(formatRequestLine).join(''));
    expect(read(path)).toEqual(RECORDS);
    for (const chunkBytes of [1, 7, 100]) expect(read(path, { chunkBytes })).toEqual(RECORDS);
  });

  it('read from a CSV with the same columns, in any order, empty fields for none and others ignored', () => {
    const header =
      'request_id,variant,outcome,replica,fleet,output_tokens,input_tokens,finish,first_token,arrival';
    const rows = RECORDS.map((r, i) =>
      [
        `r${i}`,
        r.variant === null ? '' : `"${r.variant.replaceAll('"', '""')}"`,
        r.outcome,
        r.replica ?? '',
        r.fleet ?? '',
        r.output_tokens ?? '',
        r.input_tokens ?? '',
        r.finish ?? '',
        r.first_token ?? '',
        r.arrival,
      ].join(','),
    );
    const path = writeTemp('measured.csv', `${header}\r\n${rows.join('\r\n')}\r\n`);
    expect(read(path)).toEqual(RECORDS);
    // A measured run may not know the fleet, replica or variant.
    const bare = writeTemp('bare.csv', `${REQUEST_COLUMNS.join(',')}\n1.5,,2.25,,,,,completed,\n`);
    expect(read(bare)).toEqual([
      {
        arrival: 1.5,
        first_token: null,
        finish: 2.25,
        input_tokens: null,
        output_tokens: null,
        fleet: null,
        replica: null,
        outcome: 'completed',
        variant: null,
      },
    ]);
  });

  it('stop at the first bad value with its file, line and column', () => {
    const good = formatRequestLine(RECORDS[0]);
    const jsonl = (name: string, bad: string) => writeTemp(name, `${good}\n${bad}\n${good}`);
    const cases: [string, string][] = [
      ['{"arrival":1', 'bad.jsonl:3:1: invalid JSON'],
      [
        good.replace(',"replica":3', ''),
        'bad.jsonl:3:1: key "replica": missing (write null where there is no value)',
      ],
      [
        good.replace('"completed"', '"served"'),
        'bad.jsonl:3:1: key "outcome": expected one of completed, dropped, rejected, timed_out, in_flight_at_end, got "served"',
      ],
      [
        good.replace('"arrival":12.5', '"arrival":"12.5"'),
        'bad.jsonl:3:1: key "arrival": expected seconds (a non-negative number), got "12.5"',
      ],
      [
        good.replace('"arrival":12.5', '"arrival":-1'),
        'bad.jsonl:3:1: key "arrival": expected seconds (a non-negative number), got -1',
      ],
      [
        good.replace('"finish":14.000001', '"finish":12.6'),
        'bad.jsonl:3:1: key "finish": the finish (12.6 s) comes before the first token (12.75 s)',
      ],
      [
        good.replace('"first_token":12.75', '"first_token":12'),
        'bad.jsonl:3:1: key "first_token": the first token (12 s) comes before the arrival (12.5 s)',
      ],
      [
        good.replace('"finish":14.000001', '"finish":null'),
        'bad.jsonl:3:1: key "finish": a completed request needs its finish time',
      ],
      [
        good.replace('"replica":3', '"replica":1.5'),
        'bad.jsonl:3:1: key "replica": expected a replica number (a non-negative integer) or nothing, got 1.5',
      ],
      [good.replace('"fleet":"gpu"', '"fleet":7'), 'bad.jsonl:3:1: key "fleet": expected a name, got 7'],
      ['[1, 2]', 'bad.jsonl:3:1: expected a JSON object, got an array'],
    ];
    for (const [bad, message] of cases) expect(failure(jsonl('bad.jsonl', bad))).toContain(message);

    const header = REQUEST_COLUMNS.join(',');
    const csv = writeTemp(
      'bad.csv',
      `${header}\n1,,2,10,5,gpu,0,completed,b\n1,,2,ten,5,gpu,0,completed,b\n`,
    );
    expect(failure(csv)).toBe(
      `bad.csv:3:4: column "input_tokens": expected a non-negative number or nothing, got "ten"`,
    );
    const inFlight = writeTemp('in-flight.csv', `${header}\n1,,2,10,5,gpu,0,in_flight_at_end,b\n`);
    expect(failure(inFlight)).toBe(
      'in-flight.csv:2:3: column "finish": a request still in flight at the end has no finish time (leave it empty)',
    );
    const missing = writeTemp('missing.csv', `arrival,finish,outcome\n1,2,completed\n`);
    expect(failure(missing)).toMatch(
      /^missing\.csv:1:1: column "first_token" not found; the header has: "arrival", "finish", "outcome"$/,
    );
    // A .csv name picks the CSV reader; `format` says otherwise.
    expect(failure(missing, { format: 'jsonl' })).toMatch(/^missing\.csv:1:1: invalid JSON/);
  });

  it.runIf(existsSync('/proc/self/fd'))('close the file when the reader stops early', () => {
    const path = writeTemp('early.jsonl', RECORDS.map(formatRequestLine).join(''));
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (const record of readRequestRecords(path)) {
      expect(openFiles()).toBe(before + 1);
      expect(record).toEqual(RECORDS[0]);
      break;
    }
    expect(openFiles()).toBe(before);
  });
});
