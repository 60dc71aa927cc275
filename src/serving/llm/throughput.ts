import { type KvCacheSettings, kvCacheCapacityTokens } from './kv-cache.js';
import type { LlmModel } from './model.js';
import { type IterationBatch, iterationTime, type LlmHardware } from './roofline.js';
import { SERVING_STACKS, type ServingStack } from './serving-stack.js';

export interface SaturatingWorkload {
  /** Mean prompt tokens per request. */
  inputTokens: number;
  /** Mean generated tokens per request. */
  outputTokens: number;
  /** Scheduler cap on running sequences (vLLM max_num_seqs). */
  maxNumSeqs?: number;
  /** Longest acceptable iteration, e.g. a time-per-output-token SLO; the batch shrinks to meet it. */
  maxStepS?: number;
  /** What sizes the KV cache, which caps the batch by the mean context it must hold. */
  kvCache: KvCacheSettings;
}

export interface SaturatedThroughput {
  runningSequences: number;
  stepS: number;
  outputTokensPerS: number;
}

/**
 * Steady state of a continuously batched instance that always has work: `b` sequences run;
 * each lives `outputTokens` iterations, so every iteration admits b / outputTokens new prompts
 * and decodes b tokens, while an average sequence holds inputTokens + outputTokens / 2 of KV.
 */
function steadyBatch(workload: SaturatingWorkload, running: number): IterationBatch {
  const { inputTokens, outputTokens } = workload;
  const admitted = running / outputTokens;
  return {
    prefill: [{ tokens: inputTokens, pastTokens: 0, count: admitted }],
    decodeSequences: running,
    decodeContextTokens: running * (inputTokens + outputTokens / 2),
  };
}

export function saturatedThroughput(
  model: LlmModel,
  hardware: LlmHardware,
  workload: SaturatingWorkload,
  stack: ServingStack = SERVING_STACKS.vllm,
): SaturatedThroughput {
  const meanContext = workload.inputTokens + workload.outputTokens / 2;
  const byMemory = Math.floor(kvCacheCapacityTokens(model, hardware, workload.kvCache) / meanContext);
  let running = Math.min(byMemory, workload.maxNumSeqs ?? Number.POSITIVE_INFINITY);
  if (running < 1) return { runningSequences: 0, stepS: Number.POSITIVE_INFINITY, outputTokensPerS: 0 };
  const stepAt = (b: number) => iterationTime(model, hardware, steadyBatch(workload, b), stack).totalS;
  if (workload.maxStepS !== undefined && stepAt(running) > workload.maxStepS) {
    // Step time grows with the batch, so bisect for the largest batch that meets the limit.
    let low = 0;
    let high = running;
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (stepAt(mid) <= workload.maxStepS) low = mid;
      else high = mid;
    }
    running = low;
    if (running < 1) return { runningSequences: 0, stepS: stepAt(1), outputTokensPerS: 0 };
  }
  const stepS = stepAt(running);
  return { runningSequences: running, stepS, outputTokensPerS: running / stepS };
}
