import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { CHART_NAMES, CHARTS } from '../../src/report/index.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { REPORT_CHART_NAMES } from '../../src/scenario/types.js';

const BASE = `name: keyed
seed: 2
duration: 2m
workload:
  arrivals: { poisson: { rate: 2 } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 2, price_per_hour: 1, service_time: 200ms }
`;

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('report: in the scenario', () => {
  it('names exactly the charts the report layer draws, in its order', () => {
    expect([...CHART_NAMES]).toEqual([...REPORT_CHART_NAMES]);
    expect(Object.keys(CHARTS)).toEqual([...REPORT_CHART_NAMES]);
  });

  it('loads the chart list from the baseline; without it every chart is drawn', async () => {
    const keyed = await loadScenarioText(
      `${BASE}report: { charts: [timeline, latency-cdf] }\n`,
      'keyed.yaml',
    );
    expect(keyed.ok && keyed.value.report).toEqual({ charts: ['timeline', 'latency-cdf'], requests: false });
    const empty = await loadScenarioText(`${BASE}report: {}\n`, 'keyed.yaml');
    expect(empty.ok && empty.value.report).toEqual({ charts: null, requests: false });
    const plain = await loadScenarioText(BASE, 'keyed.yaml');
    expect(plain.ok && plain.value.report).toBeNull();
  });

  it('reports a misspelt chart, an unknown key and a variant that sets it, each at its place', async () => {
    const loaded = await loadScenarioText(
      `${BASE}report: { charts: [latency-cdf, timelin, pie], chart: [] }
variants:
  - { name: other, set: { report.charts: [timeline] } }
`,
      'keyed.yaml',
    );
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map((e) => `${e.line}:${e.col}: ${e.message}`)).toEqual([
      '8:33: report.charts[1]: unknown chart "timelin"; did you mean "timeline"?',
      `8:42: report.charts[2]: expected one of ${REPORT_CHART_NAMES.join(', ')}`,
      '8:48: report.chart: unknown key; did you mean "charts"?',
      '10:27: variants[0].set["report.charts"]: report applies to the whole scenario; a variant cannot set it',
    ]);
  });

  it('fleetsim run draws only the charts listed, and fleetsim report keeps the selection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-key-'));
    writeFileSync(join(dir, 'keyed.yaml'), `${BASE}report: { charts: [timeline, latency-percentiles] }\n`);
    const run = await cli(['run', 'keyed.yaml', '--out', 'out'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/and 2 chart\(s\) in out\/charts\//);
    const drawn = ['latency-percentiles', 'timeline'].flatMap((n) => [`${n}.svg`, `${n}.vl.json`]);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(drawn);
    expect(JSON.parse(readFileSync(join(dir, 'out/report-options.json'), 'utf8')).charts).toEqual([
      'timeline',
      'latency-percentiles',
    ]);
    const again = await cli(['report', 'out'], dir);
    expect(again.stderr).toMatch(/and 2 chart\(s\)/);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(drawn);
    // --set replaces the list like any key.
    const overridden = await cli(
      ['run', 'keyed.yaml', '--out', 'out', '--set', 'report.charts=[latency-cdf]'],
      dir,
    );
    expect(overridden.stderr).toMatch(/and 1 chart\(s\)/);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(['latency-cdf.svg', 'latency-cdf.vl.json']);
  });

  it("compare draws the charts of the first file's report:", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-key-'));
    writeFileSync(join(dir, 'a.yaml'), `${BASE}report: { charts: [cost-vs-p99] }\n`);
    writeFileSync(join(dir, 'b.yaml'), `${BASE.replace('keyed', 'other')}report: { charts: [timeline] }\n`);
    const { code } = await cli(['compare', 'a.yaml', 'b.yaml', '--out', 'out', '--quiet'], dir);
    expect(code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(['cost-vs-p99.svg', 'cost-vs-p99.vl.json']);
  });

  it('a hand-edited report-options.json with an unknown chart is a user error naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-report-key-'));
    writeFileSync(join(dir, 'keyed.yaml'), `${BASE}report: { charts: [] }\n`);
    expect((await cli(['run', 'keyed.yaml', '--out', 'out', '--quiet'], dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts'))).toEqual([]);
    writeFileSync(join(dir, 'out/report-options.json'), '{ "charts": ["pie"], "slo": null }\n');
    const { code, stderr } = await cli(['report', 'out'], dir);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `fleetsim: out/report-options.json: unknown chart(s) pie; known: ${REPORT_CHART_NAMES.join(', ')}\n`,
    );
  });
});

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(
    true,
  );
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

/** Width and height the root element of an SVG declares. */
function svgSize(text: string): [number, number] {
  const root = /<svg[^>]*>/.exec(text)![0];
  return [Number(/ width="([\d.]+)"/.exec(root)![1]), Number(/ height="([\d.]+)"/.exec(root)![1])];
}

describe('charts on request: --png and --no-charts', () => {
  it('PNGs only with --png, at twice the SVG size; fleetsim report keeps the choice until told otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-png-'));
    writeFileSync(join(dir, 'keyed.yaml'), `${BASE}report: { charts: [timeline, unit-costs] }\n`);
    const svgOnly = ['timeline.svg', 'timeline.vl.json', 'unit-costs.svg', 'unit-costs.vl.json'];
    const withPng = [...svgOnly, 'timeline.png', 'unit-costs.png'].sort();
    expect((await cli(['run', 'keyed.yaml', '--out', 'out', '--quiet'], dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(svgOnly);
    expect(JSON.parse(readFileSync(join(dir, 'out/report-options.json'), 'utf8')).png).toBe(false);

    expect((await cli(['run', 'keyed.yaml', '--out', 'out', '--quiet', '--png'], dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(withPng);
    for (const name of ['timeline', 'unit-costs']) {
      const [width, height] = svgSize(readFileSync(join(dir, `out/charts/${name}.svg`), 'utf8'));
      expect(pngSize(readFileSync(join(dir, `out/charts/${name}.png`)))).toEqual([2 * width, 2 * height]);
    }
    const png = readFileSync(join(dir, 'out/charts/timeline.png'));
    expect((await cli(['report', 'out', '--quiet'], dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(withPng);
    expect(readFileSync(join(dir, 'out/charts/timeline.png')).equals(png)).toBe(true);

    // A PNG left from an earlier drawing would no longer match the SVG beside it.
    expect((await cli(['report', 'out', '--quiet', '--no-png'], dir)).code).toBe(0);
    expect(readdirSync(join(dir, 'out/charts')).sort()).toEqual(svgOnly);
    expect((await cli(['report', 'out', '--quiet', '--png'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'out/charts/timeline.png')).equals(png)).toBe(true);
  });

  it('--no-charts draws none, removes those of an earlier run, and the report inlines no chart library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-no-charts-'));
    writeFileSync(join(dir, 'keyed.yaml'), BASE);
    expect((await cli(['run', 'keyed.yaml', '--out', 'out', '--quiet'], dir)).code).toBe(0);
    const drawn = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(drawn).toContain('id="fleetsim-charts"');
    expect(drawn).toContain('vegaEmbed(');

    const run = await cli(['run', 'keyed.yaml', '--out', 'out', '--no-charts'], dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/and 0 chart\(s\) in out\/charts\//);
    expect(readdirSync(join(dir, 'out/charts'))).toEqual([]);
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).not.toContain('<figure>');
    expect(html).not.toContain('id="fleetsim-charts"');
    expect(html).not.toContain('vegaEmbed(');
    expect(html).toContain('No charts: none were asked for');
    expect(html.length).toBeLessThan(drawn.length / 10);
    expect(JSON.parse(readFileSync(join(dir, 'out/report-options.json'), 'utf8')).charts).toEqual([]);

    const compared = await cli(['compare', 'keyed.yaml', '--out', 'cmp', '--quiet', '--png'], dir);
    expect(compared.code).toBe(0);
    expect(readdirSync(join(dir, 'cmp/charts')).filter((f) => f.endsWith('.png')).length).toBeGreaterThan(0);
    expect((await cli(['compare', 'keyed.yaml', '--out', 'cmp', '--quiet', '--no-charts'], dir)).code).toBe(
      0,
    );
    expect(readdirSync(join(dir, 'cmp/charts'))).toEqual([]);
  });
});

describe('the package entry', () => {
  it('exports the report API, the same functions as src/report', async () => {
    const entry: Record<string, unknown> = await import('../../src/index.js');
    const report: Record<string, unknown> = await import('../../src/report/index.js');
    for (const name of [
      'writeRunReport',
      'writeRunOutputs',
      'readRunOutputs',
      'writeComparisonOutputs',
      'buildComparison',
      'assembleCharts',
      'renderChart',
      'CHART_NAMES',
    ]) {
      expect(entry[name], name).toBeDefined();
      expect(entry[name], name).toBe(report[name]);
    }
  });
});
