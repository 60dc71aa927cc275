import type { FleetPerformance } from '../metrics/index.js';
import { escapeMarkdown } from './format.js';
import { escapeHtml } from './html.js';
import type { VariantSummary } from './summary.js';

/** Each variant (or configuration) by its label, with its per-fleet sources. */
export interface PerformanceRun {
  label: string;
  performance: Record<string, FleetPerformance>;
}

/** Summaries written before the field existed have none. */
function entries(run: PerformanceRun): [string, FleetPerformance][] {
  return Object.entries(run.performance ?? {});
}

/**
 * One line per distinct caveat: runs that share a caveat get it once, named by label unless every
 * run has it.
 */
export function performanceCaveats(runs: readonly PerformanceRun[]): string[] {
  const byCaveat = new Map<string, string[]>();
  for (const run of runs) {
    for (const [, { caveat }] of entries(run)) {
      if (caveat === null) continue;
      const labels = byCaveat.get(caveat);
      if (labels === undefined) byCaveat.set(caveat, [run.label]);
      else labels.push(run.label);
    }
  }
  return [...byCaveat].map(([caveat, labels]) =>
    labels.length === runs.length ? caveat : `${labels.join(', ')}: ${caveat}`,
  );
}

export function performanceRuns(variants: readonly VariantSummary[]): PerformanceRun[] {
  return variants.map((v) => ({ label: v.name, performance: v.performance }));
}

/** summary.md: the caveats, then per variant and fleet where its step or service times come from. */
export function performanceMarkdown(runs: readonly PerformanceRun[]): string[] {
  const rows = runs.flatMap((run) =>
    entries(run).map(
      ([fleet, p]) =>
        `| ${escapeMarkdown(run.label)} | ${escapeMarkdown(fleet)} | ${p.source} | ${escapeMarkdown(p.accelerator ?? '-')} | ${escapeMarkdown(p.detail)} |`,
    ),
  );
  if (rows.length === 0) return [];
  return [
    '## Where the step and service times come from',
    '',
    ...performanceCaveats(runs).flatMap((caveat) => [`> **Caveat:** ${escapeMarkdown(caveat)}`, '']),
    '| variant | fleet | source | accelerator | detail |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** report.html: the caveats, for the top of the page. */
export function performanceCaveatsHtml(runs: readonly PerformanceRun[]): string {
  return performanceCaveats(runs)
    .map((caveat) => `<p class="caveat"><strong>Caveat:</strong> ${escapeHtml(caveat)}</p>`)
    .join('\n');
}

/** report.html: per configuration and fleet where its step or service times come from. */
export function performanceTableHtml(runs: readonly PerformanceRun[]): string {
  const rows = runs.flatMap((run) =>
    entries(run).map(
      ([fleet, p]) =>
        `<tr><th scope="row">${escapeHtml(run.label)}</th><td>${escapeHtml(fleet)}</td><td>${escapeHtml(p.source)}</td><td>${escapeHtml(p.accelerator ?? '-')}</td><td class="detail">${escapeHtml(p.detail)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return `<h2>Step and service times</h2>
<div class="scroll long"><table id="performance"><thead><tr><th>configuration</th><th>fleet</th><th>source</th><th>accelerator</th><th>detail</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
