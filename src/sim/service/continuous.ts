import { toUs } from '../../core/time.js';
import type { Engine } from '../../engine/index.js';
import type { TimeSeries } from '../../metrics/index.js';
import { createSequence, type Sequence } from '../../policies/batching/continuous.js';
import type { IterationScheduler } from '../../policies/batching/iteration-scheduler.js';
import type { SequencePrefix } from '../../policies/batching/prefix-cache.js';
import { type Fleet, InvariantError, REQUEST_ATTRIBUTES } from '../../scenario/types.js';
import type { StepTiming } from '../../serving/llm-fleet.js';
import type { PromptPrefix } from '../../workload/index.js';
import { AdapterResidency } from '../adapters.js';
import { type Disaggregation, Role } from '../disaggregation.js';
import { Kind } from '../events.js';
import type { FleetLayout } from '../layout.js';
import type { LlmFleetState } from '../llm-fleet-state.js';
import type { Meters } from '../meters.js';
import type { PriorityOrder } from '../priority-order.js';
import type { ReplicaLifecycle } from '../replica-lifecycle.js';
import type { RequestFlow } from '../request-flow.js';
import { type ArrivalClass, RequestState, type RequestTable } from '../request-table.js';
import { armDeadline, queueTimeoutUs, type ServiceContext, type ServiceDiscipline } from './discipline.js';

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const OUTPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('output_tokens');

/** What an LLM replica's engine loop is doing. */
const Loop = { Idle: 0, Starting: 1, Running: 2 } as const;

/**
 * Continuous batching: each replica runs an engine loop of iterations, which its iteration
 * scheduler plans (which sequences run, how many tokens each computes) and the fleet's step
 * model times. A request is a sequence: in service from its first iteration, done when its last
 * output token is sampled. The replica's busy time is its iterations', one slot per sequence.
 *
 * With disaggregation, a prefill replica's sequence ends with the first token; its KV cache then
 * crosses the link to a decode replica (its blocks held at the source until the transfer ends),
 * where the request waits, counted as in service, as a sequence whose prompt is computed.
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
  private readonly arrival: ArrivalClass;
  private readonly order: PriorityOrder;
  private readonly prefix: PromptPrefix;
  /**
   * Some fleet keeps a prefix cache: only then does a request's prompt prefix matter (to its
   * scheduler, or to a router comparing caches), so only then is it kept with the request.
   */
  private readonly keepsPrefixes: boolean;
  /** Per fleet: its `Role`; all `Both` without disaggregation. */
  private readonly role: Uint8Array;
  private readonly blockSize: Float64Array;
  /** LoRA adapter residency, ahead of the schedulers; null when no fleet has adapters. */
  readonly adapters: AdapterResidency | null;
  /** The request being handed to a decode fleet, for `decodeFits`. */
  private handoffPrompt = 0;
  private handoffOutput = 0;

  constructor(
    private readonly fleets: readonly Fleet[],
    llm: (LlmFleetState | null)[],
    context: ServiceContext,
    private readonly disaggregation: Disaggregation | null,
    warmupUs = 0,
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
    this.arrival = context.arrival;
    this.order = context.order;
    this.prefix = context.prefix;
    this.keepsPrefixes = fleets.some(
      (f) => f.batching.policy === 'continuous' && f.batching.prefixCaching === true,
    );
    this.role = disaggregation?.role ?? new Uint8Array(fleets.length);
    this.blockSize = Float64Array.from(fleets, (f) =>
      f.batching.policy === 'continuous' ? f.batching.blockSize : 1,
    );
    this.adapters = fleets.some((f) => f.adapters != null)
      ? new AdapterResidency(
          fleets,
          context.layout,
          context.engine,
          context.requests,
          context.replicas.epoch,
          warmupUs,
          (slot, replica, now) => {
            (this.llm[this.fleetOf[replica]] as LlmFleetState)
              .scheduler(replica)
              .enqueue(this.sequences[slot] as Sequence);
            this.wake(replica, now);
          },
        )
      : null;
  }

  /** Requests waiting at `replica`: in its scheduler's queue, and for their adapters. */
  private waitingOn(scheduler: IterationScheduler, replica: number): number {
    return this.adapters === null
      ? scheduler.waitingCount
      : scheduler.waitingCount + this.adapters.waiting(replica);
  }

  /** An LLM fleet serves at least one whole token each way. */
  arrive(replica: number, fleet: number, measured: boolean, now: number): void {
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    const prompt = Math.max(1, Math.round(this.attributes[INPUT_TOKENS]));
    const output = Math.max(1, Math.round(this.attributes[OUTPUT_TOKENS]));
    if (
      this.waitingOn(scheduler, replica) >= this.queueCapacity[fleet] &&
      !this.evictFor(scheduler, this.order.classLevel[this.arrival.classIndex], replica, now)
    ) {
      this.meters.drop(measured, now, replica, -1);
      return;
    }
    if (!this.fits(scheduler, fleet, prompt, output)) {
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
    requests.storeClass(slot, this.arrival);
    if (this.keepsPrefixes && this.prefix.segments > 0) requests.storePrefix(slot, this.prefix);
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, prompt, output, now);
  }

  admit(slot: number, replica: number, fleet: number, now: number): void {
    const requests = this.requests;
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    if (
      this.waitingOn(scheduler, replica) >= this.queueCapacity[fleet] &&
      !this.evictFor(scheduler, this.order.classLevel[requests.requestClass[slot]], replica, now)
    ) {
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    const prompt = Math.max(1, Math.round(requests.inputTokens[slot]));
    const output = Math.max(1, Math.round(requests.outputTokens[slot]));
    if (!this.fits(scheduler, fleet, prompt, output)) {
      if (requests.measured[slot] === 1) llm.rejected++;
      this.flow.turnAway(slot, replica, now, 'rejected');
      return;
    }
    requests.inputTokens[slot] = prompt;
    requests.outputTokens[slot] = output;
    this.outstanding[replica]++;
    this.enqueue(slot, replica, fleet, prompt, output, now);
  }

  /**
   * A request of priority `level` finds `replica`'s queue full: the newest waiting request of the
   * lowest level below it that has not started, if any, is dropped to make room. False when none.
   */
  private evictFor(scheduler: IterationScheduler, level: number, replica: number, now: number): boolean {
    if (level === 0) return false;
    const evicted = scheduler.evictBelow(level);
    if (evicted === null) return false;
    this.sequences[evicted.slot] = undefined;
    this.adapters?.release(replica, evicted.slot, now);
    this.outstanding[replica]--;
    this.flow.turnAway(evicted.slot, replica, now, 'dropped');
    return true;
  }

  /** A prefill fleet computes the prompt and first token; some decode fleet must hold the whole request. */
  private fits(scheduler: IterationScheduler, fleet: number, prompt: number, output: number): boolean {
    if (this.role[fleet] !== Role.Prefill) return scheduler.fits(prompt, output);
    this.handoffPrompt = prompt;
    this.handoffOutput = output;
    return (
      scheduler.fits(prompt, 1) &&
      (output === 1 || (this.disaggregation as Disaggregation).decodeFleets.some(this.decodeFits))
    );
  }

  private readonly decodeFits = (fleet: number): boolean =>
    (this.llm[fleet] as LlmFleetState)
      .scheduler(this.layout.first[fleet])
      .fits(this.handoffPrompt, this.handoffOutput);

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
    // A prefill replica's sequence ends with its first token.
    const sequence = createSequence(
      slot,
      prompt,
      this.role[fleet] === Role.Prefill ? 1 : output,
      requests.prefix(slot),
      this.order.classLevel[requests.requestClass[slot]],
    );
    this.sequences[slot] = sequence;
    requests.state[slot] = RequestState.Queued;
    const timeoutUs = this.timeoutUs[fleet];
    const byDeadline = this.order.hasDeadlines && armDeadline(this.engine, requests, this.order, slot, now);
    if (!byDeadline && timeoutUs !== Number.POSITIVE_INFINITY) {
      this.engine.at(now + timeoutUs, Kind.QueueTimeout, slot, requests.gen[slot]);
    }
    // A request for an adapter its replica does not hold waits for the load before the scheduler sees it.
    if (this.adapters !== null && !this.adapters.request(replica, slot, now)) return;
    (this.llm[fleet] as LlmFleetState).scheduler(replica).enqueue(sequence);
    this.wake(replica, now);
  }

  /** An idle replica starts an iteration after the other events of this instant. */
  private wake(replica: number, now: number): void {
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
      // A decode replica's sequence started, and was counted as waiting, at its prefill replica.
      if (sequence.generated > 0) continue;
      const slot = sequence.slot;
      requests.state[slot] = RequestState.InService;
      requests.startUs[slot] = now;
      const arrivalUs = requests.arrivalUs[slot];
      if (now > arrivalUs) this.timeseries.addWait(arrivalUs, now);
    }
    this.launch(replica, fleet, llm, scheduler, now);
  }

  /** Times the iteration `scheduler` planned and starts it. */
  private launch(
    replica: number,
    fleet: number,
    llm: LlmFleetState,
    scheduler: IterationScheduler,
    now: number,
  ): void {
    const timing = this.stepTiming;
    llm.model.step(scheduler.batch, timing);
    const loadS = scheduler.loadSeconds;
    if (loadS > 0) {
      // The iteration loads prefix blocks from host memory, then computes: no overlap. The load
      // stands in for prefill, so its time is prefill's.
      const prefillS = timing.prefillShare * timing.seconds + loadS;
      timing.seconds += loadS;
      timing.prefillShare = prefillS / timing.seconds;
    }
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
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    this.chargeIteration(replica, fleet, now);
    // Nothing started or ended with it: the same sequences decode again, one token further on.
    if (scheduler.advance()) {
      this.launch(replica, fleet, llm, scheduler, now);
      this.replicas.requestLeft(replica, now);
      return;
    }
    scheduler.finishIteration();
    const requests = this.requests;
    for (const sequence of scheduler.firstTokens) requests.firstTokenUs[sequence.slot] = now;
    for (const sequence of scheduler.finished) {
      const slot = sequence.slot;
      if (sequence.output < requests.outputTokens[slot]) {
        this.handOff(sequence, replica, scheduler, now);
        continue;
      }
      this.outstanding[replica]--;
      this.sequences[slot] = undefined;
      this.adapters?.release(replica, slot, now);
      if (this.order.hasDeadlines && this.flow.missedDeadline(slot, now)) {
        this.flow.late(slot, fleet, now);
        continue;
      }
      if (requests.measured[slot] === 1)
        this.meters.tokenTimes(slot, fleet, sequence.prompt, sequence.output, now);
      this.flow.complete(slot, fleet, requests.arrivalUs[slot], requests.startUs[slot], now);
    }
    this.iterate(replica, fleet, now);
    this.replicas.requestLeft(replica, now);
  }

  /**
   * A prefill replica's sequence sampled its first token: the request goes to the least loaded
   * ready decode replica, its KV cache held here until the transfer ends. With no decode replica
   * ready, this replica decodes it itself, from the KV cache it just computed, if its KV cache
   * can hold the whole request; if not, the request is dropped.
   */
  private handOff(sequence: Sequence, replica: number, scheduler: IterationScheduler, now: number): void {
    const disaggregation = this.disaggregation as Disaggregation;
    const requests = this.requests;
    const slot = sequence.slot;
    const prompt = sequence.prompt;
    this.handoffPrompt = prompt;
    this.handoffOutput = requests.outputTokens[slot];
    const target = disaggregation.pickDecode(this.decodeFits);
    if (target < 0) {
      const fleet = this.fleetOf[replica];
      if (scheduler.fits(prompt, this.handoffOutput)) {
        disaggregation.localDecodes[fleet]++;
        this.receive(slot, replica, now);
        return;
      }
      // Its KV cache can hold the prompt but not the whole output: the request is lost.
      disaggregation.undecoded[fleet]++;
      this.outstanding[replica]--;
      this.sequences[slot] = undefined;
      this.flow.turnAway(slot, replica, now, 'dropped');
      return;
    }
    const blocks = Math.ceil(prompt / this.blockSize[this.fleetOf[replica]]);
    scheduler.holdBlocks(blocks);
    this.sequences[slot] = undefined;
    const id = disaggregation.start(
      slot,
      requests.gen[slot],
      replica,
      this.replicas.epoch[replica],
      blocks,
      prompt,
    );
    // From here the request belongs to its decode replica: its load, and its loss if reclaimed.
    requests.replica[slot] = target;
    this.outstanding[target]++;
    this.engine.at(now + disaggregation.transferTimeUs(prompt), Kind.KvTransferDone, id, 0);
  }

  /**
   * The `KvTransferDone` event: the source replica frees the KV cache it held (unless it was
   * reclaimed meanwhile, taking it along), and the request joins its decode replica, which first
   * delivers its first token now, unless that replica was reclaimed meanwhile (the request has
   * moved on and its generation with it).
   */
  finishTransfer(id: number, _gen: number, now: number): void {
    const disaggregation = this.disaggregation as Disaggregation;
    const source = disaggregation.source[id];
    const slot = disaggregation.slot[id];
    const gen = disaggregation.gen[id];
    if (disaggregation.sourceEpoch[id] === this.replicas.epoch[source]) {
      const llm = this.llm[this.fleetOf[source]] as LlmFleetState;
      llm.scheduler(source).releaseBlocks(disaggregation.blocks[id]);
      this.outstanding[source]--;
      // Freed blocks may be what its waiting requests lacked.
      if (this.waitingAt(source) > 0) this.wake(source, now);
      this.replicas.requestLeft(source, now);
    }
    disaggregation.finish(id);
    if (this.requests.gen[slot] !== gen) return;
    this.requests.firstTokenUs[slot] = now;
    this.receive(slot, this.requests.replica[slot], now);
  }

  /** The request in `slot` joins `replica`'s queue with its prompt computed and first token sampled. */
  private receive(slot: number, replica: number, now: number): void {
    const requests = this.requests;
    const sequence = createSequence(
      slot,
      requests.inputTokens[slot],
      requests.outputTokens[slot],
      null,
      this.order.classLevel[requests.requestClass[slot]],
    );
    sequence.computed = sequence.prompt;
    sequence.generated = 1;
    this.sequences[slot] = sequence;
    (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica).enqueue(sequence);
    this.wake(replica, now);
  }

  /** The running iteration's time up to `untilUs`: busy slot-time (its duration times its sequences) and its LLM figures. */
  private chargeIteration(replica: number, fleet: number, untilUs: number): void {
    const startUs = this.iterationStartUs[replica];
    this.meters.busy(fleet, startUs, untilUs, this.iterationSeqs[replica]);
    (this.llm[fleet] as LlmFleetState).charge(replica, startUs, untilUs);
    if (this.meters.work !== null) this.attributeIteration(replica, fleet, untilUs - startUs);
  }

  /**
   * Splits `us` of the running iteration among its sequences' classes as the step model split its
   * time: the prompt-chunk part in proportion to the prompt tokens each computes, the decode part
   * evenly among the sequences decoding one token each.
   */
  private attributeIteration(replica: number, fleet: number, us: number): void {
    const llm = this.llm[fleet] as LlmFleetState;
    const scheduler = llm.scheduler(replica);
    const decoding = scheduler.batch.decodeSequences;
    const prefillTokens = scheduler.prefillTokens;
    // An iteration of one kind is all of that kind, whatever rounding left in the step model's share.
    const prefillUs = decoding === 0 ? us : prefillTokens === 0 ? 0 : us * llm.prefillShare(replica);
    const decodeUs = us - prefillUs;
    const classOf = this.requests.requestClass;
    const scheduled = scheduler.scheduled;
    // Lagging decodes keep their token counts behind, so only their place says they decode.
    const lagging = scheduler.laggingDecodes;
    for (let i = 0; i < scheduled.length; i++) {
      const sequence = scheduled[i];
      const c = classOf[sequence.slot];
      const decodes =
        i < lagging ||
        (sequence.generated > 0 &&
          sequence.scheduled === 1 &&
          sequence.prompt + sequence.generated - sequence.computed === 1);
      if (decodes) this.meters.attribute(fleet, c, decodeUs / decoding);
      else this.meters.attributePrefill(fleet, c, (prefillUs * sequence.scheduled) / prefillTokens);
    }
  }

  /** A sequence that has not run leaves the scheduler's queue. */
  cancel(slot: number, replica: number): void {
    const sequence = this.sequences[slot];
    if (sequence !== undefined) {
      const adapters = this.adapters;
      // One still waiting for its adapter never reached the scheduler.
      if (adapters === null || !adapters.cancel(replica, slot, this.engine.now)) {
        (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica).cancel(sequence);
        adapters?.release(replica, slot, this.engine.now);
      }
      this.sequences[slot] = undefined;
    }
  }

  waitingAt(replica: number): number {
    return this.waitingOn((this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica), replica);
  }

  kvCacheUsage(replica: number): number {
    const scheduler = (this.llm[this.fleetOf[replica]] as LlmFleetState).scheduler(replica);
    return scheduler.totalBlocks > 0 ? scheduler.usedBlocks / scheduler.totalBlocks : 0;
  }

  cachedPrefixTokens(replica: number, prefix: SequencePrefix, shareable: number, prompt: number): number {
    return (this.llm[this.fleetOf[replica]] as LlmFleetState)
      .scheduler(replica)
      .cachedPrefixTokens(prefix, shareable, prompt);
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
    this.adapters?.reset(replica);
    for (const slot of victims) this.sequences[slot] = undefined;
  }
}
