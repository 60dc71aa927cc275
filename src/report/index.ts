import { join } from 'node:path';
import type { VariantResult } from '../metrics/index.js';
import { renderSummaryMarkdown } from './markdown.js';
import { type RunSummary, renderSummaryJson } from './summary.js';
import { renderTimeseriesCsv } from './timeseries-csv.js';
import { writeFileAtomic } from './write.js';

export { renderSummaryMarkdown } from './markdown.js';
export { type RunSummary, renderSummaryJson, summarize, type VariantSummary } from './summary.js';
export { renderMarkdownTable, renderTextTable } from './table.js';
export { renderTimeseriesCsv } from './timeseries-csv.js';
export { writeFileAtomic } from './write.js';

/** The files a run writes, by name. */
export const OUTPUT_FILES = ['summary.json', 'summary.md', 'timeseries.csv'] as const;

export function writeRunOutputs(
  outDir: string,
  summary: RunSummary,
  results: readonly VariantResult[],
): string[] {
  const files: Record<(typeof OUTPUT_FILES)[number], string> = {
    'summary.json': renderSummaryJson(summary),
    'summary.md': renderSummaryMarkdown(summary),
    'timeseries.csv': renderTimeseriesCsv(results),
  };
  return OUTPUT_FILES.map((name) => {
    const path = join(outDir, name);
    writeFileAtomic(path, files[name]);
    return path;
  });
}
