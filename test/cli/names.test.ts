import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

/** One fleet that loses requests with a single replica and none with two or more. */
function scenario(name: string, variants: number): string {
  const lines = Array.from(
    { length: variants },
    (_, i) =>
      `  - { name: v${i}, set: { fleets.0.replicas: ${1 + (i % 4)}, fleets.0.price_per_hour: ${1 + i / 100} } }`,
  );
  return `name: ${JSON.stringify(name)}
seed: 5
duration: 30s
workload:
  arrivals: { poisson: { rate: 4 } }
fleets:
  - name: gpu
    replicas: 2
    concurrency: 2
    price_per_hour: 1.5
    service_time: 600ms
    queue: { capacity: 5, timeout: 5s }
${variants === 0 ? '' : `variants:\n${lines.join('\n')}\n`}`;
}

const HOSTILE = '<img src=x onerror=alert(1)> & "q" | *b* _i_ [l](javascript:x) `c` #1';

describe('a scenario name with Markdown and HTML in it', () => {
  it('reads as written in summary.md, comparison.md and report.html, and injects nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-names-'));
    writeFileSync(join(dir, 'hostile.yaml'), scenario(HOSTILE, 1));
    const run = await cli(['run', 'hostile.yaml', '--quiet', '--out', 'run'], dir);
    expect(run.code, run.stderr).toBe(0);
    const escaped =
      '\\<img src=x onerror=alert(1)\\> \\& "q" \\| \\*b\\* \\_i\\_ \\[l\\](javascript:x) \\`c\\` \\#1';
    expect(readFileSync(join(dir, 'run/summary.md'), 'utf8').split('\n')[0]).toBe(`# ${escaped}`);
    const html = readFileSync(join(dir, 'run/report.html'), 'utf8');
    expect(html).toContain(
      '<h1>&#60;img src=x onerror=alert(1)&#62; &#38; &#34;q&#34; | *b* _i_ [l](javascript:x) `c` #1</h1>',
    );
    // The inlined vega libraries hold such strings themselves: look at the page before them.
    expect(html.slice(0, html.indexOf('<script>'))).not.toContain('<img');
    expect(html.slice(html.indexOf('<script type="application/json"'))).not.toContain('<img');
    expect(JSON.parse(readFileSync(join(dir, 'run/summary.json'), 'utf8')).scenario).toBe(HOSTILE);

    writeFileSync(join(dir, 'plain.yaml'), scenario('plain', 0));
    const compare = await cli(['compare', 'hostile.yaml', 'plain.yaml', '--quiet', '--out', 'cmp'], dir);
    expect(compare.code, compare.stderr).toBe(0);
    const markdown = readFileSync(join(dir, 'cmp/comparison.md'), 'utf8').split('\n');
    expect(markdown[0]).toBe(`# ${escaped} vs plain`);
    expect(markdown[2]).toMatch(
      new RegExp(`^\\| metric \\| ${escaped.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}/baseline( \\*)? \\|`),
    );
    const misses = markdown.filter((line) => line.startsWith('- ') && line.includes('/v0 MISSES'));
    expect(misses).toHaveLength(1);
    expect(misses[0].startsWith(`- ${escaped}/v0 MISSES the objective: drop rate `)).toBe(true);
  });
});

describe('two hundred variants', () => {
  it('run into a report whose charts draw ten, each saying so, while the summaries list every one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-many-'));
    writeFileSync(join(dir, 'many.yaml'), scenario('many', 200));
    const validate = await cli(['validate', 'many.yaml'], dir);
    expect(validate.stdout).toBe(
      `many.yaml: ok (201 variant(s): baseline, ${Array.from({ length: 19 }, (_, i) => `v${i}`).join(', ')} and 181 more)\n`,
    );
    const { code, stderr } = await cli(['run', 'many.yaml', '--quiet'], dir);
    expect(code, stderr).toBe(0);
    const out = join(dir, 'out/many');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.variants).toHaveLength(201);
    expect(readFileSync(join(out, 'summary.md'), 'utf8').match(/^## (baseline|v\d+)$/gm)).toHaveLength(201);
    const specs = readdirSync(join(out, 'charts')).filter((f) => f.endsWith('.vl.json'));
    expect(specs.length).toBeGreaterThan(5);
    for (const file of specs) {
      const text = readFileSync(join(out, 'charts', file), 'utf8');
      expect(text, file).toContain('10 of 201 configurations drawn; the tables list every one.');
      const drawn = new Set(text.match(/"variant": "(baseline|v\d+)"/g));
      expect(drawn.size, file).toBeLessThanOrEqual(10);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const runs = html.slice(
      html.indexOf('<table id="runs">'),
      html.indexOf('</table>', html.indexOf('<table id="runs">')),
    );
    expect(runs.match(/<th scope="row">(baseline|v\d+)<\/th>/g)).toHaveLength(201);
  });
});
