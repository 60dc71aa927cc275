import { describe, expect, it } from 'vitest';
import { createStreams } from '../engine/index.js';
import { InvariantError } from '../scenario/types.js';
import { createStartupSampler, ReplicaTable, summarizeReplicas } from './index.js';

const S = 1e6;
const perSecond = { increment: 1, minimum: 60 };

/**
 * A: requested 0, ready 180, drained from 1000, gone 1030.4 s  -> 1030.4 s live, billed 1031 s
 * B: requested 100, cancelled while provisioning at 130 s       -> 30 s live, billed the 60 s minimum
 * C: requested 200, ready 300, still running at the end (2000 s) -> 1800 s
 * D: requested 500, ready 600, spot notice 700, reclaimed 820 s -> 320 s
 */
function fourReplicas(): ReplicaTable {
  const table = new ReplicaTable();
  const a = table.request(0);
  const b = table.request(100 * S);
  table.markReady(a, 180 * S);
  table.release(b, 130 * S, false);
  const c = table.request(200 * S);
  table.markReady(c, 300 * S);
  const d = table.request(500 * S);
  table.markReady(d, 600 * S);
  table.drain(d, 700 * S, true);
  table.release(d, 820 * S, true);
  table.drain(a, 1000 * S, false);
  table.release(a, 1030.4 * S, false);
  return table;
}

describe('replica lifecycle', () => {
  it('bills each replica from request to gone, per increment, at least the minimum', () => {
    // $3.60 an hour is $0.001 a second: 1031 + 60 + 1800 + 320 = 3211 billed seconds.
    const summary = summarizeReplicas(fourReplicas(), {
      endUs: 2000 * S,
      billing: perSecond,
      priceUsdPerHour: 3.6,
      busyReplicaSeconds: 1000,
      reservedReplicas: null,
    });
    expect(summary.costUsd).toBeCloseTo(3.211, 12);
    expect(summary.paidHours).toBeCloseTo(3211 / 3600, 12);
    expect(summary.idleHours).toBeCloseTo(2211 / 3600, 12);
    expect(summary.idleCostUsd).toBeCloseTo(2.211, 12);
    expect(summary.recomputeCostUsd).toBe(0);
    expect(summary).toMatchObject({ launched: 4, preempted: 1, peak: 3 });
    expect(summary.replicaHours).toBeCloseTo(3180.4 / 3600, 12);
    expect(summary.mean).toBeCloseTo(3180.4 / 2000, 12);
  });

  it('prices recomputed work at the same rate as any paid second', () => {
    // 3211 billed seconds for $3.211; 250 of the 1000 busy seconds redid thrown-away work.
    const summary = summarizeReplicas(fourReplicas(), {
      endUs: 2000 * S,
      billing: perSecond,
      priceUsdPerHour: 3.6,
      busyReplicaSeconds: 1000,
      recomputeReplicaSeconds: 250,
      reservedReplicas: null,
    });
    expect(summary.recomputeCostUsd).toBeCloseTo(0.25, 12);
    expect(summary.idleCostUsd).toBeCloseTo(2.211, 12);
  });

  it('bills hourly offerings by the started hour', () => {
    const summary = summarizeReplicas(fourReplicas(), {
      endUs: 2000 * S,
      billing: { increment: 3600, minimum: 3600 },
      priceUsdPerHour: 3.6,
      busyReplicaSeconds: 0,
      reservedReplicas: null,
    });
    expect(summary.costUsd).toBeCloseTo(4 * 3.6, 12);
  });

  it('bills reserved capacity for every started hour of the run, used or not', () => {
    const options = { billing: perSecond, priceUsdPerHour: 1.2, reservedReplicas: 3, endUs: 2.5 * 3600 * S };
    const idle = summarizeReplicas(new ReplicaTable(), { ...options, busyReplicaSeconds: 0 });
    const busy = summarizeReplicas(fourReplicas(), { ...options, busyReplicaSeconds: 3000 });
    expect(idle.costUsd).toBeCloseTo(3 * 3 * 1.2, 12);
    expect(busy.costUsd).toBe(idle.costUsd);
    expect(idle.idleHours).toBe(9);
    expect(busy.idleHours).toBeCloseTo(9 - 3000 / 3600, 12);
  });

  it('does not count a replica leaving as overlapping one arriving at the same instant', () => {
    const table = new ReplicaTable();
    const a = table.request(0);
    table.release(a, 10 * S, false);
    table.request(10 * S);
    const summary = summarizeReplicas(table, {
      endUs: 20 * S,
      billing: perSecond,
      priceUsdPerHour: 1,
      busyReplicaSeconds: 0,
      reservedReplicas: null,
    });
    expect(summary.peak).toBe(1);
  });

  it('counts replicas by state and rejects transitions out of order', () => {
    const table = new ReplicaTable();
    const a = table.request(0);
    const b = table.request(0);
    table.markReady(a, 5 * S);
    expect(table.counts()).toEqual({ ready: 1, provisioning: 1, draining: 0 });
    table.drain(a, 6 * S, false);
    expect(table.counts()).toEqual({ ready: 0, provisioning: 1, draining: 1 });
    expect(() => table.drain(b, 7 * S, false)).toThrow(InvariantError); // still provisioning
    expect(() => table.markReady(a, 7 * S)).toThrow(InvariantError);
    table.release(a, 8 * S, false);
    expect(() => table.release(a, 9 * S, false)).toThrow(InvariantError);
    expect([table.state(a), table.goneUs(a), table.drainingUs(a), table.readyUs(b)]).toEqual([
      'gone',
      8 * S,
      6 * S,
      Number.NaN,
    ]);
  });

  it('draws startup delays in whole microseconds from a duration or a distribution', () => {
    expect(createStartupSampler(90, createStreams(1).stream('startup/gpu'))()).toBe(90 * S);
    const draw = createStartupSampler(
      { kind: 'lognormal', mu: Math.log(180), sigma: 0.3 },
      createStreams(1).stream('startup/gpu'),
    );
    const delaysUs = Array.from({ length: 20_000 }, draw);
    expect(delaysUs.every(Number.isInteger)).toBe(true);
    const logs = delaysUs.map((us) => Math.log(us / S));
    const mean = logs.reduce((a, b) => a + b, 0) / logs.length;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (logs.length - 1));
    // ln(median) = ln 180 s within 4 standard errors (0.3 / sqrt(20000) = 0.0021), sigma within 2 %.
    expect(Math.abs(mean - Math.log(180))).toBeLessThan(0.0085);
    expect(Math.abs(sd - 0.3)).toBeLessThan(0.006);
  });
});
