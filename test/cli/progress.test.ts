import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  formatRate,
  formatSimulatedTime,
  PROGRESS_DELAY_MS,
  PROGRESS_LINE_INTERVAL_MS,
  startStudyProgress,
  studyEta,
  studyProgressParts,
} from '../../src/cli/progress.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TINY = join(ROOT, 'test/fixtures/cli/tiny.yaml');
/** Progress does not depend on the report; drawing no charts keeps these tests fast. */
const NO_CHARTS = ['--set', 'report.charts=[]'];

/** The terminal controls cli-progress writes (through Node's readline). */
const SAVE_CURSOR = '\x1b7';
const RESTORE_CURSOR = '\x1b8';
const COLUMN_1 = '\x1b[1G';
const CLEAR_LINE = '\x1b[2K';

/** A clock that advances `stepMs` each time it is read: every progress report "takes" that long. */
function steppingClock(stepMs: number) {
  let ms = 0;
  return () => (ms += stepMs);
}

async function cli(args: string[], extra: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: ROOT,
    ...extra,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** How many times the simulator reports progress for tiny.yaml, counted on the library hook itself. */
async function progressCalls(): Promise<number> {
  const loaded = await loadScenarioFile(TINY);
  if (!loaded.ok) throw new Error('tiny.yaml does not load');
  let calls = 0;
  runLoadedScenario(loaded.value, undefined, () => calls++);
  return calls;
}

/** While arrivals last: the share done and the time left; while draining: what is in flight instead. */
const LINE =
  /^fleetsim: \[(\d)\/2\] (baseline|three): (?:(\d+) %, simulated [\dm s.]+ of 10m 00s|draining: \d+ in flight, simulated t=[\dm s.]+ \(max_drain ends it by 1h 10m\)), ([\d,]+) requests, [\d.]+k? events\/s(, ETA [\dms ]+)?$/;

describe('progress on stderr', () => {
  it('without a terminal, prints a plain line after a second and then every few seconds, and ends with the summary', async () => {
    const stepMs = 50;
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const { code, stderr } = await cli(['run', TINY, '--out', out, '--json', ...NO_CHARTS], {
      now: steppingClock(stepMs),
    });
    expect(code).toBe(0);
    expect(stderr).not.toContain('\x1b');
    const lines = stderr.split('\n');
    expect(lines.at(-1)).toBe('');
    const progress = lines.filter((l) => l.startsWith('fleetsim: ['));
    // The clock is read once at the start and once per report: report k happens at k x 50 ms.
    // A line at the first report past the delay, then one each time the interval has passed.
    const reports = await progressCalls();
    const lastMs = reports * stepMs;
    expect(progress).toHaveLength(Math.floor((lastMs - PROGRESS_DELAY_MS) / PROGRESS_LINE_INTERVAL_MS) + 1);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    const parsed = progress.map((line) => {
      const match = LINE.exec(line);
      expect(match, line).not.toBeNull();
      // A time left only with a share: nothing can tell how long a drain takes.
      expect(match![3] === undefined).toBe(match![5] === undefined);
      return {
        index: Number(match![1]),
        percent: match![3] === undefined ? null : Number(match![3]),
        requests: Number(match![4].replaceAll(',', '')),
      };
    });
    // The share done grows line by line: half per variant.
    const percents = parsed.flatMap((p) => (p.percent === null ? [] : [p.percent]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    for (const p of parsed) {
      if (p.percent === null) continue;
      expect(p.percent).toBeGreaterThanOrEqual((p.index - 1) * 50);
      expect(p.percent).toBeLessThanOrEqual(p.index * 50);
    }
    // Both variants show up, in order; nothing but complete lines, the summary last.
    expect(parsed[0].index).toBe(1);
    expect(parsed.at(-1)!.index).toBe(2);
    expect(parsed.map((p) => p.index)).toEqual([...parsed.map((p) => p.index)].sort());
    expect(lines.at(-2)).toMatch(/^2 variant\(s\), \d+ events in [\d.]+ s; wrote /);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const arrived = summary.variants.map((v: { requests: { arrived: number } }) => v.requests.arrived);
    for (const p of parsed) expect(p.requests).toBeLessThanOrEqual(arrived[p.index - 1]);
  });

  it('on a terminal, redraws one bar in place and clears it before the summary', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const { code, stderr } = await cli(['run', TINY, '--out', out, ...NO_CHARTS], {
      now: steppingClock(50),
      terminal: { columns: 200 },
    });
    expect(code).toBe(0);
    const summaryAt = stderr.indexOf('2 variant(s)');
    const bar = stderr.slice(0, summaryAt);
    // No newline while the bar is up: each frame goes back to column 1 and overwrites the last.
    expect(bar).not.toContain('\n');
    const [start, ...frames] = bar.split(COLUMN_1);
    expect(start).toBe(SAVE_CURSOR);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames[0]).toMatch(/^\[1\/2\] baseline \d+ % ETA [\dms ]+ \| simulated /);
    expect(bar).toMatch(/ \| [\d,]+ requests \| [\d.]+k? events\/s \[[=-]{20}\]/);
    // The end: cursor restored, back to column 1, the line cleared.
    expect(bar.endsWith(`${RESTORE_CURSOR}${COLUMN_1}${CLEAR_LINE}`)).toBe(true);
  });

  it('prints nothing for a run shorter than the delay', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const { stderr } = await cli(['run', TINY, '--out', out, ...NO_CHARTS], { now: steppingClock(0.001) });
    expect(stderr).toMatch(/^2 variant\(s\), /);
  });

  it('--quiet prints nothing at all, and progress leaves summary.json byte-identical', async () => {
    const withProgress = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const quiet = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const shown = await cli(['run', TINY, '--out', withProgress, ...NO_CHARTS], {
      now: steppingClock(50),
      terminal: { columns: 80 },
    });
    // The start of the line fits a narrow terminal; the bar at its end is cut first.
    expect(shown.stderr).toMatch(/\[1\/2\] baseline \d+ % ETA .* requests \| /);
    const silent = await cli(['run', TINY, '--out', quiet, '--quiet', ...NO_CHARTS], {
      now: steppingClock(50),
      terminal: { columns: 80 },
    });
    expect(silent).toEqual({ code: 0, stdout: '', stderr: '' });
    const summary = (dir: string) => readFileSync(join(dir, 'summary.json'));
    expect(summary(withProgress).equals(summary(quiet))).toBe(true);
  });

  it('a trace of unknown length shows no share until one configuration has replayed it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    writeFileSync(
      join(dir, 'trace.yaml'),
      `name: trace
workload:
  arrivals: { trace: { path: ${join(ROOT, 'test/fixtures/traces/vidur-splitwise-conv-200.csv')}, format: vidur } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 4, price_per_hour: 1, service_time: 100ms }
variants:
  - { name: two, set: { fleets.0.replicas: 2 } }
report: { charts: [] }
`,
    );
    // Five seconds a report: every report past the delay is a line.
    const { code, stderr } = await cli(['run', 'trace.yaml', '--out', 'out'], {
      cwd: dir,
      now: steppingClock(PROGRESS_LINE_INTERVAL_MS),
    });
    expect(code).toBe(0);
    const lines = stderr.split('\n').filter((l) => l.startsWith('fleetsim: ['));
    const replaying = lines.filter((l) => l.startsWith('fleetsim: [1/2]') && !l.includes('draining'));
    const second = lines.filter((l) => l.startsWith('fleetsim: [2/2]') && !l.includes('draining'));
    expect(replaying.length).toBeGreaterThan(0);
    expect(second.length).toBeGreaterThan(0);
    for (const line of replaying) {
      expect(line).toMatch(/^fleetsim: \[1\/2\] baseline: simulated [\dms .]+, \d+ requests, .* ETA \?$/);
    }
    // The trace's last arrival is at 61.3 s: the first run saw its end, to within a progress step.
    for (const line of second) {
      expect(line).toMatch(
        /^fleetsim: \[2\/2\] two: \d+ %, simulated [\dms .]+ of ~1m 0[1-9]s, .* ETA \d+ s$/,
      );
    }
  });

  it('compare shows the configurations of all files and replications as one sequence', async () => {
    const out = mkdtempSync(join(tmpdir(), 'fleetsim-progress-'));
    const { code, stderr } = await cli(
      [
        'compare',
        TINY,
        join(ROOT, 'test/report/fixtures/tiny-four.yaml'),
        '--out',
        out,
        '--replications',
        '2',
        ...NO_CHARTS,
      ],
      { now: steppingClock(100) },
    );
    expect(code).toBe(0);
    const labels = stderr
      .split('\n')
      .filter((l) => l.startsWith('fleetsim: ['))
      .map((l) => /^fleetsim: \[(\d)\/6\] ([^:]+):/.exec(l)?.slice(1, 3).join(' '));
    expect(labels.length).toBeGreaterThanOrEqual(3);
    expect(labels.every((l) => l !== undefined)).toBe(true);
    expect(labels).toContain('6 tiny-four (replication 2/2)');
  });
});

describe('progress formats', () => {
  it('writes simulated time in the two largest units and event rates in k and M', () => {
    expect(formatSimulatedTime(42)).toBe('42.0 s');
    expect(formatSimulatedTime(725)).toBe('12m 05s');
    expect(formatSimulatedTime(3 * 3600 + 20 * 60 + 59)).toBe('3h 20m');
    expect(formatSimulatedTime(2 * 86_400 + 4 * 3600)).toBe('2d 04h');
    expect(formatRate(950)).toBe('950');
    expect(formatRate(12_345)).toBe('12.3k');
    expect(formatRate(4_560_000)).toBe('4.56M');
  });
});

/** A clock the test sets by hand. */
function manualClock() {
  const clock = { ms: 0, now: () => clock.ms };
  return clock;
}

describe('progress of a sweep or plan', () => {
  it('estimates the time left from the wall-clock time per configuration simulated so far', () => {
    // 4 of 12 done in 6 s after 1.5 s of loading, one of them found saved: 6 s / 3 simulated =
    // 2 s each, 8 left -> 16 s.
    const state = { done: 4, total: 12, computed: 3, bounded: false, elapsedMs: 7500, runningMs: 6000 };
    expect(studyEta(state)).toBe(16);
    expect(studyProgressParts('sweep', state)).toEqual([
      'sweep 4/12 configurations (33 %)',
      'ETA 16 s',
      'elapsed 7.5 s',
      '2.0 s per configuration',
    ]);
    // Two workers finishing two configurations every 3 s: 1.5 s each on the wall clock, whatever
    // each took on its own, so 10 left take 15 s.
    expect(
      studyEta({ done: 10, total: 20, computed: 10, bounded: false, elapsedMs: 15_000, runningMs: 15_000 }),
    ).toBe(15);
    // All done: nothing left, whatever the rate.
    expect(studyEta({ ...state, done: 12, computed: 0 })).toBe(0);
    // Nothing simulated yet (all found saved, or none finished): no estimate.
    expect(studyEta({ ...state, computed: 0 })).toBeNull();
    expect(studyProgressParts('sweep', { ...state, computed: 0 })[1]).toBe('ETA ?');
    // A plan's total is the most it may still run: so are its time left and share.
    expect(studyProgressParts('plan', { ...state, bounded: true })).toEqual([
      'plan 4 of at most 12 configurations (33 %)',
      'ETA at most 16 s',
      'elapsed 7.5 s',
      '2.0 s per configuration',
    ]);
    // 90 configurations left at 2 s: 3 minutes.
    expect(studyProgressParts('sweep', { ...state, total: 94 })[1]).toBe('ETA 3m 00s');
  });

  it('without a terminal, prints a line after a second and then every five seconds', () => {
    const clock = manualClock();
    let stderr = '';
    const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), cwd: ROOT, now: clock.now };
    const progress = startStudyProgress(io, 'sweep', { quiet: false, bounded: false });
    // Loading takes 0.3 s; then the first configuration starts.
    clock.ms = 300;
    progress.update(0, 10, 0);
    clock.ms = 800;
    progress.update(1, 10, 1);
    expect(stderr).toBe('');
    clock.ms = 1500;
    progress.update(1, 10, 1);
    clock.ms = 3000;
    progress.update(2, 10, 2);
    clock.ms = 6600;
    progress.update(5, 10, 5);
    progress.stop();
    // 1.2 s for 1: 9 left -> 10.8 s, shown rounded up; 6.3 s for 5: 1.26 s each, 5 left -> 6.3 s.
    expect(stderr).toBe(
      'fleetsim: sweep 1/10 configurations (10 %), ETA 11 s, elapsed 1.5 s, 1.2 s per configuration\n' +
        'fleetsim: sweep 5/10 configurations (50 %), ETA 7 s, elapsed 6.6 s, 1.3 s per configuration\n',
    );
  });

  it('on a terminal, redraws one bar in place and clears it; --quiet prints nothing', () => {
    const clock = manualClock();
    let stderr = '';
    const io: CliIo = {
      stdout: () => {},
      stderr: (t) => (stderr += t),
      cwd: ROOT,
      now: clock.now,
      terminal: { columns: 200 },
    };
    const progress = startStudyProgress(io, 'plan', { quiet: false, bounded: true });
    progress.update(0, 40, 0);
    clock.ms = 2000;
    progress.update(2, 40, 2);
    clock.ms = 4000;
    progress.update(3, 30, 3);
    progress.stop();
    expect(stderr).not.toContain('\n');
    const frames = stderr.split(COLUMN_1).slice(1);
    expect(frames[0]).toMatch(
      /^plan 2 of at most 40 configurations \(5 %\) \| ETA at most 38 s \| elapsed 2\.0 s \| 1\.0 s per configuration \[[=-]{20}\]/,
    );
    expect(stderr.endsWith(`${RESTORE_CURSOR}${COLUMN_1}${CLEAR_LINE}`)).toBe(true);

    let quiet = '';
    const silent = startStudyProgress({ ...io, stderr: (t) => (quiet += t) }, 'sweep', {
      quiet: true,
      bounded: false,
    });
    clock.ms = 60_000;
    silent.update(1, 2, 1);
    silent.stop();
    expect(quiet).toBe('');
  });
});
