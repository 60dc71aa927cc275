import type { BatchService } from './service/batch.js';
import type { ContinuousService } from './service/continuous.js';
import type { SlotService } from './service/slot.js';
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
/** A request in an execution slot finishes. */
export function serviceDone(sim: Simulation, slot: number, gen: number, now: number): void {
  const requests = sim.requests;
  if (gen !== requests.gen[slot]) return;
  (sim.disciplines[sim.layout.fleetOf[requests.replica[slot]]] as SlotService).finish(slot, now);
}

/** The next request of the arrival stream (always in the engine's lane). */
export function arrival(sim: Simulation, _slot: number, _gen: number, now: number): void {
  sim.flow.arrive(now);
}

const EVENTS = {
  /** A request in an execution slot finishes. */
  ServiceDone: { tier: Tier.Completion, handle: serviceDone },
  /** A waiting (queued or held) request reaches its timeout; a stale one has moved on. */
  QueueTimeout: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => sim.flow.giveUp(slot, gen, now),
  },
  /** The next request of the arrival stream (always in the engine's lane). */
  Arrival: { tier: Tier.Arrival, handle: arrival },
  /** A batch finishes; `slot` is the request its chain starts from. */
  BatchDone: {
    tier: Tier.Completion,
    handle: (sim, slot, gen, now) => {
      const requests = sim.requests;
      if (gen !== requests.gen[slot]) return;
      (sim.disciplines[sim.layout.fleetOf[requests.replica[slot]]] as BatchService).finishBatch(slot, now);
    },
  },
  /** A batch former's recheck deadline on replica `slot` (`gen`: the deadline's generation). */
  BatchTimer: {
    tier: Tier.AfterArrivals,
    handle: (sim, slot, gen, now) =>
      (sim.disciplines[sim.layout.fleetOf[slot]] as BatchService).recheck(slot, gen, now),
  },
  /** An LLM replica's iteration ends. */
  IterationDone: {
    tier: Tier.Completion,
    handle: (sim, slot, gen, now) => {
      if (gen !== sim.replicas.epoch[slot]) return;
      (sim.disciplines[sim.layout.fleetOf[slot]] as ContinuousService).finishIteration(slot, now);
    },
  },
  /** An idle LLM replica plans its next iteration. */
  IterationStart: {
    tier: Tier.AfterArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen !== sim.replicas.epoch[slot]) return;
      (sim.disciplines[sim.layout.fleetOf[slot]] as ContinuousService).startIteration(slot, now);
    },
  },
  /** A launched replica finishes starting up; requests held for want of one are routed again. */
  ReplicaReady: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicas.epoch[slot] && sim.replicas.becomeReady(slot, now)) sim.activator.release(now);
    },
  },
  /** An autoscaler reads its fleet's metrics. */
  Scrape: { tier: Tier.Scrape, handle: (sim, slot, _gen, now) => sim.autoscaling.scrape(slot, now) },
  /** An autoscaler decides its fleet's size. */
  Evaluate: { tier: Tier.Decide, handle: (sim, slot, _gen, now) => sim.autoscaling.evaluate(slot, now) },
  /** A spot replica's reclaim notice. */
  SpotNotice: {
    tier: Tier.Scrape,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicas.epoch[slot]) sim.interruptions.notice(slot, now);
    },
  },
  /** A noticed spot replica is taken away. */
  SpotReclaim: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => {
      if (gen === sim.replicas.epoch[slot]) sim.interruptions.reclaim(slot, now);
    },
  },
  /** A notice of a fleet-wide reclaim trace (`gen`: its index in the trace). */
  FleetNotice: {
    tier: Tier.Scrape,
    handle: (sim, slot, gen, now) => sim.interruptions.fleetNotice(slot, gen, now),
  },
  /** A period without capacity begins (`gen`: its index). */
  CapacityOut: {
    tier: Tier.BeforeArrivals,
    handle: (sim, slot, gen, now) => sim.outages.out(slot, gen, now),
  },
  /** It ends. */
  CapacityIn: { tier: Tier.BeforeArrivals, handle: (sim, slot, gen, now) => sim.outages.in(slot, gen, now) },
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
