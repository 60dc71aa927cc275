import { toUs } from '../core/time.js';
import type { Engine, Streams, Uniform } from '../engine/index.js';
import { compileExpression } from '../scenario/expression.js';
import { REQUEST_ATTRIBUTES, type Scenario, type SharedPrefix } from '../scenario/types.js';
import { createSampler, type Sampler } from '../serving/index.js';
import {
  type ArrivalRecord,
  type ArrivalSource,
  arrivalRate,
  createArrivalRecord,
  createArrivalSource,
  sourceGives,
} from '../workload/index.js';
import { Kind } from './events.js';

/**
 * The workload's side of the run: the stream of arrivals, read one ahead into the engine's lane,
 * and the attributes of the request being routed, which routing, service-time models and the
 * meters read from one shared row (`attributes`, in `REQUEST_ATTRIBUTES` order).
 */
export class Arrivals {
  readonly source: ArrivalSource;
  private readonly record: ArrivalRecord = createArrivalRecord();
  /** What the prompt of the request arriving now shares with others (its `segments` is 0 when nothing). */
  readonly prefix = this.record.prefix;
  readonly attributes = new Float64Array(REQUEST_ATTRIBUTES.length);
  private readonly samplers: (Sampler | null)[];
  /** Whether the source carries attributes (a trace, sessions); the others leave them all to the samplers. */
  private readonly fromTrace: boolean;
  /** Attributes with a sampler, for sources that never carry any (the others stay 0). */
  private readonly sampled: Int32Array;
  /** False when every attribute is always 0 and no prompt shares a system prompt: nothing to do per arrival. */
  readonly hasAttributes: boolean;
  /** The system prompts every prompt starts with, and the stream that picks one; null: none. */
  private readonly sharedPrefix: SharedPrefix | null;
  private readonly systemPrompt: Uniform | null;

  constructor(scenario: Scenario, streams: Streams) {
    const { workload } = scenario;
    const arrivals = workload.arrivals;
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
    this.source = createArrivalSource(arrivals, {
      uniform: streams.stream('arrivals'),
      durationS: scenario.duration,
      rateAt,
      // Its own stream: resampling a trace shifts no other draw, so variants keep common random numbers.
      bootstrapUniform:
        arrivals.kind === 'trace' && arrivals.trace.bootstrap ? streams.stream('trace-bootstrap') : undefined,
      sessionStream: (name) => streams.stream(name),
    });
    this.samplers = REQUEST_ATTRIBUTES.map((name) => {
      const distribution = workload.attributes[name];
      return distribution ? createSampler(distribution, streams.stream(`workload/${name}`)) : null;
    });
    this.fromTrace =
      arrivals.kind === 'trace' || REQUEST_ATTRIBUTES.some((name) => sourceGives(arrivals, name));
    this.sampled = Int32Array.from([...REQUEST_ATTRIBUTES.keys()].filter((a) => this.samplers[a] !== null));
    this.sharedPrefix = workload.sharedPrefix ?? null;
    // Its own stream, drawn once per arrival: other draws stay where they were, so variants keep common random numbers.
    this.systemPrompt = this.sharedPrefix === null ? null : streams.stream('workload/shared_prefix');
    this.hasAttributes = this.fromTrace || this.sampled.length > 0 || this.sharedPrefix !== null;
  }

  /** Schedules the first arrival; false when the workload has none. */
  first(engine: Engine): boolean {
    if (!this.source.next(this.record)) return false;
    engine.atLane(toUs(this.record.timeS), Kind.Arrival, 0);
    return true;
  }

  /** Schedules the arrival after the one at `now`; false when that was the last. */
  next(engine: Engine, now: number): boolean {
    if (!this.source.next(this.record)) return false;
    engine.atLane(Math.max(now, toUs(this.record.timeS)), Kind.Arrival, 0);
    return true;
  }

  /**
   * Fills `attributes` for the request arriving now. Synthetic sources carry no attributes: each
   * comes from its sampler. A trace's own values win; a column it lacks (NaN) is sampled, or 0
   * without a sampler.
   */
  take(): void {
    const attributes = this.attributes;
    if (!this.fromTrace) {
      const sampled = this.sampled;
      for (let i = 0; i < sampled.length; i++)
        attributes[sampled[i]] = (this.samplers[sampled[i]] as Sampler)();
      if (this.sharedPrefix !== null) this.drawSystemPrompt();
      return;
    }
    const arrival = this.record;
    attributes[0] = arrival.input_tokens;
    attributes[1] = arrival.output_tokens;
    attributes[2] = arrival.request_bytes;
    attributes[3] = arrival.response_bytes;
    for (let a = 0; a < attributes.length; a++) {
      if (Number.isNaN(attributes[a])) {
        const sampler = this.samplers[a];
        attributes[a] = sampler === null ? 0 : sampler();
      }
    }
    if (this.sharedPrefix !== null) this.drawSystemPrompt();
  }

  /**
   * The prompt starts with a system prompt drawn uniformly, named by its number: one segment up
   * to its end, or to the prompt's end when the prompt is shorter (as an LLM fleet counts it).
   */
  private drawSystemPrompt(): void {
    const { tokens, prompts } = this.sharedPrefix as SharedPrefix;
    const prompt = Math.max(1, Math.round(this.attributes[0]));
    const prefix = this.prefix;
    prefix.hashes[0] = Math.floor((this.systemPrompt as Uniform)() * prompts);
    prefix.ends[0] = Math.min(tokens, prompt);
    prefix.segments = 1;
  }
}
