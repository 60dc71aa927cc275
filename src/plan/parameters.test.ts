import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDiagnostic, loadScenarioText } from '../scenario/index.js';
import { loadPoints, mergeParameters, parseParameterArguments, type ScenarioSource } from './parameters.js';
import { sweepPoints } from './points.js';

const VALUES = Array.from({ length: 60 }, (_, i) => i + 1);

const TEXT = `name: grid
duration: 1h
workload:
  arrivals: { poisson: { rate: 40 } }
fleets:
  - { name: a, replicas: 1, price_per_hour: 1, service_time: 100ms }
slo: { latency_p99: 2s }
sweep:
  grid:
    fleets.0.replicas: [${VALUES.join(', ')}]
variants:
  - { name: cheap, set: { fleets.0.price_per_hour: 0.5 } }
`;
const FILE = '/x/grid.yaml';

async function base() {
  const loaded = await loadScenarioText(TEXT, FILE);
  if (!loaded.ok) throw new Error(loaded.errors.map(formatDiagnostic).join('\n'));
  const parameters = mergeParameters(loaded.value.sweep, []);
  const generated = sweepPoints(parameters, { sampling: 'grid', points: null, seed: 1 });
  if ('error' in generated) throw new Error(generated.error);
  const source: ScenarioSource = { file: FILE, text: TEXT, set: [], dataRoot: null };
  return { parameters, points: generated.points, source };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('loading the points of a grid', () => {
  it('gives each point the scenario --set gives, without copying the grid per point', async () => {
    const { parameters, points, source } = await base();
    const clone = vi.spyOn(globalThis, 'structuredClone');
    const loaded = await loadPoints(source, parameters, points);
    // The grid is checked and read with the base: a point that carried it copied and checked
    // all the values of the grid again, so n values cost n squared.
    const withGrid = clone.mock.calls.filter(([value]) => Object.hasOwn(Object(value), 'sweep'));
    expect(withGrid).toHaveLength(0);
    clone.mockRestore();
    if (!loaded.ok) throw new Error(loaded.errors.map(formatDiagnostic).join('\n'));
    expect(loaded.value).toHaveLength(VALUES.length);
    for (const i of [0, 7, 59]) {
      const alone = await loadScenarioText(TEXT, FILE, { set: [`fleets.0.replicas=${VALUES[i]}`] });
      if (!alone.ok) throw new Error(alone.errors.map(formatDiagnostic).join('\n'));
      expect(loaded.value[i].variants.map((v) => [v.name, v.scenario])).toEqual(
        alone.value.variants.map((v) => [v.name, v.scenario]),
      );
    }
  });

  it('still checks a point whose value is written into the whole-file keys', async () => {
    const { source } = await base();
    const flags = parseParameterArguments(['slo.p99=[1s, 2s]'], '--grid');
    if (!flags.ok) throw new Error('the flag parses');
    const parameters = flags.value;
    const points = [0, 1].map((index) => ({ index, values: [['1s', '2s'][index]] }));
    const loaded = await loadPoints(source, parameters, points);
    expect(loaded.ok ? [] : loaded.errors.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/^--grid:1:1: slo\.p99: unknown key "p99" in slo/),
    ]);
  });

  it('keeps no scenario when only whether each point runs is asked', async () => {
    const { parameters, points, source } = await base();
    const loaded = await loadPoints(source, parameters, points.slice(0, 3), { withScenarios: false });
    if (!loaded.ok) throw new Error(loaded.errors.map(formatDiagnostic).join('\n'));
    expect(
      loaded.value.flatMap((point) => point.variants.map((v) => [v.name, v.scenario, v.infeasible])),
    ).toEqual(
      [0, 1, 2].flatMap(() => [
        ['baseline', null, null],
        ['cheap', null, null],
      ]),
    );
  });
});
