import type { Engine } from '../engine/index.js';
import { type InterruptionProcess, ReplicaTable } from '../fleet/index.js';
import type { TimeSeries } from '../metrics/index.js';
import type { Router } from '../policies/routing/index.js';
import type { Fleet } from '../scenario/types.js';
import { Kind } from './events.js';
import type { FleetLayout } from './layout.js';

/** Where a replica slot is in its lifecycle; a slot is reused by later launches once `Off`. */
export const ReplicaState = { Off: 0, Provisioning: 1, Ready: 2, Draining: 3 } as const;

/**
 * Replicas from launch to retirement: provisioning (billed, not yet serving), ready (routed to),
 * draining (no new work; gone when its last request leaves), off. It keeps each fleet's
 * `ReplicaTable` (what billing and the results read) and tells the router which replicas take
 * work. Who decides to launch or remove a replica (the fleet's start, an autoscaler, a reclaim)
 * is not its concern.
 */
export class ReplicaLifecycle {
  readonly state: Uint8Array;
  /** Bumped at every launch and retirement: events of an earlier life of the slot are ignored. */
  readonly epoch: Int32Array;
  /** The slot's current life in its fleet's `ReplicaTable`. */
  readonly lifetime: Int32Array;
  /** When the slot's current life was requested (for the time series). */
  readonly launchedUs: Float64Array;
  readonly tables: ReplicaTable[];

  constructor(
    fleets: readonly Fleet[],
    private readonly layout: FleetLayout,
    private readonly engine: Engine,
    private readonly router: Router,
    /** Requests in service plus waiting, per replica: a draining replica is gone at 0. */
    private readonly outstanding: Int32Array,
    private readonly timeseries: TimeSeries,
    /** Per fleet: its spot reclaims, of which a per-replica process draws each launch's notice time. */
    private readonly interruptions: readonly (InterruptionProcess | null)[],
    /** Per fleet: draws a launch's startup delay, microseconds. */
    private readonly startupUs: readonly (() => number)[],
  ) {
    const count = layout.replicaCount;
    this.state = new Uint8Array(count);
    this.epoch = new Int32Array(count);
    this.lifetime = new Int32Array(count);
    this.launchedUs = new Float64Array(count);
    this.tables = fleets.map(() => new ReplicaTable());
  }

  /**
   * Requests a replica in slot `replica` (billed from now); it becomes ready after the fleet's
   * startup delay, or at once when `warm` (the replicas a run starts with).
   */
  launch(replica: number, now: number, warm = false): void {
    const fleet = this.layout.fleetOf[replica];
    this.state[replica] = ReplicaState.Provisioning;
    const epoch = ++this.epoch[replica];
    this.lifetime[replica] = this.tables[fleet].request(now);
    this.launchedUs[replica] = now;
    const interruption = this.interruptions[fleet];
    if (interruption?.kind === 'per-replica') {
      const noticeUs = interruption.nextNoticeUs(now);
      if (noticeUs !== Number.POSITIVE_INFINITY) this.engine.at(noticeUs, Kind.SpotNotice, replica, epoch);
    }
    if (!warm) this.engine.at(now + this.startupUs[fleet](), Kind.ReplicaReady, replica, epoch);
  }

  /** A provisioning replica starts taking work; false when it was no longer provisioning. */
  becomeReady(replica: number, now: number): boolean {
    if (this.state[replica] !== ReplicaState.Provisioning) return false;
    this.state[replica] = ReplicaState.Ready;
    this.tables[this.layout.fleetOf[replica]].markReady(this.lifetime[replica], now);
    this.router.setReady(replica, true);
    return true;
  }

  /** Stops routing to a ready replica; it is gone once its last request leaves. */
  drain(replica: number, now: number, preempted: boolean): void {
    this.state[replica] = ReplicaState.Draining;
    this.tables[this.layout.fleetOf[replica]].drain(this.lifetime[replica], now, preempted);
    this.router.setReady(replica, false);
    if (this.outstanding[replica] === 0) this.retire(replica, now, preempted);
  }

  /** The replica is gone (drained, cancelled while provisioning, or reclaimed); its slot is free. */
  retire(replica: number, now: number, preempted: boolean): void {
    const fleet = this.layout.fleetOf[replica];
    if (this.state[replica] === ReplicaState.Ready) this.router.setReady(replica, false);
    this.state[replica] = ReplicaState.Off;
    this.epoch[replica]++;
    this.tables[fleet].release(this.lifetime[replica], now, preempted);
    this.timeseries.addReplica(fleet, this.launchedUs[replica], now);
  }

  /**
   * Called where a request leaves a replica: a draining replica with nothing left is gone. Kept to
   * a test on the hot path, with the rare retirement out of line: V8 inlines this into every
   * completion, and each byte inlined there counts against the budget the completion's other
   * callees need.
   */
  requestLeft(replica: number, now: number): void {
    if (this.state[replica] === ReplicaState.Draining && this.outstanding[replica] === 0)
      this.retireDrained(replica, now);
  }

  private retireDrained(replica: number, now: number): void {
    const table = this.tables[this.layout.fleetOf[replica]];
    this.retire(replica, now, table.preempted(this.lifetime[replica]));
  }

  /** The first free slot of `fleet`, or -1 when all are in use. */
  freeSlot(fleet: number): number {
    const end = this.layout.end(fleet);
    for (let r = this.layout.first[fleet]; r < end; r++) if (this.state[r] === ReplicaState.Off) return r;
    return -1;
  }

  /** Charges the time series for the replicas still alive at the end of the run. */
  chargeAlive(endUs: number): void {
    for (let replica = 0; replica < this.state.length; replica++) {
      if (this.state[replica] !== ReplicaState.Off) {
        this.timeseries.addReplica(this.layout.fleetOf[replica], this.launchedUs[replica], endUs);
      }
    }
  }
}
