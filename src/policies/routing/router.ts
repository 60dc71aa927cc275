import * as z from 'zod';
import { REQUEST_ATTRIBUTES } from '../../core/request-attributes.js';
import type { Streams } from '../../engine/index.js';
import type { PolicySchema } from '../definition.js';
import { PolicyRegistry } from '../registry.js';
import type { FleetRoutingDefinition, ReplicaPolicyDefinition } from './definition.js';
import { type OffloadRouting, offloadPolicy } from './offload.js';
import {
  isReplicaPolicy,
  type OnePoolRouting,
  type ReplicaPolicy,
  replicaPolicies,
} from './replica-policy.js';
import { type SpilloverRouting, spilloverPolicy } from './spillover.js';
import {
  NO_PREFIX_CACHE,
  type PrefixCacheView,
  type ReplicaLoadView,
  type ReplicaPicker,
  ReplicaPool,
  type RoutedFleet,
  type Router,
  type RouterContext,
} from './types.js';
import { type WeightedRouting, weightedPolicy } from './weighted.js';

/** The built-in cross-fleet routing policies, after the replica policies in errors and the scenario reference. */
export const FLEET_ROUTING_POLICIES = [weightedPolicy, spilloverPolicy, offloadPolicy] as const;

type FleetRoutingPolicy = (typeof FLEET_ROUTING_POLICIES)[number];

/** The block of a cross-fleet policy registered through the library: its own schema says what it holds. */
export interface RegisteredFleetRouting {
  readonly policy: string;
  readonly [key: string]: unknown;
}

/** A cross-fleet routing block resolved against the scenario's fleets. */
export type FleetRouting = ReturnType<FleetRoutingPolicy['resolve']> | RegisteredFleetRouting;

/**
 * The scenario's routing. A replica policy with several fleets treats all their replicas as one
 * pool; a cross-fleet policy (`weighted`, `spillover`, `offload`) picks a fleet, then a replica
 * inside it with its `within` replica policy.
 */
export type Routing = OnePoolRouting | FleetRouting;

/** A `routing:` block as the schema gives it, before `resolveRouting`. */
export type RoutingSpec = OnePoolRouting | z.output<FleetRoutingPolicy['schema']> | RegisteredFleetRouting;

export const fleetRoutingPolicies = new PolicyRegistry<FleetRoutingDefinition<PolicySchema, FleetRouting>>(
  'routing',
  FLEET_ROUTING_POLICIES,
);

/**
 * Whether a block names a replica policy (one pool) rather than a cross-fleet one. Not a type
 * guard: a registered policy's name is any string, so the types cannot tell the two apart.
 */
export function isOnePool(spec: { policy: string }): boolean {
  return isReplicaPolicy(spec.policy);
}

/** A cross-fleet block's `within` replica policy; null for a policy (registered) without one. */
function withinOf(routing: Routing): ReplicaPolicy | null {
  const within = (routing as { within?: unknown }).within;
  return typeof within === 'string' && isReplicaPolicy(within) ? within : null;
}

/** The replica policy a routing block uses inside a fleet: its own for one pool, else its `within` (least-outstanding without one). */
export function replicaPolicyOf(routing: Routing): ReplicaPolicy {
  return isOnePool(routing) ? routing.policy : (withinOf(routing) ?? 'least-outstanding');
}

/** Whether runs of `routing` draw random numbers to pick (so that runs with different seeds differ). */
export function routingDraws(routing: Routing): boolean {
  if (isOnePool(routing)) return replicaPolicies.get(routing.policy).random === true;
  const within = withinOf(routing);
  return (
    fleetRoutingPolicies.get(routing.policy).random === true ||
    (within !== null && replicaPolicies.get(within).random === true)
  );
}

/** Changes whenever a routing policy is registered, so that the scenario schema is built again. */
export function routingRegistryVersion(): number {
  return replicaPolicies.version + fleetRoutingPolicies.version;
}

function refuseTakenName(name: string): void {
  if (replicaPolicies.find(name) !== undefined || fleetRoutingPolicies.find(name) !== undefined) {
    throw new TypeError(`routing policy "${name}" is already registered`);
  }
}

/**
 * Adds a cross-fleet routing policy that scenarios loaded afterwards may name, as the built-in
 * ones are defined (src/policies/routing). Throws a TypeError for a name a routing or replica
 * policy already has, or for an example that its own schema refuses. The policy lives in this
 * thread: `runSweep` and `runPlan` workers do not see it.
 */
export function registerRouting<Schema extends PolicySchema, Config>(
  definition: FleetRoutingDefinition<Schema, Config>,
): void {
  refuseTakenName(definition.name);
  const parsed = z.discriminatedUnion('policy', [definition.schema]).safeParse(definition.example);
  if (!parsed.success || parsed.data.policy !== definition.name) {
    const problem = parsed.success
      ? `its policy is "${parsed.data.policy}"`
      : parsed.error.issues.map((issue) => issue.message).join('; ');
    throw new TypeError(`routing policy "${definition.name}": its example does not load: ${problem}`);
  }
  fleetRoutingPolicies.add(definition as unknown as FleetRoutingDefinition<PolicySchema, FleetRouting>);
}

/**
 * Adds a replica policy (`routing: { policy }` over one pool, or a cross-fleet policy's
 * `within`) that scenarios loaded afterwards may name. Throws a TypeError for a name a routing
 * or replica policy already has, or for an example that does not name it.
 */
export function registerReplicaPolicy(definition: ReplicaPolicyDefinition): void {
  refuseTakenName(definition.name);
  if (definition.example.policy !== definition.name) {
    throw new TypeError(
      `replica policy "${definition.name}": its example names "${definition.example.policy}"`,
    );
  }
  replicaPolicies.add(definition);
}

/** The block with what depends on the fleets filled in; `fleetNames` in the scenario's order. */
export function resolveRouting(spec: RoutingSpec, fleetNames: readonly string[]): Routing {
  if (isOnePool(spec)) return { ...spec, policy: spec.policy };
  return fleetRoutingPolicies.get(spec.policy).resolve(spec, fleetNames);
}

/**
 * Builds the scenario's routing from its policy name: one picker over all replicas, or a
 * cross-fleet policy's router over per-fleet pickers. `attributes` holds the request being
 * routed, in `REQUEST_ATTRIBUTES` order; `prefixes` what the replicas' prefix caches hold of it.
 */
export function createRouter(
  routing: Routing,
  fleets: readonly RoutedFleet[],
  load: ReplicaLoadView,
  streams: Streams,
  attributes: Float64Array = new Float64Array(REQUEST_ATTRIBUTES.length),
  prefixes: PrefixCacheView = NO_PREFIX_CACHE,
): Router {
  const uniform = streams.stream('routing');
  const pools = fleets.map((fleet) => new ReplicaPool(fleet.first, fleet.count, false));
  const setReady = (replica: number, ready: boolean) => {
    for (const pool of pools) if (pool.contains(replica)) pool.setReady(replica, ready);
  };
  if (isOnePool(routing)) {
    const firstElastic = Math.max(
      0,
      fleets.findIndex((fleet) => fleet.elastic),
    );
    const all = poolOf(fleets);
    pools.push(all);
    const picker = replicaPolicies
      .get(routing.policy)
      .create({ load, pool: all, uniform, prefixes, options: routing });
    return new OnePicker(picker, setReady, firstElastic);
  }
  const context: RouterContext = {
    fleets,
    load,
    pools,
    attributes,
    prefixes,
    uniform,
    indexOf(name) {
      const index = fleets.findIndex((f) => f.name === name);
      if (index < 0) throw new Error(`routing names fleet "${name}", which does not exist`);
      return index;
    },
    picker: (policy, f) =>
      replicaPolicies.get(policy).create({
        load,
        pool: pools[f],
        uniform: streams.stream(`routing/${fleets[f].name}`),
        prefixes,
        options: {},
      }),
    setReady,
  };
  return fleetRoutingPolicies.get(routing.policy).createRouter(routing as FleetRouting, context);
}

/** One pool over the replicas of `fleets`, which may leave gaps between them (fleets of another model). */
function poolOf(fleets: readonly RoutedFleet[]): ReplicaPool {
  const first = fleets[0].first;
  const last = fleets[fleets.length - 1];
  const contiguous = fleets.every(
    (fleet, i) => i === 0 || fleet.first === fleets[i - 1].first + fleets[i - 1].count,
  );
  return contiguous
    ? new ReplicaPool(first, last.first + last.count - first, false)
    : new FleetsPool(fleets, first, last.first + last.count - first);
}

class FleetsPool extends ReplicaPool {
  constructor(
    private readonly fleets: readonly RoutedFleet[],
    first: number,
    count: number,
  ) {
    super(first, count, false);
  }

  override contains(replica: number): boolean {
    for (const fleet of this.fleets)
      if (replica >= fleet.first && replica < fleet.first + fleet.count) return true;
    return false;
  }
}

/**
 * `routing` over the fleets of `names` alone (those serving one model): a cross-fleet policy keeps
 * the fleets it names among them. Null when it would route to none of them, or cannot say (a
 * registered policy).
 */
export function restrictRouting(routing: Routing, names: readonly string[]): Routing | null {
  if (isOnePool(routing)) return routing;
  const served = new Set(names);
  switch (routing.policy) {
    case 'weighted': {
      const { weights } = routing as WeightedRouting;
      const kept = Object.entries(weights).filter(([name]) => served.has(name));
      if (!kept.some(([, weight]) => weight > 0)) return null;
      return { ...(routing as WeightedRouting), weights: Object.fromEntries(kept) };
    }
    case 'spillover': {
      const order = (routing as SpilloverRouting).order.filter((name) => served.has(name));
      return order.length === 0 ? null : { ...(routing as SpilloverRouting), order };
    }
    case 'offload': {
      const { edge, cloud } = routing as OffloadRouting;
      return served.has(edge) && served.has(cloud) ? routing : null;
    }
    default:
      return null;
  }
}

/**
 * One replica picker over all fleets' replicas. Pickers and this router are classes, not
 * closures: the simulation calls `pick` for every request, and a closure reaches what it
 * captured through a chain of contexts, each with a check that the variable is initialized.
 * In the M/M/c bench, routing cost about 85 instructions a request as closures, 20 fewer as classes.
 */
class OnePicker implements Router {
  readonly offloadCounts = null;

  constructor(
    private readonly picker: ReplicaPicker,
    readonly setReady: (replica: number, ready: boolean) => void,
    private readonly holding: number,
  ) {}

  pick(): number {
    return this.picker.pick();
  }

  holdingFleet(): number {
    return this.holding;
  }
}
