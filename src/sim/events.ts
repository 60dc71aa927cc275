import { InvariantError } from '../scenario/types.js';
import type { Simulation } from './simulation.js';

/**
 * Where an event runs among others at the same instant: lower tiers first, then first scheduled,
 * first run (see `Engine`). The tiers encode causality the clock cannot: a completion frees its
 * slot before a waiting request gives up, and both happen before a new arrival looks for a
 * replica; a replica that becomes ready (or is reclaimed) at an instant does so before that
 * instant's arrivals; work that waits for "everything arriving now" (a batcher's deadline, an
 * idle LLM replica's next iteration) comes after them; an autoscaler scrapes, then decides, last.
 */
const Tier = {
  Completion: 0,
  BeforeArrivals: 1,
  Arrival: 2,
  AfterArrivals: 3,
  Scrape: 4,
  Decide: 5,
} as const;

/**
 * What handles one kind of event: `slot` and `gen` are the payload it was scheduled with (a request
 * slot, a replica or a fleet, and the generation that tells a stale event from a live one).
 */
export type Handler = (slot: number, gen: number, now: number) => void;

interface EventKind {
  readonly tier: number;
  /** The kind's handler in a run, made once when the run is built. */
  readonly handler: (sim: Simulation) => Handler;
}

/**
 * Every kind of event the simulator schedules, in one table: its name (its number is its place
 * here), its tier, and its handler. The handlers of the kinds nearly every request passes
 * through are methods of the module that owns the state, bound to it: the dispatcher's call
 * through the table is one V8 cannot inline, so each such method is compiled on its own, with
 * its inlining budget for what it calls. A closure calling the method would be compiled instead,
 * the method inlined into it and that budget mostly spent. Rare kinds get closures.
 */
const EVENTS = {
  /** A request in an execution slot finishes. */
  ServiceDone: {
    tier: Tier.Completion,
    handler: (sim) => bind(sim.slots, sim.slots?.hasDeadlines ? 'finishByDeadline' : 'finish'),
  },
  /** A waiting (queued or held) request reaches its timeout; a stale one has moved on. */
  QueueTimeout: { tier: Tier.BeforeArrivals, handler: (sim) => bind(sim.flow, 'giveUp') },
  /** The next request of the arrival stream (always in the engine's lane). */
  Arrival: { tier: Tier.Arrival, handler: (sim) => bind(sim.flow, 'arrive') },
  /** A batch finishes; `slot` is the request its chain starts from. */
  BatchDone: { tier: Tier.Completion, handler: (sim) => bind(sim.batches, 'finishBatch') },
  /** A batch former's recheck deadline on replica `slot` (`gen`: the deadline's generation). */
  BatchTimer: { tier: Tier.AfterArrivals, handler: (sim) => bind(sim.batches, 'recheck') },
  /** An LLM replica's iteration ends (`gen`: the replica's epoch). */
  IterationDone: { tier: Tier.Completion, handler: (sim) => bind(sim.iterations, 'finishIteration') },
  /** An idle LLM replica plans its next iteration. */
  IterationStart: { tier: Tier.AfterArrivals, handler: (sim) => bind(sim.iterations, 'startIteration') },
  /** A launched replica finishes starting up; requests held for want of one are routed again. */
  ReplicaReady: {
    tier: Tier.BeforeArrivals,
    handler: (sim) => (replica, epoch, now) => {
      if (epoch === sim.replicas.epoch[replica] && sim.replicas.becomeReady(replica, now))
        sim.activator.release(now);
    },
  },
  /** An autoscaler reads its fleet's metrics. */
  Scrape: { tier: Tier.Scrape, handler: (sim) => (fleet, _gen, now) => sim.autoscaling.scrape(fleet, now) },
  /** An autoscaler decides its fleet's size. */
  Evaluate: {
    tier: Tier.Decide,
    handler: (sim) => (fleet, _gen, now) => sim.autoscaling.evaluate(fleet, now),
  },
  /** A spot replica's reclaim notice. */
  SpotNotice: {
    tier: Tier.Scrape,
    handler: (sim) => (replica, epoch, now) => {
      if (epoch === sim.replicas.epoch[replica]) sim.interruptions.notice(replica, now);
    },
  },
  /** A noticed spot replica is taken away. */
  SpotReclaim: {
    tier: Tier.BeforeArrivals,
    handler: (sim) => (replica, epoch, now) => {
      if (epoch === sim.replicas.epoch[replica]) sim.interruptions.reclaim(replica, now);
    },
  },
  /** A notice of a fleet-wide reclaim trace (`gen`: its index in the trace). */
  FleetNotice: {
    tier: Tier.Scrape,
    handler: (sim) => (fleet, index, now) => sim.interruptions.fleetNotice(fleet, index, now),
  },
  /** A period without capacity begins (`gen`: its index). */
  CapacityOut: {
    tier: Tier.BeforeArrivals,
    handler: (sim) => (fleet, index, now) => {
      sim.outages.out(fleet, index, now);
      if (sim.outages.outages.pricedOut(fleet)) sim.interruptions.priceAbove(fleet, now);
    },
  },
  /** It ends. */
  CapacityIn: {
    tier: Tier.BeforeArrivals,
    handler: (sim) => (fleet, index, now) => sim.outages.in(fleet, index, now),
  },
  /** A KV cache reaches its decode replica (`slot`: the transfer's index); its source's blocks free up first, as a completion's do. */
  KvTransferDone: { tier: Tier.Completion, handler: (sim) => bind(sim.iterations, 'finishTransfer') },
  /** A reclaim wave reaches a zone of a fleet (`gen`: the zone's index). */
  ZoneWave: {
    tier: Tier.Scrape,
    handler: (sim) => (fleet, zone, now) => sim.interruptions.wave(fleet, zone, now),
  },
  /** A LoRA adapter finished loading on replica `slot` (`gen`: the replica's epoch then); before arrivals, which find it resident. */
  AdapterLoaded: {
    tier: Tier.BeforeArrivals,
    handler: (sim) => (replica, epoch, now) => sim.adapters?.loaded(replica, epoch, now),
  },
} satisfies Record<string, EventKind>;

type HandlerMethod<T> = { [K in keyof T]: T[K] extends Handler ? K : never }[keyof T];

/** `target[method]` bound to `target`; a run without fleets of that discipline (`target` null) never calls it. */
function bind<T extends object>(target: T | null, method: HandlerMethod<T>): Handler {
  if (target === null) return unused;
  return (target[method] as Handler).bind(target);
}

function unused(): void {
  throw new InvariantError('an event of a service discipline no fleet of this run uses');
}

type KindName = keyof typeof EVENTS;

/** Event kinds by name: `engine.at(t, Kind.Arrival, ...)`. */
export const Kind = Object.fromEntries(Object.keys(EVENTS).map((name, kind) => [name, kind])) as {
  readonly [K in KindName]: number;
};

const TABLE: readonly EventKind[] = Object.values(EVENTS);

/** The engine's priority of each kind, by number. */
export const PRIORITIES: readonly number[] = TABLE.map((event) => event.tier);

/** The handlers of a run, by kind number: what its dispatcher calls. */
export function handlersOf(sim: Simulation): Handler[] {
  return TABLE.map((event) => event.handler(sim));
}
