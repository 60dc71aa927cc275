import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  formatDiagnostic,
  type LoadedScenario,
  loadScenarioFile,
  loadScenarioObject,
  type Result,
} from './index.js';

const TRACE = fileURLToPath(
  new URL('../../test/fixtures/traces/vidur-splitwise-conv-200.csv', import.meta.url),
);

/**
 * A scenario folder `job/` beside a folder `other/`, both holding a copy of a real trace, and
 * links in `job/`: to a file inside it, to a file and a folder outside it, and to nothing.
 */
function folders() {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'fleetsim-confine-')));
  const job = join(top, 'job');
  const other = join(top, 'other');
  mkdirSync(join(job, 'traces'), { recursive: true });
  mkdirSync(other);
  copyFileSync(TRACE, join(job, 'traces', 't.csv'));
  copyFileSync(TRACE, join(other, 't.csv'));
  symlinkSync('traces/t.csv', join(job, 'inner.csv'));
  symlinkSync('../other/t.csv', join(job, 'escape.csv'));
  symlinkSync('/etc/passwd', join(job, 'passwd.csv'));
  symlinkSync('../other', join(job, 'other-folder'));
  symlinkSync('../other/none.csv', join(job, 'broken.csv'));
  return { top, job, other, file: join(job, 's.yaml') };
}

/** The trace path is the value on line 5, column 20. */
function scenario(tracePath: string, extra = ''): string {
  return `name: confined
seed: 1
workload:
  arrivals:
    trace: { path: ${JSON.stringify(tracePath)} }
fleets:
  - name: gpu
    replicas: 2
    concurrency: 4
    price_per_hour: 1.5
    service_time: 100ms
${extra}`;
}

async function loadWith(
  text: string,
  file: string,
  options: { set?: string[]; confineDataPaths?: boolean | string } = { confineDataPaths: true },
): Promise<Result<LoadedScenario>> {
  writeFileSync(file, text);
  return loadScenarioFile(file, options);
}

function lines(result: Result<LoadedScenario>): string[] {
  if (result.ok) throw new Error('expected diagnostics, the scenario loaded');
  return result.errors.map(formatDiagnostic);
}

function tracePathOf(result: Result<LoadedScenario>): string {
  if (!result.ok) throw new Error(result.errors.map(formatDiagnostic).join('\n'));
  const { arrivals } = result.value.variants[0].scenario.workload;
  if (arrivals.kind !== 'trace') throw new Error('expected a trace');
  return arrivals.trace.path;
}

const MUST = "data files must be inside the scenario's folder when paths are confined";

describe('confined data paths', () => {
  it('without confinement, any readable file may be named, as before', async () => {
    const { file, other } = folders();
    const result = await loadWith(scenario('../other/t.csv'), file, {});
    expect(tracePathOf(result)).toBe(join(other, 't.csv'));
    if (result.ok) expect(result.value.dataRoot).toBeNull();
  });

  it('refuses /etc/passwd, a ../ escape, a link to a file or a folder outside, at the path', async () => {
    const { job, file } = folders();
    for (const path of [
      '/etc/passwd',
      '../other/t.csv',
      'traces/../../other/t.csv',
      'escape.csv',
      'passwd.csv',
      'other-folder/t.csv',
    ]) {
      expect(lines(await loadWith(scenario(path), file))).toEqual([
        `${file}:5:20: workload.arrivals.trace.path: ${JSON.stringify(path)} is outside ${job}; ${MUST}`,
      ]);
    }
  });

  it('never names where a link leads', async () => {
    const { file } = folders();
    const [line] = lines(await loadWith(scenario('escape.csv'), file));
    expect(line).not.toContain('other/t.csv');
    const [passwd] = lines(await loadWith(scenario('passwd.csv'), file));
    expect(passwd).not.toContain('/etc');
  });

  it('refuses a link that leads nowhere: where it would lead cannot be checked', async () => {
    const { job, file } = folders();
    expect(lines(await loadWith(scenario('broken.csv'), file))).toEqual([
      `${file}:5:20: workload.arrivals.trace.path: cannot tell whether "broken.csv" is inside ${job} (a link that leads nowhere or loops, or a folder that cannot be read); ${MUST}`,
    ]);
  });

  it('opens nothing outside: a FIFO outside, which would block any reader, is refused at once', async () => {
    const { top, job, file } = folders();
    execFileSync('mkfifo', [join(top, 'fifo')]);
    expect(lines(await loadWith(scenario('../fifo'), file))).toEqual([
      `${file}:5:20: workload.arrivals.trace.path: "../fifo" is outside ${job}; ${MUST}`,
    ]);
  });

  it('accepts files inside: relative, with .. that stays inside, absolute, through a link inside', async () => {
    const { job, file } = folders();
    const real = join(job, 'traces', 't.csv');
    for (const path of ['traces/t.csv', 'traces/../traces/t.csv', './traces//t.csv', real, 'inner.csv']) {
      const result = await loadWith(scenario(path), file);
      // The path read is the real one, so a link changed after loading is not followed.
      expect(tracePathOf(result)).toBe(real);
      if (result.ok) expect(result.value.dataRoot).toBe(job);
    }
  });

  it('a file that is not there inside the folder is reported as missing, not as outside', async () => {
    const { job, file } = folders();
    const found = lines(await loadWith(scenario('traces/none.csv'), file));
    expect(found).toContain(
      `${file}:5:20: workload.arrivals.trace.path: file not found: ${join(job, 'traces', 'none.csv')}`,
    );
    expect(found.join('\n')).not.toContain('outside');
  });

  it('checks every data path a scenario names', async () => {
    const { job, file } = folders();
    const text = `seed: 1
duration: 1h
workload:
  arrivals: { poisson: { rate: 1 } }
  input_tokens: { empirical: { path: /etc/passwd, column: n } }
fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 1
    service_time: { empirical: { path: /etc/passwd, column: s } }
    startup: { empirical: { path: /etc/passwd, column: s } }
    interruption: { trace: /etc/passwd }
    unavailable: { trace: /etc/passwd }
    spot_price: { trace: /etc/passwd }
    batching: { policy: continuous }
    step_time: { profile: { path: /etc/passwd, model: m, hardware: h } }
`;
    const outside = `"/etc/passwd" is outside ${job}; ${MUST}`;
    expect(lines(await loadWith(text, file))).toEqual([
      `${file}:5:38: workload.input_tokens.empirical.path: ${outside}`,
      `${file}:10:40: fleets[0].service_time.empirical.path: ${outside}`,
      `${file}:11:35: fleets[0].startup.empirical.path: ${outside}`,
      `${file}:12:28: fleets[0].interruption.trace: ${outside}`,
      `${file}:13:27: fleets[0].unavailable.trace: ${outside}`,
      `${file}:14:26: fleets[0].spot_price.trace: ${outside}`,
      `${file}:16:35: fleets[0].step_time.profile.path: ${outside}`,
    ]);
  });

  it("refuses a path set by a variant, at the variant's value, and by --set, at the flag", async () => {
    const { job, file } = folders();
    const text = scenario(
      'traces/t.csv',
      'variants:\n  - { name: v, set: { workload.arrivals.trace.path: escape.csv } }\n',
    );
    expect(lines(await loadWith(text, file))).toEqual([
      `${file}:13:53: workload.arrivals.trace.path: "escape.csv" is outside ${job}; ${MUST} (variant "v")`,
    ]);
    const set = ['seed=2', 'workload.arrivals.trace.path=/etc/passwd'];
    expect(lines(await loadWith(scenario('traces/t.csv'), file, { set, confineDataPaths: true }))).toEqual([
      `--set:2:30: workload.arrivals.trace.path: "/etc/passwd" is outside ${job}; ${MUST}`,
    ]);
  });

  it('quotes a long path as an excerpt', async () => {
    const { job, file } = folders();
    const path = `${'../'.repeat(30)}etc/passwd`;
    expect(lines(await loadWith(scenario(path), file))).toEqual([
      `${file}:5:20: workload.arrivals.trace.path: "${path.slice(0, 40)}…" is outside ${job}; ${MUST}`,
    ]);
  });

  it('confines to another folder when given one, relative paths still from the scenario', async () => {
    const { top, job, file } = folders();
    const result = await loadWith(scenario('../other/t.csv'), file, { confineDataPaths: top });
    expect(tracePathOf(result)).toBe(join(top, 'other', 't.csv'));
    expect(lines(await loadWith(scenario('/etc/passwd'), file, { confineDataPaths: top }))).toEqual([
      `${file}:5:20: workload.arrivals.trace.path: "/etc/passwd" is outside ${top}; data files must be inside the data root when paths are confined`,
    ]);
    // What counts is where a path leads: job/inner.csv is a link to job/traces/t.csv.
    const traces = join(job, 'traces');
    expect(tracePathOf(await loadWith(scenario('inner.csv'), file, { confineDataPaths: traces }))).toBe(
      join(traces, 't.csv'),
    );
  });

  it('reports a folder to confine to that is not there', async () => {
    const { top, file } = folders();
    const missing = join(top, 'missing');
    expect(lines(await loadWith(scenario('traces/t.csv'), file, { confineDataPaths: missing }))).toEqual([
      `${file}:1:1: the folder data paths are confined to does not exist: ${missing}`,
    ]);
  });
});

describe('confined scenario objects', () => {
  const object = (path: string) => ({
    seed: 1,
    workload: { arrivals: { trace: { path } } },
    fleets: [{ name: 'gpu', replicas: 2, concurrency: 4, price_per_hour: 1.5, service_time: '100ms' }],
  });

  it('confine to baseDir, which must then be given', async () => {
    const { job } = folders();
    const inside = await loadScenarioObject(object('traces/t.csv'), { baseDir: job, confineDataPaths: true });
    expect(tracePathOf(inside)).toBe(join(job, 'traces', 't.csv'));
    const outside = await loadScenarioObject(object('/etc/passwd'), { baseDir: job, confineDataPaths: true });
    expect(lines(outside)).toEqual([
      `<scenario>:1:1: workload.arrivals.trace.path: "/etc/passwd" is outside ${job}; ${MUST}`,
    ]);
    await expect(loadScenarioObject(object('traces/t.csv'), { confineDataPaths: true })).rejects.toThrow(
      'confineDataPaths: true confines data paths to baseDir; give baseDir (or a folder)',
    );
  });

  it('or to a folder given as the option', async () => {
    const { top, job } = folders();
    const result = await loadScenarioObject(object(join(top, 'other', 't.csv')), { confineDataPaths: top });
    expect(tracePathOf(result)).toBe(join(top, 'other', 't.csv'));
    const refused = await loadScenarioObject(object('escape.csv'), {
      baseDir: job,
      confineDataPaths: join(job, 'traces'),
    });
    expect(lines(refused)).toEqual([
      `<scenario>:1:1: workload.arrivals.trace.path: "escape.csv" is outside ${join(job, 'traces')}; data files must be inside the data root when paths are confined`,
    ]);
  });
});

describe('data paths that are not files, confined or not', () => {
  it('a FIFO is reported, not opened: reading its header would block forever', async () => {
    const { job, file } = folders();
    execFileSync('mkfifo', [join(job, 'fifo.csv')]);
    for (const confineDataPaths of [false, true]) {
      const found = lines(await loadWith(scenario('fifo.csv'), file, { confineDataPaths }));
      expect(found).toContain(
        `${file}:5:20: workload.arrivals.trace.path: not a file: ${join(job, 'fifo.csv')}`,
      );
    }
  });

  it('a path below a file is a missing file, not an internal error', async () => {
    const { job, file } = folders();
    const found = lines(await loadWith(scenario('traces/t.csv/x.csv'), file, { confineDataPaths: true }));
    expect(found).toContain(
      `${file}:5:20: workload.arrivals.trace.path: file not found: ${join(job, 'traces', 't.csv', 'x.csv')}`,
    );
  });
});
