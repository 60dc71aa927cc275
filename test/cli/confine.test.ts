import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replicateScenario, runSweep } from '../../src/plan/index.js';
import { runScenario, ScenarioError } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { cli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TRACE = join(ROOT, 'test/fixtures/traces/vidur-splitwise-conv-200.csv');
const MUST = "data files must be inside the scenario's folder when paths are confined";

/** The trace path is the value on line 5, column 20; `extra` follows from line 13. */
function scenario(tracePath: string, extra = ''): string {
  return `name: confined
seed: 1
workload:
  arrivals:
    trace: { path: ${JSON.stringify(tracePath)}, limit: 50 }
fleets:
  - name: gpu
    replicas: 2
    concurrency: 4
    price_per_hour: 1.5
    service_time: 100ms
slo: { latency_p99: 2s }
${extra}`;
}

/** `job/s.yaml` with `text`, a trace in `job/traces/` and another in the sibling `other/`. */
function folders(text: string) {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'fleetsim-confine-cli-')));
  const job = join(top, 'job');
  mkdirSync(join(job, 'traces'), { recursive: true });
  mkdirSync(join(top, 'other'));
  copyFileSync(TRACE, join(job, 'traces', 't.csv'));
  copyFileSync(TRACE, join(top, 'other', 't.csv'));
  writeFileSync(join(job, 's.yaml'), text);
  return { top, job, file: join(job, 's.yaml') };
}

describe('--confine and --data-root', () => {
  it('every command that loads a scenario refuses a trace outside its folder: exit 2, one line', async () => {
    const { job } = folders(scenario('/etc/passwd'));
    const line = `s.yaml:5:20: workload.arrivals.trace.path: "/etc/passwd" is outside ${job}; ${MUST}\n`;
    for (const args of [
      ['validate', 's.yaml'],
      ['run', 's.yaml', '--out', 'out-run'],
      ['compare', 's.yaml', 's.yaml', '--out', 'out-compare'],
      ['sweep', 's.yaml', '--out', 'out-sweep', '--grid', 'fleets.0.replicas=[1, 2]', '--workers', '2'],
      ['plan', 's.yaml', '--out', 'out-plan', '--vary', 'fleets.0.replicas=1..4', '--workers', '2'],
    ]) {
      const { code, stdout, stderr } = await cli([...args, '--confine'], job);
      expect(stderr, args[0]).toBe(args[0] === 'compare' ? line.repeat(2) : line);
      expect(stdout).toBe('');
      expect(code).toBe(2);
    }
  });

  it('without the flag, a file outside is read as before', async () => {
    const { job } = folders(scenario('../other/t.csv'));
    const { code, stdout } = await cli(['validate', 's.yaml'], job);
    expect(stdout).toBe('s.yaml: ok (1 variant(s): baseline); trace: 50 request(s) read\n');
    expect(code).toBe(0);
  });

  it('--data-root DIR widens or narrows the folder; it must exist', async () => {
    const { job } = folders(scenario('../other/t.csv'));
    expect(await cli(['validate', 's.yaml', '--data-root', '..'], job)).toMatchObject({ code: 0 });
    const narrow = await cli(['validate', 's.yaml', '--data-root', 'traces'], job);
    expect(narrow.stderr).toBe(
      `s.yaml:5:20: workload.arrivals.trace.path: "../other/t.csv" is outside ${join(job, 'traces')}; data files must be inside the data root when paths are confined\n`,
    );
    expect(narrow.code).toBe(2);
    const missing = await cli(['validate', 's.yaml', '--data-root', 'nowhere'], job);
    expect(missing.stderr).toBe(`fleetsim: --data-root: ${join(job, 'nowhere')} does not exist\n`);
    expect(missing.code).toBe(2);
    const file = await cli(['run', 's.yaml', '--data-root', 's.yaml'], job);
    expect(file.stderr).toBe(`fleetsim: --data-root: ${join(job, 's.yaml')} is a file, not a folder\n`);
    expect(file.code).toBe(2);
  });

  it('a --set path is located at the flag, sweep values at the value', async () => {
    const { job } = folders(
      scenario(
        'traces/t.csv',
        'sweep:\n  grid:\n    workload.arrivals.trace.path: [traces/t.csv, ../other/t.csv]\n',
      ),
    );
    const set = await cli(
      ['validate', 's.yaml', '--confine', '--set', 'workload.arrivals.trace.path=/etc/hostname'],
      job,
    );
    expect(set.stderr).toBe(
      `--set:1:30: workload.arrivals.trace.path: "/etc/hostname" is outside ${job}; ${MUST}\n`,
    );
    expect(set.code).toBe(2);
    // sweep.grid's second value: line 15, column 50.
    const grid = `s.yaml:15:50: workload.arrivals.trace.path: "../other/t.csv" is outside ${job}; ${MUST} (value "../other/t.csv")\n`;
    for (const args of [
      ['validate', 's.yaml'],
      ['sweep', 's.yaml', '--out', 'out', '--workers', '2'],
    ]) {
      const { code, stderr } = await cli([...args, '--confine'], job);
      expect(stderr).toBe(grid);
      expect(code).toBe(2);
    }
    const flag = await cli(
      [
        'plan',
        's.yaml',
        '--out',
        'out-plan',
        '--confine',
        '--vary',
        'fleets.0.replicas=1..4',
        '--vary',
        'workload.arrivals.trace.path=[/etc/hostname]',
      ],
      job,
    );
    expect(flag.stderr).toBe(
      `--vary:2:30: workload.arrivals.trace.path: "/etc/hostname" is outside ${job}; ${MUST} (value "/etc/hostname")\n`,
    );
    expect(flag.code).toBe(2);
  });

  it('is in the help of run, compare, validate, sweep and plan', async () => {
    for (const command of ['run', 'compare', 'validate', 'sweep', 'plan']) {
      const { code, stdout: help } = await cli([command, '--help'], ROOT);
      expect(code).toBe(0);
      expect(help, command).toMatch(/--confine +refuse data files/);
      expect(help, command).toMatch(/--data-root +like --confine/);
    }
  });
});

describe('confinement in the library', () => {
  it('runScenario and runSweep take confineDataPaths', async () => {
    const { job, file } = folders(scenario('../other/t.csv'));
    const outside = `${file}:5:20: workload.arrivals.trace.path: "../other/t.csv" is outside ${job}; ${MUST}`;
    await expect(runScenario(file, { confineDataPaths: true })).rejects.toBeInstanceOf(ScenarioError);
    await expect(runScenario(file, { confineDataPaths: true })).rejects.toThrow(outside);
    await expect(runScenario(file)).resolves.toMatchObject({ summary: { scenario: 'confined' } });
    const sweep = {
      scenario: file,
      outDir: join(job, 'out'),
      grid: ['fleets.0.replicas=[1, 2]'],
      workers: 1,
    };
    await expect(runSweep({ ...sweep, confineDataPaths: true })).rejects.toThrow(outside);
    await expect(
      runSweep({ ...sweep, set: ['workload.arrivals.trace.path=traces/t.csv'], confineDataPaths: true }),
    ).resolves.toMatchObject({ computed: 2 });
  });

  it('each run checks again: a folder swapped for a link outside after loading is refused', async () => {
    const { top, job, file } = folders(scenario('traces/t.csv'));
    const loaded = await loadScenarioFile(file, { confineDataPaths: true });
    if (!loaded.ok) throw new Error('the scenario should load');
    expect(loaded.value.dataRoot).toBe(job);
    const replicated = await replicateScenario(loaded.value, { replications: 2, workers: 1 });
    expect(replicated[0].seeds).toHaveLength(2);
    renameSync(join(job, 'traces'), join(job, 'old-traces'));
    symlinkSync(join(top, 'other'), join(job, 'traces'));
    await expect(replicateScenario(loaded.value, { replications: 2, workers: 1 })).rejects.toThrow(
      `${join(job, 'traces', 't.csv')} no longer leads to a file inside ${job} (it changed after the scenario was loaded); data files must be inside it when paths are confined`,
    );
  });
});
