import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDiagnostic, loadScenarioText } from './index.js';
import { applyOverride } from './overrides.js';

/** Lines 1-7; a variant list follows from line 8. */
const BASE = `name: batch
duration: 1h
workload:
  arrivals: { poisson: { rate: 40 } }
fleets:
  - { name: a, replicas: 1, price_per_hour: 1, service_time: 100ms }
  - { name: b, replicas: 1, price_per_hour: 1, service_time: 100ms }
`;

async function errors(text: string, set: string[] = []): Promise<string[]> {
  const result = await loadScenarioText(text, '/x/batch.yaml', { set });
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map(formatDiagnostic);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the overrides of a variant or of --set, written into one copy', () => {
  it('each see what the ones before wrote, and the baseline stays as written', async () => {
    const text = `${BASE}variants:
  - name: v
    set:
      fleets.1.queue: { capacity: 5, timeout: 1s }
      fleets.1.queue.capacity: 7
      fleets.0.replicas: 3
      fleets.2: { name: c, replicas: 2, price_per_hour: 1, service_time: 100ms }
`;
    const result = await loadScenarioText(text, '/x/batch.yaml', { set: ['fleets.0.price_per_hour=2'] });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    const [baseline, variant] = result.value.variants;
    expect(baseline.scenario.fleets.map((f) => [f.name, f.replicas, f.queue.capacity])).toEqual([
      ['a', 1, Number.POSITIVE_INFINITY],
      ['b', 1, Number.POSITIVE_INFINITY],
    ]);
    expect(baseline.scenario.fleets[0].priceUsdPerHour).toBe(2);
    expect(variant.scenario.fleets.map((f) => [f.name, f.replicas, f.queue.capacity])).toEqual([
      ['a', 3, Number.POSITIVE_INFINITY],
      ['b', 1, 7],
      ['c', 2, Number.POSITIVE_INFINITY],
    ]);
    expect(variant.scenario.fleets[1].queue.timeout).toBe(1);
    expect(variant.scenario.fleets[0].priceUsdPerHour).toBe(2);
  });

  it('leave out one that fails, with nothing it wrote on the way', async () => {
    // The first key writes `model: {}` before it finds no list to index: left in the shared copy,
    // the schema would refuse that empty model too.
    const text = `${BASE}variants:
  - name: v
    set:
      model.optimizations.0.quantize: int8
      fleets.0.replicas: 3
      fleets.9.replicas: 2
`;
    expect(await errors(text)).toEqual([
      '/x/batch.yaml:11:7: variants[0].set["model.optimizations.0.quantize"]: model.optimizations is not set, so it has no index 0',
      '/x/batch.yaml:13:7: variants[0].set["fleets.9.replicas"]: fleets has 2 item(s); index 9 is out of range',
    ]);
    expect(await errors(BASE, ['model.optimizations.0.quantize=int8', 'fleets.0.replicas=3'])).toEqual([
      '--set:1:1: model.optimizations.0.quantize: model.optimizations is not set, so it has no index 0',
    ]);
  });

  it('report a mistake where the override that wrote the value last has it', async () => {
    const text = `${BASE}variants:
  - name: v
    set:
      fleets.1.queue: { capacity: 5, timeout: soon }
      fleets.1.queue.capacity: -7
      fleets.0: { name: a, replicas: 0, price_per_hour: 1, service_time: 100ms }
      fleets.0.price_per_hour: -1
`;
    expect(await errors(text)).toEqual([
      '/x/batch.yaml:11:47: fleets[1].queue.timeout: expected a duration like 250ms, 30s, 5m, 2h, 1d; got "soon" (variant "v")',
      '/x/batch.yaml:12:32: fleets[1].queue.capacity: expected a non-negative integer (variant "v")',
      '/x/batch.yaml:13:38: fleets[0].replicas: expected a positive integer (variant "v")',
      '/x/batch.yaml:14:32: fleets[0].price_per_hour: expected a non-negative number (variant "v")',
    ]);
    const set = ['fleets.1.queue={capacity: 5, timeout: soon}', 'fleets.1.queue.capacity=-7', 'bad'];
    expect(await errors(BASE, set)).toEqual([
      '--set:1:39: fleets[1].queue.timeout: expected a duration like 250ms, 30s, 5m, 2h, 1d; got "soon"',
      '--set:2:25: fleets[1].queue.capacity: expected a non-negative integer',
      '--set:3:1: expected path=value (e.g. fleets.0.replicas=6); got "bad"',
    ]);
  });

  it('copy the scenario once per variant and once for all --sets, not once per override', async () => {
    const count = 40;
    const fleets = Array.from(
      { length: count },
      (_, i) => `  - { name: f${i}, replicas: 1, price_per_hour: 1, service_time: 100ms }`,
    );
    const keys = Array.from({ length: count }, (_, i) => `      fleets.${i}.replicas: 2`);
    const text = `${BASE.split('fleets:')[0]}fleets:\n${fleets.join('\n')}\nvariants:\n  - name: v\n    set:\n${keys.join('\n')}\n`;
    const set = Array.from({ length: count }, (_, i) => `fleets.${i}.price_per_hour=3`);
    const clone = vi.spyOn(globalThis, 'structuredClone');
    const result = await loadScenarioText(text, '/x/batch.yaml', { set });
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    expect(result.value.variants[1].scenario.fleets.every((f) => f.replicas === 2)).toBe(true);
    expect(result.value.variants[1].scenario.fleets.every((f) => f.priceUsdPerHour === 3)).toBe(true);
    const scenarioCopies = clone.mock.calls.filter(([value]) => Object.hasOwn(Object(value), 'fleets'));
    // The text's value for this load, the baseline with the --sets, the variant.
    expect(scenarioCopies).toHaveLength(3);
  });

  it('applyOverride leaves the target as it was when it cannot write', () => {
    const target: Record<string, unknown> = { fleets: [{ name: 'a' }], network: null };
    const before = structuredClone(target);
    expect(applyOverride(target, ['model', 'optimizations', 0, 'quantize'], 'int8')).toBe(
      'model.optimizations is not set, so it has no index 0',
    );
    expect(applyOverride(target, ['network', 'rtt', 'x', 0], 1)).toBe(
      'network.rtt.x is not set, so it has no index 0',
    );
    expect(target).toEqual(before);
    expect(Object.keys(target)).toEqual(['fleets', 'network']);
  });
});
