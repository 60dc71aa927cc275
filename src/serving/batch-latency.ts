import { compileExpression } from '../scenario/expression.js';
import { type BatchLatency, RunInputError } from '../scenario/types.js';

/** Seconds one batch of `size` requests takes. */
export type BatchLatencyModel = (size: number) => number;

export function createBatchLatencyModel(latency: BatchLatency): BatchLatencyModel {
  const model = latency.kind === 'expression' ? fromExpression(latency.source) : fromTable(latency.points);
  // Sizes are small integers: tabulate lazily so a batch costs an array read, not an evaluation.
  const cache: number[] = [];
  return (size) => {
    const cached = cache[size];
    if (cached !== undefined) return cached;
    const seconds = model(size);
    if (!(seconds >= 0 && seconds < Number.POSITIVE_INFINITY)) {
      throw new RunInputError(
        `batch_latency gave ${seconds} s for a batch of ${size}; it must be a finite duration >= 0`,
      );
    }
    cache[size] = seconds;
    return seconds;
  };
}

function fromExpression(source: string): BatchLatencyModel {
  const compiled = compileExpression(source, ['b']);
  // The loader compiled this expression already; failing here means a caller skipped validation.
  if (!compiled.ok) throw new Error(`batch_latency "${source}": ${compiled.message}`);
  const size = new Float64Array(1);
  const evaluate = compiled.fn;
  return (b) => {
    size[0] = b;
    return evaluate(size);
  };
}

/**
 * Linear between measured points; beyond the largest measured batch, the last segment's slope
 * continues (batch latency grows about linearly once the accelerator is saturated).
 */
function fromTable(points: readonly { batch: number; seconds: number }[]): BatchLatencyModel {
  const sorted = [...points].sort((a, b) => a.batch - b.batch);
  return (b) => {
    if (sorted.length === 1 || b <= sorted[0].batch) return sorted[0].seconds;
    let i = 1;
    while (i < sorted.length - 1 && sorted[i].batch < b) i++;
    const lo = sorted[i - 1];
    const hi = sorted[i];
    return lo.seconds + ((hi.seconds - lo.seconds) * (b - lo.batch)) / (hi.batch - lo.batch);
  };
}
