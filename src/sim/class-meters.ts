import { LatencyStats } from '../metrics/index.js';

/** What a run measures of one request class: the variant's own figures, for its requests alone. */
export class ClassMeter {
  /** Measured requests (arrived after warmup) by outcome. */
  arrived = 0;
  completed = 0;
  dropped = 0;
  timedOut = 0;
  inFlight = 0;
  /** Tokens of its measured completions. */
  inputTokens = 0;
  outputTokens = 0;
  /** Completions and their tokens over the whole run, warmup included: what its whole-run cost bought. */
  completedAll = 0;
  inputTokensAll = 0;
  outputTokensAll = 0;
  readonly latency = new LatencyStats();
  readonly wait = new LatencyStats();
  readonly ttft = new LatencyStats();
  readonly tpot = new LatencyStats();
}

/**
 * The work each class had done, for attributing cost, per fleet (`fleet * classes + class`):
 * busy slot-time (a request's service, its share of a batch, its share of an LLM iteration), the
 * part of it spent computing prompts (LLM fleets), and response bytes sent.
 */
export class ClassWork {
  readonly busyUs: Float64Array;
  readonly prefillUs: Float64Array;
  readonly egressBytes: Float64Array;

  constructor(
    fleets: number,
    readonly classes: number,
  ) {
    this.busyUs = new Float64Array(fleets * classes);
    this.prefillUs = new Float64Array(fleets * classes);
    this.egressBytes = new Float64Array(fleets * classes);
  }
}
