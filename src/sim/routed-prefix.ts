import { type SequencePrefix, shareableTokens } from '../policies/batching/prefix-cache.js';
import type { PrefixCacheView } from '../policies/routing/index.js';
import { REQUEST_ATTRIBUTES, type Scenario } from '../scenario/types.js';
import type { PromptPrefix } from '../workload/index.js';
import type { RequestTable } from './request-table.js';
import type { ServiceDiscipline } from './service/discipline.js';

const INPUT_TOKENS = REQUEST_ATTRIBUTES.indexOf('input_tokens');

/**
 * The replicas' prefix caches as routing sees them, for the request being routed: the arrival
 * in the shared row, or a request routed again (held while no replica was ready, or interrupted
 * by a reclaim), which names its slot in `slot` while it is routed.
 */
export class RoutedPrefix implements PrefixCacheView {
  /** The slot of a request being routed again; -1: the arrival in the shared row. */
  slot = -1;
  /** Per fleet: how its replicas serve, filled once built. */
  disciplines: readonly ServiceDiscipline[] = [];
  /** Some fleet keeps a prefix cache: without one there is nothing to look up. */
  private readonly caching: boolean;
  /** What `shareableTokens` found of the request being routed, for `cachedTokens`. */
  private prefix: SequencePrefix | null = null;
  private shareable = 0;
  private prompt = 1;

  constructor(
    scenario: Scenario,
    private readonly arrival: PromptPrefix,
    private readonly attributes: Float64Array,
    private readonly requests: RequestTable,
    private readonly fleetOf: Int32Array,
  ) {
    this.caching = scenario.fleets.some(
      (fleet) => fleet.batching.policy === 'continuous' && fleet.batching.prefixCaching === true,
    );
  }

  shareableTokens(): number {
    if (!this.caching) return 0;
    // As an LLM fleet counts it: at least one token.
    const prompt = Math.max(1, Math.round(this.attributes[INPUT_TOKENS]));
    this.prompt = prompt;
    if (this.slot >= 0) {
      this.prefix = this.requests.prefix(this.slot);
      this.shareable = shareableTokens(this.prefix, prompt);
    } else {
      const segments = this.arrival.segments;
      // The arrival's arrays may hold more segments than it has: `shareable` bounds every look-up.
      this.prefix = segments > 0 ? this.arrival : null;
      this.shareable = segments > 0 ? Math.min(this.arrival.ends[segments - 1], prompt) : 0;
    }
    return this.shareable;
  }

  promptTokens(): number {
    return this.prompt;
  }

  cachedTokens(replica: number): number {
    const discipline = this.disciplines[this.fleetOf[replica]];
    if (this.prefix === null || discipline.cachedPrefixTokens === undefined) return 0;
    return discipline.cachedPrefixTokens(replica, this.prefix, this.shareable, this.prompt);
  }
}
