import { toUs, US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import { LatencyStats } from '../metrics/latency-stats.js';
import type { AdapterStats } from '../metrics/result.js';
import type { Fleet } from '../scenario/types.js';
import { Kind } from './events.js';
import type { FleetLayout } from './layout.js';
import type { RequestTable } from './request-table.js';

/** One adapter a replica holds (or is loading): the requests that use it and when it was last used. */
interface Resident {
  /** Requests on the replica naming it: running, in the scheduler's queue, or waiting for its load. */
  refs: number;
  lastUseUs: number;
  loaded: boolean;
  /** Requests waiting for its load, in arrival order. */
  waiting: number[];
}

/** The adapters of one replica, for the launch its `epoch` names. */
class ReplicaAdapters {
  readonly resident = new Map<number, Resident>();
  /** Adapters with a slot claimed, waiting for the one load in progress to end. */
  readonly loadQueue: number[] = [];
  loading = -1;
  /** Requests waiting for a slot (every slot holds an adapter in use), in arrival order. */
  readonly blocked: number[] = [];
  /** Requests held back from the scheduler: waiting for a load or for a slot. */
  gated = 0;

  constructor(readonly epoch: number) {}
}

/** A fleet's adapter figures, from warmup on. */
interface FleetAdapterMeters {
  loads: number;
  evictions: number;
  readonly wait: LatencyStats;
}

/**
 * LoRA adapter residency on the replicas of fleets with `adapters`, kept before requests reach a
 * replica's iteration scheduler. A request naming an adapter its replica holds goes on at once; one
 * naming an adapter being loaded waits for the load; otherwise the adapter claims a free slot, or
 * the slot of the least recently used adapter no request on the replica uses (an eviction), and is
 * queued for loading. A replica loads one adapter at a time, `load_time` each, from host memory,
 * while its iterations go on: S-LoRA and vLLM keep adapters in host memory and copy them over the
 * host link, which one copy at a time saturates. With every slot taken by adapters in use, the
 * request waits, first come first served, until one is free of requests. A request of the base
 * model (no adapter) never waits.
 */
export class AdapterResidency {
  private readonly maxResident: Int32Array;
  private readonly loadUs: Float64Array;
  private readonly state: (ReplicaAdapters | null)[];
  /** When each gated request (by slot) started waiting. */
  private readonly since = new Map<number, number>();
  private readonly meters: (FleetAdapterMeters | null)[];

  constructor(
    fleets: readonly Fleet[],
    private readonly layout: FleetLayout,
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly epoch: Int32Array,
    private readonly warmupUs: number,
    /** Hands a request whose adapter is now loaded on to its replica's scheduler. */
    private readonly proceed: (slot: number, replica: number, now: number) => void,
  ) {
    this.maxResident = Int32Array.from(fleets, (f) => f.adapters?.maxResident ?? 0);
    this.loadUs = Float64Array.from(fleets, (f) =>
      f.adapters == null ? 0 : Math.max(1, toUs(f.adapters.loadTimeS)),
    );
    this.state = new Array(layout.replicaCount).fill(null);
    this.meters = fleets.map((f) =>
      f.adapters == null ? null : { loads: 0, evictions: 0, wait: new LatencyStats() },
    );
  }

  /** Whether requests on `fleet` pass through here. */
  has(fleet: number): boolean {
    return this.maxResident[fleet] > 0;
  }

  /**
   * The request in `slot` reaches `replica`: true when it may go on to the scheduler now, false
   * when it waits here (and `proceed` hands it on later, unless `cancel` takes it back first).
   */
  request(replica: number, slot: number, now: number): boolean {
    const adapter = this.requests.adapter[slot];
    // A fleet without adapters serves no request naming one (the scenario checks see to it).
    if (adapter < 0 || this.maxResident[this.layout.fleetOf[replica]] === 0) return true;
    const r = this.replica(replica);
    r.gated++;
    this.since.set(slot, now);
    const entry = r.resident.get(adapter);
    if (entry !== undefined || (r.blocked.length === 0 && this.claim(r, replica, adapter, now)))
      return this.attach(r, replica, slot, adapter, now);
    r.blocked.push(slot);
    return false;
  }

  /** A request that went on to the scheduler leaves `replica` (finished, dropped, cancelled). */
  release(replica: number, slot: number, now: number): void {
    const adapter = this.requests.adapter[slot];
    if (adapter < 0 || this.maxResident[this.layout.fleetOf[replica]] === 0) return;
    const r = this.replica(replica);
    const entry = r.resident.get(adapter);
    if (entry === undefined) return;
    entry.refs--;
    entry.lastUseUs = now;
    if (entry.refs === 0 && r.blocked.length > 0) this.unblock(r, replica, now);
  }

  /** Takes back a request still waiting here (it gave up); false when it already went on. */
  cancel(replica: number, slot: number, now: number): boolean {
    if (!this.since.has(slot) || this.requests.adapter[slot] < 0) return false;
    const r = this.replica(replica);
    const blocked = r.blocked.indexOf(slot);
    if (blocked >= 0) {
      r.blocked.splice(blocked, 1);
    } else {
      const entry = r.resident.get(this.requests.adapter[slot]);
      const at = entry === undefined ? -1 : entry.waiting.indexOf(slot);
      if (entry === undefined || at < 0) return false;
      entry.waiting.splice(at, 1);
      entry.refs--;
      entry.lastUseUs = now;
      if (entry.refs === 0 && entry.loaded && r.blocked.length > 0) this.unblock(r, replica, now);
    }
    r.gated--;
    this.since.delete(slot);
    return true;
  }

  /** `replica` is reclaimed: its adapters and the requests waiting for them go with it, before those are routed again. */
  reset(replica: number): void {
    const r = this.state[replica];
    if (r === null) return;
    this.forget(r);
    this.state[replica] = null;
  }

  /** Requests of `replica` waiting here, not yet in its scheduler's queue. */
  waiting(replica: number): number {
    const r = this.state[replica];
    return r === null || r.epoch !== this.epoch[replica] ? 0 : r.gated;
  }

  /** The `AdapterLoaded` event: `replica` holds the adapter it was loading, unless relaunched since (`epoch`). */
  loaded(replica: number, epoch: number, now: number): void {
    const r = this.state[replica];
    if (r === null || r.epoch !== epoch || epoch !== this.epoch[replica]) return;
    const entry = r.resident.get(r.loading) as Resident;
    entry.loaded = true;
    r.loading = -1;
    const waiting = entry.waiting.splice(0);
    for (const slot of waiting) {
      this.record(r, replica, slot, now);
      this.proceed(slot, replica, now);
    }
    this.startLoad(r, replica, now);
    // Its requests may all have given up while it loaded: it is free for a blocked one.
    if (entry.refs === 0 && r.blocked.length > 0) this.unblock(r, replica, now);
  }

  /** Per fleet with adapters: its loads, evictions and the waits of its requests, from warmup on. */
  stats(fleet: number): AdapterStats | null {
    const meters = this.meters[fleet];
    if (meters === null) return null;
    const wait = meters.wait.summary();
    return {
      max_resident: this.maxResident[fleet],
      load_time_s: this.loadUs[fleet] / US_PER_S,
      requests: meters.wait.count,
      loads: meters.loads,
      evictions: meters.evictions,
      load_wait_s: { mean: wait.mean, p99: wait.p99, max: wait.max },
    };
  }

  /** The replica's adapters, empty for a launch other than the one they were loaded on. */
  private replica(replica: number): ReplicaAdapters {
    let r = this.state[replica];
    if (r === null || r.epoch !== this.epoch[replica]) {
      if (r !== null) this.forget(r);
      r = new ReplicaAdapters(this.epoch[replica]);
      this.state[replica] = r;
    }
    return r;
  }

  /** A replica that is gone took its waiting requests along (drained, it had none; reclaimed, `reset` came first). */
  private forget(r: ReplicaAdapters): void {
    for (const slot of r.blocked) this.since.delete(slot);
    for (const entry of r.resident.values()) for (const slot of entry.waiting) this.since.delete(slot);
  }

  /** Gives `adapter` a slot on the replica, by eviction if need be, and queues its load; false when every slot is in use. */
  private claim(r: ReplicaAdapters, replica: number, adapter: number, now: number): boolean {
    const fleet = this.layout.fleetOf[replica];
    if (r.resident.size >= this.maxResident[fleet]) {
      let victim = -1;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [id, entry] of r.resident) {
        if (entry.refs === 0 && entry.loaded && entry.lastUseUs < oldest) {
          victim = id;
          oldest = entry.lastUseUs;
        }
      }
      if (victim < 0) return false;
      r.resident.delete(victim);
      if (now >= this.warmupUs) (this.meters[fleet] as FleetAdapterMeters).evictions++;
    }
    r.resident.set(adapter, { refs: 0, lastUseUs: now, loaded: false, waiting: [] });
    r.loadQueue.push(adapter);
    if (r.loading < 0) this.startLoad(r, replica, now);
    return true;
  }

  private startLoad(r: ReplicaAdapters, replica: number, now: number): void {
    const next = r.loadQueue.shift();
    if (next === undefined) return;
    r.loading = next;
    const fleet = this.layout.fleetOf[replica];
    if (now >= this.warmupUs) (this.meters[fleet] as FleetAdapterMeters).loads++;
    this.engine.at(now + this.loadUs[fleet], Kind.AdapterLoaded, replica, r.epoch);
  }

  /** The request uses `adapter`, now resident or loading: true when loaded (it may go on), else it waits for the load. */
  private attach(r: ReplicaAdapters, replica: number, slot: number, adapter: number, now: number): boolean {
    const entry = r.resident.get(adapter) as Resident;
    entry.refs++;
    entry.lastUseUs = now;
    if (!entry.loaded) {
      entry.waiting.push(slot);
      return false;
    }
    this.record(r, replica, slot, now);
    return true;
  }

  /** The request stops waiting here: its wait is recorded. */
  private record(r: ReplicaAdapters, replica: number, slot: number, now: number): void {
    r.gated--;
    const since = this.since.get(slot) as number;
    this.since.delete(slot);
    if (this.requests.measured[slot] === 1)
      (this.meters[this.layout.fleetOf[replica]] as FleetAdapterMeters).wait.acceptMicros(now - since);
  }

  /**
   * An adapter fell out of use: blocked requests, in arrival order, take slots while they can; one
   * whose adapter is resident by then joins it whatever its place.
   */
  private unblock(r: ReplicaAdapters, replica: number, now: number): void {
    let claiming = true;
    let kept = 0;
    for (const slot of r.blocked.splice(0)) {
      const adapter = this.requests.adapter[slot];
      const resident = r.resident.get(adapter);
      if (resident !== undefined || (claiming && (claiming = this.claim(r, replica, adapter, now)))) {
        if (this.attach(r, replica, slot, adapter, now)) this.proceed(slot, replica, now);
      } else {
        r.blocked[kept++] = slot;
      }
    }
  }
}
