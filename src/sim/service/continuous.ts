import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import { createSequence, type Sequence } from '../../policies/batching/continuous.js';
import { type Fleet, InvariantError, REQUEST_ATTRIBUTES } from '../../scenario/types.js';
import type { StepTiming } from '../../serving/llm-fleet.js';
import { Kind } from '../events.js';
import type { LlmFleetState } from '../llm-fleet-state.js';
import type { Meters } from '../meters.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import type { RequestFlow } from '../request-flow.js';
import { RequestState, type RequestTable } from '../request-table.js';
import { toUs } from '../time.js';
import { queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const OUTPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('output_tokens');

/** What an LLM replica's engine loop is doing. */
const Loop = { Idle: 0, Starting: 1, Running: 2 } as const;

/**
 * Continuous batching: each replica runs an engine loop of iterations, which its iteration
 * scheduler plans (which sequences run, how many tokens each computes) and the fleet's step
 * model times. A request is a sequence: in service from its first iteration, done when its last
 * output token is sampled. The replica's busy time is its iterations', one slot per sequence.
 */
export class ContinuousService implements ServiceDiscipline {
  /** Per replica: a `Loop` state, and the running iteration's start, end and sequences. */
  private readonly loop: Uint8Array;
  private readonly iterationStartUs: Float64Array;
  private readonly iterationEndUs: Float64Array;
  /** Sequences in the running iteration: each keeps one of the replica's `max_num_seqs` slots busy. */
  private readonly iterationSeqs: Int32Array;
  /** Per request slot: its sequence. */
  private readonly sequences: (Sequence | undefined)[] = [];
  private readonly stepTiming: StepTiming = { seconds: 0, prefillShare: 0 };
  private readonly sizes: Map<number, number>;
  private readonly queueCapacity: number;
  private readonly timeoutUs: number;
  private readonly engine: Engine;
  private readonly requests: RequestTable;
  private readonly outstanding: Int32Array;
  private readonly meters: Meters;
  private readonly timeseries: TimeSeries;
  private readonly flow: RequestFlow;
  private readonly replicas: ReplicaLifecycle;
  private readonly attributes: Float64Array;

  constructor(
    private readonly fleet: number,
    private readonly first: number,
    private readonly count: number,
    private readonly config: Fleet,
    private readonly llm: LlmFleetState,
    context: ServiceContext,
  ) {
    this.loop = new Uint8Array(count);
    this.iterationStartUs = new Float64Array(count);
    this.iterationEndUs = new Float64Array(count);
    this.iterationSeqs = new Int32Array(count);
    this.sizes = context.meters.batchSizes[fleet];
    this.queueCapacity = config.queue.capacity;
    this.timeoutUs = queueTimeoutUs(config);
    this.engine = context.engine;
    this.requests = context.requests;
    this.outstanding = context.outstanding;
    this.meters = context.meters;
    this.timeseries = context.meters.timeseries;
    this.flow = context.flow;
    this.replicas = context.replicas;
    this.attributes = context.attributes;
  }

  /** An LLM fleet serves at least one whole token each way. */
  arrive(replica: number, measured: boolean, now: number): void {
    const llm = this.llm;
    const scheduler = llm.scheduler(replica);
    const prompt = Math.max(1, Math.round(this.attributes[INPUT_TOKENS]));
    const output = Math.max(1, Math.round(this.attributes[OUTPUT_TOKENS]));
    if (scheduler.waitingCount >= this.queueCapacity) {
      this.meters.drop(measured, now, replica, -1);
      return;
    }
    if (!scheduler.fits(prompt, output)) {
      if (measured) llm.rejected++;
      this.meters.drop(measured, now, replica, -1, 'rejected');
      return;
    }
    const requests = this.requests;
    const slot = requests.allocate();
    requests.arrivalUs[slot] = now;
    requests.inputTokens[slot] = prompt;
    requests.outputTokens[slot] = output;
    requests.replica[slot] = replica;
    requests.measured[slot] = measured ? 1 : 0;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, prompt, output, now);
  }

  admit(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    const scheduler = this.llm.scheduler(replica);
    if (scheduler.waitingCount >= this.queueCapacity) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    const prompt = Math.max(1, Math.round(requests.inputTokens[slot]));
    const output = Math.max(1, Math.round(requests.outputTokens[slot]));
    if (!scheduler.fits(prompt, output)) {
      if (requests.measured[slot] === 1) this.llm.rejected++;
      this.flow.turnAway(slot, replica, now, 'rejected');
      return;
    }
    requests.inputTokens[slot] = prompt;
    requests.outputTokens[slot] = output;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, prompt, output, now);
  }

  /** The scheduler keeps its own queue; an idle replica starts an iteration after the other events of this instant. */
  private enqueue(slot: number, replica: number, prompt: number, output: number, now: number): void {
    const requests = this.requests;
    const sequence = createSequence(slot, prompt, output);
    this.sequences[slot] = sequence;
    requests.state[slot] = RequestState.Queued;
    if (this.timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + this.timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
    this.llm.scheduler(replica).enqueue(sequence);
    const r = replica - this.first;
    if (this.loop[r] === Loop.Idle) {
      this.loop[r] = Loop.Starting;
      this.engine.at(now, Kind.IterationStart, replica, this.replicas.epoch[replica]);
    }
  }

  /** Plans and times `replica`'s next iteration; with nothing to run, the loop goes idle. */
  startIteration(replica: number, now: number): void {
    const llm = this.llm;
    const scheduler = llm.scheduler(replica);
    const r = replica - this.first;
    if (!scheduler.schedule()) {
      this.loop[r] = Loop.Idle;
      return;
    }
    const requests = this.requests;
    for (const sequence of scheduler.newlyAdmitted) {
      const slot = sequence.slot;
      requests.state[slot] = RequestState.InService;
      requests.startUs[slot] = now;
      const arrivalUs = requests.arrivalUs[slot];
      if (now > arrivalUs) this.timeseries.addWait(arrivalUs, now);
    }
    const timing = this.stepTiming;
    llm.model.step(scheduler.batch, timing);
    if (!(timing.seconds > 0 && Number.isFinite(timing.seconds))) {
      throw new InvariantError(`iteration time ${timing.seconds} s on fleet ${this.config.name}`);
    }
    const durationUs = Math.max(1, toUs(timing.seconds));
    this.loop[r] = Loop.Running;
    this.iterationStartUs[r] = now;
    this.iterationEndUs[r] = now + durationUs;
    const size = scheduler.scheduled.length;
    this.iterationSeqs[r] = size;
    llm.begin(replica, timing);
    this.sizes.set(size, (this.sizes.get(size) ?? 0) + 1);
    this.engine.at(now + durationUs, Kind.IterationDone, replica, this.replicas.epoch[replica]);
  }

  /** `replica`'s iteration ends: first tokens are stamped, finished sequences complete, the next iteration starts. */
  finishIteration(replica: number, now: number): void {
    const scheduler = this.llm.scheduler(replica);
    this.chargeIteration(replica, now);
    scheduler.finishIteration();
    const requests = this.requests;
    for (const sequence of scheduler.firstTokens) requests.firstTokenUs[sequence.slot] = now;
    for (const sequence of scheduler.finished) {
      const slot = sequence.slot;
      this.outstanding[replica]--;
      this.sequences[slot] = undefined;
      if (requests.measured[slot] === 1)
        this.meters.tokenTimes(slot, this.fleet, sequence.prompt, sequence.output, now);
      this.flow.complete(slot, requests.arrivalUs[slot], requests.startUs[slot], now);
    }
    this.startIteration(replica, now);
    this.replicas.requestLeft(replica, now);
  }

  /** The running iteration's time up to `untilUs`: busy slot-time (its duration times its sequences) and its LLM figures. */
  private chargeIteration(replica: number, untilUs: number): void {
    const r = replica - this.first;
    const startUs = this.iterationStartUs[r];
    this.meters.busy(this.fleet, startUs, untilUs, this.iterationSeqs[r]);
    this.llm.charge(replica, startUs, untilUs);
  }

  /** A sequence that has not run leaves the scheduler's queue. */
  cancel(slot: number, replica: number): void {
    const sequence = this.sequences[slot];
    if (sequence !== undefined) {
      this.llm.scheduler(replica).cancel(sequence);
      this.sequences[slot] = undefined;
    }
  }

  waitingAt(replica: number): number {
    return this.llm.scheduler(replica).waitingCount;
  }

  occupiesSlot(_slot: number): boolean {
    return false;
  }

  addRunningBusy(busyUs: number, now: number): number {
    for (let r = 0; r < this.count; r++) {
      if (this.loop[r] === Loop.Running) busyUs += (now - this.iterationStartUs[r]) * this.iterationSeqs[r];
    }
    return busyUs;
  }

  chargeRunning(endUs: number): void {
    for (let r = 0; r < this.count; r++) {
      if (this.loop[r] !== Loop.Running) continue;
      this.chargeIteration(this.first + r, Math.min(endUs, this.iterationEndUs[r]));
    }
  }

  /** The replica loses its KV cache and every sequence on it; the running iteration counts what it ran. */
  reclaim(replica: number, now: number, victims: readonly number[]): void {
    const r = replica - this.first;
    if (this.loop[r] === Loop.Running) this.chargeIteration(replica, now);
    this.loop[r] = Loop.Idle;
    this.llm.resetReplica(replica);
    for (const slot of victims) this.sequences[slot] = undefined;
  }
}
