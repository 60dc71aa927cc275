import { describe, expect, it } from 'vitest';
import { makeScenario } from '../../test/helpers/scenario.js';
import { dropRate } from '../metrics/slo.js';
import { runWarnings } from '../metrics/warnings.js';
import { loadScenarioText } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import { type Progress, simulate } from './simulation.js';

const UNLIMITED = {
  maxEvents: Number.POSITIVE_INFINITY,
  maxInFlight: Number.POSITIVE_INFINITY,
  maxWallS: Number.POSITIVE_INFINITY,
};

/** M/M/2 at 70 % load for an hour: some 10,000 arrivals, 20,000 events; it drains within seconds. */
function stable(limits: Partial<Scenario['limits']> = {}): Scenario {
  return makeScenario(
    {
      duration: 3600,
      workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: 2.8 } }, attributes: {} },
      limits: { ...UNLIMITED, ...limits },
    },
    { replicas: 2, serviceTime: { kind: 'exponential', mean: 0.5 } },
  );
}

function conserved(result: ReturnType<typeof simulate>): boolean {
  const r = result.requests;
  return r.arrived === r.completed + r.dropped + r.timed_out + r.in_flight_at_end;
}

async function load(yaml: string, set: string[] = []): Promise<Scenario> {
  const loaded = await loadScenarioText(yaml, 'limits.yaml', { set });
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.value.variants[0].scenario;
}

describe('max_events', () => {
  it('a run that needs exactly max_events is whole; one fewer cuts it there, as a partial result', () => {
    const whole = simulate(stable());
    expect(whole.partial).toBeUndefined();
    expect(whole.events).toBeGreaterThan(3 * 4096);
    const atLimit = simulate(stable({ maxEvents: whole.events }));
    // Slicing the event loop for the checks changes nothing in a run that stays within its limits.
    expect(JSON.stringify(atLimit)).toBe(JSON.stringify(whole));

    const cut = simulate(stable({ maxEvents: whole.events - 1 }));
    expect(cut.partial?.limit).toBe('max_events');
    expect(cut.events).toBe(whole.events - 1);
    expect(cut.slo.met).toBe(false);
    expect(cut.slo.partial).toMatch(/^limits\.max_events at [\d.]+ s simulated$/);
    expect(conserved(cut)).toBe(true);

    const early = simulate(stable({ maxEvents: 5000 }));
    expect(early.events).toBe(5000);
    expect(early.partial?.limit).toBe('max_events');
    // Cut while requests still arrived: arrivals, and the run, end where it stopped.
    expect(early.partial?.at_s).toBeLessThan(3600);
    expect(early.simulated_s.arrivals_end).toBe(early.partial?.at_s);
    expect(early.simulated_s.end).toBe(early.partial?.at_s);
    expect(early.requests.arrived).toBeLessThan(whole.requests.arrived);
    expect(conserved(early)).toBe(true);
  });
});

describe('max_in_flight', () => {
  it('an overloaded fleet with an unbounded queue stops once its backlog passes the limit, within one check of it', () => {
    // Arrivals at 10/s, one server at 1/s: the backlog grows by about 9 requests a second.
    const scenario = makeScenario(
      {
        duration: 36_000,
        workload: { arrivals: { kind: 'poisson', rate: { kind: 'constant', value: 10 } }, attributes: {} },
        limits: { ...UNLIMITED, maxInFlight: 2000 },
      },
      { replicas: 1, serviceTime: { kind: 'exponential', mean: 1 } },
    );
    const result = simulate(scenario);
    expect(result.partial?.limit).toBe('max_in_flight');
    const inFlight = result.requests.in_flight_at_end;
    expect(inFlight).toBeGreaterThan(2000);
    // Checked every 4,096 events, and each event adds at most one request.
    expect(inFlight).toBeLessThanOrEqual(2000 + 4096);
    // 2,000 to 6,100 requests of backlog at ~9/s: a few hundred simulated seconds, not 10 hours.
    expect(result.partial?.at_s).toBeGreaterThan(2000 / 10);
    expect(result.partial?.at_s).toBeLessThan((2000 + 4096) / 8);
    expect(result.partial?.reason).toMatch(
      /^[\d,]+ requests in the system, more than limits\.max_in_flight \(2,000\)$/,
    );
    expect(conserved(result)).toBe(true);
    expect(dropRate(result.requests)).toBeGreaterThan(0.5);
  });

  it('a rate of 1e9 req/s with max_events off stops within milliseconds of simulated time, holding at most max_in_flight + 4,096 requests', async () => {
    const scenario = await load(
      `duration: 60s
workload: { arrivals: { poisson: { rate: "t < 30 ? 1e9 : 1" } } }
fleets:
  - { name: cpu, replicas: 2, price_per_hour: 1, service_time: { exponential: { mean: 100ms } } }
`,
      ['limits.max_events=null'],
    );
    expect(scenario.limits).toEqual({ maxEvents: Number.POSITIVE_INFINITY, maxInFlight: 1e6, maxWallS: 600 });
    const started = performance.now();
    const result = simulate(scenario);
    const seconds = (performance.now() - started) / 1000;
    expect(result.partial?.limit).toBe('max_in_flight');
    const r = result.requests;
    expect(r.in_flight_at_end).toBeGreaterThan(1e6);
    expect(r.in_flight_at_end).toBeLessThanOrEqual(1e6 + 4096);
    // A million arrivals at 1e9/s: about a millisecond.
    expect(result.partial?.at_s).toBeGreaterThan(0.0009);
    expect(result.partial?.at_s).toBeLessThan(0.0012);
    expect(result.events).toBeLessThan(1e6 + 2 * 4096);
    // Bounded work: about a million events, seconds at most even on a busy machine.
    expect(seconds).toBeLessThan(60);
    expect(result.slo.met).toBe(false);
  });

  it('counts the turns of sessions waiting for their next one: conversations that never come back do not hold memory unbounded', async () => {
    // 100 sessions a second of 10 turns, each due back in 1,000 s: none ends within the run's first
    // minutes, so waiting sessions hold 1,000 t turns while a fast fleet keeps almost no request.
    const scenario = await load(`duration: 1h
workload:
  arrivals:
    sessions:
      rate: 100
      turns: 10
      first_message_tokens: 10
      message_tokens: 10
      output_tokens: 10
      think_time: 1000s
fleets:
  - { name: cpu, replicas: 2, price_per_hour: 1, service_time: { exponential: { mean: 1ms } } }
limits: { max_in_flight: 20000 }
`);
    const result = simulate(scenario);
    expect(result.partial?.limit).toBe('max_in_flight');
    const match =
      /^(\d+) requests in the system and ([\d,]+) turns held by ([\d,]+) sessions waiting for their next turn, together, more than limits\.max_in_flight \(20,000\)$/.exec(
        result.partial?.reason ?? '',
      );
    expect(match, result.partial?.reason).not.toBeNull();
    const [requests, turns, sessions] = (match ?? []).slice(1).map((n) => Number(n.replaceAll(',', '')));
    expect(turns).toBe(10 * sessions);
    // Each event starts at most one session, and the limit is checked every 4,096 events.
    expect(requests + turns).toBeGreaterThan(20_000);
    expect(turns).toBeLessThanOrEqual(20_000 + 10 * 4096);
    // 100 sessions a second hold 20,000 turns after 20 s, and 60,960 after 61 s.
    expect(result.partial?.at_s).toBeGreaterThan(19);
    expect(result.partial?.at_s).toBeLessThan(62);
    expect(sessions).toBeCloseTo(100 * (result.partial?.at_s ?? 0), -2);
    expect(conserved(result)).toBe(true);
  });
});

describe('max_wall', () => {
  it('a run past its wall-clock budget stops at the first check, as a partial result', () => {
    const result = simulate(stable({ maxWallS: 0 }));
    expect(result.partial?.limit).toBe('max_wall');
    expect(result.events).toBe(4096);
    expect(result.partial?.reason).toBe('0s of wall-clock time, the most limits.max_wall allows');
    expect(conserved(result)).toBe(true);
  });
});

describe('draining', () => {
  const DRAIN = `duration: 60s
workload: { arrivals: { poisson: { rate: 5 } } }
fleets:
  - name: cpu
    replicas: { min: 1, max: 8, initial: 1 }
    price_per_hour: 1
    service_time: 1e12ms
    autoscaling: { policy: target-tracking, metric: concurrency, target: 2 }
`;

  it('service times of 1e12 ms on an autoscaled fleet stop draining at the default max_drain, every request unfinished and lost', async () => {
    const scenario = await load(DRAIN);
    expect(scenario.maxDrain).toBe(3600);
    const started = performance.now();
    const result = simulate(scenario);
    expect((performance.now() - started) / 1000).toBeLessThan(30);
    expect(result.partial).toBeUndefined();
    expect(result.simulated_s.arrivals_end).toBe(60);
    expect(result.simulated_s.end).toBe(60 + 3600);
    const r = result.requests;
    expect(r.arrived).toBeGreaterThan(200);
    expect(r.completed).toBe(0);
    expect(r.in_flight_at_end).toBe(r.arrived);
    expect(dropRate(r)).toBe(1);
    expect(result.slo.met).toBe(false);
    const codes = runWarnings(result, scenario).map((w) => w.code);
    expect(codes).toContain('DRAIN_LIMIT');
    expect(result.warnings[0]).toBe(
      `draining stopped 1h after arrivals ended (max_drain) with ${r.arrived} measured requests unfinished: they count as lost, against the drop rate, and are in no latency percentile`,
    );
    // The autoscaler ticks until the drain limit: about 3,660 s / 15 s twice, plus the arrivals.
    expect(result.events).toBeLessThan(r.arrived + 2 * (3660 / 15) + 100);
  });

  it('progress says what is draining: requests in flight and simulated time', async () => {
    const seen: Progress[] = [];
    simulate(await load(DRAIN), { onProgress: (p) => seen.push(p) });
    const draining = seen.filter((p) => p.draining);
    expect(draining.length).toBeGreaterThan(0);
    for (const p of draining) {
      expect(p.simulatedS).toBeGreaterThanOrEqual(60);
      expect(p.simulatedS).toBeLessThanOrEqual(3660);
      expect(p.inFlight).toBe(seen.at(-1)?.arrived);
    }
    expect(draining.at(-1)?.simulatedS).toBeGreaterThan(3600);
  });
});
