import { US_PER_S } from '../core/time.js';
import type { Engine } from '../engine/index.js';
import type { PartialRun } from '../metrics/index.js';
import { type Scenario, traceDurationS } from '../scenario/types.js';
import { formatDuration } from '../scenario/units.js';
import type { ArrivalSource } from '../workload/index.js';
import type { CertainMiss } from './certain-miss.js';
import type { Meters } from './meters.js';
import type { RequestFlow } from './request-flow.js';
import type { RequestTable } from './request-table.js';

/**
 * Run limits are checked between slices of this many events: the event loop then pays one counter
 * comparison per event and the clock is read a few hundred times a second. `max_in_flight` can
 * thus be passed by up to this many requests before the run stops.
 */
const LIMIT_CHECK_EVENTS = 4096;
/** Wall-clock milliseconds between progress reports from inside a simulated-time step. */
const PROGRESS_WALL_MS = 250;

export interface Progress {
  variant: string;
  simulatedS: number;
  /** When arrivals stop (null while a trace's end is unknown). */
  horizonS: number | null;
  /** Requests arrived after warmup. */
  arrived: number;
  events: number;
  /** Arrivals are over: requests in flight are draining. */
  draining: boolean;
  /** Requests in the system (held, queued or in service), warmup ones included. */
  inFlight: number;
  /** While draining: when `max_drain` ends the drain at the latest (null: no limit). */
  drainLimitS: number | null;
}

/**
 * Drives the engine in slices, between which it checks the run limits (`limits.*`) and reports
 * progress: the event loop itself stays a tight loop that knows neither.
 */
export class RunControl {
  /** Set when a run limit ended the run early. */
  partial: PartialRun | null = null;
  /** Where `max_drain` ends the drain, once arrivals are over. */
  drainLimitUs = Number.POSITIVE_INFINITY;
  /** `performance.now()` past which the run ends (`limits.max_wall`). */
  private wallDeadlineMs = Number.POSITIVE_INFINITY;
  private lastProgressMs = 0;
  /** Events handled when the run limits are checked next. */
  private checkAtEvents: number;

  constructor(
    private readonly engine: Engine,
    private readonly scenario: Scenario,
    private readonly requests: RequestTable,
    private readonly meters: Meters,
    private readonly flow: RequestFlow,
    private readonly onProgress: ((progress: Progress) => void) | undefined,
    private readonly name: string,
    /** Stops the run once its objective is missed for certain; null: runs to its end. */
    private readonly miss: CertainMiss | null,
    /** The turns of its `waiting` sessions count against `max_in_flight` beside the requests. */
    private readonly arrivals: ArrivalSource,
  ) {
    this.checkAtEvents = Math.min(LIMIT_CHECK_EVENTS, scenario.limits.maxEvents);
  }

  /** Starts the wall clock of `limits.max_wall` and of progress reports. */
  startClock(): void {
    this.lastProgressMs = performance.now();
    this.wallDeadlineMs = this.lastProgressMs + this.scenario.limits.maxWallS * 1000;
  }

  /**
   * Runs the engine until `untilUs`, `stop()`, the end of events or a run limit; in steps of
   * simulated time when someone watches progress, so it can be reported between them, and in
   * slices of `LIMIT_CHECK_EVENTS` events, between which the limits are checked.
   */
  runUntil(untilUs: number, eventsBefore: number): number {
    const engine = this.engine;
    const onProgress = this.onProgress;
    const horizonS = this.scenario.duration ?? this.traceDurationS();
    const stepUs =
      onProgress === undefined
        ? Number.POSITIVE_INFINITY
        : Math.max(US_PER_S, ((horizonS ?? 3600) * US_PER_S) / 200);
    let events = 0;
    for (let stepEnd = engine.now + stepUs; ; stepEnd += stepUs) {
      const sliceEndUs = Math.min(stepEnd, untilUs);
      let stopped = false;
      // Checked only with an event still to handle: a run that needs exactly `max_events` is whole.
      while (!stopped && engine.nextEventUs <= sliceEndUs) {
        const total = eventsBefore + events;
        if (total >= this.checkAtEvents) {
          if (this.limitReached(total)) return events;
          this.checkAtEvents = Math.min(total + LIMIT_CHECK_EVENTS, this.scenario.limits.maxEvents);
          if (onProgress !== undefined && performance.now() - this.lastProgressMs >= PROGRESS_WALL_MS)
            this.reportProgress(onProgress, horizonS, total);
        }
        const outcome = engine.run(sliceEndUs, this.checkAtEvents - total);
        events += outcome.events;
        stopped = outcome.stopped;
      }
      if (onProgress !== undefined) this.reportProgress(onProgress, horizonS, eventsBefore + events);
      if (stopped || engine.pendingEvents === 0 || stepEnd >= untilUs) return events;
      // Steps with nothing to handle are skipped, not reported one by one (a long, quiet drain).
      const idleSteps = Math.floor((engine.nextEventUs - stepEnd) / stepUs);
      if (idleSteps > 0) stepEnd += idleSteps * stepUs;
    }
  }

  private reportProgress(
    onProgress: (progress: Progress) => void,
    horizonS: number | null,
    events: number,
  ): void {
    this.lastProgressMs = performance.now();
    const draining = this.flow.arrivalsDone;
    onProgress({
      variant: this.name,
      simulatedS: this.engine.now / US_PER_S,
      horizonS,
      arrived: this.meters.arrived,
      events,
      draining,
      inFlight: this.requests.liveCount,
      drainLimitS: draining && Number.isFinite(this.drainLimitUs) ? this.drainLimitUs / US_PER_S : null,
    });
  }

  /** Whether a run limit ends the run after `events`; if one does, records which. */
  private limitReached(events: number): boolean {
    const limits = this.scenario.limits;
    const requests = this.requests.liveCount;
    const waiting = this.arrivals.waiting?.() ?? null;
    const inFlight = requests + (waiting?.turns ?? 0);
    const now = performance.now();
    let limit: PartialRun['limit'];
    let reason: string;
    if (events >= limits.maxEvents) {
      limit = 'max_events';
      reason = `${formatCount(events)} events handled, the most limits.max_events allows`;
    } else if (inFlight > limits.maxInFlight) {
      limit = 'max_in_flight';
      const held =
        waiting === null || waiting.sessions === 0
          ? `${formatCount(requests)} requests in the system`
          : `${formatCount(requests)} requests in the system and ${formatCount(waiting.turns)} turns held by ${formatCount(waiting.sessions)} sessions waiting for their next turn, together`;
      reason = `${held}, more than limits.max_in_flight (${formatCount(limits.maxInFlight)})`;
    } else if (now >= this.wallDeadlineMs) {
      limit = 'max_wall';
      reason = `${formatDuration(limits.maxWallS)} of wall-clock time, the most limits.max_wall allows`;
    } else {
      const missed = this.miss?.check(this.engine.now / US_PER_S) ?? null;
      if (missed === null) return false;
      this.partial = missed;
      return true;
    }
    this.partial = { limit, at_s: this.engine.now / US_PER_S, reason };
    return true;
  }

  private traceDurationS(): number | null {
    return traceDurationS(this.scenario.workload);
  }
}

function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
