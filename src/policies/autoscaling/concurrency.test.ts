import { describe, expect, it } from 'vitest';
import { createConcurrency } from './concurrency.js';
import { CONCURRENCY_DEFAULTS, type ConcurrencyConfig, type MetricSample } from './index.js';

const S = 1e6;

function config(overrides: Partial<ConcurrencyConfig>): ConcurrencyConfig {
  return { policy: 'concurrency', target: 10, ...CONCURRENCY_DEFAULTS, ...overrides };
}

function sample(timeS: number, readyReplicas: number, concurrency: number, requestRateRps = 0): MetricSample {
  return {
    timeUs: timeS * S,
    readyReplicas,
    concurrency,
    utilization: 0,
    requestRateRps,
    queueLength: 0,
    kvCacheUtilization: null,
  };
}

/**
 * Scrapes every second and decides every 2 s, as Knative does; replicas are ready as soon as
 * they are wanted, so each decision's count is the next one's ready count. `load(t)` is the
 * fleet's in-flight requests during second (t - 1, t].
 */
function run(
  kpa: ReturnType<typeof createConcurrency>,
  start: number,
  untilS: number,
  load: (tS: number) => number,
) {
  let replicas = start;
  const seen = new Map<number, number>();
  for (let t = 1; t <= untilS; t++) {
    kpa.observe(sample(t, replicas, load(t)));
    if (t % 2 === 0) {
      replicas = kpa.desiredReplicas(t * S, { ready: replicas, provisioning: 0, draining: 0 });
      seen.set(t, replicas);
    }
  }
  return seen;
}

describe('concurrency (Knative KPA)', () => {
  it('scrapes every 1 s and decides every 2 s by default (Knative)', () => {
    const defaults = createConcurrency(config({}), { min: 1, max: 10 });
    expect([defaults.scrapeIntervalUs, defaults.evaluationPeriodUs]).toEqual([1 * S, 2 * S]);
  });

  // target_utilization 1 makes the effective target 10 in-flight requests per replica.
  const kpa = () => createConcurrency(config({ target_utilization: 1 }), { min: 0, max: 100 });
  // 10 in flight for a minute, a surge to 100 for a minute, then nothing.
  const surge = (t: number) => (t <= 60 ? 10 : t <= 120 ? 100 : t >= 215 ? 5 : 0);

  it('with a scale-down delay, holds the highest count wanted within it', () => {
    // 50 in flight, then 20 from t = 100 s: without a delay the stable window brings 5 down to 2
    // as soon as its average falls; with a 30 s delay every count stays at least the highest
    // wanted in the 30 s before.
    const load = (t: number) => (t <= 100 ? 50 : 20);
    const plain = run(
      createConcurrency(config({ target_utilization: 1 }), { min: 0, max: 100 }),
      5,
      240,
      load,
    );
    const delayed = run(
      createConcurrency(config({ target_utilization: 1, scale_down_delay: 30 }), { min: 0, max: 100 }),
      5,
      240,
      load,
    );
    const times = [...plain.keys()];
    const firstDrop = times.find((t) => (plain.get(t) ?? 0) < 5) as number;
    expect(firstDrop).toBeGreaterThan(100);
    for (const t of times) {
      const wantedWithin = times.filter((u) => u > t - 30 && u <= t).map((u) => plain.get(u) ?? 0);
      if (t > 30) expect(delayed.get(t), `t = ${t}`).toBe(Math.max(...wantedWithin));
    }
    expect(delayed.get(firstDrop)).toBe(5);
    expect(delayed.get(240)).toBe(2);
  });

  it('enters panic when the 6 s window wants twice the ready replicas', () => {
    const seen = run(kpa(), 1, 240, surge);
    expect(seen.get(60)).toBe(1);
    // t = 62: panic window (56, 62] averages (4 * 10 + 2 * 100) / 6 = 40 -> 4 pods = 4x ready.
    // The stable window wants only ceil(780 / 60 / 10) = 2; panic takes the larger.
    expect(seen.get(62)).toBe(4);
    // t = 64: panic wants ceil(420 / 6 / 10) = 7 (below the threshold: 7 / 4 < 2, still in panic).
    expect(seen.get(64)).toBe(7);
    expect(seen.get(66)).toBe(10);
  });

  it('never scales down in panic, and leaves it a stable window after the last breach', () => {
    // A 10 s burst: panic from t = 62, when 10 replicas are reached by t = 66. The burst is over
    // at t = 70, and from then on both windows want fewer (the stable one at most 3), yet the
    // count holds until the first tick after 62 + 60 s.
    const seen = run(kpa(), 1, 130, (t) => (t > 60 && t <= 70 ? 100 : 10));
    for (let t = 66; t <= 122; t += 2) expect(seen.get(t), `t = ${t}`).toBe(10);
    // t = 124: the stable window (64, 124] averages (6 * 100 + 54 * 10) / 60 = 19 -> 2 replicas,
    // but one decision removes at most half of 10.
    expect(seen.get(124)).toBe(5);
  });

  it('after panic, follows the stable window down at most by half per decision', () => {
    const seen = run(kpa(), 1, 240, surge);
    // From t = 124 the stable window (t - 60, t] holds 180 - t seconds at 100: ceil((180 - t) / 6) pods.
    for (let t = 124; t <= 178; t += 2) expect(seen.get(t), `t = ${t}`).toBe(Math.ceil((180 - t) / 6));
  });

  it('scales to zero 30 s after the stable average reaches 0, and back to one on held requests', () => {
    const seen = run(kpa(), 1, 240, surge);
    // The stable window is empty of traffic from t = 180; the last replica stays for the grace period.
    for (let t = 180; t <= 208; t += 2) expect(seen.get(t), `t = ${t}`).toBe(1);
    expect(seen.get(210)).toBe(0);
    expect(seen.get(214)).toBe(0);
    // Requests held by the activator from t = 215 count as concurrency: one replica.
    expect(seen.get(216)).toBe(1);
  });

  it('limits one decision to 1000x the ready replicas up and to half of them down', () => {
    const up = createConcurrency(config({ target_utilization: 1, max_scale_up_rate: 3 }), {
      min: 0,
      max: 100,
    });
    up.observe(sample(1, 2, 500));
    expect(up.desiredReplicas(2 * S, { ready: 2, provisioning: 0, draining: 0 })).toBe(6);
    const down = createConcurrency(config({ target_utilization: 1 }), { min: 0, max: 100 });
    down.observe(sample(1, 1, 0));
    down.observe(sample(2, 1, 0));
    // Nine ready replicas with no traffic: floor(9 / 2) = 4 (the first decision does not panic at 1 ready).
    expect(down.desiredReplicas(2 * S, { ready: 1, provisioning: 0, draining: 0 })).toBe(1);
    expect(down.desiredReplicas(4 * S, { ready: 9, provisioning: 0, draining: 0 })).toBe(4);
  });

  it('starts in panic above one ready replica and holds them for a stable window', () => {
    const seen = run(kpa(), 4, 70, () => 0);
    for (let t = 2; t <= 62; t += 2) expect(seen.get(t), `t = ${t}`).toBe(4);
    expect([seen.get(64), seen.get(66)]).toEqual([2, 1]);
  });

  it('aims at 70 % of the target by default, on concurrency or on requests per second', () => {
    const decide = (overrides: Partial<ConcurrencyConfig>, concurrency: number, rps: number) => {
      const k = createConcurrency(config(overrides), { min: 1, max: 100 });
      for (let t = 1; t <= 60; t++) k.observe(sample(t, 2, concurrency, rps));
      return k.desiredReplicas(60 * S, { ready: 2, provisioning: 0, draining: 0 });
    };
    expect(decide({}, 14, 0)).toBe(2); // 14 / 7
    expect(decide({}, 14.1, 0)).toBe(3);
    expect(decide({ metric: 'rps', target: 200 }, 0, 280)).toBe(2); // 280 / 140
    expect(decide({ metric: 'rps', target: 200 }, 0, 281)).toBe(3);
  });

  it('keeps min replicas instead of going to zero', () => {
    const k = createConcurrency(config({}), { min: 2, max: 10 });
    k.observe(sample(1, 2, 0));
    expect(k.desiredReplicas(2 * S, { ready: 1, provisioning: 1, draining: 0 })).toBe(2);
  });
});
