import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../run.js';
import { readCsvRecords } from './csv-records.js';
import { formatDiagnostic, UserError } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-csv-records-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return formatDiagnostic(error.diagnostic).replace(`${dir}/`, '');
    throw error;
  }
  throw new Error('expected a user error');
}

describe('small CSV data files', () => {
  it('are read as records named by the header, blank lines skipped', () => {
    expect(readCsvRecords(file('ok.csv', 'start,end\n5,100\n\n200,300\n'))).toEqual([
      { start: '5', end: '100' },
      { start: '200', end: '300' },
    ]);
  });

  it("records hold the file's columns only: toString or constructor is not a column", () => {
    const [record] = readCsvRecords(file('proto.csv', 'seconds\n1\n'));
    expect('toString' in record).toBe(false);
    expect('constructor' in record).toBe(false);
    expect('seconds' in record).toBe(true);
  });

  it('an empirical column named toString is a missing column, not a function read as a value', async () => {
    file('bytes.csv', 'bytes\n100\n');
    const path = file(
      'proto.yaml',
      `duration: 10s
workload:
  arrivals: { constant: { rate: 1 } }
  request_bytes: { empirical: { path: bytes.csv, column: toString } }
fleets:
  - { name: cpu, replicas: 1, price_per_hour: 1, service_time: 10ms }
`,
    );
    const error = await runScenario(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(formatDiagnostic((error as UserError).diagnostic)).toBe(
      `${join(dir, 'bytes.csv')}:1:1: no column "toString"; columns: "bytes"`,
    );
  });

  it('a malformed one is a user error at the line csv-parse stopped at', () => {
    expect(errorOf(() => readCsvRecords(file('short.csv', 'start,end\n5,100\n7\n')))).toBe(
      'short.csv:3:1: invalid CSV: a row of 1 field(s) where the header has 2',
    );
    expect(errorOf(() => readCsvRecords(file('long.csv', 'time\n1\n2,3,4\n')))).toBe(
      'long.csv:3:1: invalid CSV: a row of 3 field(s) where the header has 1',
    );
    expect(errorOf(() => readCsvRecords(file('quote.csv', 'time\n1\n"2\n3\n')))).toBe(
      'quote.csv:4:1: invalid CSV: a quoted field is not closed before the end of the file',
    );
    expect(errorOf(() => readCsvRecords(file('inner.csv', 'time\n1 "x"\n')))).toBe(
      'inner.csv:2:1: invalid CSV: a quote inside an unquoted field (quote the whole field and double the quote)',
    );
  });

  it('an empirical service time with a malformed row fails the run as a user error, not an internal one', async () => {
    file('service.csv', 'seconds\n0.2\n0.3,0.4\n');
    const scenario = `duration: 10s
workload: { arrivals: { constant: { rate: 1 } } }
fleets:
  - { name: cpu, replicas: 1, price_per_hour: 1, service_time: { empirical: { path: service.csv, column: seconds } } }
`;
    const path = file('s.yaml', scenario);
    const error = await runScenario(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(formatDiagnostic((error as UserError).diagnostic)).toBe(
      `${join(dir, 'service.csv')}:3:1: invalid CSV: a row of 2 field(s) where the header has 1`,
    );
  });
});
