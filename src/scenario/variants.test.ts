import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, loadScenarioText, loadScenarioVariants } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/scenarios/', import.meta.url));
const FILE = join(FIXTURES, 's.yaml');

/** Lines 1-9; a variant list follows from line 10. */
const BASE = `name: many
duration: 1h
workload:
  arrivals: { poisson: { rate: 40 } }
fleets:
  - name: gpu
    replicas: 4
    price_per_hour: 1.5
    service_time: 100ms
`;

/** Variant i sets replicas to 1 + i % 9 and the price to 1 + i / 1000, on line 11 + i. */
function manyVariants(count: number, line?: (i: number) => string): string {
  const lines = Array.from(
    { length: count },
    (_, i) =>
      line?.(i) ??
      `  - { name: v${i}, set: { fleets.0.replicas: ${1 + (i % 9)}, fleets.0.price_per_hour: ${1 + i / 1000} } }`,
  );
  return `${BASE}variants:\n${lines.join('\n')}\n`;
}

async function errors(text: string): Promise<string[]> {
  const result = await loadScenarioText(text, FILE);
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map((d) => formatDiagnostic(d).replaceAll(FIXTURES, ''));
}

describe('thousands of variants', () => {
  // Each variant used to copy, parse and check the whole file, variants list included: loading
  // grew with the square of their number (5,000 took 52 s and 3.7 GB; bench/variants.ts measures it).
  it('load with each its own values and the baseline as written', async () => {
    const result = await loadScenarioText(manyVariants(1000), FILE);
    if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
    const { variants } = result.value;
    expect(variants).toHaveLength(1001);
    expect(variants[0]).toMatchObject({ name: 'baseline' });
    expect(variants[0].scenario.fleets[0]).toMatchObject({ replicas: 4, priceUsdPerHour: 1.5 });
    for (const i of [0, 1, 8, 9, 567, 999]) {
      expect(variants[1 + i].name).toBe(`v${i}`);
      expect(variants[1 + i].scenario.fleets[0]).toMatchObject({
        replicas: 1 + (i % 9),
        priceUsdPerHour: 1 + i / 1000,
      });
    }
  });

  it("report a variant's own mistake at its line with its name, and one in the list once", async () => {
    const text = manyVariants(1000, (i) =>
      i === 700
        ? '  - { name: v700, set: { fleets.0.replicas: -2 } }'
        : i === 900
          ? '  - { name: v700, set: { fleets.0.replicas: 2 } }'
          : `  - { name: v${i}, set: { fleets.0.replicas: 2 } }`,
    );
    expect(await errors(text)).toEqual([
      's.yaml:711:45: fleets[0].replicas: expected a positive integer (variant "v700")',
      's.yaml:911:13: variants[900].name: "v700" is taken by another variant',
    ]);
  });
});

describe('one variant of a point, as a plan evaluates it', () => {
  it('is the only one checked and returned, and its own mistake is labelled with its name', async () => {
    const text = manyVariants(3, (i) =>
      i === 0
        ? '  - { name: v0, set: { fleets.0.replicas: -2 } }'
        : `  - { name: v${i}, set: { fleets.0.replicas: ${i + 1} } }`,
    );
    const point = ['fleets.0.price_per_hour=2'];
    const second = await loadScenarioVariants(text, FILE, { pointSet: point, variant: 2 });
    if (!second.ok) throw new Error(second.errors.map(formatDiagnostic).join('\n'));
    expect(second.value).toHaveLength(1);
    expect(second.value[0].name).toBe('v1');
    expect(second.value[0].scenario?.fleets[0]).toMatchObject({ replicas: 2, priceUsdPerHour: 2 });
    const baseline = await loadScenarioVariants(text, FILE, { pointSet: point, variant: 0 });
    expect(baseline.ok && baseline.value.map((v) => [v.name, v.scenario?.fleets[0].replicas])).toEqual([
      ['baseline', 4],
    ]);

    const first = await loadScenarioVariants(text, FILE, { pointSet: point, variant: 1 });
    expect(first.ok).toBe(false);
    expect(!first.ok && first.errors.map((d) => formatDiagnostic(d).replaceAll(FIXTURES, ''))).toEqual([
      's.yaml:11:43: fleets[0].replicas: expected a positive integer (variant "v0")',
    ]);
  });
});

describe('names', () => {
  const named = (name: string) => BASE.replace('name: many', `name: ${name}`);

  it('refuse control characters, line separators and direction overrides in the scenario name, at the name', async () => {
    for (const [written, found] of [
      ['"a\\0b"', 'U+0000 at character 2'],
      ['"two\\nlines"', 'U+000A at character 4'],
      ['"red \\e[31m"', 'U+001B at character 5'],
      ['"x\\u202Ey"', 'U+202E at character 2'],
      ['"\\u2028"', 'U+2028 at character 1'],
      ['"lone \\uD800"', 'U+D800 at character 6'],
      ['"é漢😀\\u0007"', 'U+0007 at character 4'],
    ]) {
      expect(await errors(named(written)), written).toEqual([
        `s.yaml:1:7: name: expected a scenario name without control characters; found ${found}`,
      ]);
    }
  });

  it('refuse them in a model or accelerator name, and in a name set with --set, each at its place', async () => {
    const accelerator = BASE.replace(
      'price_per_hour: 1.5',
      'price_per_hour: 1.5\n    hardware: { accelerator: { name: "A100\\u0000" } }',
    );
    expect(await errors(accelerator)).toEqual([
      's.yaml:9:38: fleets[0].hardware.accelerator.name: expected an accelerator name without control characters; found U+0000 at character 5',
    ]);
    const model = `${BASE}model: { llm: { name: "m\\e[2J", params: 8e9, layers: 32, hidden: 4096, heads: 32 } }\n`;
    expect(await errors(model)).toEqual([
      's.yaml:10:23: model.llm.name: expected a model name without control characters; found U+001B at character 2',
    ]);
    const student = `${BASE}model:
  llm: { preset: Llama-3.1-8B }
  optimizations: [{ distill: { into: { name: "s\\u202E", params: 3e9, layers: 28, hidden: 3072, heads: 24 } }, quality_delta: -1 }]
`;
    expect(await errors(student)).toEqual([
      's.yaml:12:46: model.optimizations[0].distill.into.name: expected a model name without control characters; found U+202E at character 2',
    ]);
    const longModel = `${BASE}model: { llm: { name: ${'m'.repeat(201)}, params: 8e9, layers: 32, hidden: 4096, heads: 32 } }\n`;
    expect(await errors(longModel)).toEqual([
      's.yaml:10:23: model.llm.name: expected a model name of at most 200 characters, got 201',
    ]);
    const result = await loadScenarioText(BASE, FILE, { set: ['name="x\\ty"'] });
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([
      '--set:1:6: name: expected a scenario name without control characters; found U+0009 at character 2',
    ]);
  });

  it('take a scenario name of 200 characters of any script and punctuation, and refuse 201', async () => {
    const long = `"${'<b>&|*_[x](y)# é漢'.repeat(20).slice(0, 200)}"`;
    const result = await loadScenarioText(named(long), FILE);
    expect(result.ok ? result.value.name : result.errors.map(formatDiagnostic)).toBe(long.slice(1, -1));
    expect(await errors(named(`"${'n'.repeat(201)}"`))).toEqual([
      's.yaml:1:7: name: expected a scenario name of at most 200 characters, got 201',
    ]);
  });

  it('take a variant name of 100 characters and refuse 101, at the name', async () => {
    const ok = await loadScenarioText(
      manyVariants(1, () => `  - { name: ${'v'.repeat(100)}, set: {} }`),
      FILE,
    );
    expect(ok.ok ? ok.value.variants[1].name : ok.errors.map(formatDiagnostic)).toBe('v'.repeat(100));
    expect(await errors(manyVariants(1, () => `  - { name: ${'v'.repeat(101)}, set: {} }`))).toEqual([
      's.yaml:11:13: variants[0].name: expected a variant name of at most 100 characters, got 101',
    ]);
  });

  it('name a scenario without a name after its file, control characters replaced', async () => {
    const text = BASE.replace('name: many\n', '');
    const result = await loadScenarioText(text, join(FIXTURES, 'tab\there\u001b.yaml'));
    expect(result.ok ? result.value.name : result.errors.map(formatDiagnostic)).toBe('tab\uFFFDhere\uFFFD');
  });
});
