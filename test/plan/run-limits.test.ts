import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import { runPlan, runSweep } from '../../src/plan/index.js';
import { tempDir, writeScenario } from './helpers.js';

/** One fleet at 65 % load; the variant `cut` is the same fleet with a run limit it cannot finish within. */
const SCENARIO = `name: limited
seed: 3
duration: 10m
workload:
  arrivals: { poisson: { rate: 5 } }
  output_tokens: { uniform: { min: 10, max: 200 } }
fleets:
  - { name: gpu, replicas: 2, concurrency: 2, price_per_hour: 1.5, service_time: "50ms + 2ms * output_tokens" }
slo: { latency_p99: 2s }
variants:
  - { name: cut, set: { limits.max_events: 4000 } }
`;

describe('run limits in studies', () => {
  it('a sweep point cut short by a limit misses its objective and says so', async () => {
    const dir = tempDir('limits-sweep');
    const scenario = writeScenario(dir, SCENARIO);
    const { result } = await runSweep({
      scenario,
      outDir: join(dir, 'out'),
      workers: 1,
      grid: ['fleets.0.replicas=[2]'],
    });
    const [whole, cut] = result.rows;
    expect([whole.variant, cut.variant]).toEqual(['baseline', 'cut']);
    expect(whole.meets_slo).toBe(true);
    expect(whole.slo?.partial).toBeUndefined();
    expect(whole.metrics['partial.at_s']).toBeUndefined();
    // The cut run's latency alone meets the objective; being partial fails it.
    expect(cut.metrics['latency_s.p99']).toBeLessThan(2);
    expect(cut.metrics.events).toBe(4000);
    expect(cut.metrics['partial.at_s']).toBeGreaterThan(0);
    expect(cut.meets_slo).toBe(false);
    expect(cut.slo?.partial).toBe('a run limit (limits:)');
    expect(cut.warnings[0]).toMatch(
      /^PARTIAL: the run was stopped at [\d.]+ s simulated by limits\.max_events/,
    );
  });

  it('a plan never picks a candidate cut short, though its shorter run cost less', async () => {
    const dir = tempDir('limits-plan');
    const scenario = writeScenario(dir, SCENARIO);
    const { result } = await runPlan({
      scenario,
      outDir: join(dir, 'out'),
      workers: 1,
      vary: ['fleets.0.replicas=[2]'],
      capacity: false,
    });
    const met = result.candidates.filter((c) => c.meets_slo);
    expect(met.length).toBeGreaterThan(0);
    expect(met.every((c) => c.variant === 'baseline')).toBe(true);
    const cut = result.candidates.filter((c) => c.variant === 'cut');
    expect(cut.length).toBeGreaterThan(0);
    for (const candidate of cut) {
      expect(candidate.meets_slo).toBe(false);
      expect(candidate.slo?.partial).toBe('a run limit (limits:)');
    }
    // Same fleet and list price: only the partial verdict keeps the cheaper, shorter run from ranking first.
    const [best] = result.candidates;
    const twin = cut.find((c) => c.params['fleets.0.replicas'] === best.params['fleets.0.replicas']);
    expect(twin?.cost_usd).toBeLessThan(best.cost_usd as number);
    expect(best.variant).toBe('baseline');
  });

  it('validate lists the load of a sweep too large to finish, at the grid value, and sweep skips it', async () => {
    const dir = tempDir('limits-validate');
    const scenario = writeScenario(
      dir,
      `name: loads
duration: 1h
workload: { arrivals: { poisson: { rate: 100 } } }
fleets:
  - { name: cpu, replicas: 2, price_per_hour: 1, service_time: 10ms }
sweep:
  grid:
    workload.scale: [1, 1e4]
    fleets.0.replicas: [2, 3]
`,
    );
    let stdout = '';
    let stderr = '';
    const code = await runCli(['validate', 'scenario.yaml'], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      cwd: dir,
    });
    expect(code).toBe(0);
    // 100 req/s x 1e4 for an hour: 3.6e9 arrivals, past the 1e9 events a run may take.
    expect(stderr).toBe(
      'scenario.yaml:3:42: sweep points (2 of 4) with workload.scale=10000: workload.arrivals.poisson.rate: about 3.6e+9 requests (1,000,000 req/s on average over 1h) need at least 3.6e+9 events, more than limits.max_events (1,000,000,000): the run could not finish; lower the load or the duration, or raise limits.max_events\n',
    );
    expect(stdout).toBe(
      'scenario.yaml: ok (1 variant(s): baseline); sweep: 4 point(s), 4 configuration(s), 2 infeasible (sweep and plan skip them)\n',
    );
    const { result } = await runSweep({ scenario, outDir: join(dir, 'out'), workers: 1 });
    expect(result.rows.map((row) => row.status)).toEqual(['ok', 'ok', 'infeasible', 'infeasible']);
    expect(result.rows[2].reason).toMatch(/^workload\.arrivals\.poisson\.rate: about 3\.6e\+9 requests/);
  });
});
