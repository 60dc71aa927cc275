import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { replicationSeeds } from '../../src/plan/index.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import type { LoadedScenario } from '../../src/scenario/types.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = join(ROOT, 'test/fixtures/cli/tiny.yaml');
const TINY_FOUR = join(ROOT, 'test/report/fixtures/tiny-four.yaml');
/** Drawing no charts keeps these tests fast; the error bars of replications are tested on their own. */
const NO_CHARTS = ['--set', 'report.charts=[]'];

async function cli(args: string[], cwd = ROOT) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

async function load(path: string, set: string[] = []): Promise<LoadedScenario> {
  const loaded = await loadScenarioFile(path, { set });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.value;
}

/** Mean and 95 % half-width by hand, with t(0.975) for 2 degrees of freedom from a t table. */
function interval(xs: number[]): { mean: number; halfWidth: number } {
  expect(xs).toHaveLength(3);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, halfWidth: (4.3027 * s) / Math.sqrt(xs.length) };
}

describe('fleetsim run --replications', () => {
  let out: string;
  let plain: string;
  let result: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'fleetsim-replications-'));
    plain = mkdtempSync(join(tmpdir(), 'fleetsim-replications-'));
    result = await cli(['run', TINY, '--out', out, '--replications', '3', '--workers', '1', ...NO_CHARTS]);
    expect(result.code).toBe(0);
    expect((await cli(['run', TINY, '--out', plain, '--quiet', ...NO_CHARTS])).code).toBe(0);
  });

  it('leaves summary.json the plain run: replication 1 is the run with its own seed', () => {
    const summary = readFileSync(join(out, 'summary.json'));
    expect(summary.equals(readFileSync(join(plain, 'summary.json')))).toBe(true);
    const file = JSON.parse(readFileSync(join(out, 'replications.json'), 'utf8'));
    expect(file.seed).toBe(3);
    expect(file.seeds).toHaveLength(3);
    expect(file.seeds[0]).toBe(3);
    expect(new Set(file.seeds).size).toBe(3);
  });

  it('writes the mean and 95 % CI of every figure to replications.json', async () => {
    const file = JSON.parse(readFileSync(join(out, 'replications.json'), 'utf8'));
    const scenario = await load(TINY, ['report.charts=[]']);
    const runs = (file.seeds as number[]).map((seed) => runLoadedScenario(scenario, seed).results);
    expect(file.variants.map((v: { name: string }) => v.name)).toEqual(['baseline', 'three']);
    for (const [i, variant] of file.variants.entries()) {
      expect(variant.replications).toBe(3);
      for (const [key, value] of [
        ['latency_s.p99', (r: (typeof runs)[0][0]) => r.latency_s.p99!],
        ['cost_usd.total', (r: (typeof runs)[0][0]) => r.cost_usd.total],
        ['utilization.gpu', (r: (typeof runs)[0][0]) => r.utilization.gpu],
      ] as const) {
        const expected = interval(runs.map((run) => value(run[i])));
        expect(variant.metrics[key]).toBeCloseTo(expected.mean, 9);
        expect(variant.ci95[key]).toBeCloseTo(expected.halfWidth, 3);
      }
    }
    expect(file.variants[0].metrics['latency_s.p99']).not.toBe(
      JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).variants[0].latency_s.p99,
    );
  });

  it('prints mean ± half-width per variant after the run table', () => {
    const [runTable, verdicts, replicationTable] = result.stdout.split('\n\n');
    expect(runTable).toMatch(/^variant\s+objective\s+completed/);
    expect(verdicts).toMatch(/^Objective: /);
    const lines = replicationTable.split('\n');
    expect(lines[0]).toMatch(/^Mean ± 95 % confidence half-width over 3 replications/);
    expect(lines[1]).toMatch(/^metric\s+baseline\s+three$/);
    const file = JSON.parse(readFileSync(join(out, 'replications.json'), 'utf8'));
    const p99 = lines.find((l) => l.startsWith('p99 latency'));
    const ms = (s: number) => (s === 0 ? '0 s' : `${(s * 1000).toPrecision(3)} ms`);
    const [baseline, three] = file.variants;
    expect(baseline.ci95['latency_s.p99']).toBeGreaterThan(0.01 * baseline.metrics['latency_s.p99']);
    expect(p99).toContain(`${ms(baseline.metrics['latency_s.p99'])} ± ${ms(baseline.ci95['latency_s.p99'])}`);
    // Three replicas hardly queue: p99 is the longest service time, in one sketch bucket every time,
    // so its interval is narrower than the sketch's 1 % and says nothing: `± <1 %`, with a footnote.
    expect(three.ci95['latency_s.p99']).toBeLessThan(0.01 * three.metrics['latency_s.p99']);
    expect(p99).toContain(`${ms(three.metrics['latency_s.p99'])} ± <1 %`);
    expect(replicationTable).toContain(
      '± <1 %: the percentile varied by less than the quantile sketch resolves',
    );
    expect(result.stderr).not.toContain('identical');
    expect(result.stderr).toMatch(
      /3 replication\(s\) of 2 variant\(s\) in [\d.]+ s; wrote .*replications\.json\n$/,
    );
  });

  it('warns about a fleet near saturation and a queue that keeps growing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-replications-'));
    // 3 requests/s of 0.5 s on one slot: offered load 1.5, the queue grows for the whole run.
    writeFileSync(
      join(dir, 'overload.yaml'),
      `name: overload
duration: 5m
workload:
  arrivals: { poisson: { rate: 3 } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 1, price_per_hour: 1, service_time: 500ms }
report: { charts: [] }
`,
    );
    const { code, stderr } = await cli(['run', 'overload.yaml', '--replications', '2', '--out', 'o'], dir);
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((l) => l.startsWith('fleetsim: warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^fleetsim: warning: baseline: fleet gpu is (9[5-9]|100)\.\d % utilized: near saturation .* \(2 of 2 replications\)$/,
      ),
      expect.stringMatching(/^fleetsim: warning: baseline: the queue grew from .* \(2 of 2 replications\)$/),
    ]);
    const quiet = await cli(['run', 'overload.yaml', '--replications', '2', '--out', 'o', '--quiet'], dir);
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('rejects counts that are not positive integers, and --workers without --replications', async () => {
    const cases: [string[], string][] = [
      [['--replications', '0'], 'fleetsim: --replications: expected a positive integer, got "0"\n'],
      [['--replications', '2.5'], 'fleetsim: --replications: expected a positive integer, got "2.5"\n'],
      [
        ['--replications', '3', '--workers', 'two'],
        'fleetsim: --workers: expected a positive integer, got "two"\n',
      ],
      [
        ['--workers', '2'],
        'fleetsim: --workers applies only with --replications (the plain run uses one thread)\n',
      ],
    ];
    for (const [flags, message] of cases) {
      const { code, stdout, stderr } = await cli(['run', TINY, '--out', join(out, 'bad'), ...flags]);
      expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: message });
    }
  });

  it('a plain run into the same folder removes replications.json, which would describe another run', async () => {
    expect(existsSync(join(out, 'replications.json'))).toBe(true);
    expect((await cli(['run', TINY, '--out', out, '--quiet', '--seed', '8', ...NO_CHARTS])).code).toBe(0);
    expect(existsSync(join(out, 'replications.json'))).toBe(false);
  });
});

describe('fleetsim run --replications: error bars in the report', () => {
  const CHARTS = ['--set', 'report.charts=[latency-percentiles, unit-costs, cost-vs-p99]'];
  type Row = Record<string, number | string>;
  type Layer = { mark: { type: string }; data: { values: Row[] } };
  interface Estimates {
    name: string;
    metrics: Record<string, number>;
    ci95: Record<string, number>;
  }
  let out: string;
  let file: { variants: Estimates[] };
  const spec = (dir: string, name: string) => readFileSync(join(dir, 'charts', `${name}.vl.json`), 'utf8');
  const errorBars = (name: string): Row[] =>
    (JSON.parse(spec(out, name)).layer as Layer[]).find((l) => l.mark.type === 'errorbar')!.data.values;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'fleetsim-replications-report-'));
    const args = ['run', TINY, '--out', out, '--replications', '3', '--workers', '1', '--quiet', ...CHARTS];
    expect(await cli(args)).toEqual({ code: 0, stdout: '', stderr: '' });
    file = JSON.parse(readFileSync(join(out, 'replications.json'), 'utf8'));
  });

  it('draws the p50, p90 and p99 means with whiskers over their 95 % intervals', () => {
    const bars = (JSON.parse(spec(out, 'latency-percentiles')).layer as Layer[])[0].data.values;
    const expected = file.variants.flatMap((v) =>
      ['p50', 'p90', 'p99'].map((p) => {
        const [mean, halfWidth] = [v.metrics[`latency_s.${p}`], v.ci95[`latency_s.${p}`]];
        return { variant: v.name, percentile: p, mean, low: mean - halfWidth, high: mean + halfWidth };
      }),
    );
    expect(bars.map((r) => [r.variant, r.percentile, r.seconds])).toEqual(
      expected.map((e) => [e.variant, e.percentile, e.mean]),
    );
    expect(
      errorBars('latency-percentiles').map((r) => [
        r.variant,
        r.percentile,
        r.seconds_ci95_low,
        r.seconds_ci95_high,
      ]),
    ).toEqual(expected.map((e) => [e.variant, e.percentile, e.low, e.high]));
    // The baseline's p99 varies from seed to seed: a whisker, not a point.
    expect(file.variants[0].ci95['latency_s.p99']).toBeGreaterThan(0);
  });

  it('puts whiskers on the cost per 1k requests, along both axes of cost against p99', () => {
    const cost = (v: Estimates) => [
      v.name,
      v.metrics.cost_per_1k_requests_usd - v.ci95.cost_per_1k_requests_usd,
      v.metrics.cost_per_1k_requests_usd + v.ci95.cost_per_1k_requests_usd,
    ];
    const units = JSON.parse(spec(out, 'unit-costs')).hconcat[0].layer as Layer[];
    expect(
      units[1].data.values.map((r) => [r.variant, r.usd_per_1k_ci95_low, r.usd_per_1k_ci95_high]),
    ).toEqual(file.variants.map(cost));
    const points = JSON.parse(spec(out, 'cost-vs-p99')).data.values as Row[];
    expect(points.map((r) => [r.variant, r.usd_per_1k_ci95_low, r.usd_per_1k_ci95_high])).toEqual(
      file.variants.map(cost),
    );
    expect(points.map((r) => [r.variant, r.p99_s_ci95_low, r.p99_s_ci95_high])).toEqual(
      file.variants.map((v) => [
        v.name,
        v.metrics['latency_s.p99'] - v.ci95['latency_s.p99'],
        v.metrics['latency_s.p99'] + v.ci95['latency_s.p99'],
      ]),
    );
  });

  it('shows mean ± half-width in the comparison table of report.html', () => {
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const ms = (s: number) => (s === 0 ? '0 s' : `${(s * 1000).toPrecision(3)} ms`);
    const table = /<table id="comparison">.*?<\/table>/s.exec(html)![0];
    const p99 = /<tr><th scope="row">p99 latency<\/th>.*?<\/tr>/.exec(table)![0];
    for (const v of file.variants) {
      const mean = v.metrics['latency_s.p99'];
      const halfWidth = v.ci95['latency_s.p99'];
      expect(p99).toContain(`${ms(mean)} ± ${halfWidth < 0.01 * mean ? '&#60;1 %' : ms(halfWidth)}`);
    }
    expect(p99).toContain('± &#60;1 %');
    expect(html).toContain('Values are means of 3 replications');
  });

  it('fleetsim report DIR draws the same error bars again from replications.json', async () => {
    const files = ['report.html', ...readdirSync(join(out, 'charts')).map((f) => `charts/${f}`)];
    const before = files.map((f) => readFileSync(join(out, f)));
    rmSync(join(out, 'charts'), { recursive: true });
    rmSync(join(out, 'report.html'));
    expect((await cli(['report', out, '--quiet'])).code).toBe(0);
    for (const [i, f] of files.entries()) expect(readFileSync(join(out, f)).equals(before[i]), f).toBe(true);
  });

  it('fleetsim report names a replications.json that describes another run than summary.json', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'fleetsim-replications-report-'));
    cpSync(out, copy, { recursive: true });
    const path = join(copy, 'replications.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"seed": 3,', '"seed": 4,'));
    const { code, stderr } = await cli(['report', copy]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /replications\.json: describes scenario "tiny" with seed 4, but summary\.json scenario "tiny" with seed 3\n$/,
    );
  });

  it('a plain run into the folder draws the plain charts again', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'fleetsim-replications-report-'));
    expect((await cli(['run', TINY, '--out', plain, '--quiet', ...CHARTS])).code).toBe(0);
    expect((await cli(['run', TINY, '--out', out, '--quiet', ...CHARTS])).code).toBe(0);
    expect(existsSync(join(out, 'replications.json'))).toBe(false);
    for (const name of ['latency-percentiles', 'unit-costs', 'cost-vs-p99']) {
      expect(spec(out, name), name).not.toContain('errorbar');
      expect(spec(out, name), name).toBe(spec(plain, name));
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).not.toContain('Values are means');
  });
});

describe('fleetsim compare --replications and --set', () => {
  it('compares means with confidence intervals, from the same seeds for every configuration', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-replications-'));
    const { code, stdout } = await cli(['compare', TINY, '--out', out, '--replications', '3', ...NO_CHARTS]);
    expect(code).toBe(0);
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    expect(comparison.replications).toBe(3);
    const scenario = await load(TINY);
    const runs = replicationSeeds(3, 3).map((seed) => runLoadedScenario(scenario, seed).results);
    for (const [i, row] of comparison.rows.entries()) {
      const p99 = interval(runs.map((run) => run[i].latency_s.p99!));
      expect(row.values['latency_s.p99']).toBeCloseTo(p99.mean, 9);
      expect(row.ci95['latency_s.p99']).toBeCloseTo(p99.halfWidth, 3);
    }
    // Three replicas cost 3/2 of two on every seed: a difference far outside the noise.
    const three = comparison.rows[1];
    expect(three.within_noise['cost_usd.total']).toBe(false);
    expect(three.delta_pct['cost_usd.total']).toBeCloseTo(50, 0);
    // Both serve every request of the same arrivals: no difference at all.
    expect(three.delta_pct['requests.completed']).toBe(0);
    expect(stdout).toMatch(/\ncost\s+\$[\d.]+ ± \$[\d.]+\s+\$[\d.]+ ± \$[\d.]+ \(\+50\.\d %\)\n/);
    expect(stdout).toContain('Values are means of 3 replications (the first with seed 3');
  });

  it('draws the means and their 95 % intervals as error bars', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-replications-'));
    const charts = ['--set', 'report.charts=[latency-percentiles]'];
    expect(
      (await cli(['compare', TINY, '--out', out, '--replications', '3', '--quiet', ...charts])).code,
    ).toBe(0);
    const comparison = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8'));
    const spec = JSON.parse(readFileSync(join(out, 'charts', 'latency-percentiles.vl.json'), 'utf8'));
    const whiskers = spec.layer.find((l: { mark: { type: string } }) => l.mark.type === 'errorbar');
    const p99 = whiskers.data.values.filter((r: { percentile: string }) => r.percentile === 'p99');
    // comparison.json holds ten significant digits.
    expect(p99.map((r: { variant: string }) => r.variant)).toEqual(
      comparison.rows.map((r: { label: string }) => r.label),
    );
    for (const [i, row] of comparison.rows.entries()) {
      const [mean, halfWidth] = [row.values['latency_s.p99'], row.ci95['latency_s.p99']];
      expect(p99[i].seconds_ci95_low).toBeCloseTo(mean - halfWidth, 9);
      expect(p99[i].seconds_ci95_high).toBeCloseTo(mean + halfWidth, 9);
    }
  });

  it('applies --set to every file before its variants', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-compare-set-'));
    const base = mkdtempSync(join(tmpdir(), 'fleetsim-compare-set-'));
    const set = ['--set', 'fleets.0.price_per_hour=4.5'];
    expect(
      (await cli(['compare', TINY_FOUR, TINY, '--out', out, '--quiet', ...set, ...NO_CHARTS])).code,
    ).toBe(0);
    expect((await cli(['compare', TINY_FOUR, TINY, '--out', base, '--quiet', ...NO_CHARTS])).code).toBe(0);
    const rows = (dir: string) =>
      JSON.parse(readFileSync(join(dir, 'comparison.json'), 'utf8')).rows as {
        label: string;
        values: Record<string, number>;
      }[];
    // 4.5 instead of 1.5 per hour in both files: three times the cost, the same latency.
    for (const [i, row] of rows(out).entries()) {
      const before = rows(base)[i];
      expect(row.label).toBe(before.label);
      expect(row.values['cost_usd.total']).toBeCloseTo(3 * before.values['cost_usd.total'], 6);
      expect(row.values['latency_s.p99']).toBe(before.values['latency_s.p99']);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(
      html.match(/# Run with --set fleets\.0\.price_per_hour=4\.5 --set report\.charts=\[\]/g),
    ).toHaveLength(2);
  });

  it('rejects a bad --replications', async () => {
    const { code, stderr } = await cli(['compare', TINY, '--replications', '-1']);
    expect(code).toBe(2);
    expect(stderr).toBe('fleetsim: --replications: expected a positive integer, got "-1"\n');
  });
});

describe('replications that cannot differ', () => {
  const trace = join(ROOT, 'test/fixtures/traces/vidur-splitwise-conv-200.csv');
  const scenario = (bootstrap: string) => `name: replay
workload:
  arrivals: { trace: { path: ${JSON.stringify(trace)}${bootstrap} } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 2, price_per_hour: 1, service_time: "0.002 * input_tokens / 100" }
report: { charts: [] }
`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-identical-'));
    writeFileSync(join(dir, 'fixed.yaml'), scenario(''));
    writeFileSync(join(dir, 'boot.yaml'), scenario(', bootstrap: { block: 5s }'));
  });

  it('a fixed trace with deterministic service times: one warning, the means without an interval', async () => {
    const { code, stdout, stderr } = await cli(
      ['run', 'fixed.yaml', '--replications', '3', '--out', 'f'],
      dir,
    );
    expect(code).toBe(0);
    const warnings = stderr.split('\n').filter((l) => l.startsWith('fleetsim: warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^fleetsim: warning: the 3 replications are identical: the trace is replayed the same on every seed .* add `bootstrap: \{ block: 5m \}` to workload.arrivals.trace/,
      ),
    ]);
    // The run's table, its verdict lines, then the replications' table.
    const table = stdout.split('\n\n')[2];
    expect(table).toMatch(/^Mean over 3 identical replications, so without a confidence interval/);
    expect(table).not.toContain('±');
    expect(table).toContain('The 3 replications are identical: ');
    const file = JSON.parse(readFileSync(join(dir, 'f', 'replications.json'), 'utf8'));
    expect(file.note).toBe(warnings[0].slice('fleetsim: warning: '.length));
    expect(file.variants[0].identical).toBe(true);
    expect(file.variants[0].ci95).toBeNull();
    // Judged by the default objective, with no upper end of an interval to judge again.
    expect(file.variants[0].slo).toMatchObject({ met: true, default: true, met_at_upper_ci95: null });
  });

  it('compare --replications says so once too, and its tables drop the interval', async () => {
    const { code, stdout, stderr } = await cli(
      ['compare', 'fixed.yaml', '--replications', '2', '--out', 'c', '--set', 'report.charts=[]'],
      dir,
    );
    expect(code).toBe(0);
    expect(stderr.match(/replications are identical/g)).toHaveLength(1);
    expect(stdout.split('\n\n')[0]).not.toContain('±');
    expect(readFileSync(join(dir, 'c', 'comparison.md'), 'utf8')).toContain(
      '- The 2 replications are identical: ',
    );
  });

  it('sweep --replications warns once for all its configurations', async () => {
    const sweep = await cli(
      [
        'sweep',
        'fixed.yaml',
        '--grid',
        'fleets.0.replicas=[1,2]',
        '--replications',
        '2',
        '--out',
        's',
        '--workers',
        '1',
      ],
      dir,
    );
    expect(sweep.code).toBe(0);
    expect(
      sweep.stderr.match(/fleetsim: warning: the 2 replications are identical: the trace/g),
    ).toHaveLength(1);
    const rows = JSON.parse(readFileSync(join(dir, 's', 'sweep.json'), 'utf8')).rows;
    expect(rows.map((row: { ci95: unknown }) => row.ci95)).toEqual([null, null]);
  });

  it('with a bootstrap of the trace the replications differ and get intervals', async () => {
    const { code, stdout, stderr } = await cli(
      ['run', 'boot.yaml', '--replications', '3', '--out', 'b'],
      dir,
    );
    expect(code).toBe(0);
    expect(stderr).not.toContain('identical');
    const file = JSON.parse(readFileSync(join(dir, 'b', 'replications.json'), 'utf8'));
    expect(file.note).toBeNull();
    expect(file.variants[0].identical).toBe(false);
    // Different blocks drawn on each seed: a different number of requests, so a spread in throughput.
    expect(file.variants[0].ci95.throughput_rps).toBeGreaterThan(0);
    expect(stdout.split('\n\n')[2]).toMatch(/throughput \(req\/s\)\s+[\d.]+ ± [\d.]+/);
  });
});
