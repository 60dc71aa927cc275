import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ContinuousConfig, ContinuousScheduler, createSequence, type Sequence } from './continuous.js';
import { type HeldBlocks, type PrefixBlock, PrefixCache, type SequencePrefix } from './prefix-cache.js';

function scheduler(config: Partial<ContinuousConfig>): ContinuousScheduler {
  return new ContinuousScheduler({
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    chunkedPrefill: true,
    blockSize: 4,
    kvCacheTokens: 64,
    prefixCaching: true,
    ...config,
  });
}

function prefix(hashes: number[], ends: number[]): SequencePrefix {
  return { hashes: Float64Array.from(hashes), ends: Float64Array.from(ends) };
}

/** Runs every iteration until nothing is left, checking the laws after each step; returns the prefill chunks planned. */
/** The blocks a list holds, in the order they were taken. */
function blocksOf(held: HeldBlocks): PrefixBlock[] {
  return Array.from({ length: held.count }, (_, i) => held.at(i));
}

function drain(s: ContinuousScheduler): number[][] {
  const chunks: number[][] = [];
  while (s.schedule()) {
    s.checkInvariants();
    for (const c of s.batch.prefill) chunks.push([c.tokens, c.pastTokens]);
    s.finishIteration();
    s.checkInvariants();
  }
  return chunks;
}

describe('prefix caching', () => {
  it('prefills only what a later prompt does not find cached', () => {
    const s = scheduler({});
    // A 10-token system prompt (hash 7), then each prompt's own tokens: blocks 0 and 1 (8 tokens) are cacheable.
    s.enqueue(createSequence(0, 14, 1, prefix([7], [10])));
    expect(drain(s)).toEqual([[14, 0]]);
    expect(s.usedBlocks).toBe(0);
    // Its two full shareable blocks stay cached, unheld.
    expect(s.cache?.cached).toBe(2);
    expect(s.cache?.evictable).toBe(2);
    s.enqueue(createSequence(1, 20, 1, prefix([7], [10])));
    expect(drain(s)).toEqual([[12, 8]]);
    expect(s).toMatchObject({ promptTokens: 34, cachedPromptTokens: 8, savedPrefillTokens: 8 });
    // Another system prompt shares nothing.
    s.enqueue(createSequence(2, 20, 1, prefix([8], [10])));
    expect(drain(s)).toEqual([[20, 0]]);
  });

  it('computes the last prompt token again even when every block of the prompt is cached', () => {
    const s = scheduler({});
    s.enqueue(createSequence(0, 8, 1, prefix([3], [8])));
    drain(s);
    s.enqueue(createSequence(1, 8, 1, prefix([3], [8])));
    // 8 tokens, 2 cached blocks: only the first is taken, so that token 8 is computed.
    expect(drain(s)).toEqual([[4, 4]]);
    expect(s.cachedPromptTokens).toBe(4);
  });

  it('keys a block by the segment holding its last token, so prompts that part ways share only what came before', () => {
    const s = scheduler({});
    // Chained hashes: 1 names tokens 0-5, 2 and 9 name 0-11 of two prompts agreeing on the first 6 only.
    s.enqueue(createSequence(0, 16, 1, prefix([1, 2], [6, 12])));
    drain(s);
    s.enqueue(createSequence(1, 16, 1, prefix([1, 9], [6, 12])));
    // Block 0 (tokens 0-3) ends in segment 1: shared. Block 1 (4-7) ends in the second segment: not.
    expect(drain(s)).toEqual([[12, 4]]);
  });

  it('shares a block among the sequences running at once and counts it once', () => {
    const s = scheduler({ maxNumBatchedTokens: 8 });
    s.enqueue(createSequence(0, 8, 5, prefix([5], [8])));
    expect(s.schedule()).toBe(true);
    s.finishIteration();
    // Its prompt is computed and both blocks cached; the second prompt takes the first block while the first decodes.
    s.enqueue(createSequence(1, 8, 5, prefix([5], [8])));
    expect(s.schedule()).toBe(true);
    expect(s.batch.prefill.map((c) => [c.tokens, c.pastTokens])).toEqual([[4, 4]]);
    s.checkInvariants();
    // First: 2 prompt blocks + 1 for its decode; second: the shared block + 1 own block.
    expect(s.usedBlocks).toBe(4);
    expect(s.cache?.cached).toBe(2);
    s.finishIteration();
    s.checkInvariants();
  });

  it('evicts the least recently freed cached blocks, and only when no free block is left', () => {
    // 4 blocks of 4 tokens; each prompt fills 2 cacheable blocks and needs no other.
    const s = scheduler({ kvCacheTokens: 16 });
    s.enqueue(createSequence(0, 8, 1, prefix([1], [8])));
    drain(s);
    s.enqueue(createSequence(1, 8, 1, prefix([2], [8])));
    drain(s);
    expect([s.freeBlocks, s.cache?.evictable, s.cache?.evictions]).toEqual([0, 4, 0]);
    // A 4-token prompt without a prefix needs a block: the oldest prompt's last block goes.
    s.enqueue(createSequence(2, 4, 1));
    drain(s);
    expect([s.freeBlocks, s.cache?.evictable, s.cache?.evictions]).toEqual([1, 3, 1]);
    // Prompt 0's first block is still there; its own free block serves the rest.
    s.enqueue(createSequence(3, 8, 1, prefix([1], [8])));
    expect(drain(s)).toEqual([[4, 4]]);
    expect(s.cache?.evictions).toBe(1);
    // Two 8-token prompts without a prefix need 4 blocks: every cached one goes, oldest first.
    s.enqueue(createSequence(4, 8, 1));
    s.enqueue(createSequence(5, 8, 1));
    drain(s);
    expect([s.freeBlocks, s.cache?.evictable, s.cache?.evictions]).toEqual([4, 0, 5]);
    s.enqueue(createSequence(6, 8, 1, prefix([2], [8])));
    expect(drain(s)).toEqual([[8, 0]]);
  });

  it('after a preemption, takes back what is still cached and recomputes the rest', () => {
    // 4 blocks of 4 tokens. A (8 + 5 tokens) grows to 3 blocks; B's prompt is one cacheable block.
    const s = scheduler({ kvCacheTokens: 16 });
    const b: Sequence = createSequence(1, 4, 3, prefix([6], [4]));
    s.enqueue(createSequence(0, 8, 5));
    s.enqueue(b);
    const chunks = drain(s);
    // Prompts first; A's third block takes the last free one, so B, needing its second, is preempted.
    // Back after A, it finds its prompt's block cached and computes only its sampled token, a
    // step like a decode: no prompt chunk is recomputed.
    expect(s.preemptions).toBe(1);
    expect(chunks).toEqual([
      [8, 0],
      [4, 0],
    ]);
    expect(s).toMatchObject({ cachedPromptTokens: 0, savedPrefillTokens: 4 });
    expect(b.generated).toBe(3);
  });

  it('is the scheduler it was without prefix caching when no prompt has a prefix', () => {
    const run = (prefixCaching: boolean) => {
      const s = scheduler({ kvCacheTokens: 24, maxNumBatchedTokens: 6, prefixCaching });
      for (let i = 0; i < 6; i++) s.enqueue(createSequence(i, 3 + ((i * 5) % 7), 2 + (i % 4)));
      const log: string[] = [];
      while (s.schedule()) {
        log.push(`${s.scheduled.map((q) => `${q.slot}:${q.scheduled}`)} ${s.usedBlocks}`);
        s.finishIteration();
      }
      return { log, preemptions: s.preemptions };
    };
    expect(run(true)).toEqual(run(false));
  });

  it('keeps its KV blocks conserved through any mix of shared prefixes, preemptions and evictions', () => {
    const request = fc.record({
      prompt: fc.integer({ min: 1, max: 40 }),
      output: fc.integer({ min: 1, max: 12 }),
      system: fc.integer({ min: 0, max: 3 }),
      shared: fc.integer({ min: 0, max: 40 }),
      arriveAfter: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 13, max: 40 }),
        fc.integer({ min: 4, max: 16 }),
        (requests, kvTokens, budget) => {
          const s = scheduler({ kvCacheTokens: kvTokens * 4, maxNumBatchedTokens: budget });
          let slot = 0;
          let finished = 0;
          const admit = () => {
            const r = requests[slot];
            const shared = Math.min(r.shared, r.prompt);
            const p = shared > 0 ? prefix([r.system], [shared]) : null;
            if (s.fits(r.prompt, r.output)) s.enqueue(createSequence(slot, r.prompt, r.output, p));
            else finished++;
            slot++;
          };
          for (let t = 0; t < 10_000 && finished < requests.length; t++) {
            while (slot < requests.length && requests[slot].arriveAfter <= t % 4) admit();
            if (slot < requests.length && !s.schedule()) {
              admit();
              continue;
            }
            if (slot >= requests.length && !s.schedule()) break;
            s.checkInvariants();
            s.finishIteration();
            s.checkInvariants();
            finished += s.finished.length;
          }
          expect(finished).toBe(requests.length);
          expect(s.usedBlocks).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers how much of a prompt it holds without changing what any later step does', () => {
    const request = fc.record({
      prompt: fc.integer({ min: 1, max: 40 }),
      output: fc.integer({ min: 1, max: 12 }),
      system: fc.integer({ min: 0, max: 3 }),
      shared: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 13, max: 40 }),
        (requests, kvTokens) => {
          // Twins fed alike; `probed` is asked, before every step, how much of every system
          // prompt it holds. It must plan and count exactly as `plain` does.
          const probed = scheduler({ kvCacheTokens: kvTokens * 4, maxNumBatchedTokens: 8 });
          const plain = scheduler({ kvCacheTokens: kvTokens * 4, maxNumBatchedTokens: 8 });
          const probe = () => {
            for (let system = 0; system < 4; system++) {
              for (const prompt of [5, 17, 41]) {
                const p = prefix([system], [40]);
                const tokens = probed.cachedPrefixTokens(p, 40, prompt);
                // What `lookup` (which the scheduler admits by) finds there, short of the last token.
                const limit = Math.min(10, Math.floor((prompt - 1) / 4));
                expect(tokens).toBe((plain.cache as PrefixCache).lookup(p, limit) * 4);
              }
            }
          };
          const state = (s: ContinuousScheduler) => [
            s.batch.prefill.map((c) => [c.tokens, c.pastTokens]),
            s.scheduled.map((q) => q.slot),
            s.cachedPromptTokens,
            s.savedPrefillTokens,
            s.cacheEvictions,
            s.cachedBlocks,
            s.usedBlocks,
            (s.cache as PrefixCache).evictable,
          ];
          for (const [slot, r] of requests.entries()) {
            const shared = Math.min(r.shared, r.prompt);
            for (const s of [probed, plain]) {
              const p = shared > 0 ? prefix([r.system], [shared]) : null;
              if (s.fits(r.prompt, r.output)) s.enqueue(createSequence(slot, r.prompt, r.output, p));
            }
            probe();
            const ran = probed.schedule();
            expect(plain.schedule()).toBe(ran);
            if (ran) {
              expect(state(probed)).toEqual(state(plain));
              probe();
              probed.finishIteration();
              plain.finishIteration();
              expect(state(probed)).toEqual(state(plain));
            }
          }
          for (let t = 0; t < 10_000; t++) {
            probe();
            const ran = probed.schedule();
            expect(plain.schedule()).toBe(ran);
            if (!ran) break;
            expect(state(probed)).toEqual(state(plain));
            probed.finishIteration();
            plain.finishIteration();
            probed.checkInvariants();
          }
          expect(state(probed)).toEqual(state(plain));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the host tier under the prefix cache', () => {
  // 10 bytes a token over 1,000 bytes/s plus 0.5 s: a load of n tokens takes n / 100 + 0.5 seconds.
  const hostTier = { blocks: 3, bytesPerToken: 10, bytesPerS: 1000, latencyS: 0.5 };

  /** Runs every iteration until nothing is left, checking the laws after each step; returns each iteration's load seconds. */
  function drainLoads(s: ContinuousScheduler): number[] {
    const loads: number[] = [];
    while (s.schedule()) {
      s.checkInvariants();
      loads.push(s.loadSeconds);
      s.finishIteration();
      s.checkInvariants();
    }
    return loads;
  }

  it('keeps evicted blocks in host memory, drops its oldest when full, and loads back what a prompt finds there', () => {
    // 4 blocks of 4 tokens in accelerator memory, 3 in host memory.
    const s = scheduler({ kvCacheTokens: 16, hostTier });
    s.enqueue(createSequence(0, 8, 1, prefix([1], [8])));
    s.enqueue(createSequence(1, 8, 1, prefix([2], [8])));
    drain(s);
    // Freed last blocks first: the eviction order is 1/1, 1/0, 2/1, 2/0.
    expect([s.freeBlocks, s.cache?.evictable]).toEqual([0, 4]);
    // 12 tokens without a prefix need 3 blocks: 1/1, 1/0 and 2/1 move to host memory, which is then full.
    s.enqueue(createSequence(2, 12, 1));
    drain(s);
    expect([s.cache?.evictions, s.cache?.hosted, s.cache?.hostEvictions]).toEqual([3, 3, 0]);
    // 16 tokens need all 4: 2/0 moves too, and host memory drops its oldest block, 1/1.
    s.enqueue(createSequence(3, 16, 1));
    drain(s);
    expect([s.cache?.evictions, s.cache?.hosted, s.cache?.hostEvictions]).toEqual([4, 3, 1]);
    // Prompt 1's start is in host memory, its second block gone: 4 tokens loaded (0.54 s), 8 prefilled.
    s.enqueue(createSequence(4, 12, 1, prefix([1], [8])));
    expect(drainLoads(s)).toEqual([4 / 100 + 0.5]);
    expect(s.cache?.hosted).toBe(2);
    // Both blocks of prompt 2 are there: 8 tokens loaded, the last computed.
    s.enqueue(createSequence(5, 9, 1, prefix([2], [8])));
    const loads: number[] = [];
    while (s.schedule()) {
      s.checkInvariants();
      loads.push(s.loadSeconds);
      expect(s.batch.prefill.map((c) => [c.tokens, c.pastTokens])).toEqual([[1, 8]]);
      s.finishIteration();
      s.checkInvariants();
    }
    expect(loads).toEqual([8 / 100 + 0.5]);
    // Loading 2 blocks and computing 1 took the 2 free blocks and evicted 1/1 (prompt 4 cached it again) to host memory.
    expect(s.hostTier).toEqual({
      cachedPromptTokens: 12,
      loadedTokens: 12,
      loadedBytes: 120,
      loadSeconds: 12 / 100 + 2 * 0.5,
      evictions: 1,
      blocks: 1,
    });
    expect(s.cachedPromptTokens).toBe(12);
  });

  it('takes a prefix partly from accelerator memory and partly from host memory, loading only the host part', () => {
    const s = scheduler({ kvCacheTokens: 12, hostTier: { ...hostTier, blocks: 4 } });
    s.enqueue(createSequence(0, 8, 1, prefix([1], [8])));
    drain(s);
    // Two prompts without a prefix push 1/1, then 1/0 out to host memory.
    s.enqueue(createSequence(1, 8, 1));
    drain(s);
    s.enqueue(createSequence(2, 12, 1));
    drain(s);
    expect(s.cache?.hosted).toBe(2);
    // A prompt sharing only block 0 loads it back; block 1 stays in host memory.
    s.enqueue(createSequence(3, 5, 1, prefix([1], [4])));
    expect(drainLoads(s)).toEqual([4 / 100 + 0.5]);
    expect([s.cache?.cached, s.cache?.hosted]).toEqual([1, 1]);
    // The whole prefix: block 0 in accelerator memory (no load), block 1 in host memory.
    s.enqueue(createSequence(4, 12, 1, prefix([1], [8])));
    expect(drainLoads(s)).toEqual([4 / 100 + 0.5]);
    expect([s.cache?.cached, s.cache?.hosted]).toEqual([2, 0]);
    expect(s.cachedPromptTokens).toBe(4 + 8);
  });

  it('drops the host copy of a block cached again in accelerator memory: no block is in both tiers', () => {
    const cache = new PrefixCache(4, 1);
    const p = prefix([1], [8]);
    const first = cache.holder();
    const second = cache.holder();
    cache.insert(p, 0, 1, first);
    cache.insert(p, 1, 2, second);
    // Freed in this order, 1/0 is evicted first; the one host block then holds 1/1.
    cache.release(first);
    cache.release(second);
    cache.evict();
    cache.evict();
    expect([cache.cached, cache.hosted, cache.hostEvictions]).toEqual([0, 1, 1]);
    expect(cache.lookup(p, 2)).toBe(0);
    // A sequence computes the prompt again: its blocks are cached, and host memory lets go of 1/1.
    const held = cache.holder();
    expect(cache.insert(p, 0, 2, held)).toBe(2);
    expect([cache.cached, cache.hosted]).toEqual([2, 0]);
    expect(cache.check(new Map(blocksOf(held).map((b) => [b, 1]))).law).toBeNull();
  });

  it('keys a block by its hash and position alone, whichever block of a hash was cached first', () => {
    const cache = new PrefixCache(4);
    // Hash 7 names tokens 0-15 of both prompts; the first names tokens 0-7 by hash 1 on the way, the
    // second does not, so it files blocks 0 and 1 under hash 7, before the first prompt's blocks 2 and 3.
    const split = prefix([1, 7], [8, 16]);
    const whole = prefix([7], [16]);
    const first = cache.holder();
    const second = cache.holder();
    expect(cache.insert(split, 2, 4, first)).toBe(2);
    expect(cache.cachedRun(whole, 4)).toBe(0);
    expect(cache.insert(whole, 0, 4, second)).toBe(2);
    expect([cache.cachedRun(whole, 4), cache.lookup(whole, 4), cache.cachedRun(split, 4)]).toEqual([4, 4, 0]);
    expect(cache.check(new Map([...blocksOf(first), ...blocksOf(second)].map((b) => [b, 1]))).law).toBeNull();
    // Freed in this order, they are evicted as blocks 1, 0, 3, 2, each leaving the others in place.
    cache.release(second);
    cache.release(first);
    const left = [0, 1, 2, 3].map(() => {
      cache.evict();
      return [cache.cachedRun(whole, 1), cache.cachedRun(whole, 4)];
    });
    expect(left).toEqual([
      [1, 1],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect([cache.cached, cache.check(new Map()).law]).toEqual([0, null]);
  });

  it('with room for everything in host memory, finds every prefix a cache that never evicts would', () => {
    const prompts = [
      [12, [3], [12]],
      [16, [4], [16]],
      [13, [3], [12]],
      [20, [5], [20]],
      [17, [4], [16]],
      [9, [3], [8]],
    ] as const;
    const run = (config: Partial<ContinuousConfig>) => {
      const s = scheduler(config);
      prompts.forEach(([tokens, hashes, ends], slot) => {
        s.enqueue(createSequence(slot, tokens, 1, prefix([...hashes], [...ends])));
        drain(s);
      });
      return s.cachedPromptTokens;
    };
    // The third, fifth and sixth prompts find every block before their last token: 12 of 13, 16 of 17, 8 of 9.
    expect(run({ kvCacheTokens: 1024 })).toBe(36);
    // 6 blocks of accelerator memory lose some of them; 24 blocks of host memory keep all 12 ever cached.
    expect(run({ kvCacheTokens: 24 })).toBeLessThan(36);
    expect(run({ kvCacheTokens: 24, hostTier: { ...hostTier, blocks: 24 } })).toBe(36);
  });

  it('keeps both tiers within their capacities and apart through any mix of shared prefixes, preemptions and evictions', () => {
    const request = fc.record({
      prompt: fc.integer({ min: 1, max: 40 }),
      output: fc.integer({ min: 1, max: 12 }),
      system: fc.integer({ min: 0, max: 3 }),
      shared: fc.integer({ min: 0, max: 40 }),
    });
    fc.assert(
      fc.property(
        fc.array(request, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 13, max: 40 }),
        fc.integer({ min: 4, max: 16 }),
        fc.integer({ min: 1, max: 12 }),
        (requests, kvTokens, budget, hostBlocks) => {
          const s = scheduler({
            kvCacheTokens: kvTokens * 4,
            maxNumBatchedTokens: budget,
            hostTier: { ...hostTier, blocks: hostBlocks },
          });
          let loadS = 0;
          requests.forEach((r, slot) => {
            const shared = Math.min(r.shared, r.prompt);
            const p = shared > 0 ? prefix([r.system], [shared]) : null;
            if (s.fits(r.prompt, r.output)) s.enqueue(createSequence(slot, r.prompt, r.output, p));
            // Two at a time, so that sequences contend for blocks and preempt each other.
            if (slot % 2 === 1 || slot === requests.length - 1) {
              while (s.schedule()) {
                s.checkInvariants();
                loadS += s.loadSeconds;
                s.finishIteration();
                s.checkInvariants();
              }
            }
          });
          expect(s.usedBlocks).toBe(0);
          const host = s.hostTier;
          expect(host?.blocks).toBeLessThanOrEqual(hostBlocks);
          // Every load is its tokens' bytes over the bandwidth plus one latency.
          expect(loadS).toBeCloseTo(host?.loadSeconds ?? Number.NaN, 9);
          const latencies = ((host?.loadSeconds ?? 0) - (host?.loadedTokens ?? 0) / 100) / 0.5;
          expect(Math.abs(latencies - Math.round(latencies))).toBeLessThan(1e-6);
          expect(host?.loadedBytes).toBe((host?.loadedTokens ?? 0) * 10);
        },
      ),
      { numRuns: 200 },
    );
  });
});
