import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatCount, formatPercent, formatSeconds } from '../core/format.js';
import { completedShare } from '../metrics/slo.js';
import type { Chart } from './charts/index.js';
import { vegaSafe } from './charts/vega-safe.js';
import { classesHtml } from './classes.js';
import type { Comparison, ComparisonMetric } from './comparison.js';
import {
  comparisonNotes,
  describeSloProbability,
  formatDelta,
  formatMetricCell,
  formatSloProbability,
  sloProbabilityNote,
  verdictWord,
} from './comparison-text.js';
import { performanceCaveatsHtml, performanceTableHtml } from './performance.js';
import { classObjectivesLine, describeSlo } from './slo.js';
import type { VariantSummary } from './summary.js';

const require = createRequire(import.meta.url);

export interface ReportPage {
  title: string;
  /** The scenario files as run; `yaml` null when the text is not known (a scenario given as an object). */
  scenarios: { name: string; yaml: string | null }[];
  /** Each configuration with its label, in comparison order. */
  runs: { label: string; summary: VariantSummary }[];
  comparison: Comparison;
  charts: readonly Chart[];
}

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * JSON for a `<script type="application/json">` block. Every `<` becomes `\u003c`, which JSON
 * reads back as `<`: no `</script>` or `<!--` in the data can end or bend the block.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c');
}

/**
 * A library build made safe to inline: `</script` and `<!--` would end or change the script
 * element, and inside JS strings and regular expressions `<\/` and `<\!` read the same. The
 * source-map comment goes, or opening developer tools would request a file that is not there.
 */
export function scriptForInline(code: string): string {
  return code
    .replace(/<\/(script)/gi, '<\\/$1')
    .replaceAll('<!--', '<\\!--')
    .replace(/^\/\/# sourceMappingURL=.*$/m, '');
}

/**
 * The minified browser builds. Their packages export only their module entry, which sits in
 * the same `build/` folder as the minified bundle.
 */
function browserBuild(name: 'vega' | 'vega-lite' | 'vega-embed'): string {
  return readFileSync(join(dirname(require.resolve(name)), `${name}.min.js`), 'utf8');
}

/** Browsers may not have DejaVu Sans (the PNGs always do): fall back to a similar sans-serif. */
const BROWSER_FONT = 'DejaVu Sans, Verdana, Arial, sans-serif';

const STYLE = `
:root { color-scheme: light; }
body { font-family: ${BROWSER_FONT}; margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px; color: #222; line-height: 1.45; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 10px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.lead { color: #555; margin: 0 0 8px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { border-bottom: 2px solid #bbb; }
.pick { background: #eef6ea; }
.better { color: #2e7d32; } .worse { color: #c62828; } .noise { color: #888; }
.delta { display: block; font-size: 11px; }
.notes { font-size: 13px; color: #444; padding-left: 18px; }
.verdicts { padding-left: 18px; } .verdicts li { margin: 4px 0; } .warning { color: #8a5300; font-size: 13px; }
.probability { display: block; color: #444; font-size: 13px; }
figure { margin: 24px 0; }
.chart { min-height: 60px; }
pre { background: #f6f6f6; padding: 12px; overflow: auto; font-size: 12px; border-radius: 4px; }
details summary { cursor: pointer; font-weight: bold; margin: 8px 0; }
.caveat { background: #fff4e5; border-left: 4px solid #e65100; padding: 6px 10px; margin: 8px 0; font-size: 13px; }
td.detail { text-align: left; white-space: normal; }
td.name { text-align: left; }
.scroll { overflow: auto; margin: 8px 0; }
.scroll.long { max-height: 36em; }
.scroll table { margin: 0; }
.scroll thead th { position: sticky; top: 0; background: #fff; z-index: 1; }
.scroll thead th.pick { background: #eef6ea; }
.scroll tbody th:first-child, .scroll thead th:first-child { position: sticky; left: 0; background: #fff; }
.scroll thead th:first-child { z-index: 2; }
`;

/**
 * A box that scrolls what is too wide for the page, and with `long` too long, headers staying in
 * view: a comparison of a thousand configurations is a thousand columns, and a list of them
 * would push the charts thousands of lines down.
 */
export function scrollBox(content: string, long = false): string {
  return `<div class="scroll${long ? ' long' : ''}">${content}</div>`;
}

function deltaClass(metric: ComparisonMetric, delta: number | null, text: string): string {
  if (delta === null || delta === 0 || metric.better === null) return '';
  if (text.startsWith('~')) return 'noise';
  return delta < 0 === (metric.better === 'lower') ? 'better' : 'worse';
}

function comparisonTable(c: Comparison): string {
  const pickIndex = c.rows.findIndex((r) => r.label === c.pick?.label);
  const cls = (i: number) => (i === pickIndex ? ' class="pick"' : '');
  const head = c.rows
    .map(
      (r, i) =>
        `<th${cls(i)}>${escapeHtml(r.label)}${i === pickIndex ? ' *' : ''}${i === 0 && r.label !== 'baseline' ? '<br><small>baseline</small>' : ''}</th>`,
    )
    .join('');
  const verdicts = c.rows.map(
    (r, i) =>
      `<td${cls(i)} title="${escapeHtml(r.slo_failures.join('; '))}">${r.slo_met ? 'meets' : `<span class="worse">${verdictWord(r)}</span>`}</td>`,
  );
  const body = [`<tr><th scope="row">objective</th>${verdicts.join('')}</tr>`];
  if (c.rows.some((r) => r.slo_probability !== null)) {
    // Plain text whatever its value: a probability beside the verdict, never a verdict of its own.
    const probabilities = c.rows.map(
      (r, i) =>
        `<td${cls(i)}${r.slo_probability === null ? '' : ` title="${escapeHtml(describeSloProbability(r.slo_probability))}"`}>${escapeHtml(formatSloProbability(r.slo_probability))}</td>`,
    );
    body.push(`<tr><th scope="row">P(SLO)</th>${probabilities.join('')}</tr>`);
  }
  body.push(
    ...c.metrics.map((m) => {
      const cells = c.rows.map((r, i) => {
        const value = escapeHtml(formatMetricCell(m, r));
        const delta = i === 0 ? '' : formatDelta(m, r.delta_pct[m.key], r.within_noise?.[m.key]);
        const span =
          delta === ''
            ? ''
            : `<span class="delta ${deltaClass(m, r.delta_pct[m.key], delta)}">${escapeHtml(delta)}</span>`;
        return `<td${cls(i)}>${value}${span}</td>`;
      });
      return `<tr><th scope="row">${escapeHtml(m.title)}</th>${cells.join('')}</tr>`;
    }),
  );
  return scrollBox(
    `<table id="comparison"><thead><tr><th>metric</th>${head}</tr></thead><tbody>${body.join('')}</tbody></table>`,
  );
}

/**
 * What a reader must see before any chart: which configurations meet the objective, what the
 * others missed, and what makes a configuration's figures fragile.
 */
function verdictSection(page: ReportPage): string {
  const c = page.comparison;
  const items = page.runs.map(({ label, summary: v }, i) => {
    const row = c.rows[i];
    const judged = c.replications > 1 ? ` on the means of ${c.replications} replications` : '';
    const verdict = row.slo_met
      ? `<span class="better">meets</span> the objective${judged}`
      : `<span class="worse">MISSES</span> the objective${judged}: ${escapeHtml(row.slo_failures.join('; '))}`;
    const probability =
      row.slo_probability === null
        ? ''
        : `<span class="probability">${escapeHtml(describeSloProbability(row.slo_probability))}</span>`;
    const warnings = ((v as { warnings?: string[] }).warnings ?? [])
      .map((w) => `<li class="warning">${escapeHtml(w)}</li>`)
      .join('');
    return `<li><strong>${escapeHtml(label)}</strong> ${verdict}${probability}${warnings === '' ? '' : `<ul>${warnings}</ul>`}</li>`;
  });
  const classes = page.runs[0]?.summary.classes;
  const objective = `${c.slo.isDefault ? 'Objective (the default; a scenario sets its own with <code>slo:</code>)' : 'SLO'}: ${escapeHtml(describeSlo(c.slo))}.${
    classes === undefined ? '' : ` ${escapeHtml(classObjectivesLine(classes))}`
  }`;
  const probability = sloProbabilityNote(c);
  return `<p>${objective}</p>${scrollBox(`<ul id="verdicts" class="verdicts">${items.join('')}</ul>`, true)}${
    probability === null ? '' : `<p class="notes">${escapeHtml(probability)}</p>`
  }`;
}

function runsTable(runs: ReportPage['runs']): string {
  const rows = runs.map(({ label, summary: v }) => {
    const r = v.requests;
    const cells = [r.arrived, r.completed, r.dropped, r.timed_out, r.in_flight_at_end].map(
      (n) => `<td>${formatCount(n)}</td>`,
    );
    return `<tr><th scope="row">${escapeHtml(label)}</th>${cells.join('')}<td>${escapeHtml(formatSeconds(v.simulated_s.warmup))}</td><td>${escapeHtml(formatSeconds(v.simulated_s.end))}</td><td>${formatCount(v.events)}</td></tr>`;
  });
  return scrollBox(
    `<table id="runs"><thead><tr><th>configuration</th><th>arrived</th><th>completed</th><th>dropped</th><th>timed out</th><th>in flight at end</th><th>warmup</th><th>simulated until</th><th>events</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    true,
  );
}

/**
 * The line under the comparison table that says whose percentiles leave requests out; null when
 * every configuration completed all its measured requests.
 */
export function completionNote(runs: ReportPage['runs']): string | null {
  const partial = runs.flatMap(({ label, summary }) => {
    const share = completedShare(summary.requests);
    return share === null || share === 1 ? [] : [`${label} ${formatPercent(share)}`];
  });
  if (partial.length === 0) return null;
  return `Latency, queue wait, TTFT and TPOT figures are of completed requests only; share of measured requests that completed: ${partial.join(', ')}.`;
}

const EMBED_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('fleetsim-charts').textContent);
  charts.forEach(function (chart) {
    var element = document.getElementById('chart-' + chart.name);
    var spec = Object.assign({}, chart.spec, { config: Object.assign({}, chart.spec.config, { font: ${JSON.stringify(BROWSER_FONT)} }) });
    vegaEmbed(element, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function () { element.setAttribute('data-rendered', 'true'); })
      .catch(function (error) {
        element.textContent = 'This chart could not be drawn: ' + error.message;
        console.error(error);
      });
  });
})();
`;

/** A figure per chart, for `EMBED_SCRIPT` to draw into. */
export function figuresHtml(charts: readonly Chart<string>[]): string {
  return charts
    .map(
      (c) =>
        `<figure><div class="chart" id="chart-${escapeHtml(c.name)}" data-chart="${escapeHtml(c.name)}"></div></figure>`,
    )
    .join('\n');
}

/** The scenario files as run, each folded unless there is only one. */
export function scenariosHtml(scenarios: ReportPage['scenarios']): string {
  return scenarios
    .map(
      (s) =>
        `<details${scenarios.length === 1 ? ' open' : ''}><summary>${escapeHtml(s.name)}</summary>${
          s.yaml === null
            ? '<p>The scenario text was not recorded.</p>'
            : `<pre><code>${escapeHtml(s.yaml)}</code></pre>`
        }</details>`,
    )
    .join('\n');
}

/** The inlined libraries and the specs that draw the figures; a page without charts needs none of the 1 MB. */
function chartScripts(chartData: { name: string; spec: unknown }[]): string {
  return `<script>${scriptForInline(browserBuild('vega'))}</script>
<script>${scriptForInline(browserBuild('vega-lite'))}</script>
<script>${scriptForInline(browserBuild('vega-embed'))}</script>
<script type="application/json" id="fleetsim-charts">${jsonForScript(chartData)}</script>
<script>${EMBED_SCRIPT}</script>
`;
}

/**
 * One HTML file that needs nothing else: vega, vega-lite and vega-embed are inlined, and the
 * Content-Security-Policy forbids every request, so an offline reader sees all of it and the
 * page cannot reach the network even by mistake. `body` is the page's content; the charts are
 * drawn into the figures of `figuresHtml` in it.
 */
export function htmlDocument(
  title: string,
  body: string,
  charts: readonly Chart<string>[],
  extraStyle = '',
): string {
  const chartData = charts.map((c) => ({ name: c.name, spec: vegaSafe(c.spec) }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data: blob:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: fleetsim report</title>
<style>${STYLE}${extraStyle}</style>
</head>
<body>
${body}
${charts.length === 0 ? '' : chartScripts(chartData)}</body>
</html>
`;
}

/** A run's or comparison's report page: see `htmlDocument`. */
export function renderReportHtml(page: ReportPage): string {
  const c = page.comparison;
  const performance = page.runs.map(({ label, summary }) => ({ label, performance: summary.performance }));
  return htmlDocument(
    page.title,
    `<header>
<h1>${escapeHtml(page.title)}</h1>
<p class="lead">fleetsim report: ${page.runs.length} configuration(s), seed ${c.seed}, common random numbers.</p>
${performanceCaveatsHtml(performance)}
</header>
<h2>Verdict</h2>
${verdictSection(page)}
<h2>Runs</h2>
${runsTable(page.runs)}
${performanceTableHtml(performance)}
${classesHtml(page.runs, escapeHtml)}
<h2>Comparison</h2>
${comparisonTable(c)}
${scrollBox(
  `<ul class="notes">${[...comparisonNotes(c), completionNote(page.runs) ?? []]
    .flat()
    .map((n) => `<li>${escapeHtml(n)}</li>`)
    .join('')}</ul>`,
  true,
)}
<h2>Charts</h2>
${
  page.charts.length === 0
    ? '<p class="lead">No charts: none were asked for (<code>report.charts: []</code>, <code>--no-charts</code>) or none had data to show.</p>'
    : `<p class="lead">Hover for values; click a legend entry to highlight a configuration (shift-click for more); the menu of each chart exports SVG and PNG.</p>
${figuresHtml(page.charts)}`
}
<h2>Scenario</h2>
${scenariosHtml(page.scenarios)}`,
    page.charts,
  );
}
