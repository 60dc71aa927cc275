import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { escapeMarkdown } from '../../src/report/format.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/cli');
const SKIP = ['--set', 'workload.arrivals.trace.on_bad_row=skip'];

async function cli(args: string[], cwd = FIXTURES) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

// bad-rows.csv: 30 good rows, at t = 0..29 s; after each of the rows t = 1..12 s a bad one, whose
// input tokens read "bad1".."bad12", on lines 4, 6, ..., 26.
const badLine = (k: number) =>
  `bad-rows.csv:${2 + 2 * k}:2: column "in": expected a non-negative number, got "bad${k}"`;

describe('fleetsim validate reads the trace', () => {
  it('lists the first ten bad rows, located, and counts the rest on one more line (exit 2)', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'bad-rows.yaml']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      ...Array.from({ length: 10 }, (_, i) => badLine(i + 1)),
      'bad-rows.csv:24:1: and 2 more bad rows from this one on (12 in all)',
      '',
    ]);
  });

  it('a file that run refuses is refused by validate too', async () => {
    const run = await cli(['run', 'bad-row.yaml']);
    const validate = await cli(['validate', 'bad-row.yaml']);
    expect(run.code).toBe(2);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toBe(run.stderr);
  });

  it('under on_bad_row: skip, the same rows are warnings and the scenario is ok', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'bad-rows.yaml', ...SKIP]);
    expect(code).toBe(0);
    expect(stdout).toBe('bad-rows.yaml: ok (1 variant(s): baseline); trace: 30 request(s) read\n');
    expect(stderr.split('\n')).toEqual([
      'fleetsim: warning: bad-rows.csv: 12 bad rows, which a run skips (on_bad_row: skip), so it replays fewer requests than the file holds:',
      ...Array.from({ length: 10 }, (_, i) => badLine(i + 1)),
      'bad-rows.csv:24:1: and 2 more bad rows from this one on (12 in all)',
      '',
    ]);
  });

  it('reads only the window a run replays: bad rows after `limit` are not its concern', async () => {
    const { code, stdout } = await cli([
      'validate',
      'bad-rows.yaml',
      '--set',
      'workload.arrivals.trace.limit=2',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/trace: 2 request\(s\) read/);
  });

  it('an unsorted trace: the error names the command that sorts it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-unsorted-'));
    writeFileSync(join(dir, 'unsorted.csv'), 't,in,out\n0,1,1\n5,1,1\n2,1,1\n');
    writeFileSync(
      join(dir, 'unsorted.yaml'),
      readFileSync(join(FIXTURES, 'bad-rows.yaml'), 'utf8').replace('bad-rows.csv', 'unsorted.csv'),
    );
    const { code, stderr } = await cli(['validate', 'unsorted.yaml'], dir);
    expect(code).toBe(2);
    const path = join(dir, 'unsorted.csv');
    expect(stderr).toBe(
      'unsorted.csv:4:1: column "t": arrival times must not decrease (previous 5 s, this 2 s after the first request): ' +
        `sort the file by time first, e.g. (head -n 1 '${path}' && tail -n +2 '${path}' | LC_ALL=C sort -s -t, -k1,1g) > '${join(dir, 'unsorted.sorted.csv')}'\n`,
    );
  });
});

describe('a run that skips bad rows says so in everything a person reads', () => {
  it('terminal, summary.json, summary.md and report.html', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-skip-'));
    const { code, stderr } = await cli(['run', 'bad-rows.yaml', ...SKIP, '--out', out]);
    expect(code).toBe(0);
    const warning =
      'skipped 12 bad rows of the trace (on_bad_row: skip), so it replays fewer requests than the file holds: ' +
      `${[1, 2, 3].map(badLine).join('; ')}; and 9 more`;
    expect(stderr).toContain(`fleetsim: warning: baseline: ${warning}\n`);
    const [variant] = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).variants;
    expect(variant.skipped_trace_rows).toEqual({ count: 12, first: [1, 2, 3].map(badLine) });
    expect(variant.warnings).toEqual([warning]);
    // The 30 good rows, every one of them served.
    expect(variant.requests.arrived).toBe(30);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(
      `- **Warning:** ${escapeMarkdown(warning)}.`,
    );
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('skipped 12 bad rows of the trace');
  });

  it('replications count the warning in each of them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-skip-reps-'));
    const { code, stderr } = await cli([
      'run',
      'bad-rows.yaml',
      ...SKIP,
      '--out',
      out,
      '--replications',
      '2',
      '--workers',
      '1',
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/fleetsim: warning: baseline: skipped 12 bad rows .* \(2 of 2 replications\)\n/);
  });

  it('without skip, the first bad row stops the run, located', async () => {
    const { code, stderr } = await cli(['run', 'bad-rows.yaml']);
    expect(code).toBe(2);
    expect(stderr).toBe(`${badLine(1)}\n`);
  });
});

describe('fleetsim trace stats checks the columns a run reads', () => {
  const file = join(FIXTURES, 'bad-rows.csv');
  const columns = ['--time-column', 't', '--column', 'input_tokens=in', '--column', 'output_tokens=out'];

  it('with --column, a token count that is not a number is an error, as in a run', async () => {
    const { code, stderr } = await cli(['trace', 'stats', 'bad-rows.csv', ...columns]);
    expect(code).toBe(2);
    expect(stderr).toBe(`${badLine(1)}\n`);
  });

  it('--on-bad-row skip counts the rows it passed over', async () => {
    const { code, stdout } = await cli([
      'trace',
      'stats',
      file,
      ...columns,
      '--on-bad-row',
      'skip',
      '--json',
    ]);
    expect(code).toBe(0);
    const stats = JSON.parse(stdout);
    expect(stats.requests).toBe(30);
    expect(stats.attributes.input_tokens.max).toBe(129);
    expect(stats.skipped_rows.count).toBe(12);
    expect(stats.skipped_rows.first[0]).toEqual({
      line: 4,
      col: 2,
      message: 'column "in": expected a non-negative number, got "bad1"',
    });
  });

  it('token counts of 1e308 in columns that stay apart, their mean not overflowing to Infinity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-huge-tokens-'));
    writeFileSync(join(dir, 'huge.csv'), 't,in,out\n0,1e308,1e308\n1,1e308,1e308\n2,1e308,5\n');
    const { code, stdout } = await cli(['trace', 'stats', 'huge.csv', ...columns], dir);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(-4)).toEqual([
      '  attribute               mean         p50         p90         p99         max',
      '  input_tokens      1.000e+308  9.974e+307  9.974e+307  9.974e+307  1.000e+308',
      '  output_tokens     6.667e+307  9.974e+307  9.974e+307  9.974e+307  1.000e+308',
      '',
    ]);
  });

  it('an attribute it does not know is a usage error', async () => {
    const { code, stderr } = await cli([
      'trace',
      'stats',
      file,
      '--time-column',
      't',
      '--column',
      'prompt=in',
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe('fleetsim: --column: Unrecognized key: "prompt"\n');
  });
});
