import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { loadAccelerators } from '../../src/serving/llm/accelerator.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/calibrate/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-calibrate-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], cwd = FIXTURES) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/** The measured runs behind the fixtures came from compute 0.55 (the README there). */
const TRUE_COMPUTE = 0.55;

const LAYOUTS: { file: string; args: string[]; format: string; replay: string }[] = [
  { file: 'requests.jsonl', args: [], format: 'jsonl', replay: 'measured-requests.csv' },
  {
    file: 'client-ms.csv',
    args: [
      '--columns',
      'arrival=sent_ms,first_token=first_token_ms,finish=done_ms,input_tokens=prompt_tokens,output_tokens=completion_tokens',
      '--time-unit',
      'ms',
    ],
    format: 'csv',
    replay: 'client-ms.csv',
  },
  { file: 'guidellm-report.json', args: [], format: 'guidellm', replay: 'measured-requests.csv' },
  { file: 'guidellm-0.3-report.json', args: [], format: 'guidellm', replay: 'measured-requests.csv' },
  { file: 'vllm-result.json', args: [], format: 'vllm', replay: 'measured-requests.csv' },
  { file: 'vllm-burst.json', args: [], format: 'vllm', replay: 'measured-requests.csv' },
];

describe('fleetsim calibrate on each measured layout', () => {
  for (const layout of LAYOUTS) {
    it(`${layout.file}: fits, writes calibration.json and scenario.yaml, and reports the hold-out error`, async () => {
      const out = join(dir, layout.file);
      const { code, stdout, stderr } = await cli([
        'calibrate',
        layout.file,
        '--scenario',
        'server.yaml',
        '--out',
        out,
        '--resamples',
        '3',
        ...layout.args,
      ]);
      expect(stderr).not.toMatch(/internal error/);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^ +measured +before +after +hold-out$/m);
      expect(stdout).toMatch(/^TTFT p99 /m);
      const calibration = json(join(out, 'calibration.json'));
      expect(calibration.measured).toMatchObject({
        format: layout.format,
        sha256: sha256(join(FIXTURES, layout.file)),
      });
      expect(calibration.replay.trace).toMatch(new RegExp(`${layout.replay.replace('.', '\\.')}$`));
      for (const metric of ['ttft_s', 'tpot_s', 'latency_s']) {
        for (const statistic of ['mean', 'p50', 'p90', 'p99']) {
          expect(Number.isFinite(calibration.errors.hold_out[metric][statistic])).toBe(true);
          expect(Number.isFinite(calibration.errors.after[metric][statistic])).toBe(true);
        }
      }
      // The L40S class default (0.75) was far off; every layout of the same run finds the truth.
      expect(calibration.parameters.compute.fitted).toBe(true);
      expect(Math.abs(calibration.parameters.compute.value / TRUE_COMPUTE - 1)).toBeLessThan(0.06);

      // scenario.yaml loads, runs the fitted values on the instance fleet, and replays the run.
      const loaded = await loadScenarioFile(join(out, 'scenario.yaml'));
      if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
      const scenario = loaded.value.variants[0].scenario;
      const fitted = Object.entries(calibration.parameters)
        .filter(([, p]) => (p as { fitted: boolean }).fitted)
        .map(([name]) => name);
      const efficiency = scenario.fleets[0].hardware?.accelerators?.efficiency ?? {};
      expect(Object.keys(efficiency).sort()).toEqual(
        fitted.map((name) => (name === 'iteration_overhead' ? 'iterationOverheadS' : name)).sort(),
      );
      expect(efficiency.compute).toBe(calibration.parameters.compute.value);
      expect(scenario.fleets[0].instance).toBe('aws/g6e.xlarge');
      const arrivals = scenario.workload.arrivals;
      expect(arrivals.kind === 'trace' && arrivals.trace.path).toBe(resolve(out, calibration.replay.trace));
      expect(existsSync(resolve(out, calibration.replay.trace))).toBe(true);
    });
  }

  it('says what it inferred where the file lacks arrival times', async () => {
    const { stderr } = await cli([
      'calibrate',
      'vllm-burst.json',
      '--scenario',
      'server.yaml',
      '--out',
      join(dir, 'burst-again'),
      '--resamples',
      '3',
    ]);
    expect(stderr).toMatch(
      /^fleetsim: warning: no start_times: request_rate inf sent every request at once, so all arrive at 0$/m,
    );
  });
});

describe('the calibrated scenario', () => {
  it('reproduces the fitted statistics with fleetsim run, and takes another run of the same layout with --set', async () => {
    const out = join(dir, 'requests.jsonl');
    const calibration = json(join(out, 'calibration.json'));
    const run = await cli(['run', join(out, 'scenario.yaml'), '--out', join(dir, 'run'), '--quiet']);
    expect(run.code).toBe(0);
    const summary = json(join(dir, 'run', 'summary.json')).variants[0];
    for (const metric of ['ttft_s', 'tpot_s', 'latency_s']) {
      // Means are exact in both; calibration.json rounds to six significant digits.
      expect(summary[metric].mean).toBeCloseTo(calibration.statistics.after[metric].mean, 5);
    }
    expect(summary.requests.completed).toBe(calibration.measured.completed);

    const copy = readFileSync(join(out, 'measured-requests.csv'), 'utf8').split('\n');
    writeFileSync(join(dir, 'first-100.csv'), `${copy.slice(0, 101).join('\n')}\n`);
    const other = await cli([
      'run',
      join(out, 'scenario.yaml'),
      '--set',
      `workload.arrivals.trace.path=${join(dir, 'first-100.csv')}`,
      '--out',
      join(dir, 'run-other'),
      '--quiet',
    ]);
    expect(other.code).toBe(0);
    expect(json(join(dir, 'run-other', 'summary.json')).variants[0].requests.arrived).toBe(100);
  });

  it('carries the fit’s spreads and marks the fleet calibrated; replications with --model-uncertainty draw from them', async () => {
    const out = join(dir, 'requests.jsonl');
    const calibration = json(join(out, 'calibration.json'));
    const loaded = await loadScenarioFile(join(out, 'scenario.yaml'));
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
    const accelerator = loaded.value.variants[0].scenario.fleets[0].hardware?.accelerators;
    const fitted = Object.entries(
      calibration.parameters as Record<string, { fitted: boolean; std_ln: number }>,
    )
      .filter(([, p]) => p.fitted)
      .map(([name, p]) => [name, Number(p.std_ln.toPrecision(3))] as const);
    expect(fitted.length).toBeGreaterThan(0);
    const spreads = Object.fromEntries(
      fitted.map(([name, spread]) => [name === 'iteration_overhead' ? 'iterationOverheadS' : name, spread]),
    );
    expect(accelerator?.efficiencyUncertainty).toEqual(spreads);
    const holdOut = Object.values(
      calibration.errors.hold_out as Record<string, Record<string, number>>,
    ).flatMap((row) => Object.values(row).map(Math.abs));
    expect(accelerator?.calibration).toEqual({
      measured: calibration.measured.file,
      accelerator: 'l40s',
      holdOutError: Number(Math.max(...holdOut).toPrecision(3)),
    });

    const run = join(dir, 'run-uncertain');
    const args = ['run', join(out, 'scenario.yaml'), '--out', run, '--set', 'report.charts=[]'];
    const refused = await cli([...args, '--model-uncertainty']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/give --replications N with N of at least 2/);
    const drawn = await cli([...args, '--replications', '4', '--workers', '1', '--model-uncertainty']);
    expect(drawn.code).toBe(0);
    const summary = json(join(run, 'summary.json')).variants[0];
    expect(summary.performance.gpu.source).toBe('calibrated');
    expect(drawn.stderr).toContain(
      `fleetsim: caveat: fleet gpu: step times calibrated to your measurement ${calibration.measured.file} (hold-out error up to`,
    );
    const [variant] = json(join(run, 'replications.json')).variants;
    expect(variant.model_uncertainty.fleets.gpu.spread).toEqual(Object.fromEntries(fitted));
    const draws = variant.model_uncertainty.draws.map((d: { gpu: Record<string, number> }) => d.gpu);
    expect(draws).toHaveLength(4);
    // Each fitted value is drawn anew in every replication; the others stay where the fit left them.
    for (const [name] of fitted)
      expect(new Set(draws.map((d: Record<string, number>) => d[name])).size).toBe(4);
    expect(new Set(draws.map((d: Record<string, number>) => d.attention))).toEqual(
      new Set([loadAccelerators().get('l40s')?.efficiency.attention]),
    );
    expect(variant.slo.met_by_replication).toHaveLength(4);
    expect(drawn.stdout).toMatch(/^P\(meets SLO\) +\d+ % \(\d+-\d+ %\)$/m);
    const markdown = readFileSync(join(run, 'summary.md'), 'utf8');
    expect(markdown).toContain('## Replications');
    expect(markdown).toMatch(/^- baseline met the SLO in \d of 4 replications: probability \d+ %/m);
  });

  it('keeps the comments of the scenario it was made from', () => {
    const text = readFileSync(join(dir, 'requests.jsonl', 'scenario.yaml'), 'utf8');
    expect(text).toMatch(
      /^# Calibrated by fleetsim calibrate: the step-time parameters of fleet gpu fitted to$/m,
    );
    expect(text).toContain('# The server behind the measured runs in this folder');
    expect(text).toContain('instance: aws/g6e.xlarge # 1x NVIDIA L40S 48 GB');
    expect(text).not.toMatch(/^duration:/m);
  });

  it('is written the same, byte for byte, by the same calibration', async () => {
    const out = join(dir, 'twice');
    const args = [
      'calibrate',
      'guidellm-report.json',
      '--scenario',
      'server.yaml',
      '--out',
      out,
      '--resamples',
      '3',
    ];
    expect((await cli(args)).code).toBe(0);
    const first = [readFileSync(join(out, 'calibration.json')), readFileSync(join(out, 'scenario.yaml'))];
    expect((await cli(args)).code).toBe(0);
    expect(readFileSync(join(out, 'calibration.json')).equals(first[0])).toBe(true);
    expect(readFileSync(join(out, 'scenario.yaml')).equals(first[1])).toBe(true);
    expect(readdirSync(out).sort()).toEqual([
      '.fleetsim',
      'calibration.json',
      'measured-requests.csv',
      'scenario.yaml',
    ]);
  });
});

describe('a poor fit', () => {
  it('is said loudly, and fails --check with exit code 3', async () => {
    // The same run, with the server slowing down for the last 30 % of the requests (by arrival):
    // nothing fitted on the earlier ones predicts them.
    const lines = readFileSync(join(FIXTURES, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const arrivals = lines.map((r) => r.arrival).sort((a, b) => a - b);
    const cut = arrivals[Math.floor(0.7 * arrivals.length)];
    const drifted = lines.map((r) =>
      r.arrival < cut
        ? r
        : {
            ...r,
            first_token: r.arrival + 1.6 * (r.first_token - r.arrival),
            finish: r.arrival + 1.6 * (r.finish - r.arrival),
          },
    );
    writeFileSync(join(dir, 'drifted.jsonl'), `${drifted.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const { code, stderr } = await cli(
      [
        'calibrate',
        'drifted.jsonl',
        '--scenario',
        join(FIXTURES, 'server.yaml'),
        '--out',
        'drifted',
        '--resamples',
        '3',
        '--check',
      ],
      dir,
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^fleetsim: warning: POOR FIT: fitted on the earlier requests, the calibrated fleet mispredicts the later ones by more than 20 % \(/m,
    );
    expect(stderr).toMatch(
      /^fleetsim: check failed: the calibration is poor \(see the POOR FIT warnings above\): its step times are not to be planned on$/m,
    );
    expect(json(join(dir, 'drifted', 'calibration.json')).fit.poor).toBe(true);
  });

  it('is said when the fit cannot reproduce the run it was fitted to', async () => {
    // Every request 40 times slower than the L40S: no pair of compute and memory fractions reproduces
    // it (the fit lands either short of it or, as on the L40S's Ada efficiencies, past the point
    // where the replayed server saturates; either way far off).
    const lines = readFileSync(join(FIXTURES, 'requests.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const slow = lines.map((r) => ({
      ...r,
      first_token: r.arrival + 40 * (r.first_token - r.arrival),
      finish: r.arrival + 40 * (r.finish - r.arrival),
    }));
    writeFileSync(join(dir, 'slow.jsonl'), `${slow.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const { code, stderr } = await cli(
      [
        'calibrate',
        'slow.jsonl',
        '--scenario',
        join(FIXTURES, 'server.yaml'),
        '--out',
        'slow',
        '--resamples',
        '3',
        '--check',
      ],
      dir,
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^fleetsim: warning: POOR FIT: the calibrated fleet does not even reproduce the run it was fitted to, off by more than 20 % \(TTFT mean [+-]\d+ %/m,
    );
    const fit = json(join(dir, 'slow', 'calibration.json')).fit;
    expect(fit.poor).toBe(true);
    expect(Math.abs(fit.worst_after.error)).toBeGreaterThan(0.9);
  });
});

describe('bad input', () => {
  const outputsOf = (out: string) =>
    existsSync(out) ? readdirSync(out).filter((f) => f !== '.fleetsim') : [];

  it('a bad row of the measured file, located, exit 2, nothing written', async () => {
    writeFileSync(
      join(dir, 'bad.jsonl'),
      '{"arrival":1,"first_token":1.1,"finish":2,"input_tokens":10,"output_tokens":5}\n\n{"arrival":2,"first_token":2.5,"finish":2.4,"input_tokens":10,"output_tokens":5}\n',
    );
    const { code, stdout, stderr } = await cli(
      ['calibrate', 'bad.jsonl', '--scenario', join(FIXTURES, 'server.yaml'), '--out', 'bad-out'],
      dir,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('bad.jsonl:3:1: key "finish": the finish (2.4) comes before the first token (2.5)\n');
    expect(outputsOf(join(dir, 'bad-out'))).toEqual([]);
  });

  it('times the replay could not hold, at the line of the file given, not of the replay copy', async () => {
    // requests.jsonl lists its requests in order of finish: the replay reads a copy in arrival order.
    const lines = readFileSync(join(FIXTURES, 'requests.jsonl'), 'utf8').trimEnd().split('\n');
    const at = (arrival: number) =>
      `{"arrival":${arrival},"first_token":${arrival + 0.1},"finish":${arrival + 1},"input_tokens":10,"output_tokens":5}`;
    lines[326] = at(-9e9);
    lines[327] = at(9e9);
    writeFileSync(join(dir, 'spread.jsonl'), `${lines.join('\n')}\n`);
    const { code, stdout, stderr } = await cli(
      ['calibrate', 'spread.jsonl', '--scenario', join(FIXTURES, 'server.yaml'), '--out', 'spread-out'],
      dir,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'spread.jsonl:328:1: key "arrival": 9000000000 is more than 285 years after the earliest time of the run (-9000000000), past the span of the simulation clock\n',
    );
    expect(outputsOf(join(dir, 'spread-out'))).toEqual([]);
  });

  it('a vLLM result: a start time, a token count or max_concurrency out of bounds, at its place in the JSON', async () => {
    const result = json(join(FIXTURES, 'vllm-result.json'));
    const burst = json(join(FIXTURES, 'vllm-burst.json'));
    /** Runs `report`; the column where `value` follows `before` in its text. */
    const located = async (name: string, report: unknown, before: string, value: string) => {
      const text = JSON.stringify(report);
      writeFileSync(join(dir, name), text);
      const run = await cli(
        ['calibrate', name, '--scenario', join(FIXTURES, 'server.yaml'), '--out', `${name}-out`],
        dir,
      );
      expect(run.code).toBe(2);
      return { stderr: run.stderr, col: text.indexOf(`${before}${value}`) + before.length + 1 };
    };
    const spread = await located(
      'spread.json',
      {
        ...result,
        start_times: result.start_times.map((t: number, i: number) => (i === 5 ? 9e9 : i === 2 ? -9e9 : t)),
      },
      ',',
      '9000000000',
    );
    expect(spread.stderr).toBe(
      `spread.json:1:${spread.col}: .start_times[5]: 9000000000 is more than 285 years after the earliest time of the run (-9000000000), past the span of the simulation clock\n`,
    );
    const huge = await located(
      'huge.json',
      { ...result, input_lens: result.input_lens.map((n: number, i: number) => (i === 5 ? 1e308 : n)) },
      ',',
      '1e+308',
    );
    expect(huge.stderr).toBe(
      `huge.json:1:${huge.col}: .input_lens[5]: expected a number of tokens from 0 to 2147483647, got 1e+308\n`,
    );
    const half = await located('half.json', { ...burst, max_concurrency: 0.5 }, '"max_concurrency":', '0.5');
    expect(half.stderr).toBe(
      `half.json:1:${half.col}: .max_concurrency: expected a positive integer no larger than 2147483647, got 0.5\n`,
    );
  });

  it('a fleet that is no LLM fleet, located in the scenario', async () => {
    writeFileSync(
      join(dir, 'plain.yaml'),
      'duration: 1h\nworkload:\n  arrivals: { poisson: { rate: 1 } }\nfleets:\n  - name: web\n    replicas: 1\n    price_per_hour: 1\n    service_time: 10ms\n',
    );
    const { code, stderr } = await cli(
      ['calibrate', join(FIXTURES, 'requests.jsonl'), '--scenario', 'plain.yaml', '--out', 'plain-out'],
      dir,
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      'plain.yaml:5:5: fleets[0].batching: calibrate fits the step times of an LLM fleet (batching: { policy: continuous }); fleet web batches with policy none\n',
    );
  });

  it('flags: an unknown fleet, an unknown column name, a missing file, too few requests', async () => {
    const base = ['--scenario', join(FIXTURES, 'server.yaml')];
    const measured = join(FIXTURES, 'requests.jsonl');
    expect(await cli(['calibrate', measured, ...base, '--out', 'f1', '--fleet', 'gpus'], dir)).toMatchObject({
      code: 2,
      stderr: `fleetsim: --fleet: no fleet named "gpus" in ${join(FIXTURES, 'server.yaml')}; it has gpu\n`,
    });
    expect(
      await cli(['calibrate', measured, ...base, '--out', 'f2', '--columns', 'start=ts'], dir),
    ).toMatchObject({
      code: 2,
      stderr:
        'fleetsim: --columns: unknown name "start"; the names are arrival, first_token, finish, input_tokens, output_tokens\n',
    });
    expect(await cli(['calibrate', 'missing.jsonl', ...base, '--out', 'f3'], dir)).toMatchObject({
      code: 2,
      stderr: 'fleetsim: missing.jsonl: file not found\n',
    });
    const few = readFileSync(measured, 'utf8').split('\n').slice(0, 10).join('\n');
    writeFileSync(join(dir, 'few.jsonl'), few);
    expect(await cli(['calibrate', 'few.jsonl', ...base, '--out', 'f4'], dir)).toMatchObject({
      code: 2,
      stderr:
        'few.jsonl:1:1: 10 completed request(s) with first-token and finish times; a calibration needs at least 20\n',
    });
  });

  it('a flag of one value given twice (yargs made it a list: an internal error, or no time unit at all)', async () => {
    const measured = join(FIXTURES, 'requests.jsonl');
    const base = [measured, '--scenario', join(FIXTURES, 'server.yaml')];
    for (const [flag, a, b] of [
      ['--columns', 'arrival=arrival', 'input_tokens=input_tokens'],
      ['--time-unit', 's', 'ms'],
      ['--out', 'g1', 'g2'],
    ]) {
      expect(await cli(['calibrate', ...base, '--out', 'g0', flag, a, flag, b], dir)).toMatchObject({
        code: 2,
        stderr: `fleetsim: ${flag}: given more than once\n`,
      });
    }
    expect(existsSync(join(dir, 'g0'))).toBe(false);
  });

  it('an --out folder that holds files fleetsim did not write', async () => {
    const out = join(dir, 'theirs');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const args = ['calibrate', join(FIXTURES, 'requests.jsonl'), '--scenario', join(FIXTURES, 'server.yaml')];
    const refused = await cli([...args, '--out', out], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^fleetsim: --out: .*theirs holds files that fleetsim did not write/);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});
