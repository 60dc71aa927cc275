import { describe, expect, it } from 'vitest';
import { MAX_BINS } from '../../src/metrics/time-series.js';
import { loadScenarioObject } from '../../src/scenario/index.js';
import { simulate } from '../../src/sim/index.js';
import { makeScenario } from '../helpers/scenario.js';
import { azureConversationTrace } from '../helpers/traces.js';

describe('time series of a trace of unknown length', () => {
  it('widens its interval to stay under MAX_BINS rows, with the rows a run at that interval gives', () => {
    // The hour-long trace replayed ten times slower: 10 hours, at the 10 s a trace of unknown
    // length starts with, would be 3,600 rows; two doublings make 900 rows of 40 s.
    const scenario = (interval: number | null) =>
      makeScenario(
        {
          duration: null,
          workload: {
            arrivals: { kind: 'trace', trace: azureConversationTrace({ speed: 0.1 }) },
            attributes: {},
          },
          metrics: { interval, flapWindow: 300 },
        },
        {
          replicas: 2,
          concurrency: 4,
          serviceTime: { kind: 'constant', value: 0.5 },
        },
      );
    const adaptive = simulate(scenario(null));
    expect(adaptive.timeseries.length).toBeLessThan(MAX_BINS);
    expect(adaptive.timeseries[1].time_s - adaptive.timeseries[0].time_s).toBe(40);
    expect(adaptive.timeseries.reduce((sum, row) => sum + row.arrivals, 0)).toBe(adaptive.requests.arrived);
    expect(adaptive.timeseries.reduce((sum, row) => sum + row.completed, 0)).toBe(
      adaptive.requests.completed,
    );
    expect(adaptive.timeseries).toEqual(simulate(scenario(40)).timeseries);
  });

  it('counts the timeout that ends a run on a whole second (found by scenario-laws.test.ts)', async () => {
    // The scheduled policy takes the fleet to zero at 60 s; the requests of 61 s and 62 s are held
    // for a replica that never comes and give up 300 s later, the second ending the run at 362 s.
    const loaded = await loadScenarioObject({
      duration: 63,
      workload: { arrivals: { constant: { rate: 1 } } },
      fleets: [
        {
          name: 'f0',
          replicas: { min: 0, max: 1, initial: 1 },
          autoscaling: { policy: 'scheduled', schedule: [{ at: 'Mon 00:00', replicas: 0 }] },
          price_per_hour: 0.05,
          service_time: '1ms',
        },
      ],
    });
    if (!loaded.ok) throw new Error(loaded.errors[0].message);
    const result = simulate(loaded.value.variants[0].scenario);
    expect(result.requests).toMatchObject({ arrived: 62, completed: 60, timed_out: 2 });
    expect(result.simulated_s.end).toBe(362);
    const total = (column: 'arrivals' | 'completed' | 'timed_out') =>
      result.timeseries.reduce((sum, row) => sum + row[column], 0);
    expect([total('arrivals'), total('completed'), total('timed_out')]).toEqual([62, 60, 2]);
    expect(result.timeseries.at(-1)).toMatchObject({ time_s: 361, timed_out: 2 });
  });
});
