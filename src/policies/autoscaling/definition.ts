import type * as z from 'zod';
import type { PolicyBlock, PolicySchema } from '../definition.js';
import type { AutoscalerManifest, ManifestTarget } from './manifests.js';
import type { Autoscaler, ReplicaBounds } from './types.js';

/** Everything about one autoscaling policy (a fleet's `autoscaling:` block). */
export interface AutoscalerDefinition<Schema extends PolicySchema = PolicySchema>
  extends PolicyBlock<Schema> {
  /**
   * A fleet's autoscaler, for each run (and for the run-size estimate). It may throw a
   * RangeError for a config its schema let through.
   */
  create(config: z.output<Schema>, bounds: ReplicaBounds): Autoscaler;
  /**
   * The configuration of the real autoscaler this policy imitates (`fleetsim manifest`); absent
   * when there is none to write.
   */
  manifest?(config: z.output<Schema>, target: ManifestTarget): AutoscalerManifest;
}

/** Checks a definition's parts against each other (`create` takes what `schema` gives). */
export function defineAutoscaler<Schema extends PolicySchema>(
  definition: AutoscalerDefinition<Schema>,
): AutoscalerDefinition<Schema> {
  return definition;
}
