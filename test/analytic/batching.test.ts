import { beforeAll, describe, expect, it } from 'vitest';
import { loadMath } from '../../src/scenario/expression.js';
import type { Batching, Scenario } from '../../src/scenario/types.js';
import { simulate } from '../../src/sim/index.js';
import { makeScenario } from '../helpers/scenario.js';

beforeAll(() => loadMath());

/** One replica batching a Poisson stream, with batch latency a + k * b seconds. */
function batchScenario(
  rate: number,
  batching: Batching,
  a: number,
  k: number,
  extra: Partial<Scenario> = {},
) {
  return makeScenario(
    {
      duration: 2000,
      workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: rate } }, attributes: {} },
      ...extra,
    },
    {
      serviceTime: null,
      batching,
      batchLatency: { kind: 'expression', source: `${a}s + ${k}s * b` },
      queue: { capacity: 200, timeout: null },
    },
  );
}

describe('batching against theory', () => {
  for (const batching of [
    { policy: 'static', maxBatch: 8, maxWait: null },
    { policy: 'dynamic', maxBatch: 8, maxQueueDelay: 0.005, preferredBatchSizes: [] },
  ] satisfies Batching[]) {
    it(`${batching.policy}: under overload, throughput converges to B / (a + k B)`, () => {
      const a = 0.02;
      const k = 0.005;
      const capacity = 8 / (a + k * 8);
      // Twice the capacity arrives; the queue is bounded, so the excess is dropped and the
      // batcher always finds a full batch.
      const result = simulate(batchScenario(2 * capacity, batching, a, k, { warmup: 100, maxDrain: 0 }));
      expect(result.requests.dropped).toBeGreaterThan(0);
      expect(Math.abs(result.throughput_rps / capacity - 1)).toBeLessThan(0.01);
      expect(result.utilization.servers).toBeGreaterThan(0.99);
    });
  }

  it('dynamic: under light load a request waits at most max_queue_delay for its batch to start', () => {
    const delay = 0.02;
    const result = simulate(
      batchScenario(
        2,
        { policy: 'dynamic', maxBatch: 16, maxQueueDelay: delay, preferredBatchSizes: [] },
        0.004,
        0.001,
      ),
    );
    const wait = result.queue_wait_s;
    // Batches last at most a + k * 16 = 20 ms, so a request can also wait for a running batch:
    // the bound is the delay plus one batch.
    expect(wait.max!).toBeLessThanOrEqual(delay + 0.02 + 1e-6);
    expect(wait.mean!).toBeLessThanOrEqual(delay);
    // Most requests are alone in their window and wait the whole delay (±1 us rounding).
    expect(wait.p50!).toBeGreaterThan(delay * 0.95);
    expect(wait.p50!).toBeLessThanOrEqual(delay * 1.01);
  });

  it('dynamic: a preferred batch size starts at once, without waiting for the delay', () => {
    const result = simulate(
      batchScenario(
        1000,
        { policy: 'dynamic', maxBatch: 64, maxQueueDelay: 10, preferredBatchSizes: [2] },
        0.0001,
        0,
        { duration: 10 },
      ),
    );
    // At 1000 req/s a pair forms within a few ms; a 10 s delay is never reached, except by the
    // last arrival when it has no partner: it waits out the delay, as Triton would.
    expect(result.queue_wait_s.p999!).toBeLessThan(0.1);
    expect(result.queue_wait_s.max!).toBeLessThanOrEqual(10 + 1e-6);
    // The others wait for their partner, 0.5 ms on average: all waits together stay far below
    // what a second request waiting out the delay would add.
    expect(result.queue_wait_s.mean! * result.requests.completed).toBeLessThan(10 + 10);
    expect(result.requests.completed).toBe(result.requests.arrived);
  });

  it('static without max_wait holds a partial batch until it fills', () => {
    const result = simulate(
      batchScenario(1, { policy: 'static', maxBatch: 4, maxWait: null }, 0.01, 0, {
        duration: 9.5,
        workload: { arrivals: { kind: 'constant', rate: 1 }, attributes: {} },
        maxDrain: 100,
      }),
    );
    // Arrivals at 1..9 s: two batches of four start at 4 s and 8 s; the ninth never runs.
    expect(result.requests.completed).toBe(8);
    expect(result.requests.in_flight_at_end).toBe(1);
    expect(result.queue_wait_s.max).toBeCloseTo(3, 6);
  });

  it('requests are conserved with timeouts and drops', () => {
    const result = simulate(
      makeScenario(
        { duration: 300, workload: { arrivals: { kind: 'gamma', rate: 300, cv: 3 }, attributes: {} } },
        {
          replicas: 2,
          concurrency: 2,
          serviceTime: null,
          batching: { policy: 'dynamic', maxBatch: 6, maxQueueDelay: 0.01, preferredBatchSizes: [4] },
          batchLatency: {
            kind: 'table',
            points: [
              { batch: 1, seconds: 0.02 },
              { batch: 6, seconds: 0.09 },
            ],
          },
          queue: { capacity: 20, timeout: 0.3 },
        },
      ),
    );
    const r = result.requests;
    expect(r.timed_out + r.dropped).toBeGreaterThan(0);
    const { count, sizes, mean_size } = result.batches.servers;
    expect(Math.max(...Object.keys(sizes).map(Number))).toBeLessThanOrEqual(6);
    expect(Object.values(sizes).reduce((a, b) => a + b, 0)).toBe(count);
    expect(mean_size).toBeGreaterThan(1);
    expect(r.arrived).toBe(r.completed + r.dropped + r.timed_out + r.in_flight_at_end);
  });
});
