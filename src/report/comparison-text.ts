import {
  formatCount,
  formatNumber,
  formatPercent,
  formatSeconds,
  formatUsd,
  formatWholePercent,
  roundSignificant,
} from '../core/format.js';
import { belowSketchResolution, RELATIVE_ACCURACY } from '../metrics/index.js';
import type {
  Comparison,
  ComparisonMetric,
  ComparisonRow,
  MetricUnit,
  SloProbability,
} from './comparison.js';
import { escapeMarkdown } from './format.js';
import { describeSlo } from './slo.js';
import { roundNumbers } from './summary.js';

/**
 * A comparison as text: cells with confidence half-widths and deltas, the notes under it, and the
 * terminal, Markdown, CSV and JSON renderings.
 */

/** Quantile differences below this many percent are within the sketch's error. */
const QUANTILE_NOISE_PCT = 2 * RELATIVE_ACCURACY * 100;

export function formatMetricValue(unit: MetricUnit, value: number | null): string {
  switch (unit) {
    case 'count':
      // A mean of replications' counts is not a whole number.
      return value === null || Number.isInteger(value) ? formatCount(value) : formatNumber(value);
    case 'fraction':
      return formatPercent(value);
    case 'number':
      return formatNumber(value);
    case 's':
      return formatSeconds(value);
    case 'usd':
      return formatUsd(value);
  }
}

/**
 * `12.6 s`, or with replications `12.6 s ± 812 ms` (the 95 % confidence half-width); a quantile's
 * half-width below the sketch's resolution is `± <1 %`.
 */
export function formatMetricCell(metric: ComparisonMetric, row: ComparisonRow): string {
  const value = formatMetricValue(metric.unit, row.values[metric.key]);
  const halfWidth = row.ci95?.[metric.key] ?? null;
  if (halfWidth === null) return value;
  if (withinSketchBins(metric, row)) return `${value} ± <${RELATIVE_ACCURACY * 100} %`;
  return `${value} ± ${formatMetricValue(metric.unit, halfWidth)}`;
}

function withinSketchBins(metric: ComparisonMetric, row: ComparisonRow): boolean {
  const mean = row.values[metric.key];
  const halfWidth = row.ci95?.[metric.key] ?? null;
  return metric.quantile && mean !== null && halfWidth !== null && belowSketchResolution(halfWidth, mean);
}

/**
 * `+12.3 %`, and from twice the baseline on the ratio (`2.5x`, `590x`: `+58905 %` reads as noise);
 * a `~` marks a change within noise: a quantile change within the sketch's error, or with
 * replications one whose paired confidence interval holds 0 (`withinNoise`).
 */
export function formatDelta(
  metric: ComparisonMetric,
  delta: number | null,
  withinNoise: boolean | null = null,
): string {
  if (delta === null) return '';
  const text = delta >= 100 ? formatRatio(1 + delta / 100) : `${delta > 0 ? '+' : ''}${delta.toFixed(1)} %`;
  const noise = withinNoise === true || (metric.quantile && Math.abs(delta) < QUANTILE_NOISE_PCT);
  return noise && delta !== 0 ? `~${text}` : text;
}

/** `2.5x`, `12x`, `590x`: two significant digits, whole numbers from 10 on. */
function formatRatio(ratio: number): string {
  return `${ratio < 10 ? ratio.toFixed(1) : ratio.toFixed(0)}x`;
}

/** `85 % (64-95 %)`: the probability of meeting the objective with its 95 % interval; `-` without one. */
export function formatSloProbability(p: SloProbability | null): string {
  if (p === null) return '-';
  const [low, high] = p.met_share_ci95;
  return `${formatWholePercent(p.met_share)} % (${formatWholePercent(low)}-${formatWholePercent(high)} %)`;
}

/** `P(SLO) 85 %: the SLO held in 17 of 20 model draws (95 % CI 64-95 %)`. */
export function describeSloProbability(p: SloProbability): string {
  const runs = p.met_by_replication;
  const [low, high] = p.met_share_ci95;
  return `P(SLO) ${formatWholePercent(p.met_share)} %: the SLO held in ${runs.filter(Boolean).length} of ${runs.length} ${
    p.model_draws ? 'model draws' : 'replications'
  } (95 % CI ${formatWholePercent(low)}-${formatWholePercent(high)} %)`;
}

/** What P(SLO) is, and which configurations drew the step-time parameters; null when no row has one. */
export function sloProbabilityNote(c: Comparison): string | null {
  const rows = c.rows.filter((r) => r.slo_probability !== null);
  if (rows.length === 0) return null;
  const drawing = rows.filter((r) => r.slo_probability!.model_draws);
  const draws =
    drawing.length === 0
      ? ''
      : ` ${drawing.length === rows.length ? 'Every replication' : `Every replication of ${drawing.map((r) => r.label).join(', ')}`} drew the step-time parameters from their uncertainty (model_uncertainty), so P(SLO) also covers how far the step-time model may be off.`;
  return `P(SLO): the share of replications whose own figures meet every objective, with its 95 % Wilson interval: the probability that the configuration meets the objective. It does not change the verdict on the means: a configuration that misses there misses, whatever its P(SLO).${draws}`;
}

/** The changes against the baseline that replications cannot tell from noise, per configuration. */
export function noiseWarnings(c: Comparison): string[] {
  return c.rows.flatMap((r) => {
    const titles = c.metrics
      .filter((m) => m.better !== null && r.within_noise?.[m.key] === true && r.delta_pct[m.key] !== 0)
      .map((m) => m.title);
    return titles.length === 0 ? [] : [`${r.label}: ${titles.join(', ')}`];
  });
}

/** Sentences printed under every comparison: why the numbers are comparable, what was picked, what is noise. */
export function comparisonNotes(c: Comparison): string[] {
  const notes = [
    ...(c.notes ?? []),
    `Every configuration ran with seed ${c.seed} and common random numbers: the same arrivals, request sizes and per-fleet service-time streams, so differences come from the configurations, not from sampling noise.`,
    `Deltas are against the baseline${c.baseline === 'baseline' ? '' : `, ${c.baseline}`}. A ~ marks a quantile change under ${QUANTILE_NOISE_PCT} %, within the quantile sketch's ${RELATIVE_ACCURACY * 100} % relative error.`,
  ];
  if (c.replications > 1) {
    notes.push(
      `Values are means of ${c.replications} replications (the first with seed ${c.seed}, the others with seeds drawn from it, the same for every configuration) ± the half-width of their 95 % confidence interval; the SLO is judged on the means. The latency-percentile, unit-cost and cost-against-p99 charts show these means with their intervals as whiskers, the other charts the first replication.`,
    );
    if (c.metrics.some((m) => c.rows.some((r) => withinSketchBins(m, r)))) {
      notes.push(
        `± <${RELATIVE_ACCURACY * 100} %: the percentile varied across replications by less than the quantile sketch resolves (${RELATIVE_ACCURACY * 100} % of the value), so its interval would only show the sketch's bins.`,
      );
    }
    if (c.rows.some((r) => r.within_noise !== null)) {
      notes.push(
        'A ~ also marks a difference within noise: the 95 % confidence interval of its differences replication by replication holds 0.',
      );
    }
    const bare = c.metrics.filter((m) =>
      c.rows.some((r) => r.values[m.key] !== null && (r.ci95?.[m.key] ?? null) === null),
    );
    if (bare.length > 0) {
      notes.push(`Means without a confidence interval: ${bare.map((m) => m.title).join(', ')}.`);
    }
    const noisy = noiseWarnings(c);
    if (noisy.length > 0) notes.push(`Within noise against the baseline: ${noisy.join('; ')}.`);
    const probability = sloProbabilityNote(c);
    if (probability !== null) notes.push(probability);
  }
  const prefixOff = c.metrics.some(
    (m) => m.key.startsWith('prefix_cache.') && c.rows.some((r) => r.values[m.key] === null),
  );
  if (prefixOff) {
    notes.push('Prefix-cache rows: - where the fleet runs without prefix caching (prefix_caching: false).');
  }
  notes.push(
    c.slo.isDefault
      ? `Objective: ${describeSlo(c.slo)} (the default; a scenario sets its own with slo:). A configuration that misses it is never picked.`
      : `SLO: ${describeSlo(c.slo)}. A configuration that misses it is never picked.`,
  );
  for (const r of c.rows) {
    if (!r.slo_met) notes.push(`${r.label} MISSES the objective: ${r.slo_failures.join('; ')}.`);
  }
  if (c.pick === null) notes.push('No configuration meets the objective: none is picked.');
  else notes.push(`* ${c.pick.label}: ${c.pick.basis}, by cost per 1k requests.`);
  return notes;
}

/** `meets`, `MISSES`, or `PARTIAL` for a run a limit cut short (which misses too). */
export function verdictWord(row: Pick<ComparisonRow, 'slo_met' | 'partial'>): string {
  return row.slo_met ? 'meets' : row.partial ? 'PARTIAL' : 'MISSES';
}

/** Rows of cells, metrics down and configurations across, header first. */
function comparisonCells(c: Comparison): string[][] {
  const header = ['metric', ...c.rows.map((r) => (c.pick?.label === r.label ? `${r.label} *` : r.label))];
  const body = c.metrics.map((m) => [
    m.title,
    ...c.rows.map((r, i) => {
      const value = formatMetricCell(m, r);
      const delta = i === 0 ? '' : formatDelta(m, r.delta_pct[m.key], r.within_noise?.[m.key]);
      return delta === '' ? value : `${value} (${delta})`;
    }),
  ]);
  const verdict = ['objective', ...c.rows.map(verdictWord)];
  const probability = c.rows.some((r) => r.slo_probability !== null)
    ? [['P(SLO)', ...c.rows.map((r) => formatSloProbability(r.slo_probability))]]
    : [];
  return [header, verdict, ...probability, ...body];
}

export function renderComparisonText(c: Comparison): string {
  const rows = comparisonCells(c);
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    ...comparisonNotes(c),
  ].join('\n')}\n`;
}

/** `c` with its labels, metric titles and given notes escaped for Markdown; numbers and fixed text as they are. */
function escapedForMarkdown(c: Comparison): Comparison {
  return {
    ...c,
    baseline: escapeMarkdown(c.baseline),
    metrics: c.metrics.map((m) => ({ ...m, title: escapeMarkdown(m.title) })),
    rows: c.rows.map((r) => ({ ...r, label: escapeMarkdown(r.label) })),
    ...(c.notes === undefined ? {} : { notes: c.notes.map(escapeMarkdown) }),
    pick: c.pick === null ? null : { ...c.pick, label: escapeMarkdown(c.pick.label) },
  };
}

export function renderComparisonMarkdown(c: Comparison, title: string): string {
  const escaped = escapedForMarkdown(c);
  const rows = comparisonCells(escaped);
  const line = (row: string[]) => `| ${row.join(' | ')} |`;
  return `${[
    `# ${escapeMarkdown(title)}`,
    '',
    line(rows[0]),
    `|${rows[0].map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map(line),
    '',
    // The pick's note starts with `*`, which after the item's `-` would open a list of its own.
    ...comparisonNotes(escaped).map((n) => `- ${n.replace(/^\*/, '\\*')}`),
  ].join('\n')}\n`;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * One line per configuration: its values, then its deltas in percent (empty cells for none); with
 * replications also its P(SLO) after the verdict, the confidence half-widths and whether each
 * delta is within noise.
 */
export function renderComparisonCsv(c: Comparison): string {
  const replicated = c.replications > 1;
  const header = [
    'label',
    'scenario',
    'variant',
    'picked',
    'slo_met',
    ...(replicated ? ['met_share', 'met_share_ci95_low', 'met_share_ci95_high', 'model_draws'] : []),
    ...c.metrics.map((m) => m.key),
    ...c.metrics.map((m) => `${m.key}.delta_pct`),
    ...(replicated ? c.metrics.map((m) => `${m.key}.ci95`) : []),
    ...(replicated ? c.metrics.map((m) => `${m.key}.within_noise`) : []),
  ];
  const number = (x: number | null) => (x === null ? '' : String(roundSignificant(x, 10)));
  const flag = (x: boolean | null | undefined) => (x === null || x === undefined ? '' : String(x));
  const lines = c.rows.map((r) =>
    [
      csvField(r.label),
      csvField(r.scenario),
      csvField(r.variant),
      String(c.pick?.label === r.label),
      String(r.slo_met),
      ...(replicated
        ? [
            number(r.slo_probability?.met_share ?? null),
            number(r.slo_probability?.met_share_ci95[0] ?? null),
            number(r.slo_probability?.met_share_ci95[1] ?? null),
            flag(r.slo_probability?.model_draws),
          ]
        : []),
      ...c.metrics.map((m) => number(r.values[m.key])),
      ...c.metrics.map((m) => number(r.delta_pct[m.key])),
      ...(replicated ? c.metrics.map((m) => number(r.ci95?.[m.key] ?? null)) : []),
      ...(replicated ? c.metrics.map((m) => flag(r.within_noise?.[m.key])) : []),
    ].join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

export function renderComparisonJson(c: Comparison): string {
  return `${JSON.stringify({ ...roundNumbers(c), notes: comparisonNotes(c) }, null, 2)}\n`;
}
