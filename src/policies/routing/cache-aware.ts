import * as z from 'zod';
import { NonNegativeNumber } from '../../core/schema-values.js';
import { defineReplicaPolicy } from './definition.js';
import {
  lessLoaded,
  NO_PREFIX_CACHE,
  type PrefixCacheView,
  type ReplicaLoadView,
  type ReplicaPool,
} from './types.js';

const DEFAULTS = { load_weight: 1 } as const;

const keys = {
  load_weight: NonNegativeNumber.prefault(DEFAULTS.load_weight).describe(
    'What load costs against a cached prefix. A replica scores the share of the prompt it holds cached ' +
      '(0 to 1) minus `load_weight` times its outstanding requests per unit of concurrency (`max_num_seqs` on ' +
      'an LLM fleet); the highest score wins, ties going to the less loaded replica. At 1, a replica ' +
      'holding the whole prompt takes it until it has a full `max_num_seqs` more requests than the least ' +
      "loaded; at 0 the cache alone decides. A cross-fleet policy's `within: cache-aware` takes the default.",
  ),
};

const options = z.object(keys);

/**
 * Prefix-cache affinity traded against load, as the KV-cache-aware routers of llm-d (its
 * prefix-cache scorer weighed against its queue scorer) and NVIDIA Dynamo (cached overlap
 * against active load) do: score(r) = cached(r) / prompt - loadWeight * outstanding(r) /
 * concurrency(r), where cached(r) is the run of leading prompt tokens replica r's prefix cache
 * holds. Without a prefix cache to read (the prompt shares nothing, or no replica keeps one)
 * every replica scores its load alone: the pick is least-outstanding's.
 */
class CacheAware {
  constructor(
    private readonly pool: ReplicaPool,
    private readonly load: ReplicaLoadView,
    private readonly prefixes: PrefixCacheView,
    private readonly loadWeight: number,
  ) {}

  pick(): number {
    const { members, size } = this.pool;
    if (size === 0) return -1;
    const load = this.load;
    if (this.prefixes.shareableTokens() === 0) {
      let best = members[0];
      for (let i = 1; i < size; i++) if (lessLoaded(load, members[i], best)) best = members[i];
      return best;
    }
    const prompt = this.prefixes.promptTokens();
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < size; i++) {
      const r = members[i];
      // The load per unit of concurrency is divided before it is weighed: a correctly rounded
      // quotient is the same double for equal ratios (3/9 and 1/3), so equal loads tie exactly and
      // `lessLoaded` orders them as least-outstanding does; (weight x 3) / 9 and weight / 3 can differ.
      const score =
        this.prefixes.cachedTokens(r) / prompt -
        this.loadWeight * (load.outstanding[r] / load.concurrency[r]);
      if (score > bestScore || (score === bestScore && lessLoaded(load, r, best))) {
        best = r;
        bestScore = score;
      }
    }
    return best;
  }
}

export const cacheAware = defineReplicaPolicy({
  name: 'cache-aware',
  summary: 'the replica holding the most of the prompt in its prefix cache, traded against load',
  keys,
  defaults: DEFAULTS,
  create: ({ pool, load, prefixes = NO_PREFIX_CACHE, options: block = {} }) =>
    new CacheAware(pool, load, prefixes, options.parse(block).load_weight),
  example: { policy: 'cache-aware', load_weight: 2 },
});
