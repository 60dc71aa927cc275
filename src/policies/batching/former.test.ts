import { describe, expect, it } from 'vitest';
import { dynamicBatching } from './dynamic.js';
import { FifoBatchFormer, type WaitingQueue } from './former.js';
import { staticBatching } from './static.js';

/** A queue of request ids 10, 11, ... arriving at the given times (microseconds), oldest first. */
function queue(arrivalsUs: number[]): WaitingQueue {
  let at = 0;
  return {
    length: arrivalsUs.length,
    first: () => {
      at = 0;
      return 10;
    },
    next: () => (++at < arrivalsUs.length ? 10 + at : -1),
    arrivalUs: (id) => arrivalsUs[id - 10],
    attribute: () => 0,
  };
}

function formed(former: FifoBatchFormer, q: WaitingQueue, nowUs: number): number[] {
  const size = former.form(q, nowUs);
  return Array.from(former.batch.subarray(0, size));
}

describe('FifoBatchFormer', () => {
  it('starts the oldest requests, as many as static batching allows, and waits for the rest', () => {
    const former = new FifoBatchFormer(staticBatching(4, 50));
    expect(formed(former, queue([0, 5, 7, 9, 12, 20]), 30)).toEqual([10, 11, 12, 13]);
    // Two waiting, the oldest for 20 us of 50: wait, and ask again when it has waited 50.
    const two = queue([10, 25]);
    expect(formed(former, two, 30)).toEqual([]);
    expect(former.recheckAtUs(two)).toBe(60);
    expect(formed(former, two, 60)).toEqual([10, 11]);
  });

  it("takes dynamic batching's largest preferred size the queue has reached", () => {
    const former = new FifoBatchFormer(dynamicBatching(8, 100, [2, 4]));
    expect(formed(former, queue([0, 1, 2, 3, 4]), 10)).toEqual([10, 11, 12, 13]);
    expect(formed(former, queue([0]), 10)).toEqual([]);
    expect(formed(former, queue([0]), 100)).toEqual([10]);
  });

  it('asks again never when the policy waits only for arrivals', () => {
    const former = new FifoBatchFormer(staticBatching(4, Number.POSITIVE_INFINITY));
    const three = queue([0, 1, 2]);
    expect(formed(former, three, 1e9)).toEqual([]);
    expect(former.recheckAtUs(three)).toBe(Number.POSITIVE_INFINITY);
  });

  it('grows its batch for a policy that starts more than it has room for', () => {
    const former = new FifoBatchFormer(staticBatching(40, 0));
    const ids = formed(former, queue(Array.from({ length: 40 }, (_, i) => i)), 100);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => 10 + i));
  });
});
