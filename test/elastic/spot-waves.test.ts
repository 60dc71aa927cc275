import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario, ScenarioError } from '../../src/run.js';

async function run(input: object) {
  const output = await runScenario(input);
  return output.results[0];
}

function trace(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'waves-')), 'reclaims.csv');
  writeFileSync(path, text);
  return path;
}

const fleet = {
  name: 'spot',
  price_per_hour: 1,
  concurrency: 2,
  service_time: '100ms',
  startup: '30s',
  // Replicas 0..4 in turn: a holds 0 and 3, b holds 1 and 4, c holds 2.
  zones: ['a', 'b', 'c'],
};

function noticeTimes(result: Awaited<ReturnType<typeof run>>, name: string): number[] {
  return result.capacity_events.filter((e) => e.kind === 'notice' && e.fleet === name).map((e) => e.time_s);
}

describe('reclaim waves by zone', () => {
  it('a trace row naming a zone takes exactly the replicas of that zone, at once', async () => {
    // A request every 100 s: no replica is busy at a notice, so each retires at once and its
    // replacement takes its slot, and with it its zone.
    const result = await run({
      duration: '10m',
      workload: { arrivals: { constant: { rate: 0.01 } } },
      fleets: [
        { ...fleet, replicas: 5, interruption: { trace: trace('time,zone\n120,a\n300,c\n'), notice: '30s' } },
      ],
    });
    // Zone a holds 2 of the 5 replicas (slots 0 and 3): 2 notices at 90 s; zone c one (slot 2) at 270 s.
    expect(noticeTimes(result, 'spot')).toEqual([90, 90, 270]);
    expect(result.instances.spot.preempted).toBe(3);
    expect(result.requests.in_flight_at_end).toBe(0);
  });

  it('rows without a zone still take one replica each', async () => {
    const result = await run({
      duration: '10m',
      workload: { arrivals: { constant: { rate: 0.01 } } },
      fleets: [
        { ...fleet, replicas: 5, interruption: { trace: trace('time,zone\n120,\n300,b\n'), notice: '30s' } },
      ],
    });
    // The first row takes the newest replica (slot 4, zone b), replaced in its slot: zone b then
    // holds slots 1 and 4 again.
    expect(noticeTimes(result, 'spot')).toEqual([90, 270, 270]);
  });

  it('fleets of one instance type share the waves of a zone they both use', async () => {
    const spot = (name: string, zones: string[]) => ({
      name,
      instance: 'aws/g5.xlarge',
      market: 'spot',
      replicas: 3,
      concurrency: 2,
      service_time: '100ms',
      startup: '30s',
      zones,
      interruption: { waves: { per_hour: 3 } },
    });
    const result = await run({
      seed: 4,
      duration: '3h',
      workload: { arrivals: { constant: { rate: 5 } } },
      fleets: [spot('one', ['us-east-1a']), spot('two', ['us-east-1a']), spot('three', ['us-east-1b'])],
      routing: { policy: 'least-outstanding' },
    });
    const [one, two, three] = ['one', 'two', 'three'].map((name) => noticeTimes(result, name));
    // About 9 waves in 3 h; each takes all three replicas of a fleet in that zone at one instant.
    expect(one.length).toBeGreaterThan(6);
    expect(one.length % 3).toBe(0);
    expect(one).toEqual(two);
    expect(three).not.toEqual(one);
  });

  it('a wave takes each replica with the chance share', async () => {
    const result = await run({
      seed: 9,
      duration: '20h',
      workload: { arrivals: { constant: { rate: 2 } } },
      fleets: [
        {
          ...fleet,
          zones: undefined,
          replicas: 10,
          interruption: { waves: { per_hour: 1, share: 0.3 }, notice: '30s' },
        },
      ],
    });
    const times = noticeTimes(result, 'spot');
    const waves = new Set(times).size;
    // About 20 waves of Binomial(10, 0.3) notices each: 3 a wave on average.
    expect(waves).toBeGreaterThan(10);
    expect(times.length / waves).toBeGreaterThan(2);
    expect(times.length / waves).toBeLessThan(4.5);
  });

  it('refuses a zone the fleet does not have, and a zone column without zones, at the row', async () => {
    const unknown = trace('time,zone\n10,a\n20,d\n');
    await expect(
      run({
        duration: '1m',
        workload: { arrivals: { constant: { rate: 1 } } },
        fleets: [{ ...fleet, replicas: 3, interruption: { trace: unknown, notice: '5s' } }],
      }),
    ).rejects.toThrow(/reclaims\.csv:3:2: column "zone": "d" is not one of the fleet's zones \(a, b, c\)/);
    const noZones = trace('time,zone\n10,a\n');
    await expect(
      run({
        duration: '1m',
        workload: { arrivals: { constant: { rate: 1 } } },
        fleets: [{ ...fleet, zones: undefined, replicas: 3, interruption: { trace: noZones, notice: '5s' } }],
      }),
    ).rejects.toThrow(/reclaims\.csv:1:2: a "zone" column names zones of the fleet, which has no `zones:`/);
    await expect(
      run({
        duration: '1m',
        workload: { arrivals: { constant: { rate: 1 } } },
        fleets: [{ ...fleet, zones: ['a', 'a'], replicas: 3 }],
      }),
    ).rejects.toBeInstanceOf(ScenarioError);
  });
});

describe('spot max_price', () => {
  const prices = () => trace('time,price\n600,2.5\n1200,0.8\n');
  const spotFleet = (extra: object) => ({
    name: 'spot',
    instance: 'aws/g5.xlarge',
    market: 'spot',
    replicas: 3,
    service_time: '100ms',
    startup: '60s',
    ...extra,
  });

  it('reclaims every replica when the price passes the maximum and launches again when it falls', async () => {
    const result = await run({
      duration: '30m',
      workload: { arrivals: { constant: { rate: 0.01 } } },
      fleets: [spotFleet({ spot_price: { trace: prices(), max_price: 2 } })],
    });
    const events = result.capacity_events.map((e) => `${e.time_s} ${e.kind}`);
    // Above 2 USD/h from 600 s to 1200 s: three notices (AWS, two minutes' warning) and no launch
    // until the price falls; then the three owed replicas launch, ready 60 s later.
    expect(events).toEqual(['600 unavailable', '600 notice', '600 notice', '600 notice', '1200 available']);
    expect(result.instances.spot).toMatchObject({ launched: 6, preempted: 3 });
    // Billed (all idle, so each retires at its notice): 3 x 600 s at the catalog's spot price,
    // then from 1200 s to the end (1800 s) at 0.8 USD/h.
    expect(result.instances.spot.replica_hours).toBeCloseTo((3 * 600 + 3 * 600) / 3600, 9);
  });

  it('a maximum the price never passes changes nothing', async () => {
    const [capped, free] = await Promise.all([
      run({
        duration: '30m',
        workload: { arrivals: { constant: { rate: 0.5 } } },
        fleets: [spotFleet({ spot_price: { trace: prices(), max_price: 3 } })],
      }),
      run({
        duration: '30m',
        workload: { arrivals: { constant: { rate: 0.5 } } },
        fleets: [spotFleet({ spot_price: { trace: prices() } })],
      }),
    ]);
    expect(capped.cost_usd).toEqual(free.cost_usd);
    expect(capped.capacity_events).toEqual([]);
  });
});
