import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AutoscalingConfig,
  CONCURRENCY_DEFAULTS,
  TARGET_TRACKING_DEFAULTS,
  type TargetTrackingConfig,
} from '../../src/policies/autoscaling/index.js';
import type { Fleet, Scenario } from '../../src/scenario/types.js';
import { simulate } from '../../src/sim/index.js';
import { makeFleet, makeScenario } from '../helpers/scenario.js';

/** Policies with periods short enough to decide many times within a run of seconds. */
const arbAutoscaling: fc.Arbitrary<AutoscalingConfig> = fc.oneof(
  fc
    .record({
      metric: fc.constantFrom('utilization', 'concurrency') as fc.Arbitrary<'utilization' | 'concurrency'>,
      target: fc.double({ min: 0.3, max: 4, noNaN: true }),
    })
    .map(
      ({ metric, target }): TargetTrackingConfig => ({
        ...(TARGET_TRACKING_DEFAULTS as unknown as Omit<
          TargetTrackingConfig,
          'policy' | 'metric' | 'target'
        >),
        policy: 'target-tracking',
        metric,
        target: metric === 'utilization' ? Math.min(target, 0.95) : target,
        sync_period: 1,
        scrape_interval: 1,
        behavior: {
          scale_up: {
            stabilization_window: 0,
            select_policy: 'max',
            policies: [{ type: 'pods', value: 4, period: 1 }],
          },
          scale_down: {
            stabilization_window: 3,
            select_policy: 'max',
            policies: [{ type: 'percent', value: 100, period: 1 }],
          },
        },
      }),
    ),
  fc.double({ min: 0.5, max: 4, noNaN: true }).map(
    (target): AutoscalingConfig => ({
      ...CONCURRENCY_DEFAULTS,
      policy: 'concurrency',
      target,
      stable_window: 6,
      scale_to_zero_grace_period: 2,
      tick_interval: 1,
      scrape_interval: 0.5,
    }),
  ),
);

const arbFleet = (index: number) =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 2 }),
      extra: fc.integer({ min: 0, max: 4 }),
      concurrency: fc.integer({ min: 1, max: 3 }),
      autoscaling: fc.option(arbAutoscaling, { nil: null }),
      startupS: fc.double({ min: 0, max: 3, noNaN: true }),
      reclaimsPerHour: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 2000, noNaN: true })),
      noticeS: fc.double({ min: 0, max: 2, noNaN: true }),
      onInterrupt: fc.constantFrom('requeue', 'retry-elsewhere', 'drop') as fc.Arbitrary<
        Fleet['onInterrupt']
      >,
      unavailable: fc.boolean(),
      timeout: fc.oneof(fc.constant(null), fc.double({ min: 0.05, max: 3, noNaN: true })),
      capacity: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.integer({ min: 0, max: 4 })),
      meanS: fc.double({ min: 0.02, max: 1, noNaN: true }),
    })
    .map((f): Fleet => {
      const elastic = f.autoscaling !== null;
      const max = elastic ? Math.max(1, f.min + f.extra) : Math.max(1, f.min + 1);
      const initial = elastic ? f.min + Math.floor(f.extra / 2) : max;
      return makeFleet({
        name: `f${index}`,
        replicas: initial,
        minReplicas: elastic ? f.min : max,
        maxReplicas: max,
        concurrency: f.concurrency,
        startup: { kind: 'constant', value: f.startupS },
        autoscaling: f.autoscaling,
        interruption: f.reclaimsPerHour === null ? null : { per_hour: f.reclaimsPerHour, notice: f.noticeS },
        onInterrupt: f.onInterrupt,
        unavailable: f.unavailable ? { kind: 'rate', perHour: 600, meanDurationS: 2 } : null,
        queue: { capacity: f.capacity, timeout: f.timeout },
        serviceTime: { kind: 'exponential', mean: f.meanS },
      });
    });

const arbScenario: fc.Arbitrary<Scenario> = fc
  .record({
    fleets: fc
      .integer({ min: 1, max: 2 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbFleet(i)))),
    rate: fc.double({ min: 0.5, max: 30, noNaN: true }),
    duration: fc.double({ min: 2, max: 40, noNaN: true }),
    maxDrain: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.double({ min: 0, max: 5, noNaN: true })),
    spillover: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .map((p) => {
    const fleets = p.fleets.map((f, i) => (i === 0 && p.fleets.length > 1 ? { ...f, fallback: 'f1' } : f));
    return makeScenario({
      seed: p.seed,
      duration: p.duration,
      maxDrain: p.maxDrain,
      workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: p.rate } }, attributes: {} },
      fleets,
      routing: p.spillover
        ? {
            policy: 'spillover',
            order: fleets.map((f) => f.name),
            within: 'least-outstanding',
            maxQueuePerReplica: 0,
          }
        : { policy: 'least-outstanding' },
    });
  });

describe('laws elastic runs obey', () => {
  it('conserve requests through scaling, reclaims, unavailable capacity and held requests', () => {
    const seen = { launched: 0, preempted: 0, interrupted: 0, unavailable: 0 };
    fc.assert(
      fc.property(arbScenario, (scenario) => {
        const result = simulate(scenario);
        const r = result.requests;
        expect(r.arrived).toBe(r.completed + r.dropped + r.timed_out + r.in_flight_at_end);
        if (scenario.maxDrain === Number.POSITIVE_INFINITY) expect(r.in_flight_at_end).toBe(0);
        for (const [f, fleet] of scenario.fleets.entries()) {
          const instances = result.instances[fleet.name];
          // Slots hold at most 2 x max replicas at once (replacements start while others drain).
          expect(instances.peak).toBeLessThanOrEqual(2 * fleet.maxReplicas);
          expect(instances.launched).toBeGreaterThanOrEqual(fleet.replicas);
          expect(result.utilization[fleet.name]).toBeLessThanOrEqual(1 + 1e-9);
          expect(result.cost_usd.by_fleet[fleet.name]).toBeGreaterThanOrEqual(0);
          const interrupted = instances.interrupted_requests;
          expect(interrupted.dropped).toBeLessThanOrEqual(
            result.requests.dropped + result.requests.in_flight_at_end + interrupted.dropped,
          );
          seen.launched += instances.launched - scenario.fleets[f].replicas;
          seen.preempted += instances.preempted;
          seen.interrupted += interrupted.requeued + interrupted.retried + interrupted.dropped;
          seen.unavailable += instances.unavailable_hours;
        }
        expect(result.cost_usd.total).toBeCloseTo(result.cost_usd.compute + result.cost_usd.transfer, 9);
      }),
      { numRuns: 150, seed: 7 },
    );
    // The generated runs really exercised what they are about.
    expect(seen.launched).toBeGreaterThan(0);
    expect(seen.preempted).toBeGreaterThan(0);
    expect(seen.interrupted).toBeGreaterThan(0);
    expect(seen.unavailable).toBeGreaterThan(0);
  });

  it('give the same results for the same seed', () => {
    fc.assert(
      fc.property(arbScenario, (scenario) => {
        expect(JSON.stringify(simulate(scenario))).toBe(JSON.stringify(simulate(scenario)));
      }),
      { numRuns: 20, seed: 8 },
    );
  });
});
