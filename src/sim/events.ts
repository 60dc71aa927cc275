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
 * An event's handler: `slot` and `gen` are the payload it was scheduled with (a request slot, a
 * replica or a fleet, and the generation that tells a stale event from a live one).
 */
type Handler = (sim: Simulation, slot: number, gen: number, now: number) => void;

interface EventKind {
  readonly tier: number;
  readonly handle: Handler;
}

/**
 * Every kind of event the simulator schedules, in one table: its name (its number is its place
 * here), its tier and its handler. The dispatcher is `HANDLERS[kind]`; nothing else lists kinds.
 */
const EVENTS = {
  /** A request in an execution slot finishes. */
  ServiceDone: {
    tier: Tier.Completion,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.requests.gen[slot]) sim.finishService(slot, now);
    },
  },
  /** A waiting (queued or held) request reaches its timeout; a stale one has moved on. */
  QueueTimeout: { tier: Tier.BeforeArrivals, handle: (sim, slot, gen, now) => sim.giveUp(slot, gen, now) },
  /** The next request of the arrival stream (always in the engine's lane). */
  Arrival: { tier: Tier.Arrival, handle: (sim, _slot, _gen, now) => sim.arrive(now) },
  /** A batch finishes; `slot` is the request its chain starts from. */
  BatchDone: {
    tier: Tier.Completion,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.requests.gen[slot]) sim.finishBatch(slot, now);
    },
  },
  /** A batcher's deadline on replica `slot`: ask the batch former again. */
  BatchTimer: {
    tier: Tier.AfterArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.timerGen[slot]) sim.tryBatch(slot, now);
    },
  },
  /** An LLM replica's iteration ends. */
  IterationDone: {
    tier: Tier.Completion,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicaEpoch[slot]) sim.finishIteration(slot, now);
    },
  },
  /** An idle LLM replica plans its next iteration. */
  IterationStart: {
    tier: Tier.AfterArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicaEpoch[slot]) sim.startIteration(slot, now);
    },
  },
  /** A launched replica finishes starting up. */
  ReplicaReady: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicaEpoch[slot]) sim.becomeReady(slot, now);
    },
  },
  /** An autoscaler reads its fleet's metrics. */
  Scrape: { tier: Tier.Scrape, handle: (sim, slot, _gen, now) => sim.scrape(slot, now) },
  /** An autoscaler decides its fleet's size. */
  Evaluate: { tier: Tier.Decide, handle: (sim, slot, _gen, now) => sim.evaluate(slot, now) },
  /** A spot replica's reclaim notice. */
  SpotNotice: {
    tier: Tier.Scrape,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicaEpoch[slot]) sim.spotNotice(slot, now);
    },
  },
  /** A noticed spot replica is taken away. */
  SpotReclaim: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicaEpoch[slot]) sim.reclaim(slot, now);
    },
  },
  /** A notice of a fleet-wide reclaim trace (`gen`: its index in the trace). */
  FleetNotice: { tier: Tier.Scrape, handle: (sim, slot, gen, now) => sim.fleetNotice(slot, gen, now) },
  /** A period without capacity begins (`gen`: its index). */
  CapacityOut: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => sim.capacityOut(slot, gen, now),
  },
  /** It ends. */
  CapacityIn: { tier: Tier.BeforeArrivals, handle: (sim, slot, gen, now) => sim.capacityIn(slot, gen, now) },
} satisfies Record<string, EventKind>;

type KindName = keyof typeof EVENTS;

/** Event kinds by name: `engine.at(t, Kind.Arrival, ...)`. */
export const Kind = Object.fromEntries(Object.keys(EVENTS).map((name, kind) => [name, kind])) as {
  readonly [K in KindName]: number;
};

const TABLE: readonly EventKind[] = Object.values(EVENTS);

/** The engine's priority of each kind, by number. */
export const PRIORITIES: readonly number[] = TABLE.map((event) => event.tier);

/**
 * Handlers by kind number, for the dispatcher. The call through this array is one V8 cannot
 * inline (its target varies), but each handler is compiled with its own monomorphic feedback; on
 * the M/M/c bench the table costs a few percent at most against a hand-written chain of `if`s.
 */
export const HANDLERS: readonly Handler[] = TABLE.map((event) => event.handle);
