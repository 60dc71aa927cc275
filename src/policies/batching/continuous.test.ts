import { describe, expect, it } from 'vitest';
import {
  type ContinuousConfig,
  ContinuousScheduler,
  createSequence,
  observeSchedulerSteps,
  type Sequence,
} from './continuous.js';

function scheduler(config: Partial<ContinuousConfig>): ContinuousScheduler {
  return new ContinuousScheduler({
    maxNumSeqs: 256,
    maxNumBatchedTokens: 2048,
    chunkedPrefill: true,
    blockSize: 4,
    kvCacheTokens: 64,
    ...config,
  });
}

/** One iteration: what ran (slot:tokens), as prefill chunks and decodes, then what it produced. */
function step(s: ContinuousScheduler) {
  if (!s.schedule()) return null;
  const plan = {
    ran: s.scheduled.map((q) => `${q.slot}:${q.scheduled}`),
    prefill: s.batch.prefill.map((c) => [c.tokens, c.pastTokens, c.completesPrompt]),
    decodes: s.batch.decodeSequences,
    decodeContext: s.batch.decodeContextTokens,
    admitted: s.newlyAdmitted.map((q) => q.slot),
    /** Tokens scheduled, of them prompt-chunk tokens, and of those the ones recomputing evicted work. */
    tokens: [s.scheduledTokens, s.prefillTokens, s.recomputeTokens],
  };
  s.finishIteration();
  return {
    ...plan,
    first: s.firstTokens.map((q) => q.slot),
    finished: s.finished.map((q) => q.slot),
    usedBlocks: s.usedBlocks,
  };
}

describe('continuous batching scheduler', () => {
  it('chunks a prompt by the token budget, then decodes one token per iteration', () => {
    const s = scheduler({ maxNumBatchedTokens: 4 });
    s.enqueue(createSequence(0, 5, 3));
    expect(step(s)).toEqual({
      ran: ['0:4'],
      prefill: [[4, 0, false]],
      decodes: 0,
      decodeContext: 0,
      admitted: [0],
      tokens: [4, 4, 0],
      first: [],
      finished: [],
      usedBlocks: 1,
    });
    expect(step(s)).toMatchObject({ ran: ['0:1'], prefill: [[1, 4, true]], first: [0], usedBlocks: 2 });
    expect(step(s)).toMatchObject({ ran: ['0:1'], prefill: [], decodes: 1, decodeContext: 5, usedBlocks: 2 });
    expect(step(s)).toMatchObject({ decodes: 1, decodeContext: 6, finished: [0], usedBlocks: 0 });
    expect(step(s)).toBeNull();
  });

  it('admits waiting requests while sequences and tokens last, running ones first', () => {
    const s = scheduler({ maxNumSeqs: 2, maxNumBatchedTokens: 4 });
    for (const slot of [0, 1, 2]) s.enqueue(createSequence(slot, 3, 2));
    expect(step(s)).toMatchObject({ ran: ['0:3', '1:1'], admitted: [0, 1], first: [0] });
    // 0 decodes (1 token), 1 finishes its prompt (2 tokens); 2 waits for a sequence slot.
    expect(step(s)).toMatchObject({ ran: ['0:1', '1:2'], admitted: [], first: [1], finished: [0] });
    expect(step(s)).toMatchObject({ ran: ['1:1', '2:3'], admitted: [2], first: [2], finished: [1] });
    expect(step(s)).toMatchObject({ ran: ['2:1'], finished: [2] });
    expect(s.waitingCount).toBe(0);
    expect(s.runningCount).toBe(0);
  });

  it('without chunked prefill runs a prompt whole or not at all', () => {
    const s = scheduler({ maxNumBatchedTokens: 8, chunkedPrefill: false });
    s.enqueue(createSequence(0, 6, 2));
    s.enqueue(createSequence(1, 6, 2));
    expect(step(s)).toMatchObject({ ran: ['0:6'], first: [0] });
    expect(step(s)).toMatchObject({ ran: ['0:1', '1:6'], finished: [0], first: [1] });
  });

  it('preempts the newest sequence when blocks run out, and recomputes it later', () => {
    // 2 blocks of 4 tokens; each request needs 2 blocks by its end, 1 after its prompt.
    const s = scheduler({ kvCacheTokens: 8 });
    const [a, b]: Sequence[] = [createSequence(0, 4, 3), createSequence(1, 4, 3)];
    s.enqueue(a);
    s.enqueue(b);
    expect(step(s)).toMatchObject({ ran: ['0:4', '1:4'], first: [0, 1], usedBlocks: 2 });
    // a needs a second block for token 5: b is evicted; nothing new is admitted in that iteration.
    expect(step(s)).toMatchObject({ ran: ['0:1'], decodes: 1, usedBlocks: 2 });
    expect(s.preemptions).toBe(1);
    expect(b).toMatchObject({ computed: 0, blocks: 0, generated: 1 });
    expect(s.waitingCount).toBe(1);
    // b must recompute 4 prompt + 1 generated tokens = 2 blocks: it waits until a frees them.
    expect(step(s)).toMatchObject({ ran: ['0:1'], finished: [0], usedBlocks: 0 });
    // 4 of its 5 tokens had been in the cache before: recompute; the generated token's is new.
    expect(step(s)).toMatchObject({
      ran: ['1:5'],
      prefill: [[5, 0, true]],
      tokens: [5, 5, 4],
      first: [],
      admitted: [],
    });
    expect(step(s)).toMatchObject({ ran: ['1:1'], decodeContext: 5, tokens: [1, 0, 0], finished: [1] });
    expect(b.generated).toBe(3);
  });

  it('counts as recompute only the chunks of a prompt a preemption evicted', () => {
    // 3 blocks of 4 tokens, 4 tokens per iteration.
    const s = scheduler({ kvCacheTokens: 12, maxNumBatchedTokens: 4 });
    const b = createSequence(1, 6, 1);
    s.enqueue(createSequence(0, 4, 4));
    s.enqueue(b);
    expect(step(s)).toMatchObject({ ran: ['0:4'], tokens: [4, 4, 0] });
    expect(step(s)).toMatchObject({ ran: ['0:1', '1:3'], tokens: [4, 3, 0], usedBlocks: 3 });
    // b's second chunk needs a block: b itself is evicted after 3 of its 6 prompt tokens.
    expect(step(s)).toMatchObject({ ran: ['0:1'], tokens: [1, 0, 0] });
    expect(b).toMatchObject({ computed: 0, computedBeforePreemption: 3 });
    expect(step(s)).toMatchObject({ ran: ['0:1', '1:3'], prefill: [[3, 0, false]], tokens: [4, 3, 3] });
    expect(step(s)).toMatchObject({
      ran: ['1:3'],
      prefill: [[3, 3, true]],
      tokens: [3, 3, 0],
      finished: [1],
    });
  });

  it('rejects what could never run and skips cancelled requests', () => {
    const s = scheduler({ kvCacheTokens: 16, maxNumBatchedTokens: 8, chunkedPrefill: false });
    expect(s.fits(10, 6)).toBe(false); // 16 tokens: KV fits, but recompute would need 15 > 8 at once
    expect(s.fits(4, 5)).toBe(true);
    const chunked = scheduler({ kvCacheTokens: 16 });
    expect(chunked.fits(10, 6)).toBe(true);
    expect(chunked.fits(10, 7)).toBe(false); // 17 tokens need 5 blocks of 4; the cache has 4

    const first = createSequence(0, 2, 1);
    s.enqueue(first);
    s.enqueue(createSequence(1, 2, 1));
    s.cancel(first);
    expect(s.waitingCount).toBe(1);
    expect(step(s)).toMatchObject({ ran: ['1:2'], first: [1], finished: [1] });
    expect(step(s)).toBeNull();
  });

  it('checks its KV-cache laws after every step it is watched, and names the one a corrupt state breaks', () => {
    const s = scheduler({ kvCacheTokens: 8 });
    const steps: string[] = [];
    observeSchedulerSteps((observed, step) => {
      observed.checkInvariants();
      steps.push(step);
    });
    try {
      s.enqueue(createSequence(0, 4, 3));
      s.enqueue(createSequence(1, 4, 3));
      // Through a preemption and the recompute, to the end: five iterations.
      while (step(s) !== null);
    } finally {
      observeSchedulerSteps(null);
    }
    expect(s.preemptions).toBe(1);
    expect(steps).toEqual([...Array(5).fill(['schedule', 'finish']).flat(), 'schedule']);
    s.enqueue(createSequence(2, 4, 3));
    s.schedule();
    s.freeBlocks--;
    expect(() => s.checkInvariants()).toThrow(
      'KV-cache scheduler: running sequences hold 1 blocks, which with the free ones is not the cache (total 2 blocks, 0 free, 1 running, 0 waiting, 1 preemptions)',
    );
  });
});
