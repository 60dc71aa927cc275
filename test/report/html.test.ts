import { describe, expect, it } from 'vitest';
import {
  assembleCharts,
  buildComparison,
  completionNote,
  escapeHtml,
  renderReportHtml,
  scriptForInline,
} from '../../src/report/index.js';
import { variantResult } from './fixtures/variants.js';

const HOSTILE = '</script><script>window.pwned = 1</script><!--';

function page(name: string, yaml: string) {
  const variants = [variantResult('baseline'), variantResult(name)];
  const entries = variants.map((v) => ({ label: v.name, scenario: 's', variant: v.name, summary: v }));
  return renderReportHtml({
    title: name,
    scenarios: [{ name: 's.yaml', yaml }],
    runs: entries.map((e) => ({ label: e.label, summary: e.summary })),
    comparison: buildComparison(entries, 1),
    charts: assembleCharts({ variants }, ['latency-cdf']),
  });
}

describe('report.html', () => {
  it('keeps names and YAML that contain </script> from ending a script or adding markup', () => {
    const html = page(HOSTILE, `name: x\n# ${HOSTILE}\n`);
    // Three libraries, the chart data and the embedding code: five scripts, each closed once.
    expect(html.match(/<script/gi)).toHaveLength(5);
    expect(html.match(/<\/script/gi)).toHaveLength(5);
    expect(html).not.toContain('<!--');
    const data = /<script type="application\/json" id="fleetsim-charts">([^<]*)<\/script>/.exec(html);
    const charts = JSON.parse(data![1]) as { spec: { data: { values: { variant: string }[] } } }[];
    expect(charts[0].spec.data.values.some((v) => v.variant === HOSTILE)).toBe(true);
    expect(html).toContain(`<pre><code>name: x\n# ${escapeHtml(HOSTILE)}\n</code></pre>`);
    expect(html).toContain(`<th scope="row">${escapeHtml(HOSTILE)}</th>`);
  });

  it('gives the page the chart specs with names every object inherits followed by a space, as the chart files', () => {
    const html = page('toString', 'name: x\n');
    const data = /<script type="application\/json" id="fleetsim-charts">([^<]*)<\/script>/.exec(html);
    const charts = JSON.parse(data![1]) as { spec: { data: { values: { variant: string }[] } } }[];
    const names = new Set(charts[0].spec.data.values.map((v) => v.variant));
    expect([...names].sort()).toEqual(['baseline', 'toString ']);
  });

  it('inlines vega, vega-lite and vega-embed and allows the page no request', () => {
    const html = page('other', 'name: x\n');
    expect(html).toContain(`content="default-src 'none';`);
    const markup = html.replace(/<script>[\s\S]*?<\/script>/g, '<script></script>');
    expect(markup.match(/<script/g)).toHaveLength(5);
    expect(markup).not.toMatch(/\s(src|href)=/i);
    expect(html).not.toContain('sourceMappingURL');
    expect(html.length).toBeGreaterThan(800_000);
  });

  it('makes library code safe to inline without changing what it means', () => {
    const code = 'var a = "</script>", b = /<\\/SCRIPT>/, c = "<!--";\n//# sourceMappingURL=x.js.map';
    const inlined = scriptForInline(code);
    expect(inlined).not.toMatch(/<\/script|<!--|sourceMappingURL/i);
    const scope: Record<string, unknown> = {};
    new Function('scope', `${inlined}; scope.a = a; scope.b = b.source; scope.c = c;`)(scope);
    expect(scope).toEqual({ a: '</script>', b: '<\\/SCRIPT>', c: '<!--' });
  });

  it('says under the comparison whose percentiles leave out requests, and how many completed', () => {
    const full = variantResult('full');
    const lossy = variantResult('lossy', {
      requests: { arrived: 1000, completed: 705, dropped: 100, timed_out: 195, in_flight_at_end: 0 },
    });
    const runs = [full, lossy].map((v) => ({ label: v.name, summary: v }));
    expect(completionNote(runs)).toBe(
      'Latency, queue wait, TTFT and TPOT figures are of completed requests only; share of measured requests that completed: lossy 70.5 %.',
    );
    expect(completionNote(runs.slice(0, 1))).toBeNull();
    const entries = runs.map((r) => ({
      label: r.label,
      scenario: 's',
      variant: r.label,
      summary: r.summary,
    }));
    const html = renderReportHtml({
      title: 't',
      scenarios: [],
      runs,
      comparison: buildComparison(entries, 1),
      charts: [],
    });
    expect(html).toContain('<li>Latency, queue wait, TTFT and TPOT figures are of completed requests only;');
  });
});
