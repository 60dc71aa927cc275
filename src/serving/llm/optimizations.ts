import {
  BYTES_PER_WEIGHT,
  buildLlmModel,
  type LlmModel,
  type LlmSpec,
  type Precision,
  presetModel,
} from './model.js';

/**
 * Model optimizations as transforms applied in order before simulation. Quality loss is not
 * simulated: `qualityDelta` is carried as data so that a comparison shows what was traded.
 */
export type Optimization =
  | { quantize: 'int8' | 'fp8' | 'int4'; kvCache?: 'fp8' | 'int8'; qualityDelta?: number }
  | { prune: { sparsity: number; structured?: '2:4' }; qualityDelta?: number }
  | { distill: { into: string | LlmSpec }; qualityDelta?: number };

export interface OptimizedModel {
  model: LlmModel;
  /** Sum of the stated quality deltas (e.g. accuracy points); undefined when none was stated. */
  qualityDelta?: number;
}

export function applyOptimizations(base: LlmModel, optimizations: readonly Optimization[]): OptimizedModel {
  let model = base;
  let qualityDelta: number | undefined;
  for (const optimization of optimizations) {
    model = applyOne(model, optimization);
    if (optimization.qualityDelta !== undefined)
      qualityDelta = (qualityDelta ?? 0) + optimization.qualityDelta;
  }
  return qualityDelta === undefined ? { model } : { model, qualityDelta };
}

function applyOne(model: LlmModel, optimization: Optimization): LlmModel {
  if ('quantize' in optimization) {
    const precision: Precision = optimization.quantize;
    return {
      ...model,
      name: `${model.name}+${precision}`,
      bytesPerWeight: BYTES_PER_WEIGHT[precision],
      // int8 means W8A8 (SmoothQuant-style int8 matmuls); int4 is weight-only, so 16-bit matmuls.
      computePrecision: precision === 'int4' ? model.computePrecision : precision,
      kvBytesPerElement: optimization.kvCache
        ? BYTES_PER_WEIGHT[optimization.kvCache]
        : model.kvBytesPerElement,
    };
  }
  if ('prune' in optimization) {
    const { sparsity, structured } = optimization.prune;
    if (structured === '2:4') {
      if (sparsity !== 0.5) throw new RangeError(`2:4 sparsity is 0.5 by definition, got ${sparsity}`);
      // Parameters stay addressable as a dense matrix; the roofline halves work only where the
      // accelerator has sparse tensor cores.
      return { ...model, name: `${model.name}+2:4`, sparse24: true };
    }
    if (!(sparsity >= 0 && sparsity < 1))
      throw new RangeError(`prune sparsity must be in [0, 1), got ${sparsity}`);
    // Pruning that removes whole heads/channels/layers shrinks every matmul and the weights read;
    // scattered zeros in dense matrices would save nothing, so sparsity here means removed parameters.
    return {
      ...model,
      name: `${model.name}-pruned${Math.round(sparsity * 100)}`,
      params: model.params * (1 - sparsity),
    };
  }
  const { into } = optimization.distill;
  const student = typeof into === 'string' ? presetModel(into) : buildLlmModel(into);
  // The student keeps the teacher's serving precision unless its spec says otherwise.
  const keepPrecision = typeof into === 'string' || into.precision === undefined;
  return keepPrecision
    ? {
        ...student,
        bytesPerWeight: model.bytesPerWeight,
        computePrecision: model.computePrecision,
        kvBytesPerElement: model.kvBytesPerElement,
      }
    : student;
}
