import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import * as z from 'zod';
import {
  formatDiagnostic,
  loadScenarioText,
  type ReplicaPool,
  registerReplicaPolicy,
  registerRouting,
  runScenario,
} from '../../src/index.js';

/** Always the lowest-numbered ready replica: every request queues on one replica while others idle. */
class First {
  constructor(private readonly pool: ReplicaPool) {}
  pick(): number {
    return this.pool.size === 0 ? -1 : this.pool.members[0];
  }
}

registerReplicaPolicy({
  name: 'first',
  summary: 'the lowest-numbered ready replica',
  create: ({ pool }) => new First(pool),
  example: { policy: 'first' },
});

/** Sends every request to one named fleet, then picks a replica in it with `within`. */
const pinnedSchema = z
  .object({
    policy: z.literal('pinned'),
    fleet: z.string().describe('The fleet that takes every request.'),
    within: z.string().prefault('least-outstanding'),
  })
  .strict();

registerRouting({
  name: 'pinned',
  schema: pinnedSchema,
  defaults: { within: 'least-outstanding' },
  resolve: (spec) => spec,
  fleetReferences: (block) =>
    typeof block.fleet === 'string' ? [{ path: ['fleet'], name: block.fleet }] : [],
  createRouter(config, { indexOf, picker, setReady }) {
    const fleet = indexOf(config.fleet);
    const pick = picker(config.within, fleet);
    return { pick: () => pick.pick(), setReady, holdingFleet: () => fleet, offloadCounts: null };
  },
  example: { policy: 'pinned', fleet: 'b' },
});

const fleet = (name: string) => ({
  name,
  replicas: 2,
  price_per_hour: 3.6,
  billing: { increment: '1s', minimum: 0 },
  service_time: '1s',
});

const scenario = (routing: object) => ({
  name: 'custom-routing',
  duration: 30,
  max_drain: null,
  workload: { arrivals: { constant: { rate: 1.5 } } },
  fleets: [fleet('a'), fleet('b')],
  routing,
});

describe('routing policies registered through the library', () => {
  it('a replica policy picks the replicas: all requests queue on the first one, as computed by hand', async () => {
    const { results: first } = await runScenario(scenario({ policy: 'first' }));
    const { results: spread } = await runScenario(scenario({ policy: 'least-outstanding' }));
    const arrived = first[0].requests.arrived;
    // Constant arrivals at 2/3, 4/3, ... s: 44 before 30 s.
    expect(arrived).toBe(44);
    // Each is served for 1 s by the one replica, back to back from the first arrival: request n
    // (from 0) arrives at 2(n + 1)/3 s and starts at 2/3 + n s, so it waits n/3 s; the last, 43/3 s.
    expect(first[0].queue_wait_s.max).toBeCloseTo(43 / 3, 3);
    expect(first[0].instances.a.completed + first[0].instances.b.completed).toBe(44);
    // Four replicas in turn: each is free again long before its next request.
    expect(spread[0].queue_wait_s.max).toBe(0);
  });

  it('a cross-fleet policy picks the fleet; its own schema and fleet references are checked where written', async () => {
    const { results } = await runScenario(scenario({ policy: 'pinned', fleet: 'b', within: 'first' }));
    expect(results[0].instances.a.completed).toBe(0);
    expect(results[0].instances.b.completed).toBe(results[0].requests.arrived);

    const loaded = await loadScenarioText(
      stringify(scenario({ policy: 'pinned', fleet: 'c', whithin: 'first' })),
      's.yaml',
    );
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors.map(formatDiagnostic)).toEqual([
      's.yaml:25:10: routing.fleet: unknown fleet "c"; did you mean "a"?',
      's.yaml:26:3: routing.whithin: unknown key; did you mean "within"?',
    ]);
  });

  it('both are listed among the policies a scenario may name', async () => {
    const loaded = await loadScenarioText(stringify(scenario({ policy: 'pinnned' })), 's.yaml');
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.message)).toEqual([
      'routing.policy: expected a routing policy: one of round-robin, random, least-outstanding, power-of-two, cache-aware, first, weighted, spillover, offload, pinned',
    ]);
    const within = await loadScenarioText(
      stringify(scenario({ policy: 'spillover', within: 'frist' })),
      's.yaml',
    );
    expect(within.ok ? [] : within.errors.map((e) => e.message)).toEqual([
      'routing.within: expected one of round-robin, random, least-outstanding, power-of-two, cache-aware, first',
    ]);
  });

  it('refuses a name a routing or replica policy has, and an example that does not load', () => {
    const replica = { summary: null, create: () => ({ pick: () => -1 }) };
    expect(() =>
      registerReplicaPolicy({ ...replica, name: 'weighted', example: { policy: 'weighted' } }),
    ).toThrow('routing policy "weighted" is already registered');
    expect(() => registerReplicaPolicy({ ...replica, name: 'last', example: { policy: 'first' } })).toThrow(
      'replica policy "last": its example names "first"',
    );
    const base = {
      schema: pinnedSchema,
      defaults: {},
      resolve: (spec: z.output<typeof pinnedSchema>) => spec,
      fleetReferences: () => [],
      createRouter: () => {
        throw new Error('never created');
      },
    };
    expect(() =>
      registerRouting({ ...base, name: 'first' as 'pinned', example: { policy: 'pinned', fleet: 'a' } }),
    ).toThrow('routing policy "first" is already registered');
    expect(() =>
      registerRouting({ ...base, name: 'pinned2' as 'pinned', example: { policy: 'pinned', fleet: 'a' } }),
    ).toThrow('routing policy "pinned2": its example does not load: its policy is "pinned"');
  });
});
