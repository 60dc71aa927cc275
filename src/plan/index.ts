export { wilsonInterval } from '../metrics/slo.js';
export { NO_PICK, type SustainedLoad, type SweepAnswer, sweepAnswer, sweepAnswerLines } from './answer.js';
export { checkSweepGrid, type GridCheck, type GridInfeasibility } from './check-grid.js';
export { mergeSweepDirs, mergeSweeps } from './merge.js';
export { identicalNote, identicalReplicationsNote, randomSources } from './noise.js';
export type { RowStatus, SweepResult, SweepRow } from './output.js';
export {
  describeMetShare,
  formatMetShare,
  performanceCaveatsOf,
  performanceLabel,
  renderSweepCsv,
  renderSweepJson,
  renderSweepTable,
} from './output.js';
export {
  type PlanAtLoad,
  type PlanCandidate,
  type PlanOptions,
  type PlanOutcome,
  type PlanResult,
  runPlan,
  type SustainableLoad,
} from './plan.js';
export { describePick, planAnswerLines, renderPlanMarkdown, renderPlanTable } from './plan-output.js';
export { parseShard, type Shard, type SweepPoint, sweepPoints } from './points.js';
export {
  aggregateRuns,
  checkSlo,
  type ModelUncertainty,
  ONE_DRAW,
  type ReplicatedMetrics,
  type ReplicatedSloCheck,
  type ReplicatedVariant,
  type ReplicateOptions,
  replicateScenario,
  replicationSeeds,
} from './replications.js';
export type { RunMetrics } from './run-metrics.js';
export { createRunner, defaultWorkers, Interrupted, type JobRunner, type RunnerOptions } from './runner.js';
export { estimateMean, type MeanEstimate, studentT975 } from './statistics.js';
export { runSweep, type StudyOptions, type SweepOptions, type SweepOutcome } from './sweep.js';
