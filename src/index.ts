export { Engine, type EventHandler, EventQueue, type RunOutcome } from './engine/index.js';
export type { DistributionSummary, RequestCounts, TimeSeriesRow, VariantResult } from './metrics/index.js';
export { dropRate, evaluateSlo, type SloCheck, type SloObjectiveCheck } from './metrics/slo.js';
export {
  aggregateRuns,
  checkSlo,
  Interrupted,
  mergeSweepDirs,
  mergeSweeps,
  type PlanCandidate,
  type PlanOptions,
  type PlanResult,
  parseShard,
  type ReplicatedVariant,
  type ReplicateOptions,
  replicateScenario,
  replicationSeeds,
  runPlan,
  runSweep,
  type Shard,
  type SweepOptions,
  type SweepResult,
  type SweepRow,
} from './plan/index.js';
export {
  type RunSummary,
  renderSummaryJson,
  renderSummaryMarkdown,
  renderTextTable,
  renderTimeseriesCsv,
  summarize,
  type VariantSummary,
  writeRunOutputs,
} from './report/index.js';
export { type RunOptions, type RunOutput, runLoadedScenario, runScenario, ScenarioError } from './run.js';
export { loadScenarioFile, loadScenarioObject, loadScenarioText } from './scenario/index.js';
export * from './scenario/types.js';
export { simulate } from './sim/index.js';
