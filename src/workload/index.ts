/** Arrival processes: synthetic (Poisson, thinned Poisson, gamma renewal, constant) and streamed trace replay. */
export {
  type ArrivalContext,
  type ArrivalRecord,
  type ArrivalSource,
  createArrivalRecord,
  createArrivalSource,
  type SkippedRows,
} from './arrival-source.js';
export { RateFunctionError } from './synthetic-arrivals.js';
export { findBadRows } from './trace-arrivals.js';
export { type AttributeStats, computeTraceStats, type TraceStats } from './trace-stats.js';
