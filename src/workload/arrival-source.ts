import type { Uniform } from '../engine/rng.js';
import type { Arrivals, Diagnostic, Rate, RequestAttribute } from '../scenario/types.js';
import { createSessionArrivals, type SessionStream } from './session-arrivals.js';
import {
  createConstantArrivals,
  createGammaArrivals,
  createPoissonArrivals,
  createThinnedPoissonArrivals,
} from './synthetic-arrivals.js';
import { createBootstrapArrivals } from './trace-bootstrap.js';
import { replayedTrace } from './trace-replay.js';

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
  /** A trace with a class column: the index of the row's class in the column's names; -1 otherwise. */
  classIndex: number;
  /** A trace with a model column: the row's model name; '' otherwise, or for an empty value. */
  model: string;
  /** A trace with an adapter column: the row's adapter name; '' otherwise, or for an empty value. */
  adapter: string;
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
  /**
   * Sessions between turns: conversations started whose next turn has not arrived, and the turns
   * they drew (sent or not). They hold memory by the turn as requests in the system do, so
   * `limits.max_in_flight` counts those turns too.
   */
  waiting?(): Waiting;
}

export interface Waiting {
  sessions: number;
  turns: number;
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
  /** The compiled rate expression, required when `arrivalRate(arrivals)` is an expression. */
  rateAt?: (tS: number) => number;
  /** The stream that draws the blocks of a trace `bootstrap`, required with one. */
  bootstrapUniform?: Uniform;
  /** The named streams sessions draw their turns from, required with `sessions`. */
  sessionStream?: (name: SessionStream) => Uniform;
}

/** The rate of a Poisson process the arrivals start from (requests, or sessions), or null. */
export function arrivalRate(arrivals: Arrivals): Rate | null {
  if (arrivals.kind === 'poisson') return arrivals.rate;
  if (arrivals.kind === 'sessions') return arrivals.sessions.rate;
  return null;
}

/**
 * Whether the source fills in `attribute` itself (NaN on a record where it has no value): a
 * trace's columns, a session's token counts. Attributes it does not fill come from the workload's
 * distributions.
 */
export function sourceGives(arrivals: Arrivals, attribute: RequestAttribute): boolean {
  if (arrivals.kind === 'trace') return arrivals.trace.columns[attribute] !== undefined;
  if (arrivals.kind === 'classes') {
    const processes = [
      ...arrivals.classes.map((c) => c.arrivals),
      arrivals.trace && { kind: 'trace' as const, trace: arrivals.trace },
    ];
    return processes.some((p) => p !== null && sourceGives(p, attribute));
  }
  return arrivals.kind === 'sessions' && (attribute === 'input_tokens' || attribute === 'output_tokens');
}

export function createArrivalRecord(): ArrivalRecord {
  return {
    timeS: 0,
    input_tokens: Number.NaN,
    output_tokens: Number.NaN,
    request_bytes: Number.NaN,
    response_bytes: Number.NaN,
    prefix: { segments: 0, hashes: new Float64Array(8), ends: new Float64Array(8) },
    classIndex: -1,
    model: '',
    adapter: '',
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
    case 'poisson':
      return poissonArrivals(arrivals.rate, context);
    case 'sessions': {
      if (context.sessionStream === undefined) {
        throw new TypeError('the arrivals are sessions, but no sessionStream was given');
      }
      const starts = poissonArrivals(arrivals.sessions.rate, context);
      return createSessionArrivals(arrivals.sessions, starts, context.sessionStream, durationS);
    }
    case 'gamma':
      return createGammaArrivals(uniform, arrivals.rate, arrivals.cv, durationS);
    case 'constant':
      return createConstantArrivals(arrivals.rate, durationS);
    case 'trace': {
      const bootstrap = arrivals.trace.bootstrap ?? null;
      if (bootstrap === null) return replayedTrace(arrivals.trace, durationS);
      if (context.bootstrapUniform === undefined) {
        throw new TypeError('the trace has a bootstrap, but no bootstrapUniform was given');
      }
      return createBootstrapArrivals(arrivals.trace, bootstrap, durationS, context.bootstrapUniform);
    }
    case 'classes':
      // Each class's samplers belong to it: the simulation merges one source per class.
      throw new TypeError('request classes have one arrival source each; create them one by one');
  }
}

function poissonArrivals(rate: Rate, { uniform, durationS, rateAt }: ArrivalContext): ArrivalSource {
  if (rate.kind === 'constant') return createPoissonArrivals(uniform, rate.value, durationS);
  if (rateAt === undefined) {
    throw new TypeError(`arrivals rate "${rate.source}" is an expression, but no compiled rateAt was given`);
  }
  return createThinnedPoissonArrivals(uniform, rateAt, rate.source, durationS);
}
