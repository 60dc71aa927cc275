import { PrefixCache, type SequencePrefix } from './prefix-cache.js';
import type { ContinuousConfig, HostTierConfig, HostTierCounters, Sequence } from './sequence.js';

/**
 * The KV-cache blocks of one replica: free ones, those sequences hold and, with prefix caching,
 * cached ones no sequence holds, which an allocation takes (evicting them) once the free ones run
 * out, and a host tier under them. The scheduler decides who gets blocks; this keeps the count
 * and the prefix cache's bookkeeping.
 */
export class KvBlocks {
  readonly total: number;
  /** Blocks neither held nor cached. */
  free: number;
  /** Blocks of finished sequences whose KV cache is still on its way to another replica (`hold`). */
  outgoing = 0;
  /** The prefix cache, or null when prefix caching is off. */
  readonly cache: PrefixCache | null;
  readonly host: HostTierConfig | null;
  private readonly hostCounters: HostTierCounters = {
    cachedPromptTokens: 0,
    loadedTokens: 0,
    loadedBytes: 0,
    loadSeconds: 0,
    evictions: 0,
    blocks: 0,
  };
  private readonly size: number;

  constructor(config: ContinuousConfig) {
    this.size = config.blockSize;
    this.total = Math.floor(config.kvCacheTokens / config.blockSize);
    this.free = this.total;
    this.host = config.prefixCaching === true ? (config.hostTier ?? null) : null;
    this.cache =
      config.prefixCaching === true ? new PrefixCache(config.blockSize, this.host?.blocks ?? 0) : null;
  }

  /** What the host tier did so far; null without one. */
  get hostTier(): HostTierCounters | null {
    if (this.host === null) return null;
    const cache = this.cache as PrefixCache;
    this.hostCounters.evictions = cache.hostEvictions;
    this.hostCounters.blocks = cache.hosted;
    return this.hostCounters;
  }

  blocksFor(tokens: number): number {
    return Math.ceil(tokens / this.size);
  }

  /** Blocks an allocation can have: the free ones, then cached ones no sequence holds, evicted. */
  available(): number {
    return this.cache === null ? this.free : this.free + this.cache.evictable;
  }

  /** Allocates `blocks` (at most `available()`): free ones first, then the least recently freed cached ones. */
  take(blocks: number): void {
    if (blocks <= this.free) {
      this.free -= blocks;
      return;
    }
    const cache = this.cache as PrefixCache;
    for (let evicted = this.free; evicted < blocks; evicted++) cache.evict();
    this.free = 0;
  }

  /**
   * Keeps `blocks` that a finished sequence freed in use until `releaseHeld`: with prefill and
   * decode disaggregated, its KV cache stays until the transfer to the decode replica ends.
   */
  hold(blocks: number): void {
    // Its own blocks were freed and its cached ones left unheld a moment ago, so these are there.
    this.take(blocks);
    this.outgoing += blocks;
  }

  releaseHeld(blocks: number): void {
    this.free += blocks;
    this.outgoing -= blocks;
  }

  /** A sequence lets go of its blocks: its own become free, its cached ones stay cached. */
  release(sequence: Sequence): void {
    const held = sequence.held;
    if (held !== null) {
      this.free += sequence.blocks - held.count;
      (this.cache as PrefixCache).release(held);
      sequence.held = null;
    } else {
      this.free += sequence.blocks;
    }
    sequence.blocks = 0;
    sequence.registered = 0;
  }

  /**
   * Most leading blocks a sequence may take from the cache: its cacheable ones, short of the last
   * token it knows, which is computed again so that the model samples from it.
   */
  hitLimit(sequence: Sequence): number {
    const size = this.size;
    const last = sequence.prompt + sequence.generated - 1;
    return Math.min(Math.floor(sequence.shareable / size), Math.floor(last / size));
  }

  /** Leading tokens of a prompt, in whole blocks, that a sequence admitted now would find cached. */
  cachedPrefixTokens(prefix: SequencePrefix, shareable: number, prompt: number): number {
    if (this.cache === null) return 0;
    const size = this.size;
    // As `hitLimit` for a sequence that has generated nothing: its last prompt token is always computed.
    const limit = Math.min(Math.floor(shareable / size), Math.floor((prompt - 1) / size));
    return limit > 0 ? this.cache.cachedRun(prefix, limit) * size : 0;
  }

  /**
   * A sequence admitted takes the first `hits` blocks the cache's last look-up found for it, its
   * first `hits` blocks from here on.
   */
  acquire(sequence: Sequence, hits: number): void {
    const cache = this.cache as PrefixCache;
    const held = sequence.held ?? cache.holder();
    sequence.held = held;
    cache.acquire(hits, held);
    sequence.blocks = hits;
    sequence.registered = hits;
  }

  /** Caches the cacheable blocks a sequence has filled with computed prompt tokens since it last did. */
  register(cache: PrefixCache, sequence: Sequence): void {
    const full = Math.floor(Math.min(sequence.computed, sequence.shareable) / this.size);
    if (full <= sequence.registered) return;
    const held = sequence.held ?? cache.holder();
    sequence.held = held;
    cache.insert(sequence.prefix as SequencePrefix, sequence.registered, full, held);
    sequence.registered = full;
  }

  /**
   * One sequence's load of `tokens` from host memory: its own transfer, after the others of the
   * iteration. Returns the seconds it takes.
   */
  loadFromHost(tokens: number, firstAdmission: boolean): number {
    const host = this.host as HostTierConfig;
    const bytes = tokens * host.bytesPerToken;
    const seconds = bytes / host.bytesPerS + host.latencyS;
    const counters = this.hostCounters;
    if (firstAdmission) counters.cachedPromptTokens += tokens;
    counters.loadedTokens += tokens;
    counters.loadedBytes += bytes;
    counters.loadSeconds += seconds;
    return seconds;
  }
}
