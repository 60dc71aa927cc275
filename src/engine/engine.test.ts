import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { Engine } from './engine.js';
import { EventQueue } from './event-queue.js';
import { sampleExponential, sampleGamma, sampleLognormal } from './random.js';
import { createStreams } from './rng.js';

describe('EventQueue', () => {
  it('pops in (time, priority, insertion) order for any input', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ time: fc.integer({ min: 0, max: 20 }), priority: fc.integer({ min: 0, max: 3 }) }),
          {
            maxLength: 300,
          },
        ),
        (entries) => {
          const queue = new EventQueue(2);
          for (const [i, e] of entries.entries()) queue.push(e.time, e.priority, 0, i, 0);
          const popped: number[] = [];
          while (queue.pop()) popped.push(queue.poppedSlot);
          const expected = entries
            .map((e, i) => ({ ...e, i }))
            .sort((a, b) => a.time - b.time || a.priority - b.priority || a.i - b.i)
            .map((e) => e.i);
          expect(popped).toEqual(expected);
        },
      ),
    );
  });

  it('interleaved pushes and pops keep order', () => {
    const queue = new EventQueue(1);
    const uniform = createStreams(3).stream('heap');
    let now = 0;
    const seen: number[] = [];
    for (let i = 0; i < 5000; i++) {
      queue.push(now + Math.floor(uniform() * 100), 0, 0, i, 0);
      if (uniform() < 0.5 && queue.pop()) {
        now = queue.poppedTime;
        seen.push(now);
      }
    }
    while (queue.pop()) seen.push(queue.poppedTime);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]);
    expect(seen.length).toBe(5000);
  });
});

/** An engine whose handler calls `fn`, with one priority per kind. */
function engineWith(
  priorities: number[],
  fn: (kind: number, slot: number, gen: number, now: number) => void,
): Engine {
  return new Engine({ handle: fn }, priorities);
}

describe('Engine', () => {
  it('runs handlers by time, then priority, then FIFO, and never moves the clock back', () => {
    const log: string[] = [];
    const names = ['late-kind', 'early-kind'];
    const engine = engineWith([1, 0], (kind, slot, _gen, now) => log.push(`${names[kind]} ${slot}@${now}`));
    engine.at(10, 0, 1);
    engine.at(10, 1, 2);
    engine.at(5, 0, 3);
    engine.at(10, 0, 4);
    const outcome = engine.run();
    expect(log).toEqual(['late-kind 3@5', 'early-kind 2@10', 'late-kind 1@10', 'late-kind 4@10']);
    expect(outcome).toEqual({ events: 4, endUs: 10, pending: false, stopped: false });
  });

  it('orders the lane event among heap events exactly as if it had been scheduled with at()', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            time: fc.integer({ min: 0, max: 6 }),
            kind: fc.integer({ min: 0, max: 2 }),
            lane: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (plan) => {
          const trace = (useLane: boolean) => {
            const log: string[] = [];
            let step = 0;
            // A chain: each chain event schedules the next planned one (so at most one is pending, as
            // the lane requires) plus a heap-only side event at the same time to tie with it.
            const engine = engineWith([2, 0, 1], (kind, slot, _gen, now) => {
              log.push(`${kind}:${slot}@${now}`);
              if (slot < 0) return;
              const next = plan[step++];
              if (next === undefined) return;
              if (useLane && next.lane) engine.atLane(now + next.time, next.kind, step);
              else engine.at(now + next.time, next.kind, step);
              engine.at(now + next.time, (next.kind + 1) % 3, -step);
            });
            engine.at(0, 0, 0);
            engine.run();
            return log;
          };
          expect(trace(true)).toEqual(trace(false));
        },
      ),
    );
  });

  it('counts a pending lane event and stops before one after untilUs', () => {
    const handled: number[] = [];
    const engine = engineWith([0], (_kind, slot) => handled.push(slot));
    engine.atLane(20, 0, 7);
    engine.at(5, 0, 1);
    expect(engine.run(10)).toEqual({ events: 1, endUs: 5, pending: true, stopped: false });
    expect(engine.pendingEvents).toBe(1);
    expect(engine.run()).toEqual({ events: 1, endUs: 20, pending: false, stopped: false });
    expect(handled).toEqual([1, 7]);
  });

  it('passes the generation so handlers can drop stale events', () => {
    const currentGen = [0];
    const fired: number[] = [];
    const engine = engineWith([0], (_kind, slot, gen) => {
      if (gen === currentGen[slot]) fired.push(gen);
    });
    engine.at(1, 0, 0, 0);
    currentGen[0] = 1;
    engine.at(2, 0, 0, 1);
    engine.run();
    expect(fired).toEqual([1]);
  });

  it('stops at untilUs and reports pending events', () => {
    let handled = 0;
    const engine = engineWith([0], () => handled++);
    engine.at(5, 0, 0);
    engine.at(50, 0, 0);
    expect(engine.run(10)).toEqual({ events: 1, endUs: 5, pending: true, stopped: false });
    expect(handled).toBe(1);
  });

  it('says when stop() ended a run, and the next run goes on from there', () => {
    const engine: Engine = engineWith([0], (_kind, _slot, _gen, now) => {
      if (now === 2) engine.stop();
    });
    for (const t of [1, 2, 3]) engine.at(t, 0, 0);
    expect(engine.run()).toEqual({ events: 2, endUs: 2, pending: true, stopped: true });
    expect(engine.run()).toEqual({ events: 1, endUs: 3, pending: false, stopped: false });
  });

  it('handles at most maxEvents per run, and runs in slices handle the very events of one run, in order', () => {
    const trace = (budget: number) => {
      const log: string[] = [];
      let left = 40;
      // Each event schedules the next on the lane and a tie on the heap, until 40 are scheduled.
      const engine: Engine = engineWith([1, 0], (kind, slot, _gen, now) => {
        log.push(`${kind}:${slot}@${now}`);
        if (kind === 0 && left-- > 0) {
          engine.atLane(now + (slot % 3), 0, slot + 1);
          engine.at(now + (slot % 3), 1, slot);
        }
      });
      engine.at(0, 0, 0);
      const sizes: number[] = [];
      for (;;) {
        const outcome = engine.run(Number.POSITIVE_INFINITY, budget);
        sizes.push(outcome.events);
        expect(outcome.events).toBeLessThanOrEqual(budget);
        if (!outcome.pending) break;
        expect(engine.nextEventUs).toBeGreaterThanOrEqual(engine.now);
      }
      return { log, sizes };
    };
    const whole = trace(Number.POSITIVE_INFINITY);
    expect(whole.log).toHaveLength(81);
    const sliced = trace(7);
    expect(sliced.log).toEqual(whole.log);
    expect(sliced.sizes).toEqual([...Array(11).fill(7), 4]);
    const engine = engineWith([0], () => {});
    expect(engine.nextEventUs).toBe(Number.POSITIVE_INFINITY);
    engine.at(9, 0, 0);
    engine.atLane(4, 0, 0);
    expect(engine.nextEventUs).toBe(4);
    expect(engine.run(Number.POSITIVE_INFINITY, 0)).toEqual({
      events: 0,
      endUs: 0,
      pending: true,
      stopped: false,
    });
  });

  it('refuses to schedule in the past, at no time, or a kind without a priority', () => {
    const engine: Engine = engineWith([0], () => expect(() => engine.at(1, 0, 0)).toThrow(/clock is at 5/));
    engine.at(5, 0, 0);
    engine.run();
    expect(() => engine.at(Number.NaN, 0, 0)).toThrow(/cannot schedule at NaN/);
    expect(() => engine.atLane(Number.NaN, 0, 0)).toThrow(/cannot schedule at NaN/);
    for (const kind of [1, -1, 0.5]) {
      expect(() => engine.at(6, kind, 0)).toThrow(/no priority/);
      expect(() => engine.atLane(6, kind, 0)).toThrow(/no priority/);
    }
    expect(engine.pendingEvents).toBe(0);
    expect(() => engineWith([256], () => {})).toThrow(/0\.\.255/);
  });
});

describe('random streams', () => {
  it('a stream depends only on the seed and its name', () => {
    const a = createStreams(7);
    const b = createStreams(7);
    const first = a.stream('arrivals');
    b.stream('service/gpu')();
    const again = b.stream('arrivals');
    for (let i = 0; i < 100; i++) expect(again()).toBe(first());
    expect(createStreams(8).stream('arrivals')()).not.toBe(createStreams(7).stream('arrivals')());
  });

  it("draws seedrandom's own tychei sequence for the stream's seed and name", () => {
    for (const [seed, name] of [
      [7, 'arrivals'],
      [0, 'service/gpu'],
      [2 ** 31 + 5, 'fleet/edge/interruptions'],
    ] as const) {
      const stream = createStreams(seed).stream(name);
      const reference = seedrandom.tychei(`${seed}\u0000${name}`);
      // Past several of the stream's refills of 256 values.
      for (let i = 0; i < 1000; i++) expect(stream()).toBe(reference());
    }
  });

  it('exponential draws fit the exponential distribution, bin by bin and in the far tail', () => {
    // The ziggurat samples each of its 256 layers differently (rectangle, wedge, tail), so a
    // wrong table shows as a local excess or shortage: 1,000 equiprobable bins find it where
    // moments would not. Chi-square with 999 degrees of freedom: mean 999, sd 44.7.
    const uniform = createStreams(5).stream('ziggurat');
    const n = 2_000_000;
    const bins = 1000;
    const counts = new Float64Array(bins);
    let beyondTailStart = 0;
    let beyondTen = 0;
    for (let i = 0; i < n; i++) {
      const x = sampleExponential(uniform, 1);
      counts[Math.min(bins - 1, Math.floor((1 - Math.exp(-x)) * bins))]++;
      if (x > 7.697117470131487) beyondTailStart++;
      if (x > 10) beyondTen++;
    }
    const expected = n / bins;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(999 + 4.5 * 44.7);
    const withinBinomial = (count: number, p: number) =>
      Math.abs(count - n * p) < 4.5 * Math.sqrt(n * p * (1 - p));
    expect(withinBinomial(beyondTailStart, Math.exp(-7.697117470131487))).toBe(true);
    expect(withinBinomial(beyondTen, Math.exp(-10))).toBe(true);
  });

  it('samplers have the requested moments', () => {
    const uniform = createStreams(11).stream('moments');
    const n = 200_000;
    const moments = (draw: () => number) => {
      let sum = 0;
      let sumSq = 0;
      for (let i = 0; i < n; i++) {
        const x = draw();
        sum += x;
        sumSq += x * x;
      }
      const mean = sum / n;
      return { mean, cv: Math.sqrt(sumSq / n - mean * mean) / mean };
    };
    const exp = moments(() => sampleExponential(uniform, 2));
    expect(exp.mean).toBeCloseTo(2, 1);
    expect(exp.cv).toBeCloseTo(1, 1);
    for (const cv of [0.5, 2]) {
      const shape = 1 / cv ** 2;
      const gamma = moments(() => sampleGamma(uniform, shape, 3 / shape));
      expect(Math.abs(gamma.mean / 3 - 1)).toBeLessThan(0.02);
      expect(Math.abs(gamma.cv / cv - 1)).toBeLessThan(0.03);
    }
    const sigma = 0.5;
    const logn = moments(() => sampleLognormal(uniform, 0, sigma));
    expect(Math.abs(logn.mean / Math.exp(sigma ** 2 / 2) - 1)).toBeLessThan(0.01);
    expect(Math.abs(logn.cv / Math.sqrt(Math.exp(sigma ** 2) - 1) - 1)).toBeLessThan(0.03);
  });
});
