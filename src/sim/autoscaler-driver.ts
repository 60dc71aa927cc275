import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { CapacityOutages } from '../fleet/capacity-outages.js';
import type { Autoscaler, MetricSample } from '../policies/autoscaling/index.js';
import type { Fleet } from '../scenario/types.js';
import type { Activator } from './activator.js';
import { Kind } from './events.js';
import type { FleetLayout } from './layout.js';
import type { Meters } from './meters.js';
import { type ReplicaLifecycle, ReplicaState } from './replica-lifecycle.js';
import type { RequestFlow } from './request-flow.js';
import { RequestState, type RequestTable } from './request-table.js';
import { slotsPerReplica } from './results.js';
import type { ServiceDiscipline } from './service/discipline.js';

/** Which replica an autoscaler's scale-in removes next. */
export interface ScaleInChoice {
  /**
   * Among a fleet's slots `first` .. `end - 1`, the replica to remove next: a provisioning one is
   * cancelled, a ready one drained; -1 when none is left to remove.
   */
  next(first: number, end: number, state: Uint8Array, outstanding: Int32Array): number;
}

/**
 * Cancels replicas still provisioning first (the newest slot first: they cost the least to give
 * up), then drains the ready replica with the fewest requests in flight (the later slot on a
 * tie), so the fewest requests wait on replicas that are going away.
 */
export const cancelThenDrainLeastLoaded: ScaleInChoice = {
  next(first, end, state, outstanding) {
    for (let r = end - 1; r >= first; r--) if (state[r] === ReplicaState.Provisioning) return r;
    let victim = -1;
    for (let r = first; r < end; r++) {
      if (state[r] !== ReplicaState.Ready) continue;
      if (victim < 0 || outstanding[r] <= outstanding[victim]) victim = r;
    }
    return victim;
  },
};

/**
 * Runs each autoscaled fleet's policy: scrapes its metrics on the policy's interval, as a metrics
 * pipeline would (time averages over the interval, queue depth now), and on each evaluation
 * launches or removes replicas to reach the count it decides, logging the change.
 */
export class AutoscalerDriver {
  private readonly lastScrapeUs: Float64Array;
  /** Request-time of requests that left each fleet, and its busy slot-time, at its last scrape. */
  private readonly lastResidenceUs: Float64Array;
  private readonly lastBusyUs: Float64Array;

  constructor(
    private readonly fleets: readonly Fleet[],
    private readonly autoscalers: readonly (Autoscaler | null)[],
    private readonly layout: FleetLayout,
    private readonly engine: Engine,
    private readonly requests: RequestTable,
    private readonly replicas: ReplicaLifecycle,
    private readonly outstanding: Int32Array,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
    private readonly activator: Activator,
    private readonly disciplines: readonly ServiceDiscipline[],
    private readonly outages: CapacityOutages,
    private readonly scaleIn: ScaleInChoice = cancelThenDrainLeastLoaded,
  ) {
    this.lastScrapeUs = new Float64Array(fleets.length);
    this.lastResidenceUs = new Float64Array(fleets.length);
    this.lastBusyUs = new Float64Array(fleets.length);
  }

  /** Schedules the first scrape and evaluation of `fleet`'s autoscaler, if it has one. */
  start(fleet: number): void {
    const autoscaler = this.autoscalers[fleet];
    if (autoscaler === null) return;
    if (autoscaler.scrapeIntervalUs !== null) this.engine.at(autoscaler.scrapeIntervalUs, Kind.Scrape, fleet);
    this.engine.at(autoscaler.evaluationPeriodUs, Kind.Evaluate, fleet);
  }

  /** One scrape of an autoscaled fleet: the state of its ready replicas now, the arrival rate since the last. */
  scrape(fleet: number, now: number): void {
    const autoscaler = this.autoscalers[fleet] as Autoscaler;
    const discipline = this.disciplines[fleet];
    const first = this.layout.first[fleet];
    const end = this.layout.end(fleet);
    const slots = slotsPerReplica(this.fleets[fleet]);
    const state = this.replicas.state;
    let ready = 0;
    let waiting = this.activator.heldCount[fleet];
    let kvUsage = 0;
    for (let r = first; r < end; r++) {
      if (state[r] !== ReplicaState.Ready) continue;
      ready++;
      waiting += discipline.waitingAt(r);
      if (discipline.kvCacheUsage !== undefined) kvUsage += discipline.kvCacheUsage(r);
    }
    // Concurrency and utilization are time averages over the interval, as the real pipelines
    // report them: cumulative request-time and busy-time, differenced between scrapes.
    const requests = this.requests;
    const meters = this.meters;
    let residenceUs = meters.residenceUs[fleet];
    let busyUs = meters.busyUs[fleet];
    for (const slot of requests.live()) {
      const replica = requests.replica[slot];
      const at = replica >= 0 ? this.layout.fleetOf[replica] : requests.heldFor[slot];
      if (at !== fleet) continue;
      residenceUs += now - requests.arrivalUs[slot];
      if (replica >= 0 && requests.state[slot] === RequestState.InService && discipline.occupiesSlot(slot)) {
        busyUs += now - requests.startUs[slot];
      }
    }
    busyUs = discipline.addRunningBusy(fleet, busyUs, now);
    const windowUs = now - this.lastScrapeUs[fleet];
    const sample: MetricSample = {
      timeUs: now,
      readyReplicas: ready,
      concurrency: windowUs > 0 ? (residenceUs - this.lastResidenceUs[fleet]) / windowUs : 0,
      utilization:
        ready > 0 && windowUs > 0
          ? Math.min(1, (busyUs - this.lastBusyUs[fleet]) / windowUs / (ready * slots))
          : 0,
      requestRateRps: windowUs > 0 ? (meters.routed[fleet] * US_PER_S) / windowUs : 0,
      queueLength: waiting,
      kvCacheUtilization: discipline.kvCacheUsage === undefined ? null : ready > 0 ? kvUsage / ready : 0,
    };
    meters.routed[fleet] = 0;
    this.lastScrapeUs[fleet] = now;
    this.lastResidenceUs[fleet] = residenceUs;
    this.lastBusyUs[fleet] = busyUs;
    autoscaler.observe(sample);
    if (this.flow.inProgress()) {
      this.engine.at(now + (autoscaler.scrapeIntervalUs as number), Kind.Scrape, fleet);
    }
  }

  /** Launches or removes replicas to reach the autoscaler's count, which free slots and outages may cut short. */
  evaluate(fleet: number, now: number): void {
    const autoscaler = this.autoscalers[fleet] as Autoscaler;
    const replicas = this.replicas;
    const counts = replicas.tables[fleet].counts();
    const desired = autoscaler.desiredReplicas(now, counts);
    const before = counts.ready + counts.provisioning;
    let surplus = before - desired;
    const first = this.layout.first[fleet];
    const end = this.layout.end(fleet);
    for (let r = first; r < end && surplus < 0 && !this.outages.isOut(fleet); r++) {
      if (replicas.state[r] !== ReplicaState.Off) continue;
      replicas.launch(r, now);
      surplus++;
    }
    while (surplus > 0) {
      const r = this.scaleIn.next(first, end, replicas.state, this.outstanding);
      if (r < 0) break;
      if (replicas.state[r] === ReplicaState.Provisioning) replicas.retire(r, now, false);
      else replicas.drain(r, now, false);
      surplus--;
    }
    // What changed, which is less than the policy asked for while capacity is unavailable.
    const after = desired + surplus;
    if (after !== before) {
      this.meters.capacityEvent({
        time_s: now / US_PER_S,
        fleet: this.fleets[fleet].name,
        kind: 'scale',
        from: before,
        to: after,
      });
    }
    if (this.flow.inProgress()) this.engine.at(now + autoscaler.evaluationPeriodUs, Kind.Evaluate, fleet);
  }
}
