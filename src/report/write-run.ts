import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { VariantResult } from '../metrics/index.js';
import { renderCapacityEventsJson } from './capacity-events-json.js';
import { renderCostAllocationCsv, renderCostAllocationJson } from './cost-allocation.js';
import { renderDistributionsJson } from './distributions-json.js';
import { renderSummaryMarkdown } from './markdown.js';
import { type RunSummary, renderSummaryJson } from './summary.js';
import { renderTimeseriesCsv } from './timeseries-csv.js';
import { writeFileAtomic } from './write.js';

/**
 * The data files of a run. `scenarioYaml` is copied as `scenario.yaml` for the report; charts
 * and `report.html` are drawn from these files by `writeRunReport`.
 */
export function writeRunOutputs(
  outDir: string,
  summary: RunSummary,
  results: readonly VariantResult[],
  scenarioYaml?: string | null,
): string[] {
  const files: Record<string, string> = {
    'summary.json': renderSummaryJson(summary),
    'summary.md': renderSummaryMarkdown(summary),
    'timeseries.csv': renderTimeseriesCsv(results),
    'distributions.json': renderDistributionsJson(summary.scenario, summary.seed, results),
    'capacity-events.json': renderCapacityEventsJson(summary.scenario, summary.seed, results),
    ...(scenarioYaml === undefined || scenarioYaml === null ? {} : { 'scenario.yaml': scenarioYaml }),
  };
  // Only runs whose workload declares classes: the files of every other run stay as they were.
  const allocationJson = renderCostAllocationJson(summary.scenario, summary.seed, results);
  const allocationCsv = renderCostAllocationCsv(results);
  if (allocationJson !== null) files['cost-allocation.json'] = allocationJson;
  if (allocationCsv !== null) files['cost-allocation.csv'] = allocationCsv;
  // One left by an earlier run with classes would describe another run than summary.json.
  for (const name of ['cost-allocation.json', 'cost-allocation.csv'])
    if (!(name in files)) rmSync(join(outDir, name), { force: true });
  return Object.entries(files).map(([name, content]) => {
    const path = join(outDir, name);
    writeFileAtomic(path, content);
    return path;
  });
}
