import { toUs } from '../core/time.js';
import type { Engine, Streams, Uniform } from '../engine/index.js';
import { compileExpression } from '../scenario/expression.js';
import {
  type Arrivals as ArrivalProcess,
  modelNames,
  REQUEST_ATTRIBUTES,
  type RequestClass,
  requestClasses,
  type Scenario,
  type SharedPrefix,
} from '../scenario/types.js';
import { createSampler, type Sampler } from '../serving/index.js';
import {
  type ArrivalRecord,
  type ArrivalSource,
  arrivalRate,
  createArrivalRecord,
  createArrivalSource,
  type PromptPrefix,
  type SkippedRows,
  sourceGives,
} from '../workload/index.js';
import { Kind } from './events.js';

// Read on every arrival, as this module's own constants: optimized code folds them to their
// values, where each use of an imported binding is a chain of loads and a hole check.
const ARRIVAL = Kind.Arrival;
const secondsToUs = toUs;

/** Skipped rows shown with their count, across every trace of a workload (as one trace shows them). */
const SKIPPED_ROWS_SHOWN = 3;

/** What a class draws for its requests: its own samplers and system prompts, from streams named after it. */
interface ClassDraws {
  readonly samplers: (Sampler | null)[];
  /** Attributes with a sampler, for sources that never carry any (the others stay 0). */
  readonly sampled: Int32Array;
  /** The system prompts every prompt starts with, and the stream that picks one; null: none. */
  readonly sharedPrefix: SharedPrefix | null;
  readonly systemPrompt: Uniform | null;
  readonly priority: number;
  /** The class's model (-1: none of the scenario's) and adapter: fixed (-1: none), or drawn. */
  readonly model: number;
  readonly adapter: number;
  readonly adapters: AdapterDraw | null;
}

/** A class's adapters drawn per request: ids `first` .. `first + cumulative.length - 1`, by popularity. */
interface AdapterDraw {
  readonly first: number;
  /** Cumulative shares of the adapters, the last 1. */
  readonly cumulative: Float64Array;
  readonly uniform: Uniform;
}

/** One arrival process: a class's own, or the workload's trace whose rows name their class. */
interface Process {
  readonly source: ArrivalSource;
  readonly record: ArrivalRecord;
  /** The class of its arrivals; -1: each record's own (`classIndex`). */
  readonly classIndex: number;
  /** Whether the source carries attributes (a trace, sessions); the others leave them all to the samplers. */
  readonly fromTrace: boolean;
  /** Whether `record` holds an arrival not yet taken. */
  pending: boolean;
}

/**
 * The workload's side of the run: the stream of arrivals, read one ahead into the engine's lane,
 * and the attributes of the request being routed, which routing, service-time models and the
 * meters read from one shared row (`attributes`, in `REQUEST_ATTRIBUTES` order), with its class
 * and priority.
 *
 * With `workload.classes`, each class's arrivals are a process of their own, drawing from random
 * streams named after the class (so adding a class leaves the others' arrivals and sizes as they
 * were), and the processes are merged in time order one arrival ahead each: nothing is buffered
 * beyond one record per process. Without classes the one process draws from the streams it always
 * did, so runs repeat those of earlier versions.
 */
export class Arrivals {
  /** Every source, closed together; its `skippedRows` and `waiting` add up theirs. */
  readonly source: ArrivalSource;
  /** What the prompt of the request arriving now shares with others (its `segments` is 0 when nothing). */
  readonly prefix: PromptPrefix;
  readonly attributes = new Float64Array(REQUEST_ATTRIBUTES.length);
  /** The class (index in `classes`) and priority of the request arriving now. */
  classIndex = 0;
  priority = 0;
  /** The model (index in `modelNames`; -1: one the scenario does not have) and adapter (-1: none) of the request arriving now. */
  modelIndex = 0;
  adapterIndex = -1;
  /** The LoRA adapters requests named so far, by id. */
  private readonly adapterNames: string[] = [];
  private readonly adapterIds = new Map<string, number>();
  private readonly modelIds: Map<string, number>;
  readonly classes: readonly RequestClass[];
  /** False when every attribute is always 0, no prompt shares a system prompt and there is one class: nothing to do per arrival. */
  readonly hasAttributes: boolean;
  private readonly draws: ClassDraws[];
  private readonly processes: Process[];
  /** The process whose record is the arrival now. */
  private current: Process;

  constructor(scenario: Scenario, streams: Streams) {
    const { workload } = scenario;
    const declared = workload.arrivals.kind === 'classes';
    this.classes = requestClasses(workload);
    // Without classes, the streams keep the names they always had: runs repeat those of earlier versions.
    const streamOf = (c: RequestClass) => (name: string) =>
      streams.stream(declared ? `class/${c.name}/${name}` : name);
    // Sources first, as before classes: a scenario with several bad inputs reports the same one first.
    const processes: Process[] = [];
    this.classes.forEach((c, i) => {
      if (c.arrivals !== null) processes.push(openProcess(c.arrivals, i, scenario, streamOf(c)));
    });
    if (workload.arrivals.kind === 'classes' && workload.arrivals.trace !== null) {
      const trace: ArrivalProcess = { kind: 'trace', trace: workload.arrivals.trace };
      processes.push(openProcess(trace, -1, scenario, (name) => streams.stream(name)));
    }
    const models = modelNames(scenario);
    this.modelIds = new Map(models.map((name, i) => [name, i]));
    this.draws = this.classes.map((c) => {
      const stream = streamOf(c);
      const adapter = c.adapter ?? null;
      const samplers = REQUEST_ATTRIBUTES.map((name) => {
        const distribution = c.attributes[name];
        return distribution ? createSampler(distribution, stream(`workload/${name}`)) : null;
      });
      const sharedPrefix = c.sharedPrefix ?? null;
      return {
        samplers,
        sampled: Int32Array.from([...REQUEST_ATTRIBUTES.keys()].filter((a) => samplers[a] !== null)),
        sharedPrefix,
        // Its own stream, drawn once per arrival: other draws stay where they were, so variants keep common random numbers.
        systemPrompt: sharedPrefix === null ? null : stream('workload/shared_prefix'),
        priority: c.priority,
        model: c.model == null ? (models.length === 1 ? 0 : -1) : models.indexOf(c.model),
        adapter: adapter?.kind === 'named' ? this.adapterId(adapter.name) : -1,
        adapters: adapter?.kind === 'drawn' ? this.adapterDraw(c.name, adapter, stream('adapter')) : null,
      };
    });
    this.processes = processes;
    this.current = processes[0];
    this.prefix =
      processes.length === 1
        ? processes[0].record.prefix
        : { segments: 0, hashes: new Float64Array(0), ends: new Float64Array(0) };
    this.hasAttributes =
      declared ||
      processes.some((p) => p.fromTrace) ||
      this.draws.some((d) => d.sampled.length > 0 || d.sharedPrefix !== null);
    this.source = {
      next: () => false,
      close: () => {
        for (const p of processes) p.source.close();
      },
      ...(processes.some((p) => p.source.skippedRows !== undefined) && {
        skippedRows: () => skippedRowsOf(processes),
      }),
      ...(processes.some((p) => p.source.waiting !== undefined) && {
        waiting: () => {
          const all = { sessions: 0, turns: 0 };
          for (const p of processes) {
            const waiting = p.source.waiting?.();
            all.sessions += waiting?.sessions ?? 0;
            all.turns += waiting?.turns ?? 0;
          }
          return all;
        },
      }),
    };
  }

  /** Schedules the first arrival; false when the workload has none. */
  first(engine: Engine): boolean {
    for (const p of this.processes) p.pending = p.source.next(p.record);
    if (!this.pick()) return false;
    engine.atLane(secondsToUs(this.current.record.timeS), ARRIVAL, 0);
    return true;
  }

  /** Schedules the arrival after the one at `now`; false when that was the last. */
  next(engine: Engine, now: number): boolean {
    const current = this.current;
    current.pending = current.source.next(current.record);
    if (this.processes.length === 1 ? !current.pending : !this.pick()) return false;
    engine.atLane(Math.max(now, secondsToUs(this.current.record.timeS)), ARRIVAL, 0);
    return true;
  }

  /**
   * Arrivals at or after `fromUs`, to the end of the workload, timed as `first` and `next` time
   * them. Reads every source to its end: for an instance of its own.
   */
  countFrom(fromUs: number): number {
    for (const p of this.processes) p.pending = p.source.next(p.record);
    let count = 0;
    let now = 0;
    while (this.pick()) {
      const current = this.current;
      now = Math.max(now, secondsToUs(current.record.timeS));
      if (now >= fromUs) count++;
      current.pending = current.source.next(current.record);
    }
    this.source.close();
    return count;
  }

  /** The process with the earliest pending arrival (the first declared on a tie); false when none is left. */
  private pick(): boolean {
    let earliest: Process | null = null;
    for (const p of this.processes) {
      if (p.pending && (earliest === null || p.record.timeS < earliest.record.timeS)) earliest = p;
    }
    if (earliest === null) return false;
    this.current = earliest;
    return true;
  }

  /**
   * Fills `attributes` for the request arriving now. Synthetic sources carry no attributes: each
   * comes from its class's sampler. A trace's own values win; a column it lacks (NaN) is sampled,
   * or 0 without a sampler.
   */
  take(): void {
    const process = this.current;
    const arrival = process.record;
    const c = process.classIndex >= 0 ? process.classIndex : arrival.classIndex;
    const draws = this.draws[c];
    this.classIndex = c;
    this.priority = draws.priority;
    this.modelIndex = draws.model;
    this.adapterIndex = draws.adapters === null ? draws.adapter : drawAdapter(draws.adapters);
    if (process.fromTrace && (arrival.model !== '' || arrival.adapter !== '')) this.traceNames(arrival);
    const attributes = this.attributes;
    const prefix = this.prefix;
    if (prefix !== arrival.prefix) {
      prefix.segments = arrival.prefix.segments;
      prefix.hashes = arrival.prefix.hashes;
      prefix.ends = arrival.prefix.ends;
    }
    if (!process.fromTrace) {
      const sampled = draws.sampled;
      for (let i = 0; i < sampled.length; i++)
        attributes[sampled[i]] = (draws.samplers[sampled[i]] as Sampler)();
      if (draws.sharedPrefix !== null) this.drawSystemPrompt(draws);
      return;
    }
    attributes[0] = arrival.input_tokens;
    attributes[1] = arrival.output_tokens;
    attributes[2] = arrival.request_bytes;
    attributes[3] = arrival.response_bytes;
    for (let a = 0; a < attributes.length; a++) {
      if (Number.isNaN(attributes[a])) {
        const sampler = draws.samplers[a];
        attributes[a] = sampler === null ? 0 : sampler();
      }
    }
    if (draws.sharedPrefix !== null) this.drawSystemPrompt(draws);
  }

  /** A trace row's own model and adapter, where it names them, in place of its class's. */
  private traceNames(arrival: ArrivalRecord): void {
    if (arrival.model !== '') this.modelIndex = this.modelIds.get(arrival.model) ?? -1;
    if (arrival.adapter !== '') this.adapterIndex = this.adapterId(arrival.adapter);
  }

  /** The id of adapter `name`, a new one the first time it is named. */
  private adapterId(name: string): number {
    let id = this.adapterIds.get(name);
    if (id === undefined) {
      id = this.adapterNames.push(name) - 1;
      this.adapterIds.set(name, id);
    }
    return id;
  }

  /** Adapters `<class>/0` .. `<class>/<count - 1>`, adapter i drawn with weight 1 / (i + 1)^zipf. */
  private adapterDraw(
    className: string,
    choice: { count: number; zipf: number },
    uniform: Uniform,
  ): AdapterDraw {
    const first = this.adapterNames.length;
    const weights = Float64Array.from({ length: choice.count }, (_, i) => (i + 1) ** -choice.zipf);
    for (let i = 0; i < choice.count; i++) this.adapterId(`${className}/${i}`);
    const total = weights.reduce((sum, w) => sum + w, 0);
    let sum = 0;
    const cumulative = weights.map((w) => (sum += w / total));
    cumulative[choice.count - 1] = 1;
    return { first, cumulative, uniform };
  }

  /**
   * The prompt starts with a system prompt drawn uniformly, named by its number: one segment up
   * to its end, or to the prompt's end when the prompt is shorter (as an LLM fleet counts it).
   */
  private drawSystemPrompt(draws: ClassDraws): void {
    const { tokens, prompts } = draws.sharedPrefix as SharedPrefix;
    const prompt = Math.max(1, Math.round(this.attributes[0]));
    const prefix = this.prefix;
    if (prefix.hashes.length === 0) {
      prefix.hashes = new Float64Array(1);
      prefix.ends = new Float64Array(1);
    }
    prefix.hashes[0] = Math.floor((draws.systemPrompt as Uniform)() * prompts);
    prefix.ends[0] = Math.min(tokens, prompt);
    prefix.segments = 1;
  }
}

/** The first adapter whose cumulative share exceeds a uniform draw (binary search). */
function drawAdapter(draw: AdapterDraw): number {
  const u = draw.uniform();
  const cumulative = draw.cumulative;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < cumulative[mid]) hi = mid;
    else lo = mid + 1;
  }
  return draw.first + lo;
}

function openProcess(
  arrivals: ArrivalProcess,
  classIndex: number,
  scenario: Scenario,
  stream: (name: string) => Uniform,
): Process {
  let rateAt: ((tS: number) => number) | undefined;
  const rate = arrivalRate(arrivals);
  if (rate?.kind === 'expression') {
    const compiled = compileExpression(rate.source, ['t']);
    if (!compiled.ok) throw new Error(`rate "${rate.source}": ${compiled.message}`);
    const time = new Float64Array(1);
    const evaluate = compiled.fn;
    rateAt = (tS) => {
      time[0] = tS;
      return evaluate(time);
    };
  }
  const source = createArrivalSource(arrivals, {
    uniform: stream('arrivals'),
    durationS: scenario.duration,
    rateAt,
    // Its own stream: resampling a trace shifts no other draw, so variants keep common random numbers.
    bootstrapUniform:
      arrivals.kind === 'trace' && arrivals.trace.bootstrap ? stream('trace-bootstrap') : undefined,
    sessionStream: (name) => stream(name),
  });
  return {
    source,
    record: createArrivalRecord(),
    classIndex,
    fromTrace: arrivals.kind === 'trace' || REQUEST_ATTRIBUTES.some((name) => sourceGives(arrivals, name)),
    pending: false,
  };
}

function skippedRowsOf(processes: readonly Process[]): SkippedRows {
  const all: SkippedRows = { count: 0, first: [] };
  for (const p of processes) {
    const skipped = p.source.skippedRows?.();
    if (skipped === undefined) continue;
    all.count += skipped.count;
    all.first.push(...skipped.first.slice(0, SKIPPED_ROWS_SHOWN - all.first.length));
  }
  return all;
}
