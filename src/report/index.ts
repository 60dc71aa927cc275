export { type CapacityEventsFile, renderCapacityEventsJson } from './capacity-events-json.js';
export * from './charts/index.js';
export {
  buildComparison,
  type Comparison,
  type ComparisonEntry,
  type ComparisonMetric,
  type ComparisonRow,
  type MeanEstimator,
} from './comparison.js';
export {
  noiseWarnings,
  renderComparisonCsv,
  renderComparisonJson,
  renderComparisonMarkdown,
  renderComparisonText,
} from './comparison-text.js';
export {
  buildDiff,
  type Diff,
  type DiffConfiguration,
  type DiffSideInput,
  type FailOnRule,
} from './diff.js';
export { DIFF_COMMENT_MARKER, renderDiffJson, renderDiffMarkdown, renderDiffTable } from './diff-text.js';
export { type DistributionsFile, renderDistributionsJson } from './distributions-json.js';
export { energyLines, energyMarkdown, energySentence } from './energy.js';
export { escapeMarkdown } from './format.js';
export {
  completionNote,
  escapeHtml,
  figuresHtml,
  htmlDocument,
  type ReportPage,
  renderReportHtml,
  scenariosHtml,
  scriptForInline,
  scrollBox,
} from './html.js';
export { renderSummaryMarkdown } from './markdown.js';
export { type PerformanceRun, performanceCaveats, performanceRuns } from './performance.js';
export { type RunOutputs, RunOutputsError, readRunOutputs } from './read-run.js';
export {
  FONT_FILES,
  type RenderedChart,
  type RenderedSvg,
  renderChart,
  renderPng,
  renderSvg,
} from './render-chart.js';
export { REQUESTS_FILE, RequestsFileWriter, removePartialRequestsFiles } from './requests-file.js';
export { fleetPerformanceSchema } from './run-files-schema.js';
export { describeSlo, describeSloMisses, type Slo, sloFailures } from './slo.js';
export { type RunSummary, renderSummaryJson, summarize, type VariantSummary } from './summary.js';
export { renderMarkdownTable, renderTextTable } from './table.js';
export { renderTimeseriesCsv } from './timeseries-csv.js';
export { writeFileAtomic } from './write.js';
export {
  type ComparedRun,
  type ReportOptions,
  readReportOptions,
  writeCharts,
  writeComparisonOutputs,
  writeRunReport,
} from './write-report.js';
export { writeRunOutputs } from './write-run.js';
