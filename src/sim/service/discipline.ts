import { US_PER_S } from '../../core/time.js';
import type { Engine } from '../../engine/index.js';
import type { SequencePrefix } from '../../policies/batching/prefix-cache.js';
import type { Fleet } from '../../scenario/types.js';
import type { PromptPrefix } from '../../workload/index.js';
import { Kind } from '../events.js';
import type { FleetLayout } from '../layout.js';
import type { Meters } from '../meters.js';
import type { PriorityOrder } from '../priority-order.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import type { RequestFlow } from '../request-flow.js';
import type { ArrivalClass, RequestTable } from '../request-table.js';

/**
 * How replicas serve what is routed to them, and the replica-side state that takes (queues, busy
 * slots, batches, LLM iterations). One instance per discipline serves every fleet that uses it,
 * with per-replica state indexed by replica slot and per-fleet settings by fleet: its event
 * handlers are then methods of one object, which the event table binds once. The rest of the
 * simulator reaches a fleet's service only through these methods, so adding a discipline adds a
 * class, not a branch.
 *
 * A discipline keeps `outstanding` (routing's load: in service plus waiting) for the requests it
 * takes and releases, calls `flow.complete` (or `flow.turnAway`) as they leave (`SlotService`
 * spells out its steps), and `replicas.requestLeft` after, so a draining replica retires with its
 * last request.
 */
export interface ServiceDiscipline {
  /** A new arrival routed to `replica` of `fleet`; its attributes are in the shared row. */
  arrive(replica: number, fleet: number, measured: boolean, now: number): void;
  /**
   * A request already in flight (held, or interrupted by a reclaim), its slot's replica set to
   * `replica` and its attributes in the shared row: taken, or turned away when there is no room.
   */
  admit(slot: number, replica: number, fleet: number, now: number): void;
  /** A request waiting at `replica` timed out: it leaves the queue (the caller counts it). */
  cancel(slot: number, replica: number): void;
  /** Requests waiting at `replica`, as a queue-depth metric sees them. */
  waitingAt(replica: number): number;
  /**
   * Share of `replica`'s KV cache in use now (vLLM's `gpu_cache_usage_perc` gauge), for
   * disciplines that keep one; absent for the others.
   */
  kvCacheUsage?(replica: number): number;
  /**
   * Leading tokens of a prompt (of `prompt` tokens, its first `shareable` named by `prefix`) that
   * `replica`'s prefix cache holds, in whole blocks, for cache-aware routing; only reading. Absent
   * for disciplines without a prefix cache.
   */
  cachedPrefixTokens?(replica: number, prefix: SequencePrefix, shareable: number, prompt: number): number;
  /**
   * Whether a request in service accounts for its own busy slot-time: one per slot, a batch's
   * lead for the whole batch, never an LLM sequence (its replica's iterations do).
   */
  occupiesSlot(slot: number): boolean;
  /** `busyUs` plus the busy slot-time of `fleet`, up to `now`, of work not counted per request (running LLM iterations). */
  addRunningBusy(fleet: number, busyUs: number, now: number): number;
  /** At the end of the run: charges the work not counted per request up to `endUs`. */
  chargeRunning(endUs: number): void;
  /**
   * `replica` is reclaimed: its work stops where it is and its state is reset. The caller charges
   * the time of its requests (`victims`), then sends them on.
   */
  reclaim(replica: number, now: number, victims: readonly number[]): void;
}

/** What every discipline works with, built once per run. */
export interface ServiceContext {
  readonly engine: Engine;
  readonly requests: RequestTable;
  /** Per replica slot: its fleet. */
  readonly fleetOf: Int32Array;
  readonly layout: FleetLayout;
  /** Routing's load per replica: requests in service plus waiting. */
  readonly outstanding: Int32Array;
  /** Requests one replica serves at once, per replica (what routing compares load against). */
  readonly concurrency: Int32Array;
  readonly meters: Meters;
  readonly flow: RequestFlow;
  readonly replicas: ReplicaLifecycle;
  /** The attributes of the request being routed or admitted, in `REQUEST_ATTRIBUTES` order. */
  readonly attributes: Float64Array;
  /** What the prompt of the request arriving now shares with others. */
  readonly prefix: PromptPrefix;
  /** The class and priority of the request arriving now. */
  readonly arrival: ArrivalClass;
  /** The order queues serve the classes in, and their deadlines. */
  readonly order: PriorityOrder;
  /**
   * False when every request's attributes are 0 (none sampled or read) and no fleet rewrites
   * them (LLM fleets round tokens up to 1): the slot path then need not store them, as the
   * columns of a slot never written hold 0.
   */
  readonly storesAttributes: boolean;
}

/** A fleet's queue timeout in microseconds; Infinity for none. */
export function queueTimeoutUs(fleet: Fleet): number {
  return fleet.queue.timeout === null ? Number.POSITIVE_INFINITY : Math.round(fleet.queue.timeout * US_PER_S);
}

/**
 * Arms the `QueueTimeout` of a request of a deadline class that starts waiting now: at its
 * deadline (arrival plus the class's deadline), which replaces its fleet's queue timeout; at once
 * when that has passed.
 */
export function armDeadline(
  engine: Engine,
  requests: RequestTable,
  order: PriorityOrder,
  slot: number,
  now: number,
): boolean {
  const deadlineUs = order.deadlineUs[requests.requestClass[slot]];
  if (deadlineUs === Number.POSITIVE_INFINITY) return false;
  engine.at(
    Math.max(now, requests.arrivalUs[slot] + deadlineUs),
    Kind.QueueTimeout,
    slot,
    requests.gen[slot],
  );
  return true;
}
