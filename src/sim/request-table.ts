import type { SequencePrefix } from '../policies/batching/prefix-cache.js';
import { REQUEST_ATTRIBUTES } from '../scenario/types.js';
import type { PromptPrefix } from '../workload/index.js';

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');
const OUTPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('output_tokens');
const REQUEST_BYTES = REQUEST_ATTRIBUTES.indexOf('request_bytes');
const RESPONSE_BYTES = REQUEST_ATTRIBUTES.indexOf('response_bytes');

/** The class of the request arriving now (the simulation's `Arrivals`). */
export interface ArrivalClass {
  readonly classIndex: number;
  /** Its model (index in the scenario's model names; -1: one no fleet serves) and LoRA adapter (-1: none). */
  readonly modelIndex: number;
  readonly adapterIndex: number;
}

/** Lifecycle of a request slot. */
export const RequestState = { Free: 0, Queued: 1, InService: 2, Held: 3 } as const;
/** `RequestState.Free` for `release`: a module constant folds to a number, an exported object's field does not. */
const FREE = RequestState.Free;

/**
 * Requests in flight as parallel typed-array columns indexed by slot. Slots are recycled
 * through a free list, so memory follows the number of requests in flight, not the trace length.
 * A slot's generation changes when it is freed: an event or a queue entry that remembers an
 * older generation refers to a request that no longer exists.
 */
export class RequestTable {
  arrivalUs = new Float64Array(0);
  startUs = new Float64Array(0);
  serviceUs = new Float64Array(0);
  /** LLM requests: when the first output token was sampled. */
  firstTokenUs = new Float64Array(0);
  inputTokens = new Float64Array(0);
  outputTokens = new Float64Array(0);
  requestBytes = new Float64Array(0);
  responseBytes = new Float64Array(0);
  replica = new Int32Array(0);
  /**
   * The request's class: its index in the workload's classes (`requestClasses`, declared order;
   * 0 for a workload without classes), set when it arrives.
   */
  requestClass = new Int32Array(0);
  /** The model it asks for and its LoRA adapter (-1: none), as `ArrivalClass` has them. */
  model = new Int32Array(0);
  adapter = new Int32Array(0);
  /** Held requests (no replica ready when they arrived or were interrupted): the fleet they wait for. */
  heldFor = new Int32Array(0);
  /** The next request of the same batch, or -1: a batch is a chain from the request its completion event names. */
  nextInBatch = new Int32Array(0);
  /** 1 for the request whose completion event stands for its whole batch. */
  leadsBatch = new Uint8Array(0);
  gen = new Int32Array(0);
  state = new Uint8Array(0);
  measured = new Uint8Array(0);
  /**
   * Requests whose prompt shares a prefix: what it shares, by slot; null for none. A plain array
   * rather than a Map: every request of a workload with shared prefixes stores one, and the Map's
   * hashing and deletions cost more than the slot's index.
   */
  private prefixes: (SequencePrefix | null)[] = [];
  /** Slots holding a prefix: none (the common case) spares every release a write. */
  private storedPrefixes = 0;
  /**
   * Prefixes stored lately, by a hash of their content: requests carrying the same prefix (every
   * prompt starting with one of a few system prompts) share one copy, which no one changes. A
   * copy per request was most of what caching added to a run, in garbage collection. At most
   * `PREFIX_MEMO` are kept, whatever the trace.
   */
  private readonly prefixMemo: (SequencePrefix | undefined)[] = new Array(PREFIX_MEMO).fill(undefined);
  private free = new Int32Array(0);
  private freeCount = 0;
  private capacity = 0;
  /** Set by `fixClass`: the class, model and adapter of every request. */
  private fixedClass: ArrivalClass | null = null;

  /** Requests in flight. */
  get liveCount(): number {
    return this.capacity - this.freeCount;
  }

  constructor(initialCapacity = 256) {
    this.grow(initialCapacity);
  }

  allocate(): number {
    if (this.freeCount === 0) this.grow(this.capacity * 2);
    return this.free[--this.freeCount];
  }

  release(slot: number): void {
    if (this.storedPrefixes > 0 && this.prefixes[slot] !== null) {
      this.prefixes[slot] = null;
      this.storedPrefixes--;
    }
    this.state[slot] = FREE;
    this.gen[slot]++;
    this.free[this.freeCount++] = slot;
  }

  /** Forgets every pending event and queue entry of a request that stays in flight (it moves elsewhere). */
  invalidate(slot: number): void {
    this.gen[slot]++;
  }

  /** Keeps a request's attributes (a row in `REQUEST_ATTRIBUTES` order) in its slot. */
  storeAttributes(slot: number, attributes: Float64Array): void {
    this.inputTokens[slot] = attributes[INPUT_TOKENS];
    this.outputTokens[slot] = attributes[OUTPUT_TOKENS];
    this.requestBytes[slot] = attributes[REQUEST_BYTES];
    this.responseBytes[slot] = attributes[RESPONSE_BYTES];
  }

  /**
   * Every request of the run has `arrival`'s class, model and adapter: the columns hold them from
   * the start and `storeClass` writes nothing, three stores fewer for each request.
   */
  fixClass(arrival: ArrivalClass): void {
    const { classIndex, modelIndex, adapterIndex } = arrival;
    this.fixedClass = { classIndex, modelIndex, adapterIndex };
    this.fillClass(0);
  }

  /** Keeps the class, model and adapter of the request arriving now in `slot`. */
  storeClass(slot: number, arrival: ArrivalClass): void {
    if (this.fixedClass !== null) return;
    this.requestClass[slot] = arrival.classIndex;
    this.model[slot] = arrival.modelIndex;
    this.adapter[slot] = arrival.adapterIndex;
  }

  /** Keeps what the prompt of the request in `slot` shares (a copy: the arrival's record is refilled); nothing when it shares nothing. */
  storePrefix(slot: number, prefix: PromptPrefix): void {
    const segments = prefix.segments;
    if (segments === 0) return;
    if (this.prefixes[slot] === null) this.storedPrefixes++;
    const last = segments - 1;
    // Block ids and token counts are non-negative integers: the index is a whole slot of the memo.
    const at = Math.floor((prefix.hashes[last] + prefix.ends[last] * 31 + segments) % PREFIX_MEMO);
    const memo = this.prefixMemo[at];
    if (memo !== undefined && samePrefix(memo, prefix)) {
      this.prefixes[slot] = memo;
      return;
    }
    // Copied by hand: `slice` leaves optimized code for a runtime call, some microseconds a request.
    const hashes = new Float64Array(segments);
    const ends = new Float64Array(segments);
    for (let i = 0; i < segments; i++) {
      hashes[i] = prefix.hashes[i];
      ends[i] = prefix.ends[i];
    }
    const copy = { hashes, ends };
    this.prefixes[slot] = copy;
    this.prefixMemo[at] = copy;
  }

  /** What the prompt of the request in `slot` shares, or null. */
  prefix(slot: number): SequencePrefix | null {
    return this.storedPrefixes === 0 ? null : this.prefixes[slot];
  }

  /** Puts a waiting request's attributes back where routing and service-time models read them. */
  loadAttributes(slot: number, attributes: Float64Array): void {
    attributes[INPUT_TOKENS] = this.inputTokens[slot];
    attributes[OUTPUT_TOKENS] = this.outputTokens[slot];
    attributes[REQUEST_BYTES] = this.requestBytes[slot];
    attributes[RESPONSE_BYTES] = this.responseBytes[slot];
  }

  /** Attribute `a` (`REQUEST_ATTRIBUTES` order) of the request in `slot`. */
  attribute(slot: number, a: number): number {
    if (a === INPUT_TOKENS) return this.inputTokens[slot];
    if (a === OUTPUT_TOKENS) return this.outputTokens[slot];
    if (a === REQUEST_BYTES) return this.requestBytes[slot];
    if (a === RESPONSE_BYTES) return this.responseBytes[slot];
    throw new RangeError(`no request attribute ${a}`);
  }

  /** Slots currently holding a request. */
  *live(): Generator<number> {
    for (let slot = 0; slot < this.capacity; slot++) if (this.state[slot] !== RequestState.Free) yield slot;
  }

  private fillClass(from: number): void {
    const fixed = this.fixedClass as ArrivalClass;
    this.requestClass.fill(fixed.classIndex, from);
    this.model.fill(fixed.modelIndex, from);
    this.adapter.fill(fixed.adapterIndex, from);
  }

  private grow(capacity: number): void {
    const old = this.capacity;
    this.arrivalUs = extend(this.arrivalUs, capacity);
    this.startUs = extend(this.startUs, capacity);
    this.serviceUs = extend(this.serviceUs, capacity);
    this.firstTokenUs = extend(this.firstTokenUs, capacity);
    this.inputTokens = extend(this.inputTokens, capacity);
    this.outputTokens = extend(this.outputTokens, capacity);
    this.requestBytes = extend(this.requestBytes, capacity);
    this.responseBytes = extend(this.responseBytes, capacity);
    this.replica = extend(this.replica, capacity);
    this.requestClass = extend(this.requestClass, capacity);
    this.model = extend(this.model, capacity);
    this.adapter = extend(this.adapter, capacity);
    this.heldFor = extend(this.heldFor, capacity);
    this.nextInBatch = extend(this.nextInBatch, capacity);
    this.leadsBatch = extend(this.leadsBatch, capacity);
    this.gen = extend(this.gen, capacity);
    this.state = extend(this.state, capacity);
    this.measured = extend(this.measured, capacity);
    this.free = extend(this.free, capacity);
    for (let slot = old; slot < capacity; slot++) this.prefixes.push(null);
    if (this.fixedClass !== null) this.fillClass(old);
    // Push new slots highest first so they are handed out in ascending order.
    for (let slot = capacity - 1; slot >= old; slot--) this.free[this.freeCount++] = slot;
    this.capacity = capacity;
  }
}

function extend<T extends Float64Array | Int32Array | Uint8Array>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}

const PREFIX_MEMO = 64;

/** Whether a stored prefix names the segments `prefix` holds now. */
function samePrefix(stored: SequencePrefix, prefix: PromptPrefix): boolean {
  const segments = prefix.segments;
  if (stored.ends.length !== segments) return false;
  for (let i = 0; i < segments; i++)
    if (stored.hashes[i] !== prefix.hashes[i] || stored.ends[i] !== prefix.ends[i]) return false;
  return true;
}
