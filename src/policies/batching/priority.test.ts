import { describe, expect, it } from 'vitest';
import { type ContinuousConfig, ContinuousScheduler, createSequence } from './continuous.js';

function scheduler(config: Partial<ContinuousConfig>): ContinuousScheduler {
  return new ContinuousScheduler({
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    chunkedPrefill: true,
    blockSize: 4,
    kvCacheTokens: 64,
    levels: 2,
    ...config,
  });
}

/** One iteration: what ran (slot:tokens), what was admitted, what finished. */
function step(s: ContinuousScheduler) {
  if (!s.schedule()) return null;
  const plan = {
    ran: s.scheduled.map((q) => `${q.slot}:${q.scheduled}`),
    admitted: s.newlyAdmitted.map((q) => q.slot),
    tokens: [s.scheduledTokens, s.prefillTokens, s.recomputeTokens],
  };
  s.finishIteration();
  s.checkInvariants();
  return { ...plan, finished: s.finished.map((q) => q.slot) };
}

describe('continuous batching scheduler with priority levels', () => {
  it('admits the higher level first, first come first served within a level', () => {
    // One sequence at a time; each prompt of 3 tokens is one iteration and yields its only token.
    const s = scheduler({ maxNumSeqs: 1 });
    s.enqueue(createSequence(0, 3, 1, null, 0));
    s.enqueue(createSequence(1, 3, 1, null, 1));
    s.enqueue(createSequence(2, 3, 1, null, 1));
    s.enqueue(createSequence(3, 3, 1, null, 0));
    const order = [];
    for (let r = step(s); r !== null; r = step(s)) order.push(...r.finished);
    expect(order).toEqual([1, 2, 0, 3]);
  });

  it('keeps running sequences in level order, so a KV-cache preemption evicts the lowest level', () => {
    // 4 blocks of 4 tokens. A low sequence (slot 0) and then a high one (slot 1) each prefill 4
    // tokens (1 block); each decode past 8 tokens needs a block more.
    const s = scheduler({ kvCacheTokens: 16, maxNumBatchedTokens: 8 });
    s.enqueue(createSequence(0, 4, 20, null, 0));
    expect(step(s)).toMatchObject({ ran: ['0:4'] });
    s.enqueue(createSequence(1, 4, 20, null, 1));
    // The high one is admitted behind the running low one, and runs ahead of it from then on.
    expect(step(s)).toMatchObject({ ran: ['0:1', '1:4'], admitted: [1] });
    expect(step(s)).toMatchObject({ ran: ['1:1', '0:1'] });
    // All 4 blocks are in use (2 each); when the high one needs a third for its 9th token, the
    // low one is preempted for it (it is at the back), not the high one.
    expect(step(s)).toMatchObject({ ran: ['1:1', '0:1'] });
    expect(step(s)).toMatchObject({ ran: ['1:1', '0:1'] });
    expect(s.preemptions).toBe(0);
    expect(step(s)).toMatchObject({ ran: ['1:1'] });
    expect(s.preemptions).toBe(1);
    // For KV-cache blocks, not for priority: a preemption the warning words that way.
    expect(s.priorityPreemptions).toBe(0);
  });

  const kvStarved = (preemptForPriority: boolean) => {
    // 4 blocks of 4 tokens. A low sequence prefills 12 tokens (3 blocks) and samples its first
    // token; then a high one arrives needing 2 blocks for its 8-token prompt, with 1 left.
    const s = scheduler({ kvCacheTokens: 16, preemptForPriority });
    s.enqueue(createSequence(0, 12, 3, null, 0));
    expect(step(s)).toMatchObject({ ran: ['0:12'], admitted: [0] });
    s.enqueue(createSequence(1, 8, 1, null, 1));
    return s;
  };

  it('without preempt_for_priority, a waiting high sequence waits for KV blocks a low one holds', () => {
    const s = kvStarved(false);
    // The low one decodes its 13th token into the last free block; the high one does not fit.
    expect(step(s)).toMatchObject({ ran: ['0:1'], admitted: [], finished: [] });
    expect(step(s)).toMatchObject({ ran: ['0:1'], finished: [0] });
    expect(step(s)).toMatchObject({ ran: ['1:8'], admitted: [1], finished: [1] });
    expect(s.preemptions).toBe(0);
  });

  it('with preempt_for_priority, it preempts the low one, which recomputes after', () => {
    const s = kvStarved(true);
    // The low one frees its 3 blocks (4 free): the high one prefills its 8 tokens in 2 and finishes;
    // the low one, 13 tokens to recompute (4 blocks), does not fit beside it this iteration.
    expect(step(s)).toMatchObject({ ran: ['1:8'], admitted: [1], finished: [1] });
    expect(s.preemptions).toBe(1);
    // It recomputes its 12 prompt tokens and its sampled one (12 of them computed before).
    expect(step(s)).toMatchObject({ ran: ['0:13'], admitted: [], tokens: [13, 13, 12] });
    expect(step(s)).toMatchObject({ ran: ['0:1'], finished: [0] });
  });

  it('with preempt_for_priority, a waiting high sequence takes a busy sequence slot from a low one', () => {
    const run = (preemptForPriority: boolean) => {
      const s = scheduler({ maxNumSeqs: 1, preemptForPriority });
      s.enqueue(createSequence(0, 4, 3, null, 0));
      step(s);
      s.enqueue(createSequence(1, 4, 1, null, 1));
      const finished = [];
      for (let r = step(s); r !== null; r = step(s)) finished.push(...r.finished);
      return { finished, preemptions: s.preemptions, forPriority: s.priorityPreemptions };
    };
    expect(run(false)).toEqual({ finished: [0, 1], preemptions: 0, forPriority: 0 });
    expect(run(true)).toEqual({ finished: [1, 0], preemptions: 1, forPriority: 1 });
  });

  it('never preempts a sequence of the same level or above', () => {
    const s = scheduler({ maxNumSeqs: 1, preemptForPriority: true });
    s.enqueue(createSequence(0, 4, 3, null, 1));
    step(s);
    s.enqueue(createSequence(1, 4, 1, null, 1));
    expect(step(s)).toMatchObject({ ran: ['0:1'] });
    expect(s.preemptions).toBe(0);
  });

  it('evicts the newest waiting sequence of the lowest level below the one asked for', () => {
    const s = scheduler({ maxNumSeqs: 1, levels: 3 });
    s.enqueue(createSequence(0, 4, 1, null, 0));
    s.enqueue(createSequence(1, 4, 1, null, 1));
    s.enqueue(createSequence(2, 4, 1, null, 0));
    s.enqueue(createSequence(3, 4, 1, null, 2));
    expect(s.evictBelow(0)).toBeNull();
    expect(s.evictBelow(2)?.slot).toBe(2);
    expect(s.evictBelow(2)?.slot).toBe(0);
    expect(s.evictBelow(2)?.slot).toBe(1);
    expect(s.evictBelow(2)).toBeNull();
    expect(s.waitingCount).toBe(1);
    s.checkInvariants();
  });
});
