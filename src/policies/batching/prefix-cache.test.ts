import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ContinuousConfig, ContinuousScheduler, createSequence, type Sequence } from './continuous.js';
import type { PrefixCache, SequencePrefix } from './prefix-cache.js';

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
