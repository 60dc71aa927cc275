import { describe, expect, it } from 'vitest';
import { MAX_BINS } from '../../src/metrics/time-series.js';
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
          metrics: { interval },
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
});
