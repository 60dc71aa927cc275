import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { VariantResult } from '../../src/metrics/index.js';
import { AUTOSCALING_POLICIES } from '../../src/policies/autoscaling/index.js';
import { observeSchedulerSteps } from '../../src/policies/batching/continuous.js';
import { formatDiagnostic, loadScenarioObject, type Scenario, type Slo } from '../../src/scenario/index.js';
import { simulate } from '../../src/sim/index.js';
import { brokenLaws } from './result-laws.js';
import { type ScenarioObject, scenarioArbitrary } from './scenario-arbitrary.js';

/**
 * Random valid scenarios of every kind of fleet (one request per slot, static and dynamic
 * batching, continuous-batching LLMs), every autoscaler, spot reclaims, capacity outages, fallbacks,
 * cross-fleet routing (weighted, spillover, offload), network time and data transfer: each run
 * must obey the laws of result-laws.ts. Seeds are fixed, so CI runs the same cases every time;
 * `FLEETSIM_PROPERTY_RUNS=10` runs ten times as many, with seeds of their own, to search further.
 */
const SCALE = Number(process.env.FLEETSIM_PROPERTY_RUNS ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const seed = (n: number) => (SCALE === 1 ? n : Date.now() + n);
/** Vitest's limit per test, grown with the runs (on a loaded 2-core machine the CI runs take ~15 s). */
const TIMEOUT = 120_000 * SCALE;

/** A run of these scenarios takes well under a million events; far more means it would never end. */
const RUNAWAY_EVENTS = 3_000_000;

interface Run {
  scenario: Scenario;
  slo: Slo;
  result: VariantResult;
}

async function run(object: ScenarioObject, watchProgress = true): Promise<Run> {
  const loaded = await loadScenarioObject(object);
  if (!loaded.ok) {
    throw new Error(
      `the generator wrote an invalid scenario:\n${loaded.errors.map(formatDiagnostic).join('\n')}`,
    );
  }
  const { scenario } = loaded.value.variants[0];
  const { slo } = loaded.value;
  const result = simulate(scenario, {
    slo,
    ...(watchProgress && {
      onProgress: (progress) => {
        if (progress.events > RUNAWAY_EVENTS) {
          throw new Error(`runaway: ${progress.events} events, simulated ${progress.simulatedS} s`);
        }
      },
    }),
  });
  return { scenario, slo, result };
}

/** A failing case names what broke and carries the scenario as YAML, to paste into a file for `fleetsim run`. */
function withScenario<T>(object: ScenarioObject, check: () => Promise<T>): Promise<T> {
  return check().catch((error: Error) => {
    throw new Error(`${error.message}\n--- scenario ---\n${stringify(object)}`);
  });
}

function expectLaws({ scenario, slo, result }: Run): void {
  const broken = brokenLaws(scenario, slo, result);
  if (broken.length > 0) throw new Error(`broken laws:\n- ${broken.join('\n- ')}`);
}

/** Counts of what the generated runs reached, so that no law passes only on easy cases. */
class Coverage {
  readonly seen = new Map<string, number>();
  add(what: string, n = 1): void {
    if (n > 0) this.seen.set(what, (this.seen.get(what) ?? 0) + n);
  }
  missing(expected: string[]): string[] {
    return expected.filter((what) => !this.seen.has(what));
  }
  record({ scenario, result }: Run): void {
    const r = result.requests;
    this.add('dropped', r.dropped);
    this.add('timed out', r.timed_out);
    this.add('in flight at end', r.in_flight_at_end);
    this.add('goodput below throughput', result.goodput_rps < result.throughput_rps ? 1 : 0);
    this.add('transfer cost', result.cost_usd.transfer > 0 ? 1 : 0);
    this.add('oracle', Object.keys(result.oracle ?? {}).length);
    this.add(`routing ${scenario.routing.policy}`);
    if (result.offload !== null) {
      this.add('offload edge', result.offload.edge);
      this.add('offload overflow', result.offload.overflow);
      this.add('offload oversize', result.offload.oversize);
    }
    for (const fleet of scenario.fleets) {
      const served = result.instances[fleet.name].completed;
      this.add(`served by ${fleet.batching.policy}`, served);
      this.add(`market ${fleet.market ?? 'price_per_hour'}`);
      const scaled = result.capacity_events.some((e) => e.fleet === fleet.name && e.kind === 'scale');
      if (fleet.autoscaling !== null && scaled) this.add(`${fleet.autoscaling.policy} scaled`);
      const interrupted = result.instances[fleet.name].interrupted_requests;
      this.add('interrupted requeued', interrupted.requeued);
      this.add('interrupted retried', interrupted.retried);
      this.add('interrupted dropped', interrupted.dropped);
      const llm = result.llm?.fleets[fleet.name];
      if (llm) {
        this.add(`steps from ${result.performance[fleet.name].source}`);
        this.add('preemptions', llm.preemptions);
        this.add('rejected', llm.rejected);
      }
    }
    for (const event of result.capacity_events) this.add(`capacity ${event.kind}`);
    if (result.disaggregation) {
      this.add('kv transfers', result.disaggregation.transfers);
      this.add(
        'local decodes',
        Object.values(result.disaggregation.local_decodes).reduce((a, b) => a + b, 0),
      );
      for (const fleet of scenario.fleets) {
        if (fleet.role === 'decode') this.add('served by decode', result.instances[fleet.name].completed);
      }
    }
  }
}

/** Every step of every LLM scheduler during the property runs, checked as it happens. */
let schedulerSteps = 0;
function checkEveryStep(): void {
  observeSchedulerSteps((scheduler) => {
    schedulerSteps++;
    scheduler.checkInvariants();
  });
}
afterEach(() => observeSchedulerSteps(null));

describe('laws of random valid scenarios', () => {
  it(
    'hold for fleets of every kind, every autoscaler, reclaims, outages and cross-fleet routing',
    async () => {
      checkEveryStep();
      const coverage = new Coverage();
      await fc.assert(
        fc.asyncProperty(
          scenarioArbitrary({ kinds: ['plain', 'plain', 'static', 'dynamic', 'continuous'], maxFleets: 3 }),
          (object) =>
            withScenario(object, async () => {
              const outcome = await run(object);
              expectLaws(outcome);
              coverage.record(outcome);
            }),
        ),
        { numRuns: runs(150), seed: seed(11) },
      );
      expect(
        coverage.missing([
          'dropped',
          'timed out',
          'in flight at end',
          'goodput below throughput',
          'transfer cost',
          'oracle',
          'routing weighted',
          'routing spillover',
          'routing offload',
          'offload edge',
          'offload overflow',
          'offload oversize',
          'served by none',
          'served by static',
          'served by dynamic',
          'served by continuous',
          'market reserved',
          'market spot',
          'interrupted requeued',
          'interrupted retried',
          'interrupted dropped',
          'capacity notice',
          'capacity reclaim',
          'capacity unavailable',
          ...AUTOSCALING_POLICIES.map((policy) => `${policy} scaled`),
        ]),
      ).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'hold for continuous batching, and the KV cache adds up after every scheduler step',
    async () => {
      checkEveryStep();
      schedulerSteps = 0;
      const coverage = new Coverage();
      await fc.assert(
        fc.asyncProperty(
          scenarioArbitrary({ kinds: ['continuous', 'continuous', 'plain'], maxFleets: 2 }),
          (object) =>
            withScenario(object, async () => {
              const outcome = await run(object);
              expectLaws(outcome);
              coverage.record(outcome);
            }),
        ),
        { numRuns: runs(150), seed: seed(12) },
      );
      expect(schedulerSteps).toBeGreaterThan(20_000);
      expect(
        coverage.missing([
          'preemptions',
          'rejected',
          'served by continuous',
          'capacity reclaim',
          'steps from measured profile',
          'steps from class default (unvalidated)',
        ]),
      ).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'hold for disaggregated prefill and decode fleets, and both sides conserve their KV blocks',
    async () => {
      checkEveryStep();
      schedulerSteps = 0;
      const coverage = new Coverage();
      await fc.assert(
        fc.asyncProperty(
          scenarioArbitrary({
            kinds: ['continuous', 'continuous', 'plain'],
            maxFleets: 3,
            disaggregate: true,
          }),
          (object) =>
            withScenario(object, async () => {
              const outcome = await run(object);
              expectLaws(outcome);
              coverage.record(outcome);
            }),
        ),
        { numRuns: runs(80), seed: seed(15) },
      );
      expect(schedulerSteps).toBeGreaterThan(10_000);
      expect(
        coverage.missing([
          'kv transfers',
          'local decodes',
          'served by decode',
          'preemptions',
          'rejected',
          'capacity reclaim',
          'interrupted requeued',
        ]),
      ).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'give the same results for the same seed, watched or not',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          scenarioArbitrary({ kinds: ['plain', 'static', 'dynamic', 'continuous'], maxFleets: 3 }),
          (object) =>
            withScenario(object, async () => {
              const once = JSON.stringify((await run(object)).result);
              expect(JSON.stringify((await run(object, false)).result)).toBe(once);
            }),
        ),
        { numRuns: runs(15), seed: seed(13) },
      );
    },
    TIMEOUT,
  );
});
