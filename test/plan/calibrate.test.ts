import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, readMeasuredRun, replayTrace } from '../../src/plan/calibrate/index.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { iterationTime, loadAccelerators, presetModel, SERVING_STACKS } from '../../src/serving/llm/index.js';
import { formatRequestLine } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-calibrate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TRACE = fileURLToPath(new URL('../../traces/azure-llm-2023-conv.csv', import.meta.url));

/** An H100 serving Llama-3.1-8B under vLLM; `efficiency` is the line under its accelerator. */
const server = (efficiency: string) => `name: round-trip
seed: 9
workload:
  arrivals:
    trace: { path: ${TRACE}, format: azure-llm, limit: 1000 }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 3
    hardware:
      accelerator:
        name: h100-80gb
${efficiency}
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
`;

const load = async (text: string) => {
  const loaded = await loadScenarioText(text, join(dir, 'server.yaml'));
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  return loaded.value;
};

/**
 * 1,000 requests of the Azure conversation trace (real arrivals and token counts) served with
 * `efficiency`: the measured run; then its calibration, starting from the catalog's values.
 */
async function roundTrip(
  efficiency: string,
  name: string,
  options: { resamples: number; holdOutShare: number },
) {
  let text = '';
  runLoadedScenario(await load(server(`        efficiency: ${efficiency}`)), undefined, undefined, (r) => {
    text += formatRequestLine(r);
  });
  const measuredPath = join(dir, `${name}.jsonl`);
  writeFileSync(measuredPath, text);
  const measured = readMeasuredRun(measuredPath);
  const { trace } = replayTrace(measured, join(dir, `${name}.csv`));
  return calibrate({ scenario: await load(server('')), measured, replay: trace, ...options });
}

describe('calibrate recovers known step-time parameters (round trip)', async () => {
  // Compute and memory unlike the catalog's (0.75, 0.87), the overhead the serving stack's: every
  // parameter of the truth is one the run identifies, so the fit must find it. The replay's
  // jitter (about 0.5 % on a statistic between nearly equal parameters) is all that separates
  // them: within 3 %.
  const result = await roundTrip('{ compute: 0.5, memory: 0.6 }', 'representable', {
    resamples: 5,
    holdOutShare: 0,
  });
  it('finds compute and memory within 3 %', () => {
    expect(result.fitted.compute).toBeDefined();
    expect(Math.abs((result.fitted.compute as number) / 0.5 - 1)).toBeLessThan(0.03);
    expect(Math.abs((result.fitted.memory as number) / 0.6 - 1)).toBeLessThan(0.03);
    expect(Math.abs(result.after.errors.ttft?.mean as number)).toBeLessThan(0.01);
  });
});

describe('calibrate one fleet of a scenario with several models', async () => {
  // The round trip's server as one of two fleets, each serving its own model: the calibration
  // replays that fleet alone, so it fits what the single-model scenario fits.
  const twoModels = server('')
    .replace(
      'workload:\n  arrivals:\n',
      'workload:\n  classes:\n    - name: chat\n      model: chat\n      arrivals:\n    ',
    )
    .replace(
      'model:\n  llm: { preset: Llama-3.1-8B, precision: bf16 }\n',
      'models:\n  chat: { llm: { preset: Llama-3.1-8B, precision: bf16 } }\n  tuned: { llm: { preset: Qwen2.5-7B, precision: bf16 } }\n',
    )
    .replace(
      '  - name: gpu\n',
      '  - name: other\n    model: tuned\n    replicas: 1\n    instance: aws/g6e.xlarge\n    batching: { policy: continuous }\n  - name: gpu\n    model: chat\n',
    );
  let text = '';
  runLoadedScenario(
    await load(server('        efficiency: { compute: 0.5, memory: 0.6 }')),
    undefined,
    undefined,
    (r) => {
      text += formatRequestLine(r);
    },
  );
  const measuredPath = join(dir, 'two-models.jsonl');
  writeFileSync(measuredPath, text);
  const measured = readMeasuredRun(measuredPath);
  const { trace } = replayTrace(measured, join(dir, 'two-models.csv'));
  const options = { measured, replay: trace, resamples: 0, holdOutShare: 0 };
  const single = await calibrate({ scenario: await load(server('')), ...options });
  const several = await calibrate({ scenario: await load(twoModels), fleet: 'gpu', ...options });
  it("fits the fleet's own model, as the scenario with that model alone does", () => {
    expect(several.fleet.model).toBe('Llama-3.1-8B');
    expect(several.fitted).toEqual(single.fitted);
  });
});

/** Known parameters, each unlike the catalog's (compute 0.75, memory 0.87) and the stack's (2.1 ms). */
const TRUTH = { compute: 0.5, memory: 0.6, iterationOverheadS: 0.003 };

describe('calibrate fits the step times of parameters it cannot all identify (round trip)', async () => {
  const result = await roundTrip('{ compute: 0.5, memory: 0.6, iteration_overhead: 3ms }', 'overhead', {
    resamples: 10,
    holdOutShare: 0.3,
  });
  const value = (name: string) => result.parameters.find((p) => p.name === name);

  it('fits what the run identifies and keeps the rest, saying why', () => {
    expect(result.parameters.filter((p) => p.fitted).map((p) => p.name)).toEqual(['compute', 'memory']);
    // Both lengthen every decode step by nearly the same time: only the KV-cache reads, which grow
    // with the context, tell them apart, and on this run not well enough.
    expect(value('iteration_overhead')?.reason).toMatch(/^cannot be told apart from memory with this run/);
    expect(value('attention')?.reason).toMatch(/^no measurable influence/);
    // The element-wise kernels add time in proportion to the tokens, as the prefill's arithmetic does.
    expect(value('activation')?.reason).toMatch(/^cannot be told apart from compute with this run/);
    for (const name of ['layer_overhead', 'worker_overhead']) {
      expect(value(name)?.reason).toMatch(/^adds the same time to every iteration as iteration_overhead/);
    }
    expect(result.fitted).toEqual({ compute: value('compute')?.value, memory: value('memory')?.value });
  });

  // The tolerance. Nothing here is read through a quantile sketch: the fit compares statistics
  // computed exactly from the per-request times, so the 1 % accuracy of summary.json's DDSketch
  // plays no part. What remains is the replay's jitter (about 0.5 % on a statistic between nearly
  // equal parameters: an arrival that falls into the next iteration changes which requests share
  // a batch) and identifiability. Compute alone sets the prefill of long prompts: it comes within
  // 5 %. iteration_overhead stays at the serving stack's 2.1 ms where the truth has 3 ms, so
  // memory takes up the difference in every decode step (a bandwidth about 9 % lower): it comes
  // within 15 %, and the step times the two give, which are what the fit is for, within 3 %.
  it('recovers the parameters within the stated tolerance', () => {
    expect(Math.abs((value('compute')?.value as number) / TRUTH.compute - 1)).toBeLessThan(0.05);
    expect(Math.abs((value('memory')?.value as number) / TRUTH.memory - 1)).toBeLessThan(0.15);
    expect(value('iteration_overhead')?.value).toBe(SERVING_STACKS.vllm.stepS);
  });

  it('gives the step times of the known parameters, prefill and decode, within 3 %', () => {
    const model = presetModel('Llama-3.1-8B', 'bf16');
    const accelerator = loadAccelerators().get('h100-80gb');
    if (accelerator === undefined) throw new Error('no h100-80gb in the catalog');
    const step = (
      compute: number,
      memory: number,
      overheadS: number,
      batch: Parameters<typeof iterationTime>[2],
    ) =>
      iterationTime(model, { accelerator, count: 1, efficiency: { compute, memory } }, batch, {
        ...SERVING_STACKS.vllm,
        stepS: overheadS,
      }).totalS;
    const batches = [
      { prefill: [{ tokens: 2048, pastTokens: 0 }], decodeSequences: 0, decodeContextTokens: 0 },
      { prefill: [], decodeSequences: 16, decodeContextTokens: 16 * 1200 },
      { prefill: [], decodeSequences: 48, decodeContextTokens: 48 * 1500 },
      { prefill: [{ tokens: 512, pastTokens: 1024 }], decodeSequences: 24, decodeContextTokens: 24 * 900 },
    ];
    for (const batch of batches) {
      const truth = step(TRUTH.compute, TRUTH.memory, TRUTH.iterationOverheadS, batch);
      const fitted = step(
        value('compute')?.value as number,
        value('memory')?.value as number,
        value('iteration_overhead')?.value as number,
        batch,
      );
      // The catalog's values were far off: the fit moved every one of these step times.
      expect(Math.abs(step(0.75, 0.87, SERVING_STACKS.vllm.stepS, batch) / truth - 1)).toBeGreaterThan(0.1);
      expect(Math.abs(fitted / truth - 1)).toBeLessThan(0.03);
    }
  });

  it('reproduces the measured statistics, and predicts the held-out requests', () => {
    for (const errors of [result.after.errors, result.holdOut?.errors]) {
      expect(errors).toBeDefined();
      for (const row of Object.values(errors ?? {})) {
        for (const error of Object.values(row ?? {})) expect(Math.abs(error)).toBeLessThan(0.05);
      }
    }
    expect(result.poorFit).toBeNull();
    // The catalog's values were far off: the fit moved the statistics by tens of percent.
    expect(Math.abs(result.before.errors.tpot?.mean as number)).toBeGreaterThan(0.2);
    expect(result.after.chi2).toBeLessThan(result.before.chi2 / 100);
  });

  it('reports a bootstrap spread for each fitted parameter', () => {
    for (const p of result.parameters.filter((q) => q.fitted)) {
      expect(p.std).toBeGreaterThan(0);
      expect(p.std as number).toBeLessThan(0.1 * p.value);
      const [low, high] = p.ci95 as [number, number];
      expect(low).toBeLessThanOrEqual(high);
    }
  });
});
