import { describe, expect, it } from 'vitest';
import { runWarnings } from '../../src/metrics/index.js';
import { runScenario } from '../../src/run.js';
import { makeScenario } from '../helpers/scenario.js';
import { costUsd, variantResult } from '../report/fixtures/variants.js';

const scenario = makeScenario();

function lost(dropped: number, timedOut: number, inFlight: number) {
  const completed = 10_000 - dropped - timedOut - inFlight;
  return variantResult('v', {
    requests: { arrived: 10_000, completed, dropped, timed_out: timedOut, in_flight_at_end: inFlight },
  });
}

describe('run warnings', () => {
  it('warns when more than 0.1 % of the measured requests are lost, whichever way', () => {
    // 10 of 10,000 is exactly 0.1 %: tolerated.
    expect(runWarnings(lost(4, 3, 3), scenario)).toEqual([]);
    expect(runWarnings(lost(5, 3, 3), scenario)).toEqual([
      {
        code: 'LOST_REQUESTS',
        subject: 'requests',
        message:
          'lost 11 of 10,000 requests (0.1 %: 5 dropped, 3 timed out, 3 still in flight at the end): its latency and cost figures describe only the 9,989 it served',
      },
    ]);
    expect(runWarnings(lost(0, 5281, 0), scenario)[0].message).toBe(
      'lost 5,281 of 10,000 requests (52.8 %: 0 dropped, 5,281 timed out, 0 still in flight at the end): its latency and cost figures describe only the 4,719 it served',
    );
  });

  it('warns about a fleet that completed nothing but cost money', () => {
    const instances = variantResult('v').instances;
    const idle = variantResult('v', { instances: { gpu: { ...instances.gpu, completed: 0 } } });
    expect(runWarnings(idle, scenario)).toEqual([
      { code: 'SERVES_NOTHING', subject: 'gpu', message: 'fleet gpu completed no request but cost $2.00' },
    ]);
    const free = variantResult('v', {
      instances: { gpu: { ...instances.gpu, completed: 0 } },
      cost_usd: { ...costUsd(0), by_fleet: { gpu: 0 } },
    });
    expect(runWarnings(free, scenario)).toEqual([]);
  });

  it('names the fleet a run sends nothing to, in the run results', async () => {
    const output = await runScenario({
      duration: '1m',
      workload: { arrivals: { poisson: { rate: 5 } } },
      fleets: [
        { name: 'used', replicas: 2, service_time: '100ms', price_per_hour: 1 },
        { name: 'spare', replicas: 1, service_time: '100ms', price_per_hour: 3.6 },
      ],
      routing: { policy: 'weighted', weights: { used: 1, spare: 0 } },
    });
    const [result] = output.results;
    expect(result.instances.spare.completed).toBe(0);
    expect(result.instances.used.completed).toBe(result.requests.completed);
    // One replica for the minute at $0.001 a second.
    expect(result.cost_usd.by_fleet.spare).toBeCloseTo(0.06, 9);
    expect(result.warnings).toEqual(['fleet spare completed no request but cost $0.060']);
  });
});
