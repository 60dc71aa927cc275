import type { Streams } from '../engine/index.js';
import {
  createRouter,
  type PrefixCacheView,
  type ReplicaLoadView,
  type RoutedFleet,
  type Router,
  restrictRouting,
} from '../policies/routing/index.js';
import { ANY_MODEL, servedModels } from '../scenario/model-checks.js';
import { InvariantError, modelNames, type Scenario } from '../scenario/types.js';

/**
 * Routing when a scenario has several models: one router per model, of the scenario's policy over
 * the fleets that serve that model alone (a cross-fleet policy keeps the fleets it names among
 * them), so whatever the policy no request reaches a fleet of another model. Each router draws
 * from streams of its own (`model/<name>/routing`). `modelOf` says which model the request being
 * routed asks for.
 */
export class ModelRouter implements Router {
  private readonly routers: (Router | null)[];
  /** Per model, its routers' fleet index -> the scenario's. */
  private readonly fleetIndex: Int32Array[];
  private last = 0;

  constructor(
    scenario: Scenario,
    routed: readonly RoutedFleet[],
    load: ReplicaLoadView,
    streams: Streams,
    attributes: Float64Array,
    prefixes: PrefixCacheView,
    private readonly modelOf: () => number,
  ) {
    const served = servedModels(scenario);
    this.fleetIndex = [];
    this.routers = modelNames(scenario).map((name, m) => {
      const fleets = routed.flatMap((_, f) => (served[f] === m || served[f] === ANY_MODEL ? [f] : []));
      this.fleetIndex.push(Int32Array.from(fleets));
      const routing = restrictRouting(
        scenario.routing,
        fleets.map((f) => routed[f].name),
      );
      if (fleets.length === 0 || routing === null) return null;
      const own: Streams = { seed: streams.seed, stream: (s) => streams.stream(`model/${name}/${s}`) };
      return createRouter(
        routing,
        fleets.map((f) => routed[f]),
        load,
        own,
        attributes,
        prefixes,
      );
    });
  }

  /** Whether some fleet serves model `m` (-1: a model the scenario does not have, which none serves). */
  serves(m: number): boolean {
    return m >= 0 && this.routers[m] !== null;
  }

  pick(): number {
    const m = this.modelOf();
    const router = this.routers[m];
    // Arrivals of a model no fleet serves are turned away before routing.
    if (router == null) throw new InvariantError(`no fleet serves model ${m}`);
    this.last = m;
    return router.pick();
  }

  setReady(replica: number, ready: boolean): void {
    for (const router of this.routers) router?.setReady(replica, ready);
  }

  holdingFleet(): number {
    return this.fleetIndex[this.last][(this.routers[this.last] as Router).holdingFleet()];
  }

  get offloadCounts(): Router['offloadCounts'] {
    for (const router of this.routers) if (router?.offloadCounts) return router.offloadCounts;
    return null;
  }
}
