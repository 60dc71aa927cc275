import type * as z from 'zod';
import type { PolicyBlock, PolicySchema } from '../definition.js';
import type { ReplicaPickerFactory, Router, RouterContext } from './types.js';

/**
 * A replica policy: picks a replica of one pool. A scenario names it as `routing: { policy }`
 * (the replicas of all fleets as one pool) or as a cross-fleet policy's `within`. Most take no
 * keys; one that does declares them in `keys`, which a `routing:` block naming it may set and a
 * `within` leaves at their defaults.
 */
export interface ReplicaPolicyDefinition<Name extends string = string> {
  readonly name: Name;
  /** How it picks, in the scenario reference's list of replica policies; null when the name says it. */
  readonly summary: string | null;
  readonly create: ReplicaPickerFactory;
  /** It picks with draws from the routing streams, so runs with different seeds differ. */
  readonly random?: boolean;
  /**
   * Its keys besides `policy`, each described, and with its default as a `prefault`: the picker
   * gets them parsed (`options`), defaults filled in.
   */
  readonly keys?: z.ZodRawShape;
  /** The values of `keys` left out, as YAML writes them: their prefaults. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** A `routing:` block naming it; it must load. */
  readonly example: { readonly policy: Name; readonly [key: string]: unknown };
}

/** Checks a definition's parts against each other. */
export function defineReplicaPolicy<const Name extends string>(
  definition: ReplicaPolicyDefinition<Name>,
): ReplicaPolicyDefinition<Name> {
  return definition;
}

/** A fleet the routing block names, where it names it (`key` for a mapping key, as in `weights`). */
export interface FleetReference {
  path: (string | number)[];
  key?: string;
  name: string;
}

/** A routing block as written, before the schema: checks read it so every mistake is reported at once. */
export type RawBlock = Readonly<Record<string, unknown>>;

/**
 * A cross-fleet routing policy (a `routing:` block that picks a fleet, then a replica in it).
 * `Config` is the block resolved against the scenario's fleets: what its router is built from.
 */
export interface FleetRoutingDefinition<Schema extends PolicySchema = PolicySchema, Config = unknown>
  extends PolicyBlock<Schema> {
  /** Fills what depends on the fleets (a default order); `fleetNames` in the scenario's order. */
  resolve(spec: z.output<Schema>, fleetNames: readonly string[]): Config;
  /** The fleets the block names, each reported at its place when no fleet has the name. */
  fleetReferences(block: RawBlock): FleetReference[];
  /** What is wrong with the block beyond its keys' own values (two keys that must differ). */
  problems?(block: RawBlock): { path: (string | number)[]; message: string }[];
  createRouter(config: Config, context: RouterContext): Router;
  /** It picks fleets with draws from the routing stream, so runs with different seeds differ. */
  readonly random?: boolean;
}

/** Checks a definition's parts against each other (`resolve` takes what `schema` gives, and so on). */
export function defineFleetRouting<Schema extends PolicySchema, Config>(
  definition: FleetRoutingDefinition<Schema, Config>,
): FleetRoutingDefinition<Schema, Config> {
  return definition;
}
