import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/index.js';
import { simulate } from '../../src/sim/index.js';
import { mmcScenario } from './helpers.js';

const BASE = mmcScenario({ rate: 4, concurrency: 8, duration: 1000 });

async function errorsOf(yaml: string, set: string[] = []): Promise<string[]> {
  const loaded = await loadScenarioText(yaml, 'keys.yaml', { set });
  return loaded.ok ? [] : loaded.errors.map((e) => `${e.file}:${e.line}:${e.col}: ${e.message}`);
}

describe('slo, sweep and workload.scale keys', () => {
  it('resolve the SLO to seconds and expand sweep ranges', async () => {
    const loaded = await loadScenarioText(
      `${BASE}slo: { latency_p99: 2s, queue_wait_p999: 500ms, max_drop_rate: 0.001 }
sweep:
  grid:
    fleets.0.replicas: "2..5"
    workload.scale: "0.5..1.5 step 0.25"
    fleets.0.instance: [aws/g6.xlarge, gcp/g2-standard-8]
    fleets.0.price_per_hour: 3
  sampling: random
  points: 4
`,
      'keys.yaml',
    );
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    expect(loaded.value.slo).toEqual({
      limits: [
        { metric: 'latency', statistic: 'p99', seconds: 2 },
        { metric: 'queue_wait', statistic: 'p999', seconds: 0.5 },
      ],
      maxDropRate: 0.001,
    });
    expect(loaded.value.sweep).toEqual({
      parameters: [
        { path: 'fleets.0.replicas', values: [2, 3, 4, 5] },
        { path: 'workload.scale', values: [0.5, 0.75, 1, 1.25, 1.5] },
        { path: 'fleets.0.instance', values: ['aws/g6.xlarge', 'gcp/g2-standard-8'] },
        { path: 'fleets.0.price_per_hour', values: [3] },
      ],
      sampling: 'random',
      points: 4,
    });
  });

  it('workload.scale multiplies the arrival rate on the same random numbers', async () => {
    const run = async (set: string[]) => {
      const loaded = await loadScenarioText(BASE, 'keys.yaml', { set });
      if (!loaded.ok) throw new Error('does not load');
      return simulate(loaded.value.variants[0].scenario);
    };
    const twice = await run(['workload.scale=2']);
    // Gaps are -ln(U) / rate on the same draws U: at twice the rate every arrival comes at half the
    // time, so 1000 s at scale 2 (measured after 200 s) holds the arrivals of 2000 s at scale 1 after 400 s.
    const stretched = await run(['duration=2000', 'warmup=400']);
    expect(twice.requests.arrived).toBe(stretched.requests.arrived);
    expect(twice.requests.arrived).toBeGreaterThan(6000);
    const expression = await loadScenarioText(BASE.replace('rate: 4', 'rate: "4 + 0 * t"'), 'keys.yaml', {
      set: ['workload.scale=2'],
    });
    if (!expression.ok) throw new Error('does not load');
    // A rate expression is sampled by thinning, so only the expected count (8/s over 800 s) compares.
    const arrived = simulate(expression.value.variants[0].scenario).requests.arrived;
    expect(Math.abs(arrived / 6400 - 1)).toBeLessThan(0.05);
  });

  it('report mistakes where they are written', async () => {
    expect(await errorsOf(`${BASE}slo: {}\n`)).toEqual([
      'keys.yaml:13:6: slo: expected at least one objective',
    ]);
    expect(await errorsOf(`${BASE}slo: { latency_p98: 2s }\n`)).toEqual([
      'keys.yaml:13:8: slo.latency_p98: unknown key; did you mean "latency_p90"?',
    ]);
    expect(await errorsOf(`${BASE}slo: { max_drop_rate: 2 }\n`)).toEqual([
      'keys.yaml:13:23: slo.max_drop_rate: expected a share between 0 and 1',
    ]);
    expect(await errorsOf(`${BASE}sweep: { grid: { fleets.0.replicas: "1.5..3" } }\n`)).toEqual([
      'keys.yaml:13:37: sweep.grid.fleets.0.replicas: a range of non-integers needs a step, e.g. "1.5..3 step 0.5"',
    ]);
    expect(await errorsOf(`${BASE}sweep: { grid: { slo.latency_p99: [1s, 2s] } }\n`)).toEqual([
      'keys.yaml:13:18: sweep.grid["slo.latency_p99"]: slo cannot be swept',
    ]);
    expect(
      await errorsOf(
        `${BASE}slo: { latency_p99: 2s }\nvariants:\n  - { name: strict, set: { slo.latency_p99: 1s } }\n`,
      ),
    ).toEqual([
      'keys.yaml:15:28: variants[0].set["slo.latency_p99"]: slo applies to the whole scenario; a variant cannot set it',
    ]);
    expect(await errorsOf(BASE, ['workload.scale=0'])).toEqual([
      '--set:1:16: workload.scale: expected a positive number',
    ]);
  });
});
