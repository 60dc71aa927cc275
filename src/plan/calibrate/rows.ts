import { MAX_COUNT } from '../../core/schema-values.js';
import { MAX_SECONDS } from '../../core/time.js';
import { excerpt, excerptJson } from '../../util/excerpt.js';

/** One request as a measured file gives it: times in the file's seconds, null where not recorded. */
export interface Row {
  arrival: number;
  firstToken: number | null;
  finish: number | null;
  input: number;
  output: number;
}

/**
 * The bound of every count a scenario gives (docs/reliability.md), here of a request's tokens
 * each way: no model's context comes near it, and a count such as 1e308 is a broken file.
 */
export const MAX_TOKENS = MAX_COUNT;

/** What a token count of a measured file must be, as error messages say it. */
export const TOKEN_COUNT = `a number of tokens from 0 to ${MAX_TOKENS}`;

export function isTokenCount(value: number): boolean {
  return value >= 0 && value <= MAX_TOKENS;
}

/** An LLM fleet serves whole tokens, at least one each way: so does the replay. */
export function wholeTokens(value: number): number {
  return Math.max(1, Math.round(value));
}

/**
 * The earliest and the latest time of a measured run read so far. The replay rebases the run to
 * its earliest arrival, and its copy of the run keeps every time: all of them must lie within the
 * span of the simulation clock (MAX_SECONDS) of one another, which a time checked against the
 * first row alone does not ensure (an earlier arrival further on moves the origin back).
 */
export class TimeSpan {
  #earliest = Number.POSITIVE_INFINITY;
  #latest = Number.NEGATIVE_INFINITY;
  #earliestRaw = 0;
  #latestRaw = 0;

  /**
   * Takes in a time: `seconds` on one clock for the whole run, `raw` as the file writes it. What
   * is wrong with it ("is more than ...", for the caller to put after the value) or null.
   */
  add(seconds: number, raw: number): string | null {
    if (seconds - this.#earliest > MAX_SECONDS) return tooFar('after the earliest', this.#earliestRaw);
    if (this.#latest - seconds > MAX_SECONDS) return tooFar('before the latest', this.#latestRaw);
    if (seconds < this.#earliest) {
      this.#earliest = seconds;
      this.#earliestRaw = raw;
    }
    if (seconds > this.#latest) {
      this.#latest = seconds;
      this.#latestRaw = raw;
    }
    return null;
  }
}

function tooFar(which: string, raw: number): string {
  return `is more than 285 years ${which} time of the run (${raw}), past the span of the simulation clock`;
}

/** A value as an error message quotes it. */
export function describe(value: unknown): string {
  if (value === null || value === '') return 'nothing';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return excerpt(value);
  return excerptJson(value);
}
