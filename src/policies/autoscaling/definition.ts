import type * as z from 'zod';
import type { Autoscaler, ReplicaBounds } from './types.js';

/**
 * A fleet's `autoscaling:` block for one policy: a strict zod object (or one piped through a
 * transform) whose `policy` key is the policy's name as a literal, so that the blocks of all
 * policies form one discriminated union.
 */
export type AutoscalerSchema = z.ZodType<{ policy: string }, unknown> & z.core.$ZodTypeDiscriminable;

/** Everything about one autoscaling policy; see docs/architecture.md, Policies. */
export interface AutoscalerDefinition<Schema extends AutoscalerSchema = AutoscalerSchema> {
  /** What a scenario writes as `autoscaling: { policy: <name> }`. */
  readonly name: z.output<Schema>['policy'];
  /**
   * The block's keys, each with the text the scenario reference shows and, when it may be left
   * out, its default as a `prefault`. Checks that would otherwise fail mid-run belong here too.
   */
  readonly schema: Schema;
  /** The values of the keys that may be left out, as the schema's prefaults give them. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /**
   * A fleet's autoscaler, for each run (and for the run-size estimate). It may throw a
   * RangeError for a config its schema let through.
   */
  create(config: z.output<Schema>, bounds: ReplicaBounds): Autoscaler;
  /** A block as a scenario writes it; it must load. The scenario reference shows one policy's. */
  readonly example: z.input<Schema>;
  /**
   * Examples of the mappings nested in the block, by their path inside it (`behavior.scale_up`,
   * `steps[]` for the items of a list): the scenario reference shows one under each section.
   */
  readonly sections?: Readonly<Record<string, unknown>>;
}

/** Checks a definition's parts against each other (`create` takes what `schema` gives). */
export function defineAutoscaler<Schema extends AutoscalerSchema>(
  definition: AutoscalerDefinition<Schema>,
): AutoscalerDefinition<Schema> {
  return definition;
}

/** `sections` of a block nested under `key` of another (a predictive policy's `reactive`). */
export function sectionsUnder(
  key: string,
  sections: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(sections ?? {}).map(([path, value]) => [`${key}.${path}`, value]));
}
