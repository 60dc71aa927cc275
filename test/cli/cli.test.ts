import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import { folderNameOf } from '../../src/cli/flags.js';
import type { CliIo } from '../../src/cli/io.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/cli');

async function cli(args: string[], cwd = FIXTURES) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('fleetsim run', () => {
  it('writes summary.json, summary.md, timeseries.csv, the report files and prints a table', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-run-'));
    const { code, stdout, stderr } = await cli(['run', 'tiny.yaml', '--out', out]);
    expect(stderr).toMatch(/2 variant\(s\)/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^variant\s+objective\s+completed/);
    expect(stdout).toMatch(/\nbaseline\s+(meets|MISSES)\s+\d+/);
    expect(stdout).toMatch(/\nthree\s+(meets|MISSES)\s+\d+/);
    expect(stdout).toMatch(/\n\nObjective: drop rate <= 1\.0 % \(the default/);
    expect(readdirSync(out).sort()).toEqual([
      '.fleetsim',
      'capacity-events.json',
      'charts',
      'distributions.json',
      'report-options.json',
      'report.html',
      'scenario.yaml',
      'summary.json',
      'summary.md',
      'timeseries.csv',
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.scenario).toBe('tiny');
    expect(summary.seed).toBe(3);
    expect(summary.variants.map((v: { name: string }) => v.name)).toEqual(['baseline', 'three']);
    const [baseline, three] = summary.variants;
    for (const v of summary.variants) {
      const r = v.requests;
      expect(r.arrived).toBe(r.completed + r.dropped + r.timed_out + r.in_flight_at_end);
      expect(Object.keys(v.latency_s)).toEqual(['mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max']);
      expect(Object.keys(v.utilization)).toEqual(['gpu']);
    }
    // Common random numbers: both variants see the very same arrivals.
    expect(three.requests.arrived).toBe(baseline.requests.arrived);
    // Two vs three replicas at $1.5/h for the 10 minutes the run lasts (it drains within seconds).
    const hours = baseline.simulated_s.end / 3600;
    expect(baseline.cost_usd.total).toBeCloseTo((2 * 1.5 * Math.ceil(hours * 3600)) / 3600, 6);
    const csv = readFileSync(join(out, 'timeseries.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'variant,time_s,arrivals,completed,dropped,timed_out,queue_length,busy_slots,utilization,replicas,cost_usd_per_hour,busy_slots.gpu,replicas.gpu,cost_usd_per_hour.gpu',
    );
    // One fleet: its own replicas and cost rate are the totals, row by row.
    for (const line of csv.slice(1)) {
      const cells = line.split(',');
      expect(cells[12]).toBe(cells[9]);
      expect(cells[13]).toBe(cells[10]);
    }
    const arrivals = csv
      .slice(1)
      .filter((line) => line.startsWith('baseline,'))
      .reduce((sum, line) => sum + Number(line.split(',')[2]), 0);
    expect(arrivals).toBeGreaterThan(baseline.requests.arrived);
  });

  it('--json prints summary.json, --seed and --set override the scenario', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-run-'));
    const { code, stdout } = await cli([
      'run',
      'tiny.yaml',
      '--out',
      out,
      '--json',
      '--seed',
      '11',
      '--set',
      'fleets.0.replicas=4',
    ]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.seed).toBe(11);
    expect(stdout).toBe(readFileSync(join(out, 'summary.json'), 'utf8'));
    // --set applies to the base; the variant's own set (3 replicas) still wins for it.
    expect(summary.variants[0].cost_usd.by_fleet.gpu / summary.variants[1].cost_usd.by_fleet.gpu).toBeCloseTo(
      4 / 3,
      8,
    );
  });

  it('warns about a fleet near saturation whose queue keeps growing, and only about that variant', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-run-'));
    // One replica of two slots at 8 requests/s of about 260 ms each: 104 % of its capacity.
    const { code, stderr } = await cli([
      'run',
      'tiny.yaml',
      '--out',
      out,
      '--set',
      'workload.arrivals.poisson.rate=8',
      '--set',
      'fleets.0.replicas=1',
      '--set',
      'fleets.0.queue.capacity=100000',
      '--set',
      'fleets.0.queue.timeout=1h',
    ]);
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((line) => line.startsWith('fleetsim: warning:'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^fleetsim: warning: baseline: fleet gpu is 9\d\.\d % utilized/);
    expect(warnings[1]).toMatch(
      /^fleetsim: warning: baseline: the queue grew from .* the fleet cannot keep up/,
    );
  });

  it('the same seed gives a byte-identical summary.json', async () => {
    const a = mkdtempSync(join(tmpdir(), 'fleetsim-a-'));
    const b = mkdtempSync(join(tmpdir(), 'fleetsim-b-'));
    await cli(['run', 'tiny.yaml', '--out', a, '--quiet']);
    await cli(['run', 'tiny.yaml', '--out', b, '--quiet']);
    expect(readFileSync(join(b, 'summary.json'), 'utf8')).toBe(readFileSync(join(a, 'summary.json'), 'utf8'));
  });
});

describe('the default output folder', () => {
  it('is one safe folder under out/, whatever the scenario is named', async () => {
    expect(folderNameOf('chat-demo')).toBe('chat-demo');
    expect(folderNameOf('../../../victim')).toBe('victim');
    expect(folderNameOf('a/b\\c d\0e')).toBe('a-b-c-d-e');
    // Cut or emptied names end in the first 8 hex digits of the SHA-256 of the whole name.
    const hash = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 8);
    expect(folderNameOf('..')).toBe(`scenario-${hash('..')}`);
    expect(folderNameOf('模型评测')).toBe(`scenario-${hash('模型评测')}`);
    expect(folderNameOf('x'.repeat(100))).toBe('x'.repeat(100));
    expect(folderNameOf(`${'x'.repeat(299)}a`)).toBe(`${'x'.repeat(91)}-${hash(`${'x'.repeat(299)}a`)}`);
    expect(folderNameOf(`${'x'.repeat(299)}b`)).toBe(`${'x'.repeat(91)}-${hash(`${'x'.repeat(299)}b`)}`);
    expect(hash(`${'x'.repeat(299)}a`)).not.toBe(hash(`${'x'.repeat(299)}b`));
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-name-'));
    const work = join(dir, 'a', 'b', 'c');
    mkdirSync(work, { recursive: true });
    writeFileSync(
      join(work, 'evil.yaml'),
      readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8').replace('name: tiny', 'name: "../../../victim"'),
    );
    for (const command of ['run', 'compare']) {
      const { code, stderr } = await cli([command, 'evil.yaml', '--quiet'], work);
      expect(code, stderr).toBe(0);
    }
    expect(readdirSync(join(work, 'out')).sort()).toEqual(['compare-victim', 'victim']);
    expect(readdirSync(dir)).toEqual(['a']);
  });
});

describe('--out', () => {
  it('refuses a folder holding files fleetsim did not write, unless --force, and leaves them alone', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-foreign-'));
    writeFileSync(join(out, 'report.html'), 'mine');
    const refused = await cli(['run', 'tiny.yaml', '--out', out, '--quiet']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `fleetsim: --out: ${out} holds files that fleetsim did not write; choose a new or empty folder, or pass --force to write (and replace files) there\n`,
    );
    expect(readdirSync(out)).toEqual(['report.html']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('mine');
    expect((await cli(['compare', 'tiny.yaml', '--out', out, '--quiet'])).code).toBe(2);
    const forced = await cli(['run', 'tiny.yaml', '--out', out, '--quiet', '--force']);
    expect(forced.code).toBe(0);
    // Marked as fleetsim's now: the next run needs no --force.
    expect(existsSync(join(out, '.fleetsim'))).toBe(true);
    expect((await cli(['run', 'tiny.yaml', '--out', out, '--quiet'])).code).toBe(0);
  });
});

describe('--check: a gate for CI', () => {
  // Every service time is at least 50 ms ("50ms + 2ms * output_tokens"): no request can meet 10 ms.
  it('run exits 0 when the baseline meets its objective and 3, with one line, when it misses', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-check-'));
    const met = await cli(['run', 'tiny.yaml', '--out', out, '--check', '--quiet']);
    expect(met.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).variants[0].slo.met).toBe(true);
    const missed = await cli([
      'run',
      'tiny.yaml',
      '--out',
      out,
      '--check',
      '--quiet',
      '--set',
      'slo.latency_p99=10ms',
    ]);
    expect(missed.code).toBe(3);
    const lines = missed.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^fleetsim: check failed: baseline misses its objective: latency_p99 \S+ ms > 10\.0 ms$/,
    );
    // The outputs are written all the same, with the verdict in them.
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.variants[0].slo).toMatchObject({ met: false, default: false });
    expect(summary.variants[0].slo.objectives.map((o: { objective: string }) => o.objective)).toEqual([
      'latency_p99',
      'max_drop_rate',
    ]);
    // Without --check the same miss is reported but the exit code stays 0.
    expect(
      (await cli(['run', 'tiny.yaml', '--out', out, '--quiet', '--set', 'slo.latency_p99=10ms'])).code,
    ).toBe(0);
  });

  it('compare exits 3 with one line per configuration that misses, 0 when all meet', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-check-'));
    const missed = await cli([
      'compare',
      'tiny.yaml',
      '--out',
      out,
      '--check',
      '--quiet',
      '--set',
      'slo.latency_p99=10ms',
    ]);
    expect(missed.code).toBe(3);
    expect(
      missed.stderr
        .trim()
        .split('\n')
        .map((l) => l.replace(/:.*$/, '')).length,
    ).toBe(2);
    expect(missed.stderr).toMatch(/check failed: baseline misses/);
    expect(missed.stderr).toMatch(/check failed: three misses/);
    const met = await cli([
      'compare',
      'tiny.yaml',
      '--out',
      out,
      '--check',
      '--quiet',
      '--set',
      'slo.latency_p99=1h',
    ]);
    expect(met.code).toBe(0);
    expect(met.stderr).toBe('');
  });

  it('plan exits 3 when no candidate meets the objective', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-check-'));
    const plan = (limit: string) =>
      cli([
        'plan',
        'tiny.yaml',
        '--out',
        out,
        '--vary',
        'fleets.0.replicas=1..2',
        '--set',
        `slo.latency_p99=${limit}`,
        '--no-capacity',
        '--workers',
        '1',
        '--check',
        '--quiet',
      ]);
    const missed = await plan('10ms');
    expect(missed.code).toBe(3);
    expect(missed.stderr).toBe(
      'fleetsim: check failed: plan: no candidate meets the objective (plan.json shows what each missed)\n',
    );
    expect(JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')).best).toBeNull();
    expect((await plan('1h')).code).toBe(0);
  });
});

describe('user errors: one line file:line:col, exit code 2', () => {
  const cases: [string, string[], string][] = [
    [
      'bad YAML',
      ['run', 'bad-yaml.yaml'],
      'bad-yaml.yaml:5:1: flow map in block collection must be sufficiently indented and end with a }',
    ],
    [
      'unknown key',
      ['run', 'unknown-key.yaml'],
      'unknown-key.yaml:8:5: fleets[0].replica: unknown key; did you mean "replicas"?',
    ],
    [
      'bad unit',
      ['validate', 'bad-unit.yaml'],
      'bad-unit.yaml:2:11: duration: expected a duration like 250ms, 30s, 5m, 2h, 1d; got "1 fortnight"',
    ],
    [
      'missing trace file',
      ['run', 'missing-trace.yaml'],
      `missing-trace.yaml:4:20: workload.arrivals.trace.path: file not found: ${join(FIXTURES, 'nowhere.csv')}`,
    ],
    [
      'bad trace row',
      ['run', 'bad-row.yaml'],
      'bad-row.csv:3:2: column "ContextTokens": expected a non-negative number, got "abc"',
    ],
    [
      'missing scenario file',
      ['run', 'absent.yaml'],
      `absent.yaml:1:1: file not found: ${join(FIXTURES, 'absent.yaml')}`,
    ],
    ['bad --seed', ['run', 'tiny.yaml', '--seed', 'abc'], 'fleetsim: --seed: expected an integer, got "abc"'],
    [
      'too many --workers',
      ['run', 'tiny.yaml', '--replications', '2', '--workers', '1000'],
      'fleetsim: --workers: at most 64 worker threads, got 1000',
    ],
    [
      'too many --workers for a sweep',
      ['sweep', 'tiny.yaml', '--out', 'o', '--grid', 'fleets.0.replicas=[1, 2]', '--workers', '65'],
      'fleetsim: --workers: at most 64 worker threads, got 65',
    ],
    [
      'bad --set',
      ['run', 'tiny.yaml', '--set', 'fleets.0.replicas=-1'],
      '--set:1:19: fleets[0].replicas: expected a positive integer',
    ],
    [
      '--out naming a file',
      ['run', 'tiny.yaml', '--out', 'tiny.yaml/results'],
      `fleetsim: --out: ${join(FIXTURES, 'tiny.yaml')} is a file, not a folder (above ${join(FIXTURES, 'tiny.yaml/results')})`,
    ],
    [
      '--out of compare naming a file',
      ['compare', 'tiny.yaml', '--out', 'tiny.yaml'],
      `fleetsim: --out: ${join(FIXTURES, 'tiny.yaml')} is a file, not a folder`,
    ],
    ['unknown command', ['frobnicate'], 'fleetsim: Unknown argument: frobnicate'],
    [
      'mistyped command',
      ['comapre', 'a.yaml'],
      'fleetsim: Unknown arguments: comapre, a.yaml; did you mean "compare"?',
    ],
    [
      'batching without batch_latency',
      ['validate', 'batching-without-latency.yaml'],
      'batching-without-latency.yaml:9:15: fleets[0].batching: batching policy static needs batch_latency',
    ],
    [
      'service-time expression that turns negative',
      ['run', 'negative-service-time.yaml'],
      'fleetsim: service_time "1s - 10ms * output_tokens" gave -1 s for a request with input_tokens=0, output_tokens=200',
    ],
    [
      'rate expression that turns negative',
      ['run', 'negative-rate.yaml'],
      'fleetsim: rate "10 * sin(2 * pi * t / 1m)" is',
    ],
  ];
  for (const [label, args, message] of cases) {
    it(label, async () => {
      const { code, stdout, stderr } = await cli(args);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.split('\n')[0]).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(stderr).not.toMatch(/\n\s+at /);
    });
  }

  it('reports every scenario error at once, in file order', async () => {
    const { code, stderr } = await cli(['validate', 'bad-unit.yaml']);
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/bad-unit.yaml:9:19: fleets\[0\].service_time: .*unknown name "parsecs"/);
  });

  it('prints the first 50 of thousands of errors and how many more; validate --json lists them all', async () => {
    // 2,000 fleets, each with an unknown unit and all but the first with a taken name: 3,999 errors.
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-many-errors-'));
    const fleet = '  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100 parsecs }\n';
    const text = `duration: 60\nworkload: { arrivals: { poisson: { rate: 1 } } }\nfleets:\n${fleet.repeat(2000)}`;
    writeFileSync(join(dir, 'many.yaml'), text);
    const { code, stderr } = await cli(['run', 'many.yaml'], dir);
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(51);
    expect(lines[0]).toMatch(/^many.yaml:4:64: fleets\[0\].service_time: /);
    expect(lines[50]).toBe(
      'fleetsim: 3,949 more error(s) not shown; fleetsim validate --json lists them all',
    );
    const json = await cli(['validate', 'many.yaml', '--json'], dir);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as { diagnostics: unknown[] }).diagnostics).toHaveLength(3999);
  });
});

describe('batching fleets', () => {
  it('run batches from the YAML keys and report batch sizes per fleet', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-batch-'));
    const { code, stdout } = await cli(['run', 'batching.yaml', '--out', out, '--json']);
    expect(code).toBe(0);
    const [curve, table] = JSON.parse(stdout).variants;
    for (const v of [curve, table]) {
      const { count, mean_size, sizes } = v.batches.cpu;
      expect(count).toBeGreaterThan(0);
      expect(Math.max(...Object.keys(sizes).map(Number))).toBeLessThanOrEqual(32);
      // 400 req/s over 2 replicas with a 5 ms window gathers about one request per 5 ms per
      // replica, plus whatever arrived during the previous batch: small batches, never empty.
      expect(mean_size).toBeGreaterThan(1);
      expect(v.requests.completed).toBe(v.requests.arrived);
    }
    // The table's line, 9 ms at 1 and 46 ms at 32, lies just under 8 ms + 1.2 ms * b at every size.
    expect(table.latency_s.mean).toBeLessThan(curve.latency_s.mean);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/Batches on cpu: \d+, mean size/);
  });
});

describe('other commands', () => {
  it('validate accepts the demo scenario and lists its variants', async () => {
    const { code, stdout } = await cli(['validate', join(ROOT, 'scenarios/demo.yaml')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/ok \(4 variant\(s\): baseline, one-l40s, a10g-int8, a10g-bf16\)/);
  });

  it('schema prints the draft-7 JSON Schema that the shipped schema file holds', async () => {
    const { code, stdout } = await cli(['schema']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(JSON.parse(stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'schema/scenario.schema.json'), 'utf8')),
    );
  });

  it('trace stats picks the preset a trace header names when no format is given', async () => {
    const { code, stdout } = await cli([
      'trace',
      'stats',
      join(ROOT, 'test/fixtures/traces/mooncake-synthetic-200.jsonl'),
      '--json',
    ]);
    expect(code).toBe(0);
    const stats = JSON.parse(stdout);
    expect(stats.format).toBe('mooncake');
    expect(stats.requests).toBe(200);
    // The first record of the fixture: {"timestamp": 0, "input_length": 40160, "output_length": 6, ...}.
    expect(stats.attributes.input_tokens.max).toBeGreaterThanOrEqual(40160);
  });

  it('trace stats without a format reports a missing file as missing, not as a missing column', async () => {
    const { code, stderr } = await cli(['trace', 'stats', join(ROOT, 'traces/nope.csv')]);
    expect(code).toBe(2);
    expect(stderr).toBe(`fleetsim: ${join(ROOT, 'traces/nope.csv')}: file not found\n`);
  });

  it('trace stats refuses a FIFO instead of blocking on its header', async () => {
    const fifo = join(mkdtempSync(join(tmpdir(), 'fleetsim-fifo-')), 'trace.csv');
    execFileSync('mkfifo', [fifo]);
    for (const args of [[], ['--format', 'azure-llm']]) {
      const { code, stderr } = await cli(['trace', 'stats', fifo, ...args]);
      expect(code).toBe(2);
      expect(stderr).toBe(`fleetsim: ${fifo}: not a file\n`);
    }
  });

  it('trace stats reads the shipped Azure trace', async () => {
    const { code, stdout } = await cli([
      'trace',
      'stats',
      join(ROOT, 'traces/azure-llm-2023-conv.csv'),
      '--format',
      'azure-llm',
      '--json',
    ]);
    expect(code).toBe(0);
    const stats = JSON.parse(stdout);
    expect(stats.requests).toBe(19366);
    expect(stats.peak_requests_1s).toBe(16);
  });
});

describe('the built CLI', () => {
  beforeAll(() => {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  }, 120_000);

  it('npm start runs the demo end to end and writes its report', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'fleetsim-demo-'));
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run'], {
      cwd,
      encoding: 'utf8',
    });
    expect(result.stderr).toMatch(/4 variant\(s\)/);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/a10g-bf16/);
    for (const file of ['summary.json', 'summary.md', 'timeseries.csv']) {
      expect(existsSync(join(cwd, 'out/chat-demo', file))).toBe(true);
    }
    const summary = JSON.parse(readFileSync(join(cwd, 'out/chat-demo/summary.json'), 'utf8'));
    expect(
      summary.variants[0].requests.arrived + summary.variants[0].requests.in_flight_at_end,
    ).toBeGreaterThan(15_000);
  });

  it('exits 2 with one line for a user error', () => {
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'run', 'unknown-key.yaml'], {
      cwd: FIXTURES,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      'unknown-key.yaml:8:5: fleets[0].replica: unknown key; did you mean "replicas"?\n',
    );
  });
});
