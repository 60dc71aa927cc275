import { US_PER_S } from '../core/time.js';
import { type Streams, sampleExponential, type Uniform } from '../engine/index.js';
import { type Fleet, InvariantError } from '../scenario/types.js';
import { readUnavailablePeriods } from './capacity-traces.js';

/**
 * Periods in which a fleet cannot launch replicas (a region out of spot capacity): drawn from
 * a rate (exponential gaps and durations) or read from a `start,end` trace. Keeps, per fleet,
 * whether it is out now, for how long it has been out in all, and the launches it was denied
 * meanwhile, which are made when capacity returns. The simulation schedules the events.
 */
export class CapacityOutages {
  private readonly out: Uint8Array;
  private readonly outSinceUs: Float64Array;
  private readonly outTotalUs: Float64Array;
  private readonly owed: Int32Array;
  private readonly periods: ([number, number][] | null)[];
  private readonly uniforms: Uniform[];

  constructor(
    private readonly fleets: readonly Fleet[],
    streams: Streams,
  ) {
    this.out = new Uint8Array(fleets.length);
    this.outSinceUs = new Float64Array(fleets.length);
    this.outTotalUs = new Float64Array(fleets.length);
    this.owed = new Int32Array(fleets.length);
    this.periods = fleets.map((f) =>
      f.unavailable?.kind === 'trace' ? readUnavailablePeriods(f.unavailable.path) : null,
    );
    this.uniforms = fleets.map((f) => streams.stream(`capacity/${f.name}`));
  }

  isOut(fleet: number): boolean {
    return this.out[fleet] === 1;
  }

  /** When fleet's `index`-th outage starts, not before `fromUs`; null when it has no more (or none at all). */
  nextStartUs(fleet: number, index: number, fromUs: number): number | null {
    const unavailable = this.fleets[fleet].unavailable;
    if (unavailable === null) return null;
    if (unavailable.kind === 'rate') {
      return fromUs + Math.round(sampleExponential(this.uniforms[fleet], 3600e6 / unavailable.perHour));
    }
    const periods = this.periods[fleet] as [number, number][];
    return index < periods.length ? Math.max(fromUs, Math.round(periods[index][0] * US_PER_S)) : null;
  }

  /** Fleet's `index`-th outage starts now; returns when it ends. */
  begin(fleet: number, index: number, nowUs: number): number {
    const unavailable = this.fleets[fleet].unavailable;
    if (unavailable === null) throw new InvariantError(`fleet ${this.fleets[fleet].name} has no outages`);
    this.out[fleet] = 1;
    this.outSinceUs[fleet] = nowUs;
    return unavailable.kind === 'rate'
      ? nowUs + Math.round(sampleExponential(this.uniforms[fleet], unavailable.meanDurationS * US_PER_S))
      : Math.max(nowUs, Math.round((this.periods[fleet] as [number, number][])[index][1] * US_PER_S));
  }

  /** Fleet's outage ends now; returns the launches it was denied, now to be made. */
  end(fleet: number, nowUs: number): number {
    this.out[fleet] = 0;
    this.outTotalUs[fleet] += nowUs - this.outSinceUs[fleet];
    const owed = this.owed[fleet];
    this.owed[fleet] = 0;
    return owed;
  }

  /** A launch fleet was denied while out. */
  owe(fleet: number): void {
    this.owed[fleet]++;
  }

  /** Time fleet spent out up to `endUs`, microseconds. */
  outUs(fleet: number, endUs: number): number {
    return this.outTotalUs[fleet] + (this.out[fleet] === 1 ? endUs - this.outSinceUs[fleet] : 0);
  }
}
