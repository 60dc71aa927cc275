import type { Uniform } from '../engine/index.js';
import { compileExpression } from '../scenario/expression.js';
import { REQUEST_ATTRIBUTES, RunInputError, type ServiceTime } from '../scenario/types.js';
import { createSampler } from './distribution.js';

/**
 * Seconds of service for one request, given its attributes in `REQUEST_ATTRIBUTES` order.
 * Distributions ignore the attributes; expressions are functions of them.
 */
export type ServiceTimeModel = (attributes: Float64Array) => number;

export function createServiceTimeModel(serviceTime: ServiceTime, uniform: Uniform): ServiceTimeModel {
  if (serviceTime.kind !== 'expression') {
    return createSampler(serviceTime, uniform);
  }
  const compiled = compileExpression(serviceTime.source, REQUEST_ATTRIBUTES);
  // The loader compiled this expression already; failing here means a caller skipped validation.
  if (!compiled.ok) throw new Error(`service_time "${serviceTime.source}": ${compiled.message}`);
  const evaluate = compiled.fn;
  const source = serviceTime.source;
  return (attributes) => {
    const seconds = evaluate(attributes);
    if (seconds >= 0 && seconds < Number.POSITIVE_INFINITY) return seconds;
    throw negativeServiceTime(source, seconds, attributes);
  };
}

/** Out of line so the per-request closure stays small. */
function negativeServiceTime(source: string, seconds: number, attributes: Float64Array): RunInputError {
  const values = REQUEST_ATTRIBUTES.map((name, i) => `${name}=${attributes[i]}`).join(', ');
  return new RunInputError(
    `service_time "${source}" gave ${seconds} s for a request with ${values}; a service time must be a finite duration >= 0`,
  );
}
