import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RunInputError } from '../core/errors.js';
import type { VariantResult } from '../metrics/index.js';
import {
  assembleCharts,
  CHART_NAMES,
  type Chart,
  type Replicated,
  unknownChartNames,
} from './charts/index.js';
import { vegaSafe } from './charts/vega-safe.js';
import { buildComparison, type Comparison, type ComparisonEntry, type MeanEstimator } from './comparison.js';
import { renderComparisonCsv, renderComparisonJson, renderComparisonMarkdown } from './comparison-text.js';
import { renderReportHtml } from './html.js';
import { RunOutputsError, readRunFile, readRunOutputs } from './read-run.js';
import { renderPng, renderSafeSvg } from './render-chart.js';
import { REPORT_OPTIONS_FILE } from './run-files-schema.js';
import type { Slo } from './slo.js';
import { writeFileAtomic } from './write.js';

export interface ReportOptions {
  /** Chart names to draw (see `CHART_NAMES`), from the scenario's `report.charts`; default all. */
  charts?: readonly string[];
  /** Marks the configurations that meet it and picks the cheapest of those. */
  slo?: Slo;
  /**
   * Also draw each chart as a PNG. Off by default: rasterizing takes as long as laying the charts
   * out, and report.html draws its charts from the specs (its chart menus export PNG too).
   */
  png?: boolean;
}

/** The options of a run's report that its files do not hold, kept so `fleetsim report DIR` draws the same. */
const OPTIONS_FILE = 'report-options.json';

export function readReportOptions(dir: string): ReportOptions {
  const path = join(dir, OPTIONS_FILE);
  if (!existsSync(path)) return {};
  const saved = readRunFile<{ charts: string[] | null; slo: Slo | null; png?: boolean }>(
    path,
    REPORT_OPTIONS_FILE,
  );
  const unknown = unknownChartNames(saved.charts ?? []);
  if (unknown.length > 0) {
    throw new RunOutputsError(
      path,
      `unknown chart(s) ${unknown.join(', ')}; known: ${CHART_NAMES.join(', ')}`,
    );
  }
  return {
    ...(saved.charts === null ? {} : { charts: saved.charts }),
    ...(saved.slo === null ? {} : { slo: saved.slo }),
    ...(saved.png === true && { png: true }),
  };
}

const CHART_FILE = /^(.+)\.(vl\.json|svg|png)$/;

/**
 * Each chart as `NAME.vl.json` (the spec, to edit or re-render elsewhere), `NAME.svg` and, unless
 * `png` is false, `NAME.png` in `dir`. Files of the `known` charts not drawn this time (a PNG
 * included) are removed, so the folder always matches the report beside it; other files are left
 * alone.
 */
export async function writeCharts<Name extends string>(
  dir: string,
  charts: readonly Chart<Name>[],
  known: readonly string[] = CHART_NAMES,
  { png = true }: { png?: boolean } = {},
): Promise<string[]> {
  // Chart files are replaced and removed by name: through a link, in someone else's folder.
  const found = lstatSync(dir, { throwIfNoEntry: false });
  if (found !== undefined && !found.isDirectory()) {
    throw new RunInputError(
      `${dir}: ${found.isSymbolicLink() ? 'a link' : 'not a folder'}; charts are written only into a folder of fleetsim's own (remove it, and the charts are drawn there anew)`,
    );
  }
  mkdirSync(dir, { recursive: true });
  // Each chart's PNG starts as soon as its SVG is there: resvg draws on libuv's thread pool while
  // vega lays out the next chart on this one.
  // One guarded spec per chart, drawn and written as it is.
  const specs = charts.map((chart) => vegaSafe(chart.spec));
  const rendered = await Promise.all(
    specs.map(async (spec) => {
      const { svg } = await renderSafeSvg(spec);
      return { svg, png: png ? await renderPng(svg) : null };
    }),
  );
  const written: string[] = [];
  const drawn = new Set<string>();
  charts.forEach((chart, i) => {
    const files: [string, string | Uint8Array][] = [
      ['vl.json', `${JSON.stringify(specs[i], null, 2)}\n`],
      ['svg', rendered[i].svg],
    ];
    const image = rendered[i].png;
    if (image !== null) files.push(['png', image]);
    for (const [ext, content] of files) {
      const file = `${chart.name}.${ext}`;
      writeFileAtomic(join(dir, file), content);
      written.push(join(dir, file));
      drawn.add(file);
    }
  });
  for (const file of readdirSync(dir, { withFileTypes: true })) {
    const name = CHART_FILE.exec(file.name)?.[1];
    if (file.isFile() && name !== undefined && known.includes(name) && !drawn.has(file.name)) {
      rmSync(join(dir, file.name));
    }
  }
  return written;
}

/**
 * Charts and `report.html` of a run folder, drawn from the files `writeRunOutputs` wrote there
 * (which is what `fleetsim report DIR` does later): a report drawn again is the same. With a
 * replications.json beside them, the comparison shows means ± confidence half-widths and the
 * charts of headline figures error bars.
 */
export async function writeRunReport(dir: string, options: ReportOptions = {}): Promise<string[]> {
  const { summary, results, scenarioYaml, replicated } = readRunOutputs(dir);
  // readRunOutputs makes sure replications.json has every variant of summary.json.
  const entries = results.map((r): ComparisonEntry => {
    const entry = { label: r.name, scenario: summary.scenario, variant: r.name, summary: r };
    if (replicated === null) return entry;
    const { met_by_replication, model_draws } = replicated.verdicts.get(r.name)!;
    return {
      ...entry,
      estimates: {
        replications: replicated.replications,
        ...replicated.variants.get(r.name)!,
        ...(met_by_replication !== undefined && { met_by_replication }),
      },
      modelDraws: model_draws,
    };
  });
  const written = await writeReportFiles(dir, {
    title: summary.scenario,
    results,
    comparison: buildComparison(entries, summary.seed, options.slo),
    scenarios: [{ name: summary.scenario, yaml: scenarioYaml }],
    options,
  });
  const saved = join(dir, OPTIONS_FILE);
  writeFileAtomic(
    saved,
    `${JSON.stringify({ charts: options.charts ?? null, slo: options.slo ?? null, png: options.png === true }, null, 2)}\n`,
  );
  return [...written, saved];
}

export interface ComparedRun {
  entry: ComparisonEntry;
  result: VariantResult;
}

/**
 * `comparison.md|csv|json`, charts of all compared configurations (each under its label) and
 * `report.html`. Entries with replicates need `context.estimate` (see `buildComparison`); the
 * charts show each configuration's `result`, its first replication, apart from the means and
 * confidence intervals of headline figures.
 */
export async function writeComparisonOutputs(
  dir: string,
  compared: readonly ComparedRun[],
  context: {
    title: string;
    seed: number;
    scenarios: { name: string; yaml: string | null }[];
    estimate?: MeanEstimator;
    /** Sentences to put first among the comparison's notes. */
    notes?: string[];
  },
  options: ReportOptions = {},
): Promise<{ comparison: Comparison; written: string[] }> {
  const comparison = buildComparison(
    compared.map((c) => c.entry),
    context.seed,
    options.slo,
    context.estimate,
  );
  if (context.notes !== undefined && context.notes.length > 0) comparison.notes = context.notes;
  const written = [
    ['comparison.md', renderComparisonMarkdown(comparison, context.title)],
    ['comparison.csv', renderComparisonCsv(comparison)],
    ['comparison.json', renderComparisonJson(comparison)],
  ].map(([name, content]) => {
    const path = join(dir, name);
    writeFileAtomic(path, content);
    return path;
  });
  written.push(
    ...(await writeReportFiles(dir, {
      title: context.title,
      results: compared.map((c) => ({ ...c.result, name: c.entry.label })),
      comparison,
      scenarios: context.scenarios,
      options,
    })),
  );
  return { comparison, written };
}

/** The means and confidence intervals of a comparison of replications, by label: what charts draw of them. */
function replicatedOf(c: Comparison): Replicated | undefined {
  if (c.replications === 1) return undefined;
  return {
    replications: c.replications,
    variants: new Map(c.rows.map((r) => [r.label, { metrics: r.values, ci95: r.ci95 }])),
  };
}

async function writeReportFiles(
  dir: string,
  report: {
    title: string;
    results: readonly VariantResult[];
    comparison: Comparison;
    scenarios: { name: string; yaml: string | null }[];
    options: ReportOptions;
  },
): Promise<string[]> {
  const { options } = report;
  const charts = assembleCharts(
    { variants: report.results, slo: options.slo, replicated: replicatedOf(report.comparison) },
    options.charts,
  );
  const written = await writeCharts(join(dir, 'charts'), charts, CHART_NAMES, { png: options.png === true });
  const html = join(dir, 'report.html');
  writeFileAtomic(
    html,
    renderReportHtml({
      title: report.title,
      scenarios: report.scenarios,
      runs: report.results.map((r) => ({ label: r.name, summary: r })),
      comparison: report.comparison,
      charts,
    }),
  );
  return [...written, html];
}
