import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as source from '../../src/plan/index.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { tempDir, writeScenario } from './helpers.js';

/**
 * Worker threads load the compiled worker.js, which exists only in a build: this suite compiles
 * the package into a folder of its own (beside links to what the build reads at run time), so it
 * neither races other suites that build dist/ nor depends on a stale one.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let built: typeof source;
let cliPath: string;

beforeAll(() => {
  const home = tempDir('build');
  for (const entry of ['package.json', 'node_modules', 'pricing', 'scenarios']) {
    symlinkSync(join(ROOT, entry), join(home, entry));
  }
  const dist = join(home, 'dist');
  // Type errors elsewhere in a work tree still emit JavaScript; this suite needs only that.
  spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json', '--outDir', dist], { cwd: ROOT });
  cliPath = join(dist, 'cli/main.js');
  if (!existsSync(join(dist, 'plan/worker.js'))) throw new Error('the build emitted no plan/worker.js');
  return import(pathToFileURL(join(dist, 'plan/index.js')).href).then((module) => {
    built = module;
  });
}, 120_000);

const SMALL = `name: small
seed: 4
duration: 300
warmup: 20
workload:
  arrivals: { poisson: { rate: 5 } }
  output_tokens: { uniform: { min: 10, max: 200 } }
fleets:
  - name: gpu
    replicas: 1
    concurrency: 2
    price_per_hour: 1.5
    service_time: "50ms + 2ms * output_tokens"
slo: { latency_p99: 1500ms }
sweep:
  grid: { fleets.0.concurrency: "2..5", fleets.0.replicas: [1, 2] }
variants:
  - { name: spiky, set: { workload.arrivals: { gamma: { rate: 5, cv: 2 } } } }
`;

/** 24 points of a few tens of milliseconds each: long enough to stop in the middle. */
const LONG = `name: long
seed: 2
duration: 600
workload:
  arrivals: { poisson: { rate: 40 } }
fleets:
  - name: gpu
    replicas: 1
    concurrency: 50
    price_per_hour: 1
    service_time: { exponential: { mean: 1s } }
sweep:
  grid: { fleets.0.concurrency: "41..64" }
`;

function pointFiles(outDir: string): string[] {
  const dir = join(outDir, 'points');
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
}

/** Starts a sweep in its own process and stops it with `signal` once the first point is saved. */
async function interruptedSweep(scenario: string, outDir: string, signal: NodeJS.Signals) {
  const child: ChildProcess = spawn(
    process.execPath,
    [cliPath, 'sweep', scenario, '--out', outDir, '--workers', '2'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  let running = true;
  const exited = new Promise<number | null>((done) =>
    child.on('exit', (code) => {
      running = false;
      done(code);
    }),
  );
  while (running && pointFiles(outDir).length === 0) await new Promise((done) => setTimeout(done, 10));
  if (!running) throw new Error(`the sweep ended before it could be stopped: ${stderr}`);
  child.kill(signal);
  const code = await exited;
  return { code, stderr };
}

describe('sweeps on worker threads', () => {
  it('give byte-identical results with 1 and 2 workers, and in this thread', async () => {
    const dir = tempDir('workers');
    const scenario = writeScenario(dir, SMALL);
    const runner = built.createRunner({ workers: 2 });
    expect(runner.threads).toBe(Math.min(2, availableParallelism()));
    await runner.close();
    for (const workers of [1, 2]) {
      await built.runSweep({ scenario, outDir: join(dir, `built-${workers}`), workers, replications: 2 });
    }
    await source.runSweep({ scenario, outDir: join(dir, 'source'), workers: 1, replications: 2 });
    const expected = readFileSync(join(dir, 'source', 'sweep.json'), 'utf8');
    expect(readFileSync(join(dir, 'built-1', 'sweep.json'), 'utf8')).toBe(expected);
    expect(readFileSync(join(dir, 'built-2', 'sweep.json'), 'utf8')).toBe(expected);
    expect(readFileSync(join(dir, 'built-2', 'sweep.csv'), 'utf8')).toBe(
      readFileSync(join(dir, 'source', 'sweep.csv'), 'utf8'),
    );
  });

  it("check a confined scenario's data files in the worker thread itself", async () => {
    const dir = realpathSync(tempDir('confine'));
    const job = join(dir, 'job');
    mkdirSync(job);
    const trace = join(ROOT, 'test/fixtures/traces/vidur-splitwise-conv-200.csv');
    copyFileSync(trace, join(job, 't.csv'));
    copyFileSync(trace, join(dir, 'outside.csv'));
    const at = async (path: string) => {
      const yaml = `seed: 1\nworkload: { arrivals: { trace: { path: ${path}, limit: 20 } } }\nfleets:\n  - { name: gpu, replicas: 1, price_per_hour: 1, service_time: 100ms }\n`;
      // Loaded without confinement, as if a file had changed since a confined load.
      const loaded = await loadScenarioFile(writeScenario(job, yaml));
      if (!loaded.ok) throw new Error(loaded.errors.map((d) => d.message).join('\n'));
      return loaded.value.variants[0].scenario;
    };
    const runner = built.createRunner({ workers: 2 });
    try {
      await expect(
        runner.run({ scenario: await at('t.csv'), seed: 1, dataRoot: job }),
      ).resolves.toHaveProperty('metrics');
      await expect(
        runner.run({ scenario: await at('../outside.csv'), seed: 1, dataRoot: job }),
      ).rejects.toThrow(`${join(dir, 'outside.csv')} no longer leads to a file inside ${job}`);
    } finally {
      await runner.close();
    }
  });

  it('start threads beyond one per core only for jobs that wait for them', async () => {
    const dir = tempDir('lazy');
    const loaded = await loadScenarioFile(writeScenario(dir, SMALL));
    if (!loaded.ok) throw new Error(loaded.errors.map((d) => d.message).join('\n'));
    const scenario = loaded.value.variants[0].scenario;
    const cores = availableParallelism();
    const runner = built.createRunner({ workers: cores + 6 });
    try {
      expect(runner.threads).toBe(cores);
      const jobs = cores + 2;
      await Promise.all(Array.from({ length: jobs }, (_, seed) => runner.run({ scenario, seed })));
      expect(runner.threads).toBeGreaterThan(cores);
      expect(runner.threads).toBeLessThanOrEqual(jobs);
    } finally {
      await runner.close();
    }
  });

  it('SIGTERM stops a sweep with exit code 143, leaving only whole point files that a rerun reuses', async () => {
    const dir = tempDir('sigterm');
    const scenario = writeScenario(dir, LONG);
    const outDir = join(dir, 'out');
    const { code, stderr } = await interruptedSweep(scenario, outDir, 'SIGTERM');
    expect(stderr).toMatch(/fleetsim: interrupted: \d+ of 24 configuration\(s\)/);
    expect(code).toBe(143);
    expect(readdirSync(outDir).sort()).toEqual(['.fleetsim', 'points']);
    const saved = pointFiles(outDir);
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.length).toBeLessThan(24);
    for (const path of saved) {
      expect(path.endsWith('.json')).toBe(true);
      expect(JSON.parse(readFileSync(path, 'utf8')).runs).toHaveLength(1);
    }
    const resumed = await source.runSweep({ scenario, outDir, workers: 1 });
    expect(resumed.reused).toBe(saved.length);
    expect(resumed.computed).toBe(24 - saved.length);
  });

  it('after SIGKILL a rerun recomputes nothing that was saved', async () => {
    const dir = tempDir('sigkill');
    const scenario = writeScenario(dir, LONG);
    const outDir = join(dir, 'out');
    await interruptedSweep(scenario, outDir, 'SIGKILL');
    expect(existsSync(join(outDir, 'sweep.json'))).toBe(false);
    // A kill between write and rename can leave a temporary file: never a point file, never read.
    const saved = pointFiles(outDir).filter((path) => path.endsWith('.json'));
    for (const path of saved) expect(JSON.parse(readFileSync(path, 'utf8')).runs).toHaveLength(1);
    const resumed = await source.runSweep({ scenario, outDir, workers: 1 });
    expect(resumed.reused).toBe(saved.length);
    expect(resumed.computed).toBe(24 - saved.length);
  });
});
