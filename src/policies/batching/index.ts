import type * as z from 'zod';
import { PolicyRegistry } from '../registry.js';
import { continuous } from './continuous.js';
import type { BatchingDefinition } from './definition.js';
import { dynamic } from './dynamic.js';
import { none } from './none.js';
import { staticPolicy } from './static.js';
import type { BatchingPolicy } from './types.js';

export type { ContinuousBatching, KvOffload } from './continuous.js';
export type { BatchingDefinition } from './definition.js';
export type { DynamicBatching } from './dynamic.js';
export type { NoBatching } from './none.js';
export type { StaticBatching } from './static.js';
export type { BatchingPolicy } from './types.js';

/** The batching policies, in the order errors and the scenario reference list them. */
export const BATCHING_POLICIES = [none, staticPolicy, dynamic, continuous] as const;

/**
 * How a replica groups waiting requests into batches. `none`: every request runs on its own in
 * one of `concurrency` slots (its own service time). `static` and `dynamic` run batches, each for
 * `batchLatency(size)`, at most `concurrency` batches at once per replica (Triton's instance
 * count). `continuous` schedules the iterations of an LLM.
 */
export type Batching = z.output<(typeof BATCHING_POLICIES)[number]['schema']>;

const registry = new PolicyRegistry<BatchingDefinition>('batching', BATCHING_POLICIES);

/**
 * The policy a fleet's `batching:` names; null for `none` (one request per slot, no batches) and
 * for `continuous`, whose iteration-level scheduler is `ContinuousScheduler`.
 */
export function createBatchingPolicy(batching: Batching): BatchingPolicy | null {
  return registry.get(batching.policy).create(batching);
}
