import type * as z from 'zod';
import type { PolicyBlock, PolicySchema } from '../definition.js';
import type { BatchingPolicy } from './types.js';

/** Everything about one batching policy (a fleet's `batching:` block). */
export interface BatchingDefinition<Schema extends PolicySchema = PolicySchema> extends PolicyBlock<Schema> {
  /**
   * When a replica starts a batch, for each fleet at the start of a run; null when the simulator
   * serves the fleet without batches (`none`) or schedules its iterations itself (`continuous`).
   */
  create(config: z.output<Schema>): BatchingPolicy | null;
}

/** Checks a definition's parts against each other (`create` takes what `schema` gives). */
export function defineBatching<Schema extends PolicySchema>(
  definition: BatchingDefinition<Schema>,
): BatchingDefinition<Schema> {
  return definition;
}
