/** Arrival processes: synthetic (Poisson, thinned Poisson, gamma renewal, constant) and streamed trace replay. */
export {
  type ArrivalContext,
  type ArrivalRecord,
  type ArrivalSource,
  createArrivalRecord,
  createArrivalSource,
  type PromptPrefix,
  type SkippedRows,
} from './arrival-source.js';
export {
  formatRequestLine,
  REQUEST_COLUMNS,
  REQUEST_OUTCOMES,
  type ReadRequestsOptions,
  type RequestOutcome,
  type RequestRecord,
  readRequestRecords,
} from './request-records.js';
export { RateFunctionError } from './synthetic-arrivals.js';
export { findBadRows } from './trace-arrivals.js';
export { type AttributeStats, computeTraceStats, type TraceStats } from './trace-stats.js';
