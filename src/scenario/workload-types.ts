/**
 * The resolved workload: arrivals, traces, request classes, sessions and shared prefixes, as
 * `loadScenario` returns them (plain data; times in seconds).
 */

import type { RequestAttribute } from '../core/request-attributes.js';
import type { ON_BAD_ROW, TIME_UNITS, TRACE_FORMATS } from './schema/trace.js';
import type { Slo } from './types.js';

/** A scalar random quantity. Durations are seconds; sizes bytes; token counts are counts. */
export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'exponential'; mean: number }
  /** ln X ~ Normal(mu, sigma); `{median, sigma}` gives mu = ln(median), `{mean, cv}` gives sigma^2 = ln(1+cv^2), mu = ln(mean) - sigma^2/2 */
  | { kind: 'lognormal'; mu: number; sigma: number }
  /** shape k = 1/cv^2, scale = mean/k */
  | { kind: 'gamma'; shape: number; scale: number }
  | { kind: 'uniform'; min: number; max: number }
  /** Values of one column of a CSV file, resampled uniformly with replacement. */
  | { kind: 'empirical'; path: string; column: string };

/**
 * A service time: a distribution (seconds), or a mathjs expression of request attributes
 * (`input_tokens`, `output_tokens`, `request_bytes`, `response_bytes`) whose value is a duration
 * (`"20ms + 0.05ms * input_tokens"`; a plain number means seconds).
 */
export type ServiceTime = Distribution | { kind: 'expression'; source: string };

/** A rate in requests/second, constant or a mathjs expression of simulated time `t` (seconds). */
export type Rate = { kind: 'constant'; value: number } | { kind: 'expression'; source: string };

export type TraceFormat = (typeof TRACE_FORMATS)[number];
export type TimeUnit = (typeof TIME_UNITS)[number];
export { REQUEST_ATTRIBUTES, type RequestAttribute } from '../core/request-attributes.js';

export interface TraceSource {
  path: string;
  format: TraceFormat;
  /** Column (CSV header name) or JSON key holding the arrival time. Presets fill it in. */
  timeColumn: string;
  timeUnit: TimeUnit;
  /** Request attribute -> column/key in the trace. Presets fill these in. */
  columns: Partial<Record<RequestAttribute, string>>;
  /** Replay speed-up: 2 replays twice as fast (inter-arrival gaps halved). */
  speed: number;
  /** Stop after this many requests. */
  limit: number | null;
  /** Stop at this trace time (seconds after the first request, after `speed`). */
  duration: number | null;
  /** Replay a block bootstrap of the trace instead of the trace itself; absent or null: the trace. */
  bootstrap?: TraceBootstrap | null;
  /** What a bad row does: stop with an error (absent: the same), or be skipped and counted. */
  onBadRow?: OnBadRow;
  /** The column listing each prompt's prefix blocks, for prefix caching; absent or null: none. */
  prefixBlocks?: TracePrefixBlocks | null;
  /** The column naming each row's request class (`workload.classes`); absent or null: none. */
  classColumn?: TraceClassColumn | null;
  /** The column naming each row's model (a name of the scenario's models); absent or null: none. */
  modelColumn?: string | null;
  /** The column naming each row's LoRA adapter (empty: the base model); absent or null: none. */
  adapterColumn?: string | null;
}

/** A trace column whose values name request classes: a row belongs to the class at its value's index in `names`. */
export interface TraceClassColumn {
  column: string;
  names: readonly string[];
}

/**
 * A trace column naming the blocks a prompt starts with by chained hash ids: equal ids at block
 * `i` mean equal prompts up to the end of block `i` (Mooncake's `hash_ids`).
 */
export interface TracePrefixBlocks {
  column: string;
  /** Tokens per block; the last block of a prompt may be partial (it ends with the prompt). */
  blockTokens: number;
}

export type OnBadRow = (typeof ON_BAD_ROW)[number];

/** A seeded block bootstrap of a trace (src/workload/trace-bootstrap.ts). */
export interface TraceBootstrap {
  /** Block length in seconds of trace time (before `speed`). */
  blockS: number;
}

export type Arrivals =
  | { kind: 'poisson'; rate: Rate }
  | { kind: 'gamma'; rate: number; cv: number }
  | { kind: 'constant'; rate: number }
  | { kind: 'trace'; trace: TraceSource }
  | { kind: 'sessions'; sessions: Sessions }
  /**
   * `workload.classes`: each class's own arrivals, merged in time order, and the workload's
   * trace, whose class column hands its rows to the classes without arrivals of their own.
   */
  | { kind: 'classes'; classes: RequestClass[]; trace: TraceSource | null };

/** One entry of `workload.classes`: a workload of its own, with its priority, objective and tenant. */
export interface RequestClass {
  name: string;
  /** Its own arrivals; null: the rows of the workload's trace whose class column names it. */
  arrivals: Arrivals | null;
  /** Attributes drawn per request when its arrivals (or the trace) do not give them. Absent: 0. */
  attributes: Partial<Record<RequestAttribute, Distribution>>;
  sharedPrefix?: SharedPrefix | null;
  /** Higher first; every request of the class carries it. */
  priority: number;
  /**
   * Seconds within which each request must finish after it arrives; null: an interactive class.
   * A class with a deadline ranks below every class without one.
   */
  deadline: number | null;
  /** Its own objective; null: the scenario's. */
  slo: Slo | null;
  /** Who pays for it, for cost attribution; null: the class's own name. */
  tenant: string | null;
  /** The model its requests ask for (a name of `modelNames`); absent or null: the scenario's only model. */
  model?: string | null;
  /** The LoRA adapter its requests name; absent or null: the base model. */
  adapter?: AdapterChoice | null;
}

/**
 * The LoRA adapter of a class's requests: one named adapter, or one of `count` adapters
 * (`<class>/0` .. `<class>/<count - 1>`) drawn per request, adapter i with weight 1 / (i + 1)^zipf.
 */
export type AdapterChoice = { kind: 'named'; name: string } | { kind: 'drawn'; count: number; zipf: number };

/**
 * The classes a workload's requests belong to, in declared order: those of `workload.classes`, or
 * one class, `default`, that is the whole workload.
 */
export function requestClasses(workload: Workload): RequestClass[] {
  if (workload.arrivals.kind === 'classes') return workload.arrivals.classes;
  return [
    {
      name: DEFAULT_CLASS,
      arrivals: workload.arrivals,
      attributes: workload.attributes,
      ...(workload.sharedPrefix != null && { sharedPrefix: workload.sharedPrefix }),
      priority: 0,
      deadline: null,
      slo: null,
      tenant: null,
    },
  ];
}

/** The name of the one class of a workload without `workload.classes`. */
export const DEFAULT_CLASS = 'default';

/**
 * How long the workload's traces replay (their `duration`), when arrivals are traces alone and
 * each has one: the longest of them; null otherwise.
 */
export function traceDurationS(workload: Workload): number | null {
  let longest: number | null = null;
  for (const process of arrivalProcesses(workload)) {
    if (process.kind !== 'trace' || process.trace.duration === null) return null;
    longest = Math.max(longest ?? 0, process.trace.duration);
  }
  return longest;
}

/** Every arrival process of a workload: one, or each class's own and the workload's trace. */
export function arrivalProcesses(workload: Workload): Arrivals[] {
  const arrivals = workload.arrivals;
  if (arrivals.kind !== 'classes') return [arrivals];
  const own = arrivals.classes.flatMap((c) => (c.arrivals === null ? [] : [c.arrivals]));
  return arrivals.trace === null ? own : [...own, { kind: 'trace', trace: arrivals.trace }];
}

/**
 * Multi-turn conversations (chat, agent loops): sessions start as a Poisson process, and each turn
 * sends the conversation so far plus a new message (src/workload/session-arrivals.ts).
 */
export interface Sessions {
  /** Sessions started per second. */
  rate: Rate;
  /** Turns (requests) per session; each draw is rounded to a whole number, at least 1. */
  turns: Distribution;
  /** Tokens of a session's first message. */
  firstMessageTokens: Distribution;
  /** Tokens of each later message (a user's reply, a tool's output). */
  messageTokens: Distribution;
  /** Tokens of each answer. */
  outputTokens: Distribution;
  /** Seconds from a turn's arrival to the next turn's. */
  thinkTime: Distribution;
  /** Seconds added to the next turn's gap per token of the previous answer. */
  answerTimePerToken: number;
  /** Tokens of a system prompt every session starts with; 0 for none. */
  systemPromptTokens: number;
}

export interface Workload {
  arrivals: Arrivals;
  /** Attributes drawn per request when the trace does not provide them. Absent: 0. */
  attributes: Partial<Record<RequestAttribute, Distribution>>;
  /** Every prompt starts with one of a few system prompts; absent or null: prompts share only what the trace says. */
  sharedPrefix?: SharedPrefix | null;
}

/** `prompts` system prompts of `tokens` tokens each; every request's prompt starts with one, drawn uniformly. */
export interface SharedPrefix {
  tokens: number;
  prompts: number;
}
