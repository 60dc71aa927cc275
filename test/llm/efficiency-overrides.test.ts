import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadScenarioText, type Scenario } from '../../src/scenario/index.js';
import type { IterationBatch } from '../../src/serving/llm/index.js';
import { resolveLlmFleet } from '../../src/serving/llm-fleet.js';

const FILE = join(fileURLToPath(new URL('../fixtures/scenarios/', import.meta.url)), 'efficiency.yaml');

/** One H100 serving Llama-3.1-8B in BF16 through vLLM's modern stack; `efficiency` as written. */
function yaml(efficiency: string, accelerator = 'h100-80gb'): string {
  return `duration: 1m
workload:
  arrivals: { poisson: { rate: 1 } }
  input_tokens: 300
  output_tokens: 20
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 3
    batching: { policy: continuous }
    hardware:
      accelerator:
        name: ${accelerator}
${efficiency}`;
}

async function load(text: string, set: string[] = []): Promise<Scenario> {
  const result = await loadScenarioText(text, FILE, { set });
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.value.variants[0].scenario;
}

async function errors(text: string, set: string[] = []): Promise<string[]> {
  const result = await loadScenarioText(text, FILE, { set });
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map((d) => `${d.file === FILE ? '' : `${d.file}:`}${d.line}:${d.col}: ${d.message}`);
}

function fleetModel(scenario: Scenario) {
  const resolved = resolveLlmFleet(scenario.fleets[0], scenario.model);
  if (!resolved.ok) throw new Error(resolved.message);
  return resolved.value;
}

function stepS(scenario: Scenario, batch: IterationBatch): number {
  const into = { seconds: 0, prefillShare: 0 };
  fleetModel(scenario).step(batch, into);
  return into.seconds;
}

const decodeOne: IterationBatch = { prefill: [], decodeSequences: 1, decodeContextTokens: 1000 };
const prefill8k: IterationBatch = {
  prefill: [{ tokens: 8192, pastTokens: 0 }],
  decodeSequences: 0,
  decodeContextTokens: 0,
};

describe('efficiency overrides move the step time as the roofline formula says', () => {
  const base = load(yaml(''));

  it('memory: a batch-1 decode step streams the weights and the KV cache at the new fraction', async () => {
    const slower = await load(yaml('        efficiency: { memory: 0.5 }\n'));
    // Llama-3.1-8B streams every weight but the embedding table, 16-bit: (8.03e9 - 128256 x 4096)
    // x 2 bytes; the step reads 1000 tokens of KV and writes 1, at 2 x 32 layers x 8 KV heads x 128
    // x 2 bytes each. Both are bandwidth-bound at batch 1 on an H100 (3350 GB/s; catalog 0.87); the
    // weight stream meets the one token's arithmetic (2 FLOPs per weight at 0.75 of 989.5 TFLOPS)
    // through the matmul knee, (compute^1.5 + weights^1.5)^(2/3), which adds 0.02 % here.
    const weights = (8.03e9 - 128_256 * 4096) * 2;
    const kv = 1001 * (2 * 32 * 8 * 128 * 2);
    const arithmeticS = weights / (989.5e12 * 0.75);
    const at = (memory: number) =>
      (arithmeticS ** 1.5 + (weights / (3350e9 * memory)) ** 1.5) ** (1 / 1.5) + kv / (3350e9 * memory);
    const expected = at(0.5) - at(0.87);
    expect(expected * 1e3).toBeCloseTo(3.844, 3);
    expect(stepS(slower, decodeOne) - stepS(await base, decodeOne)).toBeCloseTo(expected, 9);
  });

  it('attention: an 8k-token prefill is bound by its attention arithmetic', async () => {
    const faster = await load(yaml('        efficiency: { attention: 0.4 }\n'));
    // Causal attention over 8192 tokens: 8192 x 8193 / 2 query-key pairs, 4 FLOPs per head
    // dimension each, 32 layers x 32 heads x 128; at 0.4 instead of 0.35 of 989.5 BF16 TFLOPS.
    const flops = 4 * 32 * 32 * 128 * ((8192 * 8193) / 2);
    const expected = (flops / 989.5e12) * (1 / 0.4 - 1 / 0.35);
    expect(expected * 1e3).toBeCloseTo(-6.35, 2);
    expect(stepS(faster, prefill8k) - stepS(await base, prefill8k)).toBeCloseTo(expected, 9);
  });

  it('overheads: per iteration, per layer and per extra tensor-parallel worker', async () => {
    const iteration = await load(yaml('        efficiency: { iteration_overhead: 5ms }\n'));
    // vLLM's stack: 2.1 ms per iteration, 25 us per layer, nothing per remote worker.
    expect(stepS(iteration, decodeOne) - stepS(await base, decodeOne)).toBeCloseTo(5e-3 - 2.1e-3, 12);
    const layer = await load(yaml('        efficiency: { layer_overhead: 40us }\n'));
    expect(stepS(layer, decodeOne) - stepS(await base, decodeOne)).toBeCloseTo(32 * (40e-6 - 25e-6), 12);
    const twoGpus = (efficiency: string) => yaml(`        count: 2\n${efficiency}`);
    const worker = await load(twoGpus('        efficiency: { worker_overhead: 3ms }\n'));
    expect(stepS(worker, decodeOne) - stepS(await load(twoGpus('')), decodeOne)).toBeCloseTo(3e-3, 12);
  });

  it('compute and activation: a long prefill slows with its matmul and element-wise fractions', async () => {
    const lower = await load(yaml('        efficiency: { compute: 0.5, activation: 0.3 }\n'));
    expect(stepS(lower, prefill8k)).toBeGreaterThan(stepS(await base, prefill8k));
  });

  it('--set reaches them, so sweeps and a calibration can write them', async () => {
    const set = await load(yaml(''), ['fleets.0.hardware.accelerator.efficiency.attention=0.4']);
    const written = await load(yaml('        efficiency: { attention: 0.4 }\n'));
    expect(set.fleets[0].hardware?.accelerators?.efficiency).toEqual({ attention: 0.4 });
    expect(stepS(set, prefill8k)).toBe(stepS(written, prefill8k));
  });
});

describe('where the performance numbers come from', () => {
  it('a validated part with an override rests on the scenario, and says which values are the user’s', async () => {
    const scenario = await load(yaml('        efficiency: { attention: 0.4, iteration_overhead: 3ms }\n'));
    expect(fleetModel(scenario).performance).toEqual({
      source: 'scenario',
      accelerator: 'h100-80gb',
      detail:
        'roofline on h100-80gb with efficiency attention and iteration_overhead: scenario override ' +
        "(user-provided, not validated here); the catalog entry's median error 2.8-19.8 % over 8 " +
        'measured group(s) (docs/validation.md) holds for its own figures',
      caveat: null,
    });
  });

  it('a class-default part stays unvalidated while any of its fractions is the catalog’s', async () => {
    const partial = fleetModel(
      await load(yaml('        efficiency: { attention: 0.4 }\n', 'inferentia2')),
    ).performance;
    expect(partial.source).toBe('class default (unvalidated)');
    expect(partial.detail).toContain(
      'efficiency attention: scenario override (user-provided, not validated here)',
    );
    expect(partial.caveat).toMatch(
      /^fleet gpu: step times from class-default efficiencies for inferentia2 \(attention from the scenario\) \(unvalidated\)/,
    );
    const all = fleetModel(
      await load(
        yaml(
          '        efficiency: { compute: 0.7, memory: 0.8, attention: 0.3, activation: 0.5 }\n',
          'inferentia2',
        ),
      ),
    ).performance;
    expect(all).toEqual({
      source: 'scenario',
      accelerator: 'inferentia2',
      detail:
        'roofline on inferentia2 with efficiency compute, memory, attention and activation: scenario override ' +
        '(user-provided, not validated here)',
      caveat: null,
    });
  });
});

describe('bad efficiency values', () => {
  it('are reported where they are written', async () => {
    expect(await errors(yaml('        efficiency: { attention: 1.5, memory: 0 }\n'))).toEqual([
      '16:34: fleets[0].hardware.accelerator.efficiency.attention: expected a fraction in (0, 1]',
      '16:47: fleets[0].hardware.accelerator.efficiency.memory: expected a fraction in (0, 1]',
    ]);
    expect(await errors(yaml('        efficiency: { layer_overhead: -5us, step: 1ms }\n'))).toEqual([
      '16:39: fleets[0].hardware.accelerator.efficiency.layer_overhead: expected a non-negative finite duration like 250ms, 30s, 5m, 2h, 1d; got "-5us"',
      '16:45: fleets[0].hardware.accelerator.efficiency.step: unknown key; expected one of: compute, memory, attention, activation, iteration_overhead, layer_overhead, worker_overhead',
    ]);
  });

  it('in --set, at the argument', async () => {
    expect(await errors(yaml(''), ['fleets.0.hardware.accelerator.efficiency.compute=2'])).toEqual([
      expect.stringMatching(
        /^--set:1:\d+: .*fleets\[0\]\.hardware\.accelerator\.efficiency\.compute: expected a fraction in \(0, 1\]$/,
      ),
    ]);
  });

  it('are not taken by a fleet whose step times come from a profile', async () => {
    const text = yaml('        efficiency: { compute: 0.5 }\n').replace(
      '    batching: { policy: continuous }',
      '    batching: { policy: continuous, kv_cache_tokens: 100000 }\n' +
        '    step_time: { profile: { path: x.csv, model: llama2-70b, hardware: h100-80gb } }',
    );
    expect(await errors(text)).toEqual([
      expect.stringMatching(
        /fleets\[0\]\.hardware: accelerator\.efficiency applies to roofline step times; this fleet takes them from a profile$/,
      ),
    ]);
  });
});
