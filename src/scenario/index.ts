export { formatDuration, formatSize } from '../core/format.js';
export { parseDuration, parseSize } from '../core/units.js';
export { fileProblem } from './checks.js';
export type { ConfineDataPaths } from './confine.js';
export { scenarioJsonSchema } from './json-schema.js';
export {
  type LoadOptions,
  loadScenarioFile,
  loadScenarioObject,
  loadScenarioText,
  loadScenarioVariants,
  type ObjectLoadOptions,
  type VariantLoad,
} from './load.js';
export { renderScenarioReference } from './reference.js';
export {
  checkReplicatedRuns,
  checkRunCount,
  checkRunSize,
  estimateRunSize,
  LARGE_RUN_SHARE,
  type RunFactor,
  type RunSize,
} from './run-size.js';
export { traceSchema } from './schema.js';
export { detectTracePreset, type TracePreset, traceFields } from './trace-presets.js';
export * from './types.js';
