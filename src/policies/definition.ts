import type * as z from 'zod';

/**
 * A policy's block in a scenario (`autoscaling:`, `batching:`, `routing:`): a strict zod object
 * (or one piped through a transform) whose `policy` key is the policy's name as a literal, so
 * that the blocks of all policies of a kind form one discriminated union.
 */
export type PolicySchema = z.ZodType<{ policy: string }, unknown> & z.core.$ZodTypeDiscriminable;

/** What every policy's definition holds besides its factory; see docs/architecture.md, Policies. */
export interface PolicyBlock<Schema extends PolicySchema> {
  /** What a scenario writes as `policy: <name>`. */
  readonly name: z.output<Schema>['policy'];
  /**
   * The block's keys, each with the text the scenario reference shows and, when it may be left
   * out, its default as a `prefault`. Checks that would otherwise fail mid-run belong here too.
   */
  readonly schema: Schema;
  /** The values of the keys that may be left out, as YAML writes them: the schema's prefaults. */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** A block as a scenario writes it; it must load. The scenario reference shows one policy's. */
  readonly example: z.input<Schema>;
  /**
   * Examples of the mappings nested in the block, by their path inside it (`behavior.scale_up`,
   * `steps[]` for the items of a list): the scenario reference shows one under each section.
   */
  readonly sections?: Readonly<Record<string, unknown>>;
}

/** `sections` of a block nested under `key` of another (a predictive policy's `reactive`). */
export function sectionsUnder(
  key: string,
  sections: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(sections ?? {}).map(([path, value]) => [`${key}.${path}`, value]));
}

/** The schemas of `definitions`, position by position: the options of their discriminated union. */
export function schemasOf<const Definitions extends readonly PolicyBlock<PolicySchema>[]>(
  definitions: Definitions,
): { [K in keyof Definitions]: Definitions[K]['schema'] } {
  // `map` keeps positions, which TypeScript cannot see for a tuple.
  return definitions.map((definition) => definition.schema) as {
    [K in keyof Definitions]: Definitions[K]['schema'];
  };
}
