import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadScenarioText } from './index.js';
import { DEFAULT_MAX_DRAIN_S } from './types.js';

const FILE = join(fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url)), 's.yaml');

/** An autoscaled fleet with a bounded queue, on lines 1-12; `variants:` follows on line 13. */
const BASE = `name: nulls
duration: 10m
max_drain: 2m
workload:
  arrivals: { poisson: { rate: 4 } }
fleets:
  - name: gpu
    replicas: { min: 1, max: 4, initial: 2 }
    autoscaling: { policy: target-tracking, metric: concurrency, target: 2 }
    price_per_hour: 1.5
    service_time: 100ms
    queue: { capacity: 20, timeout: 30s }
`;

async function load(variants: string, set: string[] = []) {
  const result = await loadScenarioText(variants === '' ? BASE : `${BASE}variants:\n${variants}`, FILE, {
    set,
  });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return Object.fromEntries(result.value.variants.map((v) => [v.name, v.scenario]));
}

describe('null in a variant set and in --set', () => {
  it('removes a key whose schema takes no null: an autoscaled fleet becomes a fixed one', async () => {
    const { baseline, fixed } = await load(
      '  - { name: fixed, set: { fleets.0.autoscaling: null, fleets.0.replicas: 3 } }\n',
    );
    expect(baseline.fleets[0].autoscaling).not.toBeNull();
    expect(fixed.fleets[0].autoscaling).toBeNull();
    expect(fixed.fleets[0].replicas).toBe(3);
    // --set, applied to the base before the variants, means the same.
    const viaFlag = await load('', ['fleets.0.autoscaling=null', 'fleets.0.replicas=3']);
    expect(viaFlag.baseline.fleets[0].autoscaling).toBeNull();
  });

  it('keeps null a value where the schema takes it: max_drain, queue capacity and timeout', async () => {
    const { baseline, unbounded } = await load(
      '  - { name: unbounded, set: { max_drain: null, fleets.0.queue.capacity: null, fleets.0.queue.timeout: null } }\n',
    );
    expect(baseline.maxDrain).toBe(120);
    expect(baseline.fleets[0].queue).toEqual({ capacity: 20, timeout: 30 });
    // null drains until the last request leaves; removing the key would have given the default.
    expect(unbounded.maxDrain).toBe(Number.POSITIVE_INFINITY);
    expect(DEFAULT_MAX_DRAIN_S).not.toBe(Number.POSITIVE_INFINITY);
    expect(unbounded.fleets[0].queue).toEqual({ capacity: Number.POSITIVE_INFINITY, timeout: null });
  });

  it('refuses null for a required key, located at the key', async () => {
    const result = await loadScenarioText(
      `${BASE}variants:\n  - { name: nameless, set: { fleets.0.name: null } }\n`,
      FILE,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map(formatDiagnostic)).toEqual([
      `${FILE}:14:30: variants[0].set["fleets.0.name"]: fleets[0].name is required: null cannot remove it`,
    ]);
  });
});
