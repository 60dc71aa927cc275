import { toUs } from '../../core/time.js';
import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import { createSequence, type Sequence } from '../../policies/batching/continuous.js';
import { type Fleet, InvariantError, REQUEST_ATTRIBUTES } from '../../scenario/types.js';
import type { StepTiming } from '../../serving/llm-fleet.js';
import type { PromptPrefix } from '../../workload/index.js';
import { Kind } from '../events.js';
import type { FleetLayout } from '../layout.js';
import type { LlmFleetState } from '../llm-fleet-state.js';
import type { Meters } from '../meters.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import type { RequestFlow } from '../request-flow.js';
import { RequestState, type RequestTable } from '../request-table.js';
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
  /** Per fleet (null for fleets of other disciplines). */
  private readonly llm: (LlmFleetState | null)[];
  private readonly queueCapacity: Float64Array;
  private readonly timeoutUs: Float64Array;
  private readonly engine: Engine;
  private readonly requests: RequestTable;
  private readonly fleetOf: Int32Array;
  private readonly layout: FleetLayout;
  private readonly outstanding: Int32Array;
  private readonly meters: Meters;
  private readonly timeseries: TimeSeries;
  private readonly flow: RequestFlow;
  private readonly replicas: ReplicaLifecycle;
  private readonly attributes: Float64Array;
  private readonly prefix: PromptPrefix;

  constructor(
    private readonly fleets: readonly Fleet[],
    llm: (LlmFleetState | null)[],
    context: ServiceContext,
  ) {
    const replicas = context.fleetOf.length;
    this.loop = new Uint8Array(replicas);
    this.iterationStartUs = new Float64Array(replicas);
    this.iterationEndUs = new Float64Array(replicas);
    this.iterationSeqs = new Int32Array(replicas);
    this.llm = llm;
    this.queueCapacity = Float64Array.from(fleets, (f) => f.queue.capacity);
    this.timeoutUs = Float64Array.from(fleets, queueTimeoutUs);
    this.engine = context.engine;
    this.requests = context.requests;
    this.fleetOf = context.fleetOf;
    this.layout = context.layout;
    this.outstanding = context.outstanding;
    this.meters = context.meters;
    this.timeseries = context.meters.timeseries;
    this.flow = context.flow;
    this.replicas = context.replicas;
    this.attributes = context.attributes;
    this.prefix = context.prefix;
  }

  /** An LLM fleet serves at least one whole token each way. */
  arrive(replica: number, fleet: number, measured: boolean, now: number): void {
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    const prompt = Math.max(1, Math.round(this.attributes[INPUT_TOKENS]));
    const output = Math.max(1, Math.round(this.attributes[OUTPUT_TOKENS]));
    if (scheduler.waitingCount >= this.queueCapacity[fleet]) {
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
    if (this.prefix.segments > 0) requests.storePrefix(slot, this.prefix);
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, prompt, output, now);
  }

  admit(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    if (scheduler.waitingCount >= this.queueCapacity[fleet]) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    const prompt = Math.max(1, Math.round(requests.inputTokens[slot]));
    const output = Math.max(1, Math.round(requests.outputTokens[slot]));
    if (!scheduler.fits(prompt, output)) {
      if (requests.measured[slot] === 1) llm.rejected++;
      this.flow.turnAway(slot, replica, now, 'rejected');
      return;
    }
    requests.inputTokens[slot] = prompt;
    requests.outputTokens[slot] = output;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, prompt, output, now);
  }

  /** The scheduler keeps its own queue; an idle replica starts an iteration after the other events of this instant. */
  private enqueue(
    slot: number,
    replica: number,
    fleet: number,
    prompt: number,
    output: number,
    now: number,
  ): void {
    const requests = this.requests;
    const sequence = createSequence(slot, prompt, output, requests.prefix(slot));
    this.sequences[slot] = sequence;
    requests.state[slot] = RequestState.Queued;
    const timeoutUs = this.timeoutUs[fleet];
    if (timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
    (this.llm[fleet] as LlmFleetState).scheduler(replica).enqueue(sequence);
    if (this.loop[replica] === Loop.Idle) {
      this.loop[replica] = Loop.Starting;
      this.engine.at(now, Kind.IterationStart, replica, this.replicas.epoch[replica]);
    }
  }

  /** The `IterationStart` event: `replica` plans and times its next iteration, unless it was relaunched since (`epoch`). */
  startIteration(replica: number, epoch: number, now: number): void {
    if (epoch === this.replicas.epoch[replica]) this.iterate(replica, this.fleetOf[replica], now);
  }

  /** With nothing to run, the loop goes idle. */
  private iterate(replica: number, fleet: number, now: number): void {
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    if (!scheduler.schedule()) {
      this.loop[replica] = Loop.Idle;
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
      throw new InvariantError(`iteration time ${timing.seconds} s on fleet ${this.fleets[fleet].name}`);
    }
    const durationUs = Math.max(1, toUs(timing.seconds));
    this.loop[replica] = Loop.Running;
    this.iterationStartUs[replica] = now;
    this.iterationEndUs[replica] = now + durationUs;
    const size = scheduler.scheduled.length;
    this.iterationSeqs[replica] = size;
    llm.begin(replica, timing);
    const sizes = this.meters.batchSizes[fleet];
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
    this.engine.at(now + durationUs, Kind.IterationDone, replica, this.replicas.epoch[replica]);
  }

  /**
   * The `IterationDone` event, unless `replica` was relaunched since (`epoch`): first tokens are
   * stamped, finished sequences complete, the next iteration starts.
   */
  finishIteration(replica: number, epoch: number, now: number): void {
    if (epoch !== this.replicas.epoch[replica]) return;
    const fleet = this.fleetOf[replica];
    const scheduler = (this.llm[fleet] as LlmFleetState).scheduler(replica);
    this.chargeIteration(replica, fleet, now);
    scheduler.finishIteration();
    const requests = this.requests;
    for (const sequence of scheduler.firstTokens) requests.firstTokenUs[sequence.slot] = now;
    for (const sequence of scheduler.finished) {
      const slot = sequence.slot;
      this.outstanding[replica]--;
      this.sequences[slot] = undefined;
      if (requests.measured[slot] === 1)
        this.meters.tokenTimes(slot, fleet, sequence.prompt, sequence.output, now);
      this.flow.complete(slot, fleet, requests.arrivalUs[slot], requests.startUs[slot], now);
    }
    this.iterate(replica, fleet, now);
    this.replicas.requestLeft(replica, now);
  }

  /** The running iteration's time up to `untilUs`: busy slot-time (its duration times its sequences) and its LLM figures. */
  private chargeIteration(replica: number, fleet: number, untilUs: number): void {
    const startUs = this.iterationStartUs[replica];
    this.meters.busy(fleet, startUs, untilUs, this.iterationSeqs[replica]);
    (this.llm[fleet] as LlmFleetState).charge(replica, startUs, untilUs);
  }

  /** A sequence that has not run leaves the scheduler's queue. */
  cancel(slot: number, replica: number): void {
    const sequence = this.sequences[slot];
    if (sequence !== undefined) {
      (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica).cancel(sequence);
      this.sequences[slot] = undefined;
    }
  }

  waitingAt(replica: number): number {
    return (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica).waitingCount;
  }

  kvCacheUsage(replica: number): number {
    const scheduler = (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica);
    return scheduler.totalBlocks > 0 ? scheduler.usedBlocks / scheduler.totalBlocks : 0;
  }

  occupiesSlot(_slot: number): boolean {
    return false;
  }

  addRunningBusy(fleet: number, busyUs: number, now: number): number {
    const end = this.layout.end(fleet);
    for (let r = this.layout.first[fleet]; r < end; r++) {
      if (this.loop[r] === Loop.Running) busyUs += (now - this.iterationStartUs[r]) * this.iterationSeqs[r];
    }
    return busyUs;
  }

  chargeRunning(endUs: number): void {
    for (let replica = 0; replica < this.loop.length; replica++) {
      if (this.loop[replica] !== Loop.Running) continue;
      this.chargeIteration(replica, this.fleetOf[replica], Math.min(endUs, this.iterationEndUs[replica]));
    }
  }

  /** The replica loses its KV cache and every sequence on it; the running iteration counts what it ran. */
  reclaim(replica: number, now: number, victims: readonly number[]): void {
    const fleet = this.fleetOf[replica];
    if (this.loop[replica] === Loop.Running) this.chargeIteration(replica, fleet, now);
    this.loop[replica] = Loop.Idle;
    (this.llm[fleet] as LlmFleetState).resetReplica(replica);
    for (const slot of victims) this.sequences[slot] = undefined;
  }
}
