import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { InterruptionProcess } from '../fleet/index.js';
import type { Autoscaler } from '../policies/autoscaling/index.js';
import type { Router } from '../policies/routing/index.js';
import type { Fleet } from '../scenario/types.js';
import type { Activator } from './activator.js';
import { Kind } from './events.js';
import type { FleetLayout } from './layout.js';
import type { Meters } from './meters.js';
import type { OutageDriver } from './outage-driver.js';
import { type ReplicaLifecycle, ReplicaState } from './replica-lifecycle.js';
import type { RequestFlow } from './request-flow.js';
import { RequestState, type RequestTable } from './request-table.js';
import type { RoutedPrefix } from './routed-prefix.js';
import type { ServiceDiscipline } from './service/discipline.js';

/**
 * Spot reclaims: a notice drains the replica, the reclaim itself takes it away with what is
 * still on it, and each interrupted request goes where its fleet's `on_interrupt` says (routed
 * again, to another fleet, or dropped). A fixed-size fleet launches a replacement at the notice;
 * an autoscaled one leaves that to its policy.
 */
export class Interruptions {
  /** Per fleet: interrupted requests by what became of them. */
  readonly interrupted: { requeued: number; retried: number; dropped: number }[];
  /** With several models, per fleet the model it serves (-1: every one); null with one model. */
  servedModels: Int32Array | null = null;

  constructor(
    private readonly fleets: readonly Fleet[],
    private readonly processes: readonly (InterruptionProcess | null)[],
    private readonly autoscalers: readonly (Autoscaler | null)[],
    private readonly layout: FleetLayout,
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly replicas: ReplicaLifecycle,
    private readonly outstanding: Int32Array,
    private readonly router: Router,
    private readonly attributes: Float64Array,
    private readonly prefixes: RoutedPrefix,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
    private readonly activator: Activator,
    private readonly disciplines: readonly ServiceDiscipline[],
    private readonly outages: OutageDriver,
  ) {
    this.interrupted = fleets.map(() => ({ requeued: 0, retried: 0, dropped: 0 }));
  }

  /**
   * Schedules the first notice of `fleet`'s reclaim trace or the first wave of each of its zones,
   * if it has them (per-replica notices come with each launch).
   */
  start(fleet: number): void {
    const process = this.processes[fleet];
    if (process?.kind === 'fleet' && process.noticeTimesUs.length > 0) {
      this.engine.at(process.noticeTimesUs[0], Kind.FleetNotice, fleet, 0);
    }
    if (process?.kind === 'waves') {
      const zones = Math.max(1, this.fleets[fleet].zones.length);
      for (let zone = 0; zone < zones; zone++) this.scheduleWave(fleet, zone, 0);
    }
  }

  /** A wave takes each live replica of the zone (with the chance `share`), then the zone's next wave is drawn. */
  wave(fleet: number, zone: number, now: number): void {
    const process = this.processes[fleet] as Extract<InterruptionProcess, { kind: 'waves' }>;
    this.scheduleWave(fleet, zone, now);
    this.noticeZone(fleet, zone, now, () => process.takes());
  }

  private scheduleWave(fleet: number, zone: number, fromUs: number): void {
    const process = this.processes[fleet] as Extract<InterruptionProcess, { kind: 'waves' }>;
    const at = process.nextWaveUs(zone, fromUs);
    // No wave is drawn past the arrivals: a wave then could only end the drain early.
    if (Number.isFinite(at) && !this.flow.arrivalsDone) this.engine.at(at, Kind.ZoneWave, fleet, zone);
  }

  /**
   * Notices to every ready or starting replica of `fleet` in `zone` that `takes` picks, chosen
   * before any is noticed: the replacements a notice launches are not part of the wave.
   */
  private noticeZone(fleet: number, zone: number, now: number, takes: () => boolean): void {
    const zones = this.fleets[fleet].zones.length;
    const first = this.layout.first[fleet];
    const taken: number[] = [];
    for (let r = first; r < this.layout.end(fleet); r++) {
      if (zones > 0 && (r - first) % zones !== zone) continue;
      const state = this.replicas.state[r];
      if ((state === ReplicaState.Ready || state === ReplicaState.Provisioning) && takes()) taken.push(r);
    }
    for (const r of taken) this.notice(r, now);
  }

  /**
   * The spot price rose above the fleet's `max_price`: every replica gets a reclaim notice, as
   * AWS interrupts a spot instance whose price passes the request's maximum.
   */
  priceAbove(fleet: number, now: number): void {
    const noticeUs = Math.round(this.fleets[fleet].spotNoticeS * US_PER_S);
    for (let r = this.layout.first[fleet]; r < this.layout.end(fleet); r++) this.notice(r, now, noticeUs);
  }

  /** A reclaim notice: a provisioning replica is simply gone; a ready one drains until the reclaim. */
  notice(
    replica: number,
    now: number,
    noticeUs = (this.processes[this.layout.fleetOf[replica]] as InterruptionProcess).noticeUs,
  ): void {
    const fleet = this.layout.fleetOf[replica];
    const state = this.replicas.state[replica];
    if (state === ReplicaState.Off || state === ReplicaState.Draining) return;
    this.log(fleet, now, 'notice');
    if (state === ReplicaState.Provisioning) this.replicas.retire(replica, now, true);
    else {
      this.engine.at(now + noticeUs, Kind.SpotReclaim, replica, this.replicas.epoch[replica]);
      this.replicas.drain(replica, now, true);
    }
    if (this.autoscalers[fleet] === null && !this.flow.arrivalsDone) this.outages.launchSpare(fleet, now);
  }

  /**
   * The `index`-th notice of a reclaim trace: it takes the newest ready replica of the fleet, or
   * every replica of the zone the row names.
   */
  fleetNotice(fleet: number, index: number, now: number): void {
    const process = this.processes[fleet] as Extract<InterruptionProcess, { kind: 'fleet' }>;
    const times = process.noticeTimesUs;
    if (index + 1 < times.length)
      this.engine.at(Math.max(now, times[index + 1]), Kind.FleetNotice, fleet, index + 1);
    if (process.noticeZones[index] >= 0) {
      this.noticeZone(fleet, process.noticeZones[index], now, () => true);
      return;
    }
    const first = this.layout.first[fleet];
    for (let r = this.layout.end(fleet) - 1; r >= first; r--) {
      if (this.replicas.state[r] === ReplicaState.Ready) {
        this.notice(r, now);
        return;
      }
    }
  }

  /** The reclaim itself: every request still on the replica is interrupted and sent on. */
  reclaim(replica: number, now: number): void {
    const replicas = this.replicas;
    if (replicas.state[replica] !== ReplicaState.Draining) return;
    const fleet = this.layout.fleetOf[replica];
    this.log(fleet, now, 'reclaim');
    const requests = this.requests;
    const victims: number[] = [];
    for (const slot of requests.live()) if (requests.replica[slot] === replica) victims.push(slot);
    const discipline = this.disciplines[fleet];
    discipline.reclaim(replica, now, victims);
    for (const slot of victims) {
      if (requests.state[slot] === RequestState.InService) {
        if (discipline.occupiesSlot(slot)) this.meters.busySlot(fleet, slot, requests.startUs[slot], now);
      } else if (requests.state[slot] === RequestState.Queued) {
        this.meters.timeseries.addWait(requests.arrivalUs[slot], now);
      }
      requests.invalidate(slot);
    }
    this.outstanding[replica] = 0;
    replicas.retire(replica, now, true);
    const counts = this.interrupted[fleet];
    const policy = this.fleets[fleet].onInterrupt;
    for (const slot of victims) {
      if (policy === 'drop') {
        counts.dropped++;
        this.flow.turnAway(slot, replica, now, 'dropped');
        continue;
      }
      requests.loadAttributes(slot, this.attributes);
      this.prefixes.slot = slot;
      const target = policy === 'requeue' ? this.router.pick() : this.elsewhere(fleet, slot);
      this.prefixes.slot = -1;
      if (policy === 'requeue') counts.requeued++;
      else counts.retried++;
      if (target >= 0) this.flow.admit(slot, target, now);
      else this.activator.hold(slot, policy === 'requeue' ? this.router.holdingFleet() : fleet, now);
    }
  }

  /**
   * For `retry`: a ready replica outside `fleet`, of its fallback if it has one, else of the first
   * other fleet with one, the least loaded there. The router cannot answer this: its policy picks
   * among every fleet it routes to, the reclaimed one included. With several models, only fleets
   * serving the request's model are candidates.
   */
  private elsewhere(fleet: number, slot: number): number {
    const fleets = this.fleets;
    const fallback = fleets[fleet].fallback;
    const served = this.servedModels;
    const model = this.requests.model[slot];
    const order = fleets
      .map((_, f) => f)
      .filter((f) => f !== fleet && (served === null || served[f] < 0 || served[f] === model));
    if (fallback !== null) order.unshift(fleets.findIndex((f) => f.name === fallback));
    for (const f of order) {
      let best = -1;
      for (let r = this.layout.first[f]; r < this.layout.end(f); r++) {
        if (this.replicas.state[r] !== ReplicaState.Ready) continue;
        if (best < 0 || this.outstanding[r] < this.outstanding[best]) best = r;
      }
      if (best >= 0) return best;
    }
    return -1;
  }

  private log(fleet: number, now: number, kind: 'notice' | 'reclaim'): void {
    this.meters.capacityEvent({ time_s: now / US_PER_S, fleet: this.fleets[fleet].name, kind });
  }
}
