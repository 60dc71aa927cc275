import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import { comparisonLabels } from '../../src/cli/commands/compare.js';
import type { CliIo } from '../../src/cli/io.js';
import { writeRunReport } from '../../src/report/index.js';
import type { LoadedScenario } from '../../src/scenario/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = join(ROOT, 'test/fixtures/cli/tiny.yaml');
const TINY_FOUR = join(ROOT, 'test/report/fixtures/tiny-four.yaml');

async function cli(args: string[], cwd = ROOT) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const read = (path: string) => readFileSync(path);

describe('fleetsim run: charts and report', () => {
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'fleetsim-report-'));
    const { code, stderr } = await cli([
      'run',
      TINY,
      '--out',
      out,
      '--set',
      'fleets.0.concurrency=3',
      '--png',
    ]);
    expect(stderr).toMatch(/report\.html and 7 chart\(s\)/);
    expect(code).toBe(0);
  });

  it('writes distributions.json whose points agree with the quantiles of summary.json', () => {
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const distributions = JSON.parse(readFileSync(join(out, 'distributions.json'), 'utf8'));
    expect(distributions.variants.map((v: { name: string }) => v.name)).toEqual(['baseline', 'three']);
    for (const [i, v] of distributions.variants.entries()) {
      const points = new Map<number, number>(v.latency_s);
      const latency = summary.variants[i].latency_s;
      expect(points.get(0.5)).toBe(latency.p50);
      expect(points.get(0.99)).toBe(latency.p99);
      expect(points.get(1)).toBe(latency.max);
      expect(v.latency_s[0][0]).toBe(0.01);
      const requests = summary.variants[i].requests;
      expect(v.completed_share).toBeCloseTo(requests.completed / requests.arrived, 9);
      // No LLM fleet in tiny.yaml.
      expect(v.ttft_s).toEqual([]);
    }
  });

  it('writes each chart as .vl.json, .svg and (with --png) .png, and a report with the scenario and its overrides', () => {
    const charts = readdirSync(join(out, 'charts')).sort();
    const names = [
      'cost-breakdown',
      'cost-vs-p99',
      'latency-cdf',
      'latency-histogram',
      'latency-percentiles',
      'timeline',
      'unit-costs',
    ];
    expect(charts).toEqual(names.flatMap((n) => [`${n}.png`, `${n}.svg`, `${n}.vl.json`]));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(
      '# Run with --set fleets.0.concurrency=3 (applied to the base before the variants)\nname: tiny',
    );
    expect(html).toContain('common random numbers');
  });

  it('fleetsim report DIR draws the same charts and report again from the files', async () => {
    const before = new Map(
      ['report.html', ...readdirSync(join(out, 'charts')).map((f) => `charts/${f}`)].map((f) => [
        f,
        read(join(out, f)),
      ]),
    );
    rmSync(join(out, 'charts'), { recursive: true });
    rmSync(join(out, 'report.html'));
    const { code, stderr } = await cli(['report', out]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/wrote .*report\.html and 7 chart\(s\)/);
    for (const [file, content] of before) expect(read(join(out, file)).equals(content), file).toBe(true);
  });

  it('a chart selection is kept for fleetsim report, and charts (and PNGs) no longer drawn are removed', async () => {
    await writeRunReport(out, { charts: ['timeline', 'latency-cdf'] });
    const drawn = ['latency-cdf.svg', 'latency-cdf.vl.json', 'timeline.svg', 'timeline.vl.json'];
    expect(readdirSync(join(out, 'charts')).sort()).toEqual(drawn);
    writeFileSync(join(out, 'charts/notes.txt'), 'kept: not a chart file');
    expect((await cli(['report', out])).code).toBe(0);
    expect(readdirSync(join(out, 'charts')).sort()).toEqual([...drawn, 'notes.txt'].sort());
    expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toContain('id="chart-unit-costs"');
  });

  it('fleetsim report writes no chart through a charts/ that links into a folder of the user', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-link-'));
    const { code } = await cli(['run', TINY, '--out', join(dir, 'run'), '--quiet']);
    expect(code).toBe(0);
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'latency-cdf.png'), 'a picture of mine');
    writeFileSync(join(mine, 'timeline.svg'), 'a drawing of mine');
    rmSync(join(dir, 'run', 'charts'), { recursive: true });
    symlinkSync(mine, join(dir, 'run', 'charts'));
    const report = await cli(['report', join(dir, 'run')], dir);
    expect(report.stderr).toBe(
      `fleetsim: ${join(dir, 'run', 'charts')}: a link; charts are written only into a folder of fleetsim's own (remove it, and the charts are drawn there anew)\n`,
    );
    expect(report.code).toBe(2);
    expect(readdirSync(mine).sort()).toEqual(['latency-cdf.png', 'timeline.svg']);
    expect(readFileSync(join(mine, 'timeline.svg'), 'utf8')).toBe('a drawing of mine');
  });

  it('fleetsim report names the missing file of a folder that is not a run output', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'fleetsim-empty-'));
    const { code, stderr } = await cli(['report', empty], empty);
    expect(code).toBe(2);
    expect(stderr).toBe('fleetsim: summary.json: missing (is this a folder written by fleetsim run?)\n');
    writeFileSync(join(empty, 'summary.json'), '{"scenario": "x", "seed": 1, "variants": [');
    const broken = await cli(['report', empty], empty);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/^fleetsim: summary\.json: not valid JSON \(.*\)\n$/);
  });
});

describe('fleetsim compare', () => {
  it('labels configurations by scenario, by file name where scenario names repeat, and numbers a repeated file', () => {
    const file = (path: string, name: string, variants: string[]) => ({
      path,
      scenario: { name, variants: variants.map((v) => ({ name: v })) } as unknown as LoadedScenario,
    });
    expect(comparisonLabels([file('/a/x.yaml', 'x', ['baseline', 'big'])])).toEqual([['baseline', 'big']]);
    expect(
      comparisonLabels([
        file('/a/one.yaml', 'chat', ['baseline']),
        file('/b/two.yaml', 'chat', ['baseline', 'big']),
        file('/c/solo.yaml', 'solo', ['baseline']),
        file('/c/solo.yaml', 'solo', ['baseline']),
      ]),
    ).toEqual([['one'], ['two/baseline', 'two/big'], ['solo'], ['solo#2']]);
    // A file name is no scenario name the schema checked: its control characters are replaced.
    expect(
      comparisonLabels([
        file('/a/t\tab\u001b[2J.yaml', 'same', ['baseline']),
        file('/b/b.yaml', 'same', ['baseline']),
      ]),
    ).toEqual([['t\uFFFDab\uFFFD[2J'], ['b']]);
  });

  it('runs every file with the first seed, baseline first, and marks the cheapest meeting the SLO', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-'));
    const { code, stdout, stderr } = await cli(['compare', TINY_FOUR, TINY, '--out', out]);
    expect(stderr).toMatch(/3 configuration\(s\) from 2 file\(s\), seed 99/);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toMatch(/^metric\s+tiny-four\s+tiny\/baseline( \*)?\s+tiny\/three( \*)?$/);
    expect(stdout).toContain('SLO: latency_p99 <= 30.0 s, drop rate <= 1.0 %.');
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(comparison.seed).toBe(99);
    const rows = comparison.rows as { label: string; values: Record<string, number>; slo_met: boolean }[];
    // Same seed, same workload: common random numbers give every configuration the same arrivals.
    const completed = rows.map((r) => r.values['requests.completed'] + r.values['requests.lost']);
    expect(new Set(completed).size).toBe(1);
    // Every configuration keeps p99 under 30 s here, so the pick is simply the cheapest per request.
    expect(rows.every((r) => r.slo_met)).toBe(true);
    const cheapest = rows.reduce((a, b) =>
      b.values.cost_per_1k_requests_usd < a.values.cost_per_1k_requests_usd ? b : a,
    );
    expect(comparison.pick).toEqual({ label: cheapest.label, basis: 'cheapest meeting the SLO' });
    expect(stdout).toMatch(new RegExp(`^metric .*${cheapest.label.replace('/', '\\/')} \\*`));
    expect(readdirSync(out).sort()).toEqual([
      '.fleetsim',
      'charts',
      'comparison.csv',
      'comparison.json',
      'comparison.md',
      'report.html',
    ]);
    expect(readFileSync(join(out, 'comparison.md'), 'utf8')).toContain('seed 99 and common random numbers');
    expect(readdirSync(join(out, 'charts'))).toContain('cost-vs-p99.svg');
  });

  it('warns about a configuration near saturation, naming it by its comparison label', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-'));
    // One replica of two slots at 8 requests/s of about 260 ms each: 104 % of its capacity; "three" copes.
    const overloaded = [
      'workload.arrivals.poisson.rate=8',
      'fleets.0.replicas=1',
      'fleets.0.queue.timeout=1h',
    ];
    const { code, stderr } = await cli([
      'compare',
      TINY,
      '--out',
      out,
      ...overloaded.flatMap((set) => ['--set', set]),
      '--set',
      'fleets.0.queue.capacity=100000',
    ]);
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((line) => line.startsWith('fleetsim: warning: '));
    expect(warnings.filter((w) => !w.includes('within noise'))).toEqual([
      expect.stringMatching(/^fleetsim: warning: baseline: fleet gpu is 9\d\.\d % utilized/),
      expect.stringMatching(/^fleetsim: warning: baseline: the queue grew from /),
    ]);
  });

  it('--json prints comparison.json; a broken file is reported with its location', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-'));
    const ok = await cli(['compare', TINY, '--out', out, '--json', '--seed', '5']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(JSON.parse(ok.stdout).rows.map((r: { label: string }) => r.label)).toEqual(['baseline', 'three']);
    const bad = await cli(['compare', TINY, 'test/fixtures/cli/unknown-key.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^test\/fixtures\/cli\/unknown-key\.yaml:\d+:\d+: .*replica/);
  });
});
