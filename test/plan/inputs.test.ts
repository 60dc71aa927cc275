import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileHash, inputFiles, studyDigest } from '../../src/plan/inputs.js';
import { loadScenarioFile, type Scenario } from '../../src/scenario/index.js';
import { tempDir, writeScenario } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures');

/** Every kind of file a resolved scenario can name, each a copy in `dir`. */
function everyInput(dir: string): string {
  const copies: [string, string][] = [
    ['scenarios/traces/vidur-small.csv', 'trace.csv'],
    ['scenarios/service-times.csv', 'service-times.csv'],
    ['elastic/reclaim-at-10s.csv', 'reclaim.csv'],
    ['elastic/unavailable-5-100.csv', 'unavailable.csv'],
    ['elastic/spot-price-drop.csv', 'prices.csv'],
  ];
  for (const [from, to] of copies) copyFileSync(join(FIXTURES, from), join(dir, to));
  writeFileSync(join(dir, 'startup.csv'), 'seconds\n3\n5\n');
  writeFileSync(join(dir, 'bytes.csv'), 'bytes\n100\n2000\n');
  copyFileSync(join(ROOT, 'data/validation/splitwise_perf_model_llama2-70b.csv'), join(dir, 'profile.csv'));
  return writeScenario(
    dir,
    `name: inputs
seed: 1
duration: 60
workload:
  arrivals:
    trace: { path: trace.csv, format: vidur }
  request_bytes: { empirical: { path: bytes.csv, column: bytes } }
fleets:
  - name: spot
    replicas: 1
    instance: aws/g5.xlarge
    market: spot
    startup: { empirical: { path: startup.csv, column: seconds } }
    service_time: { empirical: { path: service-times.csv, column: seconds } }
    interruption: { trace: reclaim.csv, notice: 1s }
    unavailable: { trace: unavailable.csv }
    spot_price: { trace: prices.csv }
    fallback: llm
  - name: llm
    replicas: 1
    price_per_hour: 32
    batching: { policy: continuous, tensor_parallel: 4, kv_cache_tokens: 100000 }
    step_time: { profile: { path: profile.csv, model: llama2-70b, hardware: a100-80gb } }
routing: { policy: spillover, order: [spot, llm] }
`,
  );
}

const digest = (scenario: Scenario) => studyDigest([scenario], scenario);

async function load(path: string): Promise<Scenario> {
  const loaded = await loadScenarioFile(path);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.value.variants[0].scenario;
}

/** Every string in the resolved scenario that names an existing file, found without knowing its shape. */
function filesNamedIn(value: unknown): string[] {
  if (typeof value === 'string') return isAbsolute(value) && existsSync(value) ? [value] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(filesNamedIn);
}

describe('input files of a scenario', () => {
  it('are every file the resolved scenario names, and the pricing files of its instance', async () => {
    const dir = tempDir('inputs-all');
    const scenario = await load(everyInput(dir));
    const named = filesNamedIn(scenario);
    const local = [
      'trace',
      'bytes',
      'startup',
      'service-times',
      'reclaim',
      'unavailable',
      'prices',
      'profile',
    ];
    expect(named.sort()).toEqual(local.map((name) => join(dir, `${name}.csv`)).sort());
    expect(inputFiles(scenario)).toEqual(
      [
        ...named,
        join(ROOT, 'pricing/aws.yaml'),
        join(ROOT, 'pricing/accelerators.yaml'),
        join(ROOT, 'pricing/data-transfer.yaml'),
      ].sort(),
    );
  });

  it('change the digest when any one of them changes, and only then', async () => {
    const dir = tempDir('inputs-digest');
    const scenario = await load(everyInput(dir));
    const before = await digest(scenario);
    expect(await digest(scenario)).toBe(before);
    for (const name of [
      'trace',
      'bytes',
      'startup',
      'service-times',
      'reclaim',
      'unavailable',
      'prices',
      'profile',
    ]) {
      const path = join(dir, `${name}.csv`);
      const text = readFileSync(path, 'utf8');
      writeFileSync(path, `${text}\n`);
      expect(await digest(scenario), name).not.toBe(before);
      writeFileSync(path, text);
      expect(await digest(scenario), name).toBe(before);
    }
  });

  it('count which file plays which part, not where the files are', async () => {
    const dir = tempDir('inputs-where');
    const scenario = await load(everyInput(dir));
    const before = await digest(scenario);
    const elsewhere = tempDir('inputs-elsewhere');
    cpSync(dir, elsewhere, { recursive: true });
    const moved = await load(join(elsewhere, 'scenario.yaml'));
    expect(JSON.stringify(moved)).not.toBe(JSON.stringify(scenario));
    expect(await digest(moved)).toBe(before);
    // The same set of contents, the startup and service times swapped: another scenario.
    const startup = readFileSync(join(elsewhere, 'startup.csv'), 'utf8');
    const service = readFileSync(join(elsewhere, 'service-times.csv'), 'utf8');
    writeFileSync(join(elsewhere, 'startup.csv'), service);
    writeFileSync(join(elsewhere, 'service-times.csv'), startup);
    expect(await digest(await load(join(elsewhere, 'scenario.yaml')))).not.toBe(before);
  });

  it('hashes a file by its contents, again after it changes in the same size', async () => {
    const dir = tempDir('inputs-hash');
    const path = join(dir, 'data.csv');
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    writeFileSync(path, 'a\n1\n');
    expect(await fileHash(path)).toBe(sha('a\n1\n'));
    writeFileSync(path, 'a\n2\n');
    // Same size: the cache must notice the new modification time.
    const { mtime } = statSync(path);
    utimesSync(path, mtime, new Date(mtime.getTime() + 5000));
    expect(await fileHash(path)).toBe(sha('a\n2\n'));
    const big = 'x'.repeat(3 * 1024 * 1024 + 7);
    writeFileSync(path, big);
    expect(await fileHash(path)).toBe(sha(big));
  });
});
