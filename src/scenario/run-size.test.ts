import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeScenario } from '../../test/helpers/scenario.js';
import { loadMath } from './expression.js';
import { loadScenarioText } from './load.js';
import { checkRunCount, checkRunSize, estimateRunSize, type RunFactor } from './run-size.js';
import { type Arrivals, type Distribution, MAX_RUNS, RunInputError, type Scenario } from './types.js';

beforeAll(loadMath);

function withArrivals(arrivals: Arrivals, duration: number | null, extra: Partial<Scenario> = {}): Scenario {
  return makeScenario({ duration, workload: { arrivals, attributes: {} }, ...extra });
}

const poisson = (rate: number | string): Arrivals => ({
  kind: 'poisson',
  rate: typeof rate === 'number' ? { kind: 'constant', value: rate } : { kind: 'expression', source: rate },
});

describe('estimateRunSize', () => {
  it('takes rate x duration for constant rates, and a requests-plus-departures event count', () => {
    const size = estimateRunSize(withArrivals(poisson(40), 7200), 0);
    expect(size.arrivals).toBe(288_000);
    expect(size.minEvents).toBe(288_000);
    expect(size.events).toBe(576_000);
    expect(size.path).toEqual(['workload', 'arrivals', 'poisson', 'rate']);
    expect(size.description).toBe('about 288,000 requests (40 req/s on average over 2h)');
    expect(estimateRunSize(withArrivals({ kind: 'gamma', rate: 3, cv: 2 }, 100), 0).arrivals).toBe(300);
    expect(estimateRunSize(withArrivals({ kind: 'constant', rate: 0.5 }, 100), 0).arrivals).toBe(50);
  });

  it('counts mean turns per session: gamma turns of mean 6 at 0.5 sessions/s for 1h', () => {
    const sessions = (turns: Distribution): Arrivals => ({
      kind: 'sessions',
      sessions: {
        rate: { kind: 'constant', value: 0.5 },
        turns,
        firstMessageTokens: { kind: 'constant', value: 300 },
        messageTokens: { kind: 'constant', value: 60 },
        outputTokens: { kind: 'constant', value: 250 },
        thinkTime: { kind: 'constant', value: 30 },
        answerTimePerToken: 0,
        systemPromptTokens: 0,
      },
    });
    const size = estimateRunSize(
      withArrivals(sessions({ kind: 'gamma', shape: 1 / 0.64, scale: 6 * 0.64 }), 3600),
      0,
    );
    expect(size.arrivals).toBeCloseTo(0.5 * 3600 * 6, 6);
    expect(size.path).toEqual(['workload', 'arrivals', 'sessions', 'rate']);
    // A turn distribution whose mean is below 1 still sends one turn a session.
    expect(
      estimateRunSize(withArrivals(sessions({ kind: 'uniform', min: 0, max: 1 }), 100), 0).arrivals,
    ).toBe(50);
  });

  it('integrates a rate expression: a step, and a sine whose integral over whole periods is its mean', () => {
    // 1e9 req/s for 30 s, then 1 req/s for 30 s: 3e10 + 30; the step falls on a grid boundary.
    const step = estimateRunSize(withArrivals(poisson('t < 30 ? 1e9 : 1'), 60), 0);
    expect(step.arrivals).toBeCloseTo(30e9 + 30, -2);
    // 3 * (1.5 + 0.5 sin(2 pi t / 1h)) over 2 hours: the sine integrates to 0, leaving 4.5 * 7200.
    const sine = estimateRunSize(withArrivals(poisson('3 * (1.5 + 0.5 * sin(2 * pi * t / 1h))'), 7200), 0);
    expect(sine.arrivals).toBeCloseTo(32_400, 6);
  });

  it('counts autoscaler scrapes and decisions over the run, and points at the duration when they dominate', async () => {
    // Ten years at one request a day: 3,650 requests, and a decision every 15 s and a scrape every 30 s.
    const loaded = await loadScenarioText(
      `duration: 3650d
workload: { arrivals: { poisson: { rate: 1.1574074074074073e-5 } } }
fleets:
  - name: cpu
    replicas: { min: 1, max: 4, initial: 1 }
    price_per_hour: 1
    service_time: 1s
    autoscaling: { policy: target-tracking, metric: concurrency, target: 2, sync_period: 15s, scrape_interval: 30s }
limits: { max_events: null }
`,
      'years.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.errors[0].message);
    const size = estimateRunSize(loaded.value.variants[0].scenario, 0);
    const years = 3650 * 86_400;
    expect(size.arrivals).toBeCloseTo(3650, 6);
    expect(size.minEvents).toBeCloseTo(3650 + years / 15 + years / 30, 0);
    expect(size.path).toEqual(['duration']);
    // A century of it, scraping and deciding every second, passes the default max_events: the
    // loader refuses it, at the duration.
    const refused = await loadScenarioText(
      `duration: 36500d
workload: { arrivals: { poisson: { rate: 1.1574074074074073e-5 } } }
fleets:
  - name: cpu
    replicas: { min: 1, max: 4, initial: 1 }
    price_per_hour: 1
    service_time: 1s
    autoscaling: { policy: target-tracking, metric: concurrency, target: 2, sync_period: 1s, scrape_interval: 1s }
`,
      'years.yaml',
    );
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.errors.map((e) => [e.line, e.col, e.message.slice(0, 9)])).toEqual([
        [1, 11, 'duration:'],
      ]);
      expect(refused.errors[0].message).toMatch(
        /autoscaler scrapes and decisions over 36500d need at least .*; lower the duration, or raise limits\.max_events$/,
      );
    }
  });

  it('estimates the rows of a large trace from its size and its first rows, and honours limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-size-'));
    const path = join(dir, 'big.csv');
    const rows = Array.from(
      { length: 100_000 },
      (_, i) => `${(i * 0.013).toFixed(3)},${100 + (i % 900)},${i % 97}`,
    );
    writeFileSync(path, `arrived_at,num_prefill_tokens,num_decode_tokens\n${rows.join('\n')}\n`);
    const trace: Arrivals = {
      kind: 'trace',
      trace: {
        path,
        format: 'vidur',
        timeColumn: 'arrived_at',
        timeUnit: 's',
        columns: {},
        speed: 1,
        limit: null,
        duration: null,
      },
    };
    // The first 64 KB hold short rows (small times): the estimate is within a few percent.
    const sampled = estimateRunSize(withArrivals(trace, null), 0).arrivals as number;
    expect(sampled / 100_001).toBeGreaterThan(0.95);
    expect(sampled / 100_001).toBeLessThan(1.2);
    expect(estimateRunSize(withArrivals(trace, null), 0).path).toEqual([
      'workload',
      'arrivals',
      'trace',
      'path',
    ]);
    const limited: Arrivals = { kind: 'trace', trace: { ...trace.trace, limit: 500 } };
    expect(estimateRunSize(withArrivals(limited, null), 0).arrivals).toBe(500);
    // A file too small to pass the floor is not read: its bytes / 2 bound the rows.
    const bound = estimateRunSize(withArrivals(trace, null), 1e12).arrivals as number;
    expect(bound).toBeGreaterThan(sampled);
  });
});

describe('checkRunSize', () => {
  const limits = (maxEvents: number) => ({ maxEvents, maxInFlight: 1e6, maxWallS: 600 });

  it('refuses a run whose arrivals alone pass max_events, announces one past a tenth of it, and passes the rest', () => {
    const scenario = (maxEvents: number) => withArrivals(poisson(10), 1200, { limits: limits(maxEvents) });
    // 12,000 arrivals, about 24,000 events.
    const refused = checkRunSize(scenario(11_999));
    expect(refused?.refused).toBe(true);
    expect(refused?.message).toBe(
      'about 12,000 requests (10 req/s on average over 20m) need at least 12,000 events, more than limits.max_events (11,999): the run could not finish; lower the load or the duration, or raise limits.max_events',
    );
    expect(checkRunSize(scenario(12_000))?.refused).toBe(false);
    const large = checkRunSize(scenario(200_000));
    expect(large?.refused).toBe(false);
    expect(large?.message).toMatch(/^a large run: about 12,000 requests .*, about 24,000 events or more;/);
    expect(checkRunSize(scenario(240_000))).toBeNull();
    expect(checkRunSize(scenario(Number.POSITIVE_INFINITY))).toBeNull();
  });

  it('the loader refuses the scenario at its rate, as a configuration that cannot run', async () => {
    const yaml = `duration: 60s
workload:
  arrivals:
    poisson: { rate: "t < 30 ? 1e9 : 1" }
fleets:
  - { name: cpu, replicas: 2, price_per_hour: 1, service_time: 100ms }
`;
    const loaded = await loadScenarioText(yaml, 'rate.yaml');
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.errors).toHaveLength(1);
    const [error] = loaded.errors;
    expect({ line: error.line, col: error.col, infeasible: error.infeasible }).toEqual({
      line: 4,
      col: 22,
      infeasible: true,
    });
    expect(error.message).toMatch(
      /^workload\.arrivals\.poisson\.rate: about 3\.0e\+10 requests \(5\.0e\+8 req\/s on average over 1m\) need at least 3\.0e\+10 events, more than limits\.max_events \(1,000,000,000\)/,
    );
    // Raising the limit lets it run (where max_in_flight then stops it).
    const raised = await loadScenarioText(yaml, 'rate.yaml', { set: ['limits.max_events=1e11'] });
    expect(raised.ok).toBe(true);
  });
});

describe('checkRunCount', () => {
  const factors = (variants: number, replications: number): RunFactor[] => [
    [variants, 'variant', 'variants'],
    [replications, 'replication', 'replications'],
  ];

  it('passes up to MAX_RUNS runs and refuses one more, naming each factor and the product', () => {
    expect(MAX_RUNS).toBe(20_000);
    expect(() => checkRunCount('run: ', factors(4, 5000), 'lower it')).not.toThrow();
    expect(() => checkRunCount('run: ', factors(20_000, 1), 'lower it')).not.toThrow();
    expect(() => checkRunCount('run: ', factors(3, 6667), 'lower it')).toThrow(
      new RunInputError(
        'run: 3 variants x 6,667 replications are 20,001 runs, more than the 20,000 one command keeps the results of; lower it',
      ),
    );
  });

  it('leaves out factors of 1 after the first, and says a single factor plainly', () => {
    expect(() => checkRunCount('sweep: ', factors(1, 20_001), 'fewer')).toThrow(
      'sweep: 1 variant x 20,001 replications are 20,001 runs',
    );
    expect(() => checkRunCount('sweep: ', factors(30_000, 1), 'fewer')).toThrow(
      new RunInputError(
        'sweep: 30,000 variants, more than the 20,000 runs one command keeps the results of; fewer',
      ),
    );
    // Products past any count are written as such, not wrapped around.
    expect(() => checkRunCount('plan: ', factors(1e12, 1e12), 'fewer')).toThrow(
      'plan: 1.0e+12 variants x 1.0e+12 replications are 1.0e+24 runs',
    );
  });
});
