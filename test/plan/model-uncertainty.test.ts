import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateSlo } from '../../src/metrics/slo.js';
import {
  checkSlo,
  randomSources,
  renderPlanTable,
  replicateScenario,
  replicationSeeds,
  runPlan,
  wilsonInterval,
} from '../../src/plan/index.js';
import type { RunMetrics } from '../../src/plan/run-metrics.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { drawStepTimeModel } from '../../src/serving/model-uncertainty.js';
import { simulate } from '../../src/sim/index.js';
import { tempDir, writeScenario } from './helpers.js';

describe('the probability of meeting the SLO', () => {
  it('Wilson score intervals match hand-computed values', () => {
    // z = 1.959964; none of 20: [0, z^2 / (20 + z^2)]; all of 20: its mirror; 18 of 20 as in
    // Newcombe (1998), Statistics in Medicine 17, table I method 3.
    const [low0, high0] = wilsonInterval(0, 20);
    expect(low0).toBe(0);
    expect(high0).toBeCloseTo(1.959964 ** 2 / (20 + 1.959964 ** 2), 6);
    const [low20, high20] = wilsonInterval(20, 20);
    expect(low20).toBeCloseTo(20 / (20 + 1.959964 ** 2), 6);
    expect(high20).toBe(1);
    // Exactly 0 and 1, for any count: a bound an ulp off would read as a chance above none.
    for (let n = 1; n <= 200; n++) {
      expect(wilsonInterval(0, n)[0]).toBe(0);
      expect(wilsonInterval(n, n)[1]).toBe(1);
    }
    const [low18, high18] = wilsonInterval(18, 20);
    expect(low18).toBeCloseTo(0.699, 3);
    expect(high18).toBeCloseTo(0.9721, 4);
  });

  it('counts a replication as meeting the SLO only when its own figures meet every objective', () => {
    const slo = {
      limits: [{ metric: 'latency' as const, statistic: 'p99' as const, seconds: 2 }],
      maxDropRate: 0.01,
    };
    const run = (p99: number | null, drop: number, partial = false): RunMetrics => ({
      'latency_s.p99': p99,
      drop_rate: drop,
      ...(partial && { 'partial.at_s': 40 }),
    });
    const runs = [run(1.5, 0), run(2.5, 0), run(1.5, 0.02), run(null, 0), run(1.5, 0, true), run(1.9, 0.01)];
    const replicated = {
      replications: runs.length,
      // The means meet the objective although only two of the six replications do.
      metrics: { 'latency_s.p99': 1.8, drop_rate: 0.005 },
      ci95: null,
      identical: false,
      warnings: [],
      performance: {},
      model_uncertainty: null,
    };
    const check = checkSlo(slo, replicated, runs);
    expect(check.met).toBe(true);
    expect(check.met_by_replication).toEqual([true, false, false, false, false, true]);
    expect(check.met_share).toBeCloseTo(2 / 6, 9);
    const [low, high] = wilsonInterval(2, 6);
    expect(check.met_share_ci95[0]).toBeCloseTo(low, 9);
    expect(check.met_share_ci95[1]).toBeCloseTo(high, 9);
  });
});

/**
 * One L40S serving Llama-3.1-8B a request a second, every request alike (constant arrivals and
 * tokens): nothing varies between replications but the drawn memory fraction (spread 0.1), which
 * sets the time per output token. `tpot` is the objective's limit.
 */
function scenario(tpotLimitS: number): string {
  return `name: marginal
seed: 21
duration: 40s
workload:
  arrivals: { constant: { rate: 1 } }
  input_tokens: 300
  output_tokens: 40
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
    hardware:
      accelerator:
        efficiency_uncertainty: { memory: 0.1 }
slo:
  tpot_p50: ${tpotLimitS}s
`;
}

const REPLICATIONS = 12;

async function plan(tpotLimitS: number, label: string) {
  const dir = tempDir(label);
  const file = writeScenario(dir, scenario(tpotLimitS));
  const outcome = await runPlan({
    scenario: file,
    outDir: dir,
    vary: ['fleets.0.replicas=1..2'],
    replications: REPLICATIONS,
    modelUncertainty: true,
    capacity: false,
    workers: 1,
  });
  return { ...outcome, dir, file };
}

describe('fleetsim plan with model uncertainty', async () => {
  // The nominal TPOT: the scenario's own values, no draw.
  const nominalFile = writeScenario(tempDir('nominal'), scenario(1));
  const nominal = await loadScenarioFile(nominalFile);
  if (!nominal.ok) throw new Error('the scenario does not load');
  const tpot = simulate(nominal.value.variants[0].scenario, { seed: 21 }).tpot_s.p50 as number;

  it('a marginal pick: met in some replications, not all, and each verdict is that replication’s own', async () => {
    // 3 % above the nominal TPOT: a draw of memory more than about 3 % below the catalog's misses.
    const { result, dir, file } = await plan(tpot * 1.03, 'marginal');
    const best = result.best;
    expect(best?.params).toEqual({ 'fleets.0.replicas': 1 });
    const slo = best?.slo;
    if (!best || !slo) throw new Error('no pick');
    expect(slo.met).toBe(true);
    expect(slo.met_share).toBeGreaterThan(0);
    expect(slo.met_share).toBeLessThan(1);

    // Each replication again, by hand: the pick's scenario, the seed's draw, the SLO on its own figures.
    const loaded = await loadScenarioFile(file, { set: ['fleets.0.replicas=1', 'model_uncertainty=true'] });
    if (!loaded.ok) throw new Error('the pick does not load');
    const pick = loaded.value.variants[0].scenario;
    const seeds = replicationSeeds(21, REPLICATIONS);
    const memory: number[] = [];
    const verdicts = seeds.map((seed, i) => {
      const draw = drawStepTimeModel(pick, seed);
      memory.push(draw.fleets.gpu.drawn.memory);
      expect(best.model_uncertainty?.draws[i].gpu.memory).toBeCloseTo(draw.fleets.gpu.drawn.memory, 9);
      return evaluateSlo(loaded.value.slo, simulate(draw.scenario, { seed })).met;
    });
    expect(slo.met_by_replication).toEqual(verdicts);
    const met = verdicts.filter(Boolean).length;
    expect(slo.met_share).toBeCloseTo(met / REPLICATIONS, 9);
    const [low, high] = wilsonInterval(met, REPLICATIONS);
    expect(slo.met_share_ci95).toEqual([Number(low.toPrecision(10)), Number(high.toPrecision(10))]);
    // Physics, not bookkeeping: a faster memory fraction never misses where a slower one met.
    const order = memory.map((m, i) => [m, verdicts[i]] as const).sort((a, b) => a[0] - b[0]);
    const firstMet = order.findIndex(([, v]) => v);
    expect(order.slice(firstMet).every(([, v]) => v)).toBe(true);
    expect(order[firstMet][0]).toBeGreaterThan(0.8 / 1.03);

    const markdown = readFileSync(join(dir, 'plan.md'), 'utf8');
    expect(markdown).toContain(
      `It met the SLO in ${met} of ${REPLICATIONS} replications: probability ${Math.round((100 * met) / REPLICATIONS)} %`,
    );
    expect(renderPlanTable(result)).toMatch(/P\(SLO\)/);
    expect(result.model_uncertainty).toBe(true);
  });

  it('a robust pick: met in every replication', async () => {
    const { result } = await plan(tpot * 3, 'robust');
    const slo = result.best?.slo;
    expect(slo?.met_by_replication).toEqual(Array(REPLICATIONS).fill(true));
    expect(slo?.met_share).toBe(1);
    expect(slo?.met_share_ci95[1]).toBe(1);
    expect(slo?.met_share_ci95[0]).toBeCloseTo(REPLICATIONS / (REPLICATIONS + 1.959964 ** 2), 6);
  });

  it('without model uncertainty the replications of this scenario are identical and all meet it', async () => {
    const [variant] = await replicateScenario(nominal.value, {
      replications: 3,
      workers: 1,
      modelUncertainty: false,
    });
    expect(variant.identical).toBe(true);
    expect(variant.model_uncertainty).toBeNull();
    expect(variant.slo.met_by_replication).toEqual([true, true, true]);
    const scenario = nominal.value.variants[0].scenario;
    expect(randomSources(scenario)).toEqual([]);
    expect(randomSources({ ...scenario, modelUncertainty: true })).toEqual([
      'the step-time parameters (model_uncertainty)',
    ]);
  });
});
