import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderSummaryJson, summarize } from '../../src/report/index.js';
import { formatDiagnostic, type LoadedScenario, loadScenarioText } from '../../src/scenario/index.js';
import { loadAccelerators } from '../../src/serving/llm/accelerator.js';
import { drawStepTimeModel } from '../../src/serving/model-uncertainty.js';
import { simulate } from '../../src/sim/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = join(ROOT, 'test/fixtures/scenarios/uncertainty.yaml');

/** Φ⁻¹(0.75), the standard normal's upper quartile (any table of the normal distribution). */
const UPPER_QUARTILE = 0.6744897501960817;

/** Llama-3.1-8B on one accelerator, Poisson arrivals with lognormal prompts; `accelerator` is the fleet's `hardware.accelerator` (or an instance). */
function yaml(fleet: string, extra = ''): string {
  return `name: uncertain
seed: 3
duration: 2m
workload:
  arrivals: { poisson: { rate: 2 } }
  input_tokens: { lognormal: { median: 500, sigma: 0.7 } }
  output_tokens: { lognormal: { median: 80, sigma: 0.5 } }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
${fleet}
${extra}`;
}

const L40S = '    instance: aws/g6e.xlarge';
/** The L40S's catalog memory fraction, which a draw without a memory spread keeps. */
const L40S_MEMORY = loadAccelerators().get('l40s')?.efficiency.memory as number;
/** A catalog accelerator by name, priced by hand; `lines` go under it. */
const inline = (name: string, lines = '') => `    price_per_hour: 3
    hardware:
      accelerator:
        name: ${name}
${lines}`;

async function load(text: string): Promise<LoadedScenario> {
  const result = await loadScenarioText(text, FILE);
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  return result.value;
}

const baseline = async (text: string) => (await load(text)).variants[0].scenario;

/** The drawn parameters of fleet gpu for seeds 1..n, and its spreads and basis. */
function draws(scenario: Awaited<ReturnType<typeof baseline>>, n: number) {
  const all = Array.from({ length: n }, (_, i) => drawStepTimeModel(scenario, i + 1).fleets.gpu);
  return { drawn: all.map((d) => d.drawn), spread: all[0].spread, basis: all[0].basis };
}

function meanAndStd(values: readonly number[]): { mean: number; std: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  return { mean, std };
}

describe('drawing the step-time parameters', () => {
  it('with a known spread: the logarithms of the draws have mean ln(value) and that spread', async () => {
    // compute 0.3 at spread 0.2 never reaches the cap of 1 (that would take z = 6); the overhead has none.
    const scenario = await baseline(
      yaml(
        L40S,
        `    hardware:
      accelerator:
        efficiency: { compute: 0.3, iteration_overhead: 4ms }
        efficiency_uncertainty: { compute: 0.2, iteration_overhead: 0.5 }`,
      ),
    );
    const n = 4000;
    const { drawn } = draws(scenario, n);
    for (const [key, value, spread] of [
      ['compute', 0.3, 0.2],
      ['iteration_overhead', 0.004, 0.5],
    ] as const) {
      const logs = meanAndStd(drawn.map((d) => Math.log(d[key] / value)));
      // Four standard errors: of a mean, spread / sqrt(n); of a standard deviation, spread / sqrt(2n).
      expect(Math.abs(logs.mean)).toBeLessThan((4 * spread) / Math.sqrt(n));
      expect(Math.abs(logs.std - spread)).toBeLessThan((4 * spread) / Math.sqrt(2 * n));
      // A lognormal factor of median 1 has mean exp(spread^2 / 2).
      const values = meanAndStd(drawn.map((d) => d[key]));
      const mean = value * Math.exp(spread ** 2 / 2);
      const std = mean * Math.sqrt(Math.exp(spread ** 2) - 1);
      expect(Math.abs(values.mean - mean)).toBeLessThan((4 * std) / Math.sqrt(n));
    }
    // Keys without a spread are not drawn: memory stays the catalog's, every time.
    expect(new Set(drawn.map((d) => d.memory))).toEqual(new Set([L40S_MEMORY]));
  });

  it('caps a fraction at 1, as often as the normal distribution says', async () => {
    const scenario = await baseline(
      yaml(
        L40S,
        `    hardware:
      accelerator:
        efficiency: { memory: 0.9 }
        efficiency_uncertainty: { memory: 0.3 }`,
      ),
    );
    const n = 4000;
    const memory = draws(scenario, n).drawn.map((d) => d.memory);
    expect(Math.max(...memory)).toBe(1);
    expect(Math.min(...memory)).toBeGreaterThan(0);
    // P(0.9 exp(0.3 z) > 1) = P(z > ln(1/0.9) / 0.3) = 1 - Φ(0.35120) = 0.36272.
    const capped = memory.filter((m) => m === 1).length / n;
    expect(Math.abs(capped - 0.36272)).toBeLessThan(4 * Math.sqrt((0.36272 * 0.63728) / n));
  });

  it('without efficiency_uncertainty: the spread docs/validation.md gives the part, on every parameter', async () => {
    const doc = readFileSync(join(ROOT, 'docs/validation.md'), 'utf8');
    const status = doc.slice(doc.indexOf('<!-- status:start -->'), doc.indexOf('<!-- status:end -->'));
    const worst = (id: string) => {
      const row = status.split('\n').find((line) => line.startsWith(`| ${id} `)) as string;
      return Number(/-([\d.]+) %/.exec(row.split('|')[3])?.[1]) / 100;
    };
    const spreadOf = (medianError: number) => Math.log(1 + medianError) / UPPER_QUARTILE;
    const h100 = draws(await baseline(yaml(inline('h100-80gb'))), 1);
    expect(worst('h100-80gb')).toBeCloseTo(0.198, 12);
    for (const spread of Object.values(h100.spread)) expect(spread).toBeCloseTo(spreadOf(0.198), 12);
    expect(Object.keys(h100.spread)).toHaveLength(7);
    expect(h100.basis).toMatch(
      /^validated h100-80gb: the largest median step-time error of its measured groups, 19.8 %/,
    );
    // Parts no step time was compared on: the documented assumptions, 30 % (profiled) and 50 %.
    // The instance catalog has no A40: named with the datasheet figures the accelerator catalog holds.
    const a40Specs = '        memory_gib: 45\n        bandwidth_gbps: 696\n        tflops: { bf16: 149.7 }';
    const a40 = draws(await baseline(yaml(inline('a40', a40Specs))), 1);
    expect(a40.spread.compute).toBeCloseTo(spreadOf(0.3), 12);
    expect(a40.basis).toMatch(/^profiled a40: an assumed median step-time error of 30 %/);
    const l40s = draws(await baseline(yaml(L40S)), 1);
    expect(l40s.spread.memory).toBeCloseTo(spreadOf(0.3), 12);
    expect(l40s.basis).toMatch(/^profiled l40s: an assumed median step-time error of 30 %/);
    const nvl = draws(await baseline(yaml(inline('h100-nvl'))), 1);
    expect(nvl.spread.memory).toBeCloseTo(spreadOf(0.5), 12);
    expect(nvl.basis).toMatch(
      /^class default \(unvalidated\) on h100-nvl: an assumed median step-time error of 50 %/,
    );
    // A validated part whose peaks the scenario changed rests on the scenario's figures: no measurement.
    const changed = draws(await baseline(yaml(inline('h100-80gb', '        bandwidth_gbps: 3000'))), 1);
    expect(changed.spread.compute).toBeCloseTo(spreadOf(0.5), 12);
    expect(changed.basis).toMatch(/^scenario on h100-80gb: an assumed median step-time error of 50 %/);
  });

  it('gives every variant and fleet on the same accelerator the same draw, and another accelerator its own', async () => {
    const loaded = await load(
      yaml(
        L40S,
        `variants:
  - { name: two, set: { "fleets.0.replicas": 2 } }
  - { name: h100, set: { "fleets.0.instance": aws/p5.48xlarge } }`,
      ),
    );
    const [one, two, h100] = loaded.variants.map((v) => drawStepTimeModel(v.scenario, 77).fleets.gpu.drawn);
    expect(two).toEqual(one);
    expect(drawStepTimeModel(loaded.variants[0].scenario, 78).fleets.gpu.drawn).not.toEqual(one);
    // Both run the same serving stack's overhead: the same factor would give the same value.
    expect(h100.iteration_overhead).not.toBe(one.iteration_overhead);
  });
});

describe('a run with drawn parameters', () => {
  it('with zero spreads is the run without them, byte for byte', async () => {
    const zero = Object.fromEntries(
      [
        'compute',
        'memory',
        'attention',
        'activation',
        'iteration_overhead',
        'layer_overhead',
        'worker_overhead',
      ].map((key) => [key, 0]),
    );
    const scenario = await baseline(
      yaml(
        L40S,
        `    hardware:
      accelerator:
        efficiency_uncertainty: ${JSON.stringify(zero)}`,
      ),
    );
    for (const seed of [3, 4]) {
      const plain = simulate(scenario, { seed });
      const drawn = simulate(drawStepTimeModel(scenario, seed).scenario, { seed });
      expect(renderSummaryJson(summarize('uncertain', seed, [drawn]))).toBe(
        renderSummaryJson(summarize('uncertain', seed, [plain])),
      );
    }
  });

  it('sees the same arrivals and tokens, slower or faster, and reports the scenario’s own performance source', async () => {
    const scenario = await baseline(
      yaml(
        L40S,
        `    hardware:
      accelerator:
        efficiency_uncertainty: { memory: 0.3 }`,
      ),
    );
    const requests = (s: typeof scenario) => {
      const seen: string[] = [];
      const result = simulate(s, {
        seed: 5,
        onRequest: (r) => seen.push(`${r.arrival}/${r.input_tokens}/${r.output_tokens}`),
      });
      return { seen: seen.sort(), result };
    };
    const plain = requests(scenario);
    const draw = drawStepTimeModel(scenario, 5);
    const drawn = requests(draw.scenario);
    expect(drawn.seen).toEqual(plain.seen);
    expect(drawn.result.tpot_s.p50).not.toBe(plain.result.tpot_s.p50);
    expect(drawn.result.performance).toEqual(plain.result.performance);
    // A decode step streams the weights and the KV cache at the memory fraction and adds overheads
    // that do not depend on it: TPOT moves the way 1 / memory does, but by less.
    const ratio = (drawn.result.tpot_s.p50 as number) / (plain.result.tpot_s.p50 as number);
    const inverse = L40S_MEMORY / draw.fleets.gpu.drawn.memory;
    expect(Math.abs(inverse - 1)).toBeGreaterThan(0.05);
    expect(Math.abs(ratio - 1)).toBeGreaterThan(0.5 * Math.abs(inverse - 1));
    expect(Math.abs(ratio - 1)).toBeLessThan(Math.abs(inverse - 1));
    expect(Math.sign(ratio - 1)).toBe(Math.sign(inverse - 1));
  });
});
