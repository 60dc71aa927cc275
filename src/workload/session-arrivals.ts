import type { Uniform } from '../engine/rng.js';
import type { Sessions } from '../scenario/types.js';
import { createSampler, type Sampler } from '../serving/distribution.js';
import type { ArrivalRecord, ArrivalSource, Waiting } from './arrival-source.js';

/** The random streams a session source draws from, each its own so that variants keep common random numbers. */
export const SESSION_STREAMS = [
  'sessions/turns',
  'sessions/first_message_tokens',
  'sessions/message_tokens',
  'sessions/output_tokens',
  'sessions/think_time',
] as const;
export type SessionStream = (typeof SESSION_STREAMS)[number];

/**
 * Multi-turn sessions: `starts` gives the sessions' start times (its own arrival process, cut at
 * the run's end), and turn t of a session sends the system prompt, every earlier message and
 * answer, and message t. Turns of overlapping sessions come out in time order from a heap of the
 * running sessions, so memory follows the sessions running at once, not the length of the run.
 *
 * Everything a session draws (its turns, their messages, answers and gaps) is drawn when it starts,
 * from one stream per quantity: the k-th session is the same session whatever the rate of starts
 * or the pace of the others, so variants that change the load keep common random numbers.
 */
export function createSessionArrivals(
  sessions: Sessions,
  starts: ArrivalSource,
  stream: (name: SessionStream) => Uniform,
  durationS: number | null,
): ArrivalSource {
  return new SessionArrivals(sessions, starts, stream, durationS);
}

/**
 * One running session: what it drew at its start, and its next turn. Sessions that end go back to
 * a pool and are reused with their array.
 */
class Session {
  /** Start order, from 0: breaks ties between turns due at the same time, oldest session first. */
  index = 0;
  /** When turn `turn` arrives. */
  timeS = 0;
  /** Turn that arrives next, from 0. */
  turn = 0;
  turns = 0;
  /** Parts before message 0: 1 with a system prompt, else 0. */
  systemParts = 0;
  /**
   * Per prompt part in order (system prompt, message 0, answer 0, message 1, ...): tokens to its
   * end, then the hash that names it with everything before it; from `turnsAt`, per turn: its
   * output tokens, then seconds to the next turn's arrival. One plain array allocated to size:
   * sessions waiting for their next turn can number millions, and a typed array costs some 250
   * bytes of bookkeeping however short (four of them made three quarters of a session's memory).
   */
  data: number[] = [];
  turnsAt = 0;

  reset(index: number, timeS: number, turns: number, systemParts: number): void {
    this.index = index;
    this.timeS = timeS;
    this.turn = 0;
    this.turns = turns;
    this.systemParts = systemParts;
    // Message t and answer t for every turn but the last answer, which no prompt carries.
    this.turnsAt = 2 * (systemParts + 2 * turns - 1);
    const size = this.turnsAt + 2 * turns;
    if (this.data.length < size) this.data = new Array<number>(size).fill(0);
  }
}

class SessionArrivals implements ArrivalSource {
  private readonly endS: number;
  private readonly turns: Sampler;
  private readonly firstMessage: Sampler;
  private readonly message: Sampler;
  private readonly output: Sampler;
  private readonly think: Sampler;
  private readonly startRecord: ArrivalRecord;
  /** The next session's start; NaN once starts are over. */
  private nextStartS: number;
  private started = 0;
  /** Parts named so far; 0 is the system prompt's. */
  private parts = 0;
  private readonly systemHash: number;
  private readonly heap: Session[] = [];
  /** The turns the sessions in `heap` drew, which their memory follows. */
  private heldTurns = 0;
  /** Sessions that ended, for reuse: never more than ran at once. */
  private readonly pool: Session[] = [];
  private done = false;

  constructor(
    private readonly sessions: Sessions,
    private readonly starts: ArrivalSource,
    stream: (name: SessionStream) => Uniform,
    durationS: number | null,
  ) {
    this.endS = durationS ?? Number.POSITIVE_INFINITY;
    this.turns = createSampler(sessions.turns, stream('sessions/turns'));
    this.firstMessage = createSampler(sessions.firstMessageTokens, stream('sessions/first_message_tokens'));
    this.message = createSampler(sessions.messageTokens, stream('sessions/message_tokens'));
    this.output = createSampler(sessions.outputTokens, stream('sessions/output_tokens'));
    this.think = createSampler(sessions.thinkTime, stream('sessions/think_time'));
    this.startRecord = {
      timeS: 0,
      input_tokens: Number.NaN,
      output_tokens: Number.NaN,
      request_bytes: Number.NaN,
      response_bytes: Number.NaN,
      prefix: { segments: 0, hashes: new Float64Array(0), ends: new Float64Array(0) },
      classIndex: -1,
      model: '',
      adapter: '',
    };
    this.systemHash = permute53(this.parts++);
    this.nextStartS = this.readStart();
  }

  next(out: ArrivalRecord): boolean {
    if (this.done) return false;
    const heap = this.heap;
    let session: Session;
    if (!Number.isNaN(this.nextStartS) && (heap.length === 0 || this.nextStartS < heap[0].timeS)) {
      session = this.start(this.nextStartS);
      this.nextStartS = this.readStart();
    } else if (heap.length > 0) {
      session = heap[0];
      const last = heap.pop() as Session;
      if (heap.length > 0) {
        heap[0] = last;
        this.siftDown(0);
      }
    } else {
      this.done = true;
      return false;
    }
    this.emit(session, out);
    return true;
  }

  waiting(): Waiting {
    return { sessions: this.heap.length, turns: this.heldTurns };
  }

  close(): void {
    this.done = true;
    this.heap.length = 0;
    this.heldTurns = 0;
    this.starts.close();
  }

  private readStart(): number {
    return this.starts.next(this.startRecord) ? this.startRecord.timeS : Number.NaN;
  }

  private start(timeS: number): Session {
    const turns = wholeTokens(this.turns());
    const system = this.sessions.systemPromptTokens;
    const session = this.pool.pop() ?? new Session();
    session.reset(this.started++, timeS, turns, system > 0 ? 1 : 0);
    const { data, turnsAt } = session;
    let end = 0;
    let at = 0;
    if (system > 0) {
      end = system;
      data[0] = end;
      data[1] = this.systemHash;
      at = 2;
    }
    const perToken = this.sessions.answerTimePerToken;
    for (let t = 0; t < turns; t++) {
      end += wholeTokens(t === 0 ? this.firstMessage() : this.message());
      data[at++] = end;
      data[at++] = permute53(this.parts++);
      const output = wholeTokens(this.output());
      data[turnsAt + 2 * t] = output;
      if (t === turns - 1) break;
      end += output;
      data[at++] = end;
      data[at++] = permute53(this.parts++);
      data[turnsAt + 2 * t + 1] = this.think() + perToken * output;
    }
    return session;
  }

  /** Fills `out` with the session's next turn and puts the session back in the heap if another turn comes before the end. */
  private emit(session: Session, out: ArrivalRecord): void {
    const t = session.turn;
    // Turn 0 comes straight from the session's start; every later one from the heap.
    if (t > 0) this.heldTurns -= session.turns;
    const segments = session.systemParts + 2 * t + 1;
    const prefix = out.prefix;
    if (prefix.hashes.length < segments) {
      const capacity = Math.max(segments, 2 * prefix.hashes.length);
      prefix.hashes = new Float64Array(capacity);
      prefix.ends = new Float64Array(capacity);
    }
    const { hashes, ends } = prefix;
    const data = session.data;
    for (let i = 0; i < segments; i++) {
      ends[i] = data[2 * i];
      hashes[i] = data[2 * i + 1];
    }
    prefix.segments = segments;
    out.timeS = session.timeS;
    out.input_tokens = data[2 * segments - 2];
    out.output_tokens = data[session.turnsAt + 2 * t];
    out.request_bytes = Number.NaN;
    out.response_bytes = Number.NaN;
    const nextS = session.timeS + data[session.turnsAt + 2 * t + 1];
    if (t + 1 === session.turns || !(nextS < this.endS)) {
      this.pool.push(session);
      return;
    }
    session.turn = t + 1;
    session.timeS = nextS;
    this.heldTurns += session.turns;
    this.heap.push(session);
    this.siftUp(this.heap.length - 1);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    const item = heap[at];
    let i = at;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = item;
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    const item = heap[at];
    const n = heap.length;
    let i = at;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap[child + 1], heap[child])) child++;
      if (!before(heap[child], item)) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = item;
  }
}

function before(a: Session, b: Session): boolean {
  return a.timeS < b.timeS || (a.timeS === b.timeS && a.index < b.index);
}

/** A drawn count as whole tokens (or turns), at least 1: a message, an answer and a session are never empty. */
function wholeTokens(x: number): number {
  return Math.max(1, Math.round(x));
}

const TWO_TO_32 = 4294967296;
const HIGH_MASK = 0x1fffff;
const ROUND_KEYS = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35];

/** murmur3's 32-bit finalizer of x ^ key. */
function mix32(x: number, key: number): number {
  let h = (x ^ key) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A permutation of the integers below 2^53: a Feistel network on their high 21 and low 32 bits.
 * Each round is undone by applying it again, so distinct counters give distinct hashes (no
 * collision however many parts a run names), spread over the whole range as a hash's would be.
 */
export function permute53(n: number): number {
  let high = Math.floor(n / TWO_TO_32);
  let low = n >>> 0;
  for (let r = 0; r < ROUND_KEYS.length; r += 2) {
    low = (low ^ mix32(high, ROUND_KEYS[r])) >>> 0;
    high = (high ^ mix32(low, ROUND_KEYS[r + 1])) & HIGH_MASK;
  }
  return high * TWO_TO_32 + low;
}
