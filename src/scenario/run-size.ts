import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { formatDuration, formatThousands } from '../core/format.js';
import { US_PER_S } from '../core/time.js';
import { createAutoscaler } from '../policies/autoscaling/index.js';
import { compileExpression } from './expression.js';
import type { PathSegment } from './locate.js';
import {
  type Arrivals,
  arrivalProcesses,
  type Distribution,
  MAX_RUNS,
  type Rate,
  RunInputError,
  type Scenario,
} from './types.js';

/**
 * What a scenario will cost to simulate, estimated before it runs from its arrival rate and
 * duration (or the size of its trace) and the periodic events of its autoscalers. Cheap: a coarse
 * integral of a rate expression, and for a trace too large to dismiss one read of its first bytes.
 */
export interface RunSize {
  /** Expected arrivals; null when unknown (a trace whose size says nothing). */
  arrivals: number | null;
  /**
   * Events the run needs at least: each arrival is one, and each autoscaler scrape and decision
   * while arrivals last. A run needs more: a departure per request served, batches, iterations.
   */
  minEvents: number;
  /** A rough typical count: an arrival and a departure per request, and the periodic events. */
  events: number;
  /** Where the scenario sets what makes the run large: its arrival rate (or trace), or its duration. */
  path: PathSegment[];
  /** `about 3.0e10 requests (5.0e8 req/s on average over 1m)`: the figures, for messages. */
  description: string;
}

/** A rate expression is integrated on this many points: a peak narrower than a step may be missed. */
const RATE_INTEGRAL_POINTS = 1000;
/** The shortest trace row (`1\n`): bytes / this bounds the rows of a trace from above. */
const MIN_TRACE_ROW_BYTES = 2;
/** Bytes read from the start of a large trace to learn its mean row length. */
const TRACE_SAMPLE_BYTES = 64 * 1024;

/** `3.0e+10` for large counts, `12,345` for readable ones. */
function formatCount(n: number): string {
  return n >= 1e7 ? n.toExponential(1) : formatThousands(Math.round(n));
}

function arrivalsPath(arrivals: Arrivals): PathSegment[] {
  switch (arrivals.kind) {
    case 'trace':
      return ['workload', 'arrivals', 'trace', arrivals.trace.limit === null ? 'path' : 'limit'];
    case 'classes':
      return ['workload', 'classes'];
    default:
      return ['workload', 'arrivals', arrivals.kind, 'rate'];
  }
}

/**
 * Requests per second times `durationS`; a rate expression by the midpoint rule on a coarse grid.
 * Sessions count their mean turns each, as if none were cut at the end: an upper bound.
 */
function syntheticArrivals(
  arrivals: Exclude<Arrivals, { kind: 'trace' | 'classes' }>,
  durationS: number,
): number {
  switch (arrivals.kind) {
    case 'poisson':
      return rateIntegral(arrivals.rate, durationS);
    case 'sessions':
      return (
        rateIntegral(arrivals.sessions.rate, durationS) * Math.max(1, roughMean(arrivals.sessions.turns))
      );
    default:
      return arrivals.rate * durationS;
  }
}

function rateIntegral(rate: Rate, durationS: number): number {
  if (rate.kind === 'constant') return rate.value * durationS;
  const compiled = compileExpression(rate.source, ['t']);
  // A rate that does not compile, or turns negative or infinite, is reported by the run itself.
  if (!compiled.ok) return 0;
  const t = new Float64Array(1);
  const stepS = durationS / RATE_INTEGRAL_POINTS;
  let sum = 0;
  for (let i = 0; i < RATE_INTEGRAL_POINTS; i++) {
    t[0] = (i + 0.5) * stepS;
    const value = compiled.fn(t);
    if (value > 0 && Number.isFinite(value)) sum += value;
  }
  return sum * stepS;
}

/** A distribution's mean; 1 for an empirical one, whose file this estimate does not read. */
function roughMean(distribution: Distribution): number {
  switch (distribution.kind) {
    case 'constant':
      return distribution.value;
    case 'exponential':
      return distribution.mean;
    case 'lognormal':
      return Math.exp(distribution.mu + distribution.sigma ** 2 / 2);
    case 'gamma':
      return distribution.shape * distribution.scale;
    case 'uniform':
      return (distribution.min + distribution.max) / 2;
    case 'empirical':
      return 1;
  }
}

/**
 * Rows of a trace file, estimated from its size and the mean length of its first rows; `floor`
 * skips the reading for a file too small to hold that many rows of any length.
 */
function traceRows(path: string, floor: number): number | null {
  const bytes = statSync(path, { throwIfNoEntry: false })?.size;
  if (bytes === undefined) return null;
  if (bytes / MIN_TRACE_ROW_BYTES <= floor) return bytes / MIN_TRACE_ROW_BYTES;
  const sample = Buffer.alloc(Math.min(TRACE_SAMPLE_BYTES, bytes));
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, sample, 0, sample.length, 0);
  } finally {
    closeSync(fd);
  }
  let rows = 0;
  for (let i = 0; i < read; i++) if (sample[i] === 0x0a) rows++;
  return rows === 0 ? null : bytes / (read / rows);
}

/**
 * Autoscaler scrapes and decisions over `horizonS`: they run while arrivals last, whatever the load.
 */
function periodicEvents(scenario: Scenario, horizonS: number): number {
  let events = 0;
  for (const fleet of scenario.fleets) {
    if (fleet.autoscaling === null) continue;
    const autoscaler = createAutoscaler(fleet.autoscaling, {
      min: fleet.minReplicas,
      max: fleet.maxReplicas,
    });
    events += (horizonS * US_PER_S) / autoscaler.evaluationPeriodUs;
    if (autoscaler.scrapeIntervalUs !== null) events += (horizonS * US_PER_S) / autoscaler.scrapeIntervalUs;
  }
  return events;
}

/** A run expected to need more than this share of `limits.max_events` is announced as large. */
export const LARGE_RUN_SHARE = 0.1;

/**
 * The expected size of a run of `scenario`. `traceFloor`: a trace that cannot hold more rows than
 * this is taken at that upper bound without being read.
 */
export function estimateRunSize(scenario: Scenario, traceFloor: number): RunSize {
  const arrivals = scenario.workload.arrivals;
  const processes = arrivalProcesses(scenario.workload);
  const horizonS =
    scenario.duration ??
    processes.reduce<number | null>(
      (longest, p) =>
        p.kind === 'trace' && p.trace.duration !== null ? Math.max(longest ?? 0, p.trace.duration) : longest,
      null,
    );
  // Each process's count; a class's or the workload's trace that cannot be sized leaves the sum unknown.
  let expected: number | null = 0;
  for (const process of processes) {
    let count: number | null;
    if (process.kind === 'trace') {
      const rows = traceRows(process.trace.path, traceFloor);
      const limit = process.trace.limit ?? Number.POSITIVE_INFINITY;
      count = rows === null ? (Number.isFinite(limit) ? limit : null) : Math.min(rows, limit);
    } else if (process.kind === 'classes') {
      count = null;
    } else {
      count = horizonS === null ? null : syntheticArrivals(process, horizonS);
    }
    expected = expected === null || count === null ? null : expected + count;
  }
  const periodic = horizonS === null ? 0 : periodicEvents(scenario, horizonS);
  const requests = expected ?? 0;
  const over = horizonS === null ? '' : ` over ${formatDuration(horizonS)}`;
  const rate =
    expected !== null && horizonS !== null && horizonS > 0
      ? ` (${formatCount(expected / horizonS)} req/s on average${over})`
      : '';
  const parts = [
    ...(expected === null ? [] : [`about ${formatCount(expected)} requests${rate}`]),
    ...(periodic > 0 ? [`${formatCount(periodic)} autoscaler scrapes and decisions${over}`] : []),
  ];
  return {
    arrivals: expected,
    minEvents: requests + periodic,
    events: 2 * requests + periodic,
    path: requests >= periodic ? arrivalsPath(arrivals) : ['duration'],
    description: parts.join(' and '),
  };
}

/** What the size estimate says of a scenario: a run that cannot finish, or one to announce. */
export interface RunSizeFinding {
  /** True when even the fewest events the run needs exceed `limits.max_events`: it is refused. */
  refused: boolean;
  path: PathSegment[];
  message: string;
}

/**
 * Refuses a run whose arrivals alone (each an event) would pass `limits.max_events`, before it
 * spends minutes on a partial result; announces one expected to take a tenth of the limit or more.
 */
export function checkRunSize(scenario: Scenario): RunSizeFinding | null {
  const maxEvents = scenario.limits.maxEvents;
  if (!Number.isFinite(maxEvents)) return null;
  const large = maxEvents * LARGE_RUN_SHARE;
  // Events are about twice the rows: a trace with fewer rows than this cannot make the run large.
  const size = estimateRunSize(scenario, large / 2);
  const limit = `limits.max_events (${formatThousands(maxEvents)})`;
  if (size.minEvents > maxEvents) {
    const lower = size.path[0] === 'duration' ? 'the duration' : 'the load or the duration';
    return {
      refused: true,
      path: size.path,
      message: `${size.description} need at least ${formatCount(size.minEvents)} events, more than ${limit}: the run could not finish; lower ${lower}, or raise limits.max_events`,
    };
  }
  if (size.events > large) {
    return {
      refused: false,
      path: size.path,
      message: `a large run: ${size.description}, about ${formatCount(size.events)} events or more; ${limit} stops a run that needs more, as a partial result`,
    };
  }
  return null;
}

/** One factor of a command's runs: how many, and what, singular and plural (`[3, 'variant', 'variants']`). */
export type RunFactor = readonly [count: number, singular: string, plural: string];

/**
 * Refuses a command whose runs (the product of `factors`) pass `MAX_RUNS` before it runs any:
 * `prefix` names the command or flag, `advice` what to lower. Factors of 1 after the first are
 * left out of the message.
 */
export function checkRunCount(prefix: string, factors: readonly RunFactor[], advice: string): void {
  const runs = factors.reduce((product, [count]) => product * count, 1);
  if (runs <= MAX_RUNS) return;
  const shown = factors
    .filter(([count], i) => i === 0 || count !== 1)
    .map(([count, singular, plural]) => `${formatCount(count)} ${count === 1 ? singular : plural}`)
    .join(' x ');
  const what = shown.includes(' x ')
    ? `${shown} are ${formatCount(runs)} runs, more than the ${formatThousands(MAX_RUNS)}`
    : `${shown}, more than the ${formatThousands(MAX_RUNS)} runs`;
  throw new RunInputError(`${prefix}${what} one command keeps the results of; ${advice}`);
}

/** `checkRunCount` of `configurations` run `replications` times each (`run`, `compare`, `diff`). */
export function checkReplicatedRuns(
  prefix: string,
  configurations: number,
  replications: number,
  advice: string,
): void {
  checkRunCount(
    prefix,
    [
      [configurations, 'configuration', 'configurations'],
      [replications, 'replication', 'replications'],
    ],
    advice,
  );
}
