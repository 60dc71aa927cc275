import { describe, expect, it } from 'vitest';
import { makeScenario } from '../../test/helpers/scenario.js';
import { type Progress, simulate } from './simulation.js';

describe('progress', () => {
  it('reports simulated time in order, ends at the run end, and changes no result', () => {
    const scenario = makeScenario(
      { duration: 600 },
      { replicas: 2, serviceTime: { kind: 'exponential', mean: 1 } },
    );
    const seen: Progress[] = [];
    const watched = simulate(scenario, { onProgress: (p) => seen.push(p) });
    const plain = simulate(scenario);
    expect(JSON.stringify(watched)).toBe(JSON.stringify(plain));
    expect(seen.length).toBeGreaterThan(100);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].simulatedS).toBeGreaterThanOrEqual(seen[i - 1].simulatedS);
    const last = seen[seen.length - 1];
    // The last event, the last departure: the run itself ends at the later of it and `duration`.
    expect(last.simulatedS).toBeLessThanOrEqual(plain.simulated_s.end);
    expect(last.simulatedS).toBeGreaterThan(plain.simulated_s.end - 10);
    expect(last.events).toBe(plain.events);
    expect(last.arrived).toBe(plain.requests.arrived);
    expect(seen[0].horizonS).toBe(600);
  });
});
