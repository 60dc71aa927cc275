import { US_PER_S } from '../core/time.js';
import { type Streams, sampleExponential, type Uniform } from '../engine/index.js';
import { type Fleet, InvariantError } from '../scenario/types.js';
import { PriceSeries, readUnavailablePeriods } from './capacity-traces.js';

/**
 * Periods in which a fleet cannot launch replicas (a region out of spot capacity): drawn from
 * a rate (exponential gaps and durations), read from a `start,end` trace, or, for a spot fleet
 * with a `max_price`, the spans its price series spends above it. Keeps, per fleet,
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
      f.unavailable?.kind === 'trace'
        ? readUnavailablePeriods(f.unavailable.path)
        : f.spotMaxPrice !== null && f.spotPriceTrace !== null
          ? PriceSeries.read(f.spotPriceTrace, f.priceUsdPerHour).spansAbove(f.spotMaxPrice)
          : null,
    );
    this.uniforms = fleets.map((f) => streams.stream(`capacity/${f.name}`));
  }

  isOut(fleet: number): boolean {
    return this.out[fleet] === 1;
  }

  /** When fleet's `index`-th outage starts, not before `fromUs`; null when it has no more (or none at all). */
  nextStartUs(fleet: number, index: number, fromUs: number): number | null {
    const unavailable = this.fleets[fleet].unavailable;
    if (unavailable?.kind === 'rate') {
      return fromUs + Math.round(sampleExponential(this.uniforms[fleet], 3600e6 / unavailable.perHour));
    }
    const periods = this.periods[fleet];
    if (periods === null) return null;
    return index < periods.length ? Math.max(fromUs, Math.round(periods[index][0] * US_PER_S)) : null;
  }

  /** Whether fleet's outages are the spans its spot price is above its `max_price`. */
  pricedOut(fleet: number): boolean {
    return this.fleets[fleet].unavailable === null && this.periods[fleet] !== null;
  }

  /** Fleet's `index`-th outage starts now; returns when it ends. */
  begin(fleet: number, index: number, nowUs: number): number {
    const unavailable = this.fleets[fleet].unavailable;
    const periods = this.periods[fleet];
    if (unavailable?.kind !== 'rate' && periods === null)
      throw new InvariantError(`fleet ${this.fleets[fleet].name} has no outages`);
    this.out[fleet] = 1;
    this.outSinceUs[fleet] = nowUs;
    return unavailable?.kind === 'rate'
      ? nowUs + Math.round(sampleExponential(this.uniforms[fleet], unavailable.meanDurationS * US_PER_S))
      : Math.max(nowUs, Math.round((periods as [number, number][])[index][1] * US_PER_S));
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
