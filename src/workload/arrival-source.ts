import type { Uniform } from '../engine/rng.js';
import type { Arrivals, Diagnostic } from '../scenario/types.js';
import {
  createConstantArrivals,
  createGammaArrivals,
  createPoissonArrivals,
  createThinnedPoissonArrivals,
} from './synthetic-arrivals.js';
import { createTraceArrivals } from './trace-arrivals.js';
import { createBootstrapArrivals } from './trace-bootstrap.js';

/** One arrival. Filled in place by `next()` so the hot loop allocates nothing; NaN for an attribute the source does not provide. */
export interface ArrivalRecord {
  /** Seconds from the start of the run; never less than the previous arrival's. */
  timeS: number;
  input_tokens: number;
  output_tokens: number;
  request_bytes: number;
  response_bytes: number;
  /** What of the prompt other prompts may share, for prefix caching. */
  prefix: PromptPrefix;
}

/**
 * A prompt as consecutive segments whose content is named by a chained hash: `hashes[i]` names
 * every token from the prompt's start to `ends[i]`, so two prompts whose hashes agree at a segment
 * agree on all the tokens before its end (Mooncake's `hash_ids` are such hashes, one per 512
 * tokens). Tokens after the last segment are the prompt's own. Filled in place with the record; a
 * source with more segments than the arrays hold replaces them with longer ones.
 */
export interface PromptPrefix {
  /** Segments the last `next()` filled in; 0: the prompt shares nothing. */
  segments: number;
  /** Integers below 2^53. */
  hashes: Float64Array;
  /** Tokens from the prompt's start to the end of each segment, increasing. */
  ends: Float64Array;
}

export interface ArrivalSource {
  /** Fills `out` with the next arrival; false when there are no more (and on every later call). */
  next(out: ArrivalRecord): boolean;
  /** Releases the trace file, if any; safe to call more than once. */
  close(): void;
  /** A trace read with `on_bad_row: skip`: the bad rows it passed over so far. */
  skippedRows?(): SkippedRows;
}

/** Bad rows of a trace passed over: how many, and the first few, located. */
export interface SkippedRows {
  count: number;
  first: Diagnostic[];
}

export interface ArrivalContext {
  /** The scenario's 'arrivals' stream; traces draw nothing from it. */
  uniform: Uniform;
  /** Arrivals at or after this time are not produced; null = no limit (a trace then runs to its end). */
  durationS: number | null;
  /** The compiled rate expression, required when `arrivals.rate.kind` is 'expression'. */
  rateAt?: (tS: number) => number;
  /** The stream that draws the blocks of a trace `bootstrap`, required with one. */
  bootstrapUniform?: Uniform;
}

export function createArrivalRecord(): ArrivalRecord {
  return {
    timeS: 0,
    input_tokens: Number.NaN,
    output_tokens: Number.NaN,
    request_bytes: Number.NaN,
    response_bytes: Number.NaN,
    prefix: { segments: 0, hashes: new Float64Array(8), ends: new Float64Array(8) },
  };
}

/**
 * The arrival process of a scenario. Trace sources open (and check the header of) the file now:
 * a missing file or column throws a UserError here, a bad row when `next()` reaches it. A rate
 * expression that turns negative or outgrows its bound throws a RateFunctionError.
 */
export function createArrivalSource(arrivals: Arrivals, context: ArrivalContext): ArrivalSource {
  const { uniform, durationS } = context;
  switch (arrivals.kind) {
    case 'poisson': {
      const rate = arrivals.rate;
      if (rate.kind === 'constant') return createPoissonArrivals(uniform, rate.value, durationS);
      if (context.rateAt === undefined) {
        throw new TypeError(
          `arrivals rate "${rate.source}" is an expression, but no compiled rateAt was given`,
        );
      }
      return createThinnedPoissonArrivals(uniform, context.rateAt, rate.source, durationS);
    }
    case 'gamma':
      return createGammaArrivals(uniform, arrivals.rate, arrivals.cv, durationS);
    case 'constant':
      return createConstantArrivals(arrivals.rate, durationS);
    case 'trace': {
      const bootstrap = arrivals.trace.bootstrap ?? null;
      if (bootstrap === null) return createTraceArrivals(arrivals.trace, durationS);
      if (context.bootstrapUniform === undefined) {
        throw new TypeError('the trace has a bootstrap, but no bootstrapUniform was given');
      }
      return createBootstrapArrivals(arrivals.trace, bootstrap, durationS, context.bootstrapUniform);
    }
  }
}
