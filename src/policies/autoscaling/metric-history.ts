import { InvariantError } from '../../core/errors.js';
import type { MetricSample } from './types.js';

/**
 * The samples a policy has received, as its metrics pipeline exposes them: a sample whose window
 * ended at `timeUs` becomes visible `delayUs` later (scrape and aggregation lag), and windows are
 * averaged over the samples that ended inside them.
 */
export class MetricHistory {
  private readonly samples: MetricSample[] = [];
  private first = 0;

  /** `keepUs`: the longest window any caller asks for; older samples are dropped. */
  constructor(
    private readonly delayUs: number,
    private readonly keepUs: number,
  ) {}

  push(sample: MetricSample): void {
    const last = this.samples.at(-1);
    if (last && sample.timeUs <= last.timeUs) {
      throw new InvariantError(
        `metric sample at ${sample.timeUs} us is not after the one at ${last.timeUs} us`,
      );
    }
    this.samples.push(sample);
    this.prune(sample.timeUs);
  }

  /** The newest sample visible at `nowUs`, or null. */
  latest(nowUs: number): MetricSample | null {
    const visibleUntil = nowUs - this.delayUs;
    for (let i = this.samples.length - 1; i >= this.first; i--) {
      if (this.samples[i].timeUs <= visibleUntil) return this.samples[i];
    }
    return null;
  }

  /**
   * Mean of `value` over the samples that ended in (now - delay - window, now - delay], or null
   * when there are none. A window longer than the history averages what exists, as Knative does
   * before its stable window has filled.
   */
  mean(nowUs: number, windowUs: number, value: (sample: MetricSample) => number): number | null {
    const visibleUntil = nowUs - this.delayUs;
    const from = visibleUntil - windowUs;
    let sum = 0;
    let n = 0;
    for (let i = this.samples.length - 1; i >= this.first; i--) {
      const t = this.samples[i].timeUs;
      if (t <= from) break;
      if (t <= visibleUntil) {
        sum += value(this.samples[i]);
        n++;
      }
    }
    return n === 0 ? null : sum / n;
  }

  private prune(newestUs: number): void {
    // The newest sample at or before the horizon stays: it may still be the latest visible one.
    const horizon = newestUs - this.delayUs - this.keepUs;
    while (this.first + 1 < this.samples.length && this.samples[this.first + 1].timeUs <= horizon)
      this.first++;
    // Compact now and then, so a run of days at 1 s scrapes does not keep every sample.
    if (this.first > 1024 && this.first * 2 > this.samples.length) {
      this.samples.splice(0, this.first);
      this.first = 0;
    }
  }
}
