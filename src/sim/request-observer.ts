import { US_PER_S } from '../core/time.js';
import { type REQUEST_ATTRIBUTES, requestClasses, type Scenario } from '../scenario/types.js';
import { type RequestOutcome, type RequestRecord, sourceGives } from '../workload/index.js';

/** Turns the simulator's view of a measured request at its outcome into a `RequestRecord` for `onRequest`. */
export class RequestObserver {
  /**
   * When the first token of the request about to be completed reached the client; only the
   * continuous-batching loop knows it, and the completion that follows takes it.
   */
  firstTokenUs = Number.NaN;
  readonly #fleetNames: readonly string[];
  readonly #llm: readonly boolean[];
  /** Whether the workload gives requests input and output tokens (LLM fleets always count them). */
  readonly #tokensKnown: readonly [boolean, boolean];
  /** Class names by index, when there are several to tell apart; null: records name none. */
  readonly #classes: readonly string[] | null;

  constructor(
    private readonly onRequest: (record: RequestRecord) => void,
    private readonly variant: string,
    scenario: Scenario,
  ) {
    this.#fleetNames = scenario.fleets.map((f) => f.name);
    this.#llm = scenario.fleets.map((f) => f.batching.policy === 'continuous');
    const { arrivals } = scenario.workload;
    const classes = requestClasses(scenario.workload);
    const given = (name: (typeof REQUEST_ATTRIBUTES)[number]) =>
      classes.some((c) => c.attributes[name] !== undefined) || sourceGives(arrivals, name);
    this.#tokensKnown = [given('input_tokens'), given('output_tokens')];
    this.#classes = classes.length > 1 ? classes.map((c) => c.name) : null;
  }

  /**
   * Times in microseconds from the run's start (`finishUs` NaN while in flight); `replica` is the
   * replica's id in its fleet, -1 for none. An LLM fleet serves at least one whole token each way.
   */
  record(
    outcome: RequestOutcome,
    fleet: number,
    replica: number,
    arrivalUs: number,
    finishUs: number,
    inputTokens: number,
    outputTokens: number,
    classIndex: number,
  ): void {
    const llm = this.#llm[fleet];
    const firstTokenUs = this.firstTokenUs;
    this.firstTokenUs = Number.NaN;
    this.onRequest({
      arrival: arrivalUs / US_PER_S,
      first_token: Number.isNaN(firstTokenUs) ? null : firstTokenUs / US_PER_S,
      finish: Number.isNaN(finishUs) ? null : finishUs / US_PER_S,
      input_tokens: llm ? Math.max(1, Math.round(inputTokens)) : this.#tokensKnown[0] ? inputTokens : null,
      output_tokens: llm ? Math.max(1, Math.round(outputTokens)) : this.#tokensKnown[1] ? outputTokens : null,
      // A request whose model no fleet serves reached none (fleet -1).
      fleet: this.#fleetNames[fleet] ?? null,
      replica: replica < 0 ? null : replica,
      outcome,
      variant: this.variant,
      ...(this.#classes !== null && { class: this.#classes[classIndex] }),
    });
  }
}
