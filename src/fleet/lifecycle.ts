import { US_PER_S } from '../core/time.js';
import type { Uniform } from '../engine/index.js';
import { type BillingConfig, type Distribution, InvariantError } from '../scenario/types.js';
import { createSampler } from '../serving/index.js';
import { billedSeconds, replicaCostUsd } from './billing.js';

/**
 * Replicas of one fleet through their lifecycle: requested (and from then on provisioning, and
 * billed) -> ready -> draining -> gone. A provisioning replica can also be cancelled or reclaimed
 * (straight to gone), and a ready one released without draining. The simulator calls the
 * transitions; this table keeps the timestamps, the counts the autoscaler is given, and the
 * usage and cost summary.
 */
export type ReplicaState = 'provisioning' | 'ready' | 'draining' | 'gone';

export class ReplicaTable {
  private readonly states: ReplicaState[] = [];
  private readonly requestedAt: number[] = [];
  private readonly readyAt: number[] = [];
  private readonly drainingAt: number[] = [];
  private readonly goneAt: number[] = [];
  private readonly preemptedFlags: boolean[] = [];
  private readonly live = { provisioning: 0, ready: 0, draining: 0 };

  /** Replicas ever requested; ids are 0 .. size - 1. */
  get size(): number {
    return this.states.length;
  }

  /** Live counts by state, in the shape the autoscaler takes. */
  counts(): { ready: number; provisioning: number; draining: number } {
    return { ...this.live };
  }

  state(id: number): ReplicaState {
    return this.states[id];
  }

  /** Timestamps in microseconds; NaN for a transition that has not happened. */
  requestedUs(id: number): number {
    return this.requestedAt[id];
  }
  readyUs(id: number): number {
    return this.readyAt[id];
  }
  drainingUs(id: number): number {
    return this.drainingAt[id];
  }
  goneUs(id: number): number {
    return this.goneAt[id];
  }
  preempted(id: number): boolean {
    return this.preemptedFlags[id];
  }

  /** A new replica, provisioning from `nowUs` (and billed from then). Returns its id. */
  request(nowUs: number): number {
    this.states.push('provisioning');
    this.requestedAt.push(nowUs);
    this.readyAt.push(Number.NaN);
    this.drainingAt.push(Number.NaN);
    this.goneAt.push(Number.NaN);
    this.preemptedFlags.push(false);
    this.live.provisioning++;
    return this.states.length - 1;
  }

  markReady(id: number, nowUs: number): void {
    this.move(id, 'provisioning', 'ready', nowUs);
    this.readyAt[id] = nowUs;
  }

  /** Stops new work on a ready replica: scale-in, or a spot notice (`preempted`). */
  drain(id: number, nowUs: number, preempted: boolean): void {
    this.move(id, 'ready', 'draining', nowUs);
    this.drainingAt[id] = nowUs;
    if (preempted) this.preemptedFlags[id] = true;
  }

  /** Gone: drained, cancelled while provisioning, or reclaimed (`preempted`) in any live state. */
  release(id: number, nowUs: number, preempted: boolean): void {
    const from = this.states[id];
    if (from === 'gone') throw new InvariantError(`replica ${id} released twice`);
    this.move(id, from, 'gone', nowUs);
    this.goneAt[id] = nowUs;
    if (preempted) this.preemptedFlags[id] = true;
  }

  private move(id: number, from: ReplicaState, to: ReplicaState, nowUs: number): void {
    if (this.states[id] !== from) {
      throw new InvariantError(
        `replica ${id}: ${this.states[id]} -> ${to} at ${nowUs} us; expected ${from} first`,
      );
    }
    if (nowUs < this.requestedAt[id])
      throw new InvariantError(`replica ${id}: ${to} at ${nowUs} us, before its request`);
    this.states[id] = to;
    if (from !== 'gone') this.live[from]--;
    if (to !== 'gone') this.live[to]++;
  }
}

export interface ReplicaSummaryOptions {
  /** End of the run (arrivals plus drain): replicas still live then are billed up to it. */
  endUs: number;
  billing: BillingConfig;
  priceUsdPerHour: number;
  /**
   * Replica-seconds of work done: busy slot-seconds / slots per replica (a replica half busy is
   * half idle), or for a continuous-batching fleet the time its iterations ran. Paid replica time
   * beyond it is idle.
   */
  busyReplicaSeconds: number;
  /** Part of the busy time spent redoing work that was thrown away (an LLM's recomputed prefills). */
  recomputeReplicaSeconds?: number;
  /**
   * Reserved fleets: replicas under the commitment, paid every hour of the run whatever runs on
   * them (the fleet's replicas must stay within it). null: each replica is billed for its life.
   */
  reservedReplicas: number | null;
  /** Mean price over a replica life, USD per hour, when it changes over time (a spot price series). */
  meanPriceUsdPerHour?: (fromUs: number, toUs: number) => number;
}

export interface ReplicaSummary {
  launched: number;
  preempted: number;
  /** Most replicas live (provisioning, ready or draining) at once. */
  peak: number;
  /** Time-average of live replicas over the run. */
  mean: number;
  /** Live replica time, request to gone. */
  replicaHours: number;
  /** Time paid for: per-replica billed seconds (increment, minimum), or the reservation. */
  paidHours: number;
  costUsd: number;
  /** Paid time not spent serving, and its share of the cost. */
  idleHours: number;
  idleCostUsd: number;
  /** Share of the cost paid for `recomputeReplicaSeconds`. */
  recomputeCostUsd: number;
}

export function summarizeReplicas(table: ReplicaTable, options: ReplicaSummaryOptions): ReplicaSummary {
  const { endUs, billing, priceUsdPerHour } = options;
  const changes: { timeUs: number; delta: number }[] = [];
  let liveUs = 0;
  let billedS = 0;
  let costUsd = 0;
  let preempted = 0;
  for (let id = 0; id < table.size; id++) {
    const from = table.requestedUs(id);
    const gone = table.state(id) === 'gone' ? table.goneUs(id) : endUs;
    liveUs += gone - from;
    changes.push({ timeUs: from, delta: 1 }, { timeUs: gone, delta: -1 });
    if (table.preempted(id)) preempted++;
    if (options.reservedReplicas === null) {
      billedS += billedSeconds(gone - from, billing);
      const price = options.meanPriceUsdPerHour?.(from, gone) ?? priceUsdPerHour;
      costUsd += replicaCostUsd(gone - from, billing, price);
    }
  }
  if (options.reservedReplicas !== null) {
    billedS = options.reservedReplicas * reservedHours(endUs) * 3600;
    costUsd = reservedCostUsd(options.reservedReplicas, endUs, priceUsdPerHour);
  }
  // A replica leaving at t and another arriving at t never overlap: departures sort first.
  changes.sort((a, b) => a.timeUs - b.timeUs || a.delta - b.delta);
  let live = 0;
  let peak = 0;
  for (const c of changes) {
    live += c.delta;
    peak = Math.max(peak, live);
  }
  const idleS = Math.max(0, billedS - options.busyReplicaSeconds);
  return {
    launched: table.size,
    preempted,
    peak,
    mean: endUs > 0 ? liveUs / endUs : 0,
    replicaHours: liveUs / 3600e6,
    paidHours: billedS / 3600,
    costUsd,
    idleHours: idleS / 3600,
    idleCostUsd: billedS > 0 ? (costUsd * idleS) / billedS : 0,
    recomputeCostUsd: billedS > 0 ? (costUsd * (options.recomputeReplicaSeconds ?? 0)) / billedS : 0,
  };
}

/** A reservation is paid by the hour, and a started hour is a paid hour. */
function reservedHours(horizonUs: number): number {
  return Math.ceil(horizonUs / 3600e6);
}

/** Reserved (committed) capacity: every hour of the horizon, used or not. */
export function reservedCostUsd(replicas: number, horizonUs: number, priceUsdPerHour: number): number {
  return replicas * reservedHours(horizonUs) * priceUsdPerHour;
}

/** A fleet's `startup:`: seconds, or a distribution of seconds. */
export type Startup = number | Distribution;

/** Startup delays (request to ready) in integer microseconds, drawn from the fleet's own stream. */
/** Microseconds from launch to ready: a draw of `startup`, plus `loadS` seconds of loading the model. */
export function createStartupSampler(startup: Startup, uniform: Uniform, loadS = 0): () => number {
  if (typeof startup === 'number') {
    const delayUs = Math.round((startup + loadS) * US_PER_S);
    return () => delayUs;
  }
  const seconds = createSampler(startup, uniform);
  return () => Math.round((seconds() + loadS) * US_PER_S);
}
