import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_HANDLERS, type CommandHandlers, runCli } from '../../src/cli/app.js';
import { EXAMPLES } from '../../src/cli/examples.js';
import type { CliIo } from '../../src/cli/io.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(ROOT, 'test/fixtures/cli');
const COMMANDS = Object.keys(COMMAND_HANDLERS) as (keyof CommandHandlers)[];

async function cli(args: string[], cwd = ROOT, handlers?: CommandHandlers) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io, handlers);
  return { code, stdout, stderr };
}

/** Handlers that only record what the parser handed them: a command line parses without running. */
function recorder() {
  const calls: { command: string; args: Record<string, unknown> }[] = [];
  const handlers = Object.fromEntries(
    COMMANDS.map((command) => [
      command,
      (args: Record<string, unknown>) => {
        calls.push({ command, args });
        return 0;
      },
    ]),
  ) as unknown as CommandHandlers;
  return { calls, handlers };
}

async function parsed(args: string[]) {
  const { calls, handlers } = recorder();
  const result = await cli(args, ROOT, handlers);
  return { ...result, calls };
}

describe('--version and --help', () => {
  it('--version prints the version of package.json, from any working directory', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    // The built CLI, as installed: its own package.json, not the one of the working directory.
    const result = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), '--version'], {
      cwd: tmpdir(),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${version}\n`);
    expect(result.status).toBe(0);
  });

  it('-h and --help list every command on one line each, exit 0', async () => {
    for (const flag of ['-h', '--help']) {
      const { code, stdout, stderr } = await cli([flag]);
      expect(code, flag).toBe(0);
      expect(stderr).toBe('');
      const commands = stdout.slice(stdout.indexOf('Commands:\n') + 'Commands:\n'.length);
      const section = commands.slice(0, commands.indexOf('\n\n'));
      const lines = section.split('\n');
      const listed = lines.map((line) => /^ {2}fleetsim (\S+)/.exec(line)?.[1]);
      // No line is the wrapped rest of another: each begins with a command and fits 80 columns.
      expect(listed).toEqual([...new Set(COMMANDS.map((command) => command.split(' ')[0]))]);
      for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    }
  });

  it("every command's help shows its examples, and every example parses into that command", async () => {
    for (const command of COMMANDS) {
      const examples = EXAMPLES[command];
      expect(examples.length, command).toBeGreaterThan(0);
      const help = await cli([...command.split(' '), '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain('Examples:');
      for (const [line] of examples) {
        expect(help.stdout, command).toContain(`\n  ${line.replace('$0', 'fleetsim')}\n`);
        expect(line, 'an example is split on spaces, so it has no quotes').not.toMatch(/["'\\]/);
        const words = line.split(' ').slice(1);
        for (const word of words.filter((w) => /^(scenarios|traces|pricing)\//.test(w))) {
          expect(existsSync(join(ROOT, word)), `${line}: ${word} is shipped`).toBe(true);
        }
        const { code, stderr, calls } = await parsed(words);
        expect(stderr, line).toBe('');
        expect(code, line).toBe(0);
        expect(calls.map((call) => call.command)).toEqual([command]);
      }
    }
  });
});

describe('numeric flags', () => {
  it('hand the command numbers, every spelling of an integer the same one, the full safe range kept', async () => {
    const cases: [string[], string, unknown][] = [
      [['run', '--seed', '11'], 'seed', 11],
      [['run', '--seed', '011'], 'seed', 11],
      [['run', '--seed', '-5'], 'seed', -5],
      [['run', '--seed', '9007199254740991'], 'seed', Number.MAX_SAFE_INTEGER],
      [['run', '--replications', '3', '--workers', '2'], 'workers', 2],
      [['compare', 'a.yaml', '--seed', '4', '--replications', '12'], 'replications', 12],
      [['sweep', 'a.yaml', '--seed', '0'], 'seed', 0],
      [['sweep', 'a.yaml', '--points', '25', '--sampling', 'random'], 'points', 25],
      [['plan', 'a.yaml', '--workers', '64'], 'workers', 64],
      [['calibrate', 'm.jsonl', '--scenario', 'a.yaml', '--out', 'o', '--resamples', '40'], 'resamples', 40],
      [['catalog', 'list', '--max-price', '2.5'], 'maxPrice', 2.5],
    ];
    for (const [args, key, value] of cases) {
      const { code, stderr, calls } = await parsed(args);
      expect(stderr, args.join(' ')).toBe('');
      expect(code).toBe(0);
      expect(calls[0].args[key], args.join(' ')).toBe(value);
    }
  });

  it('a bad value is one line quoting it, exit 2, before anything runs', async () => {
    const cases: [string[], string][] = [
      [['run', '--seed', 'x'], '--seed: expected an integer, got "x"'],
      [['run', '--seed', '1.5'], '--seed: expected an integer, got "1.5"'],
      [['run', '--seed', '1e3'], '--seed: expected an integer, got "1e3"'],
      // Past 2^53 an integer cannot be held exactly: refused, never rounded to a neighbouring seed.
      [['run', '--seed', '12345678901234567890'], '--seed: expected an integer, got "12345678901234567890"'],
      [['compare', 'a.yaml', '--seed', '0x10'], '--seed: expected an integer, got "0x10"'],
      [['sweep', 'a.yaml', '--seed', '-1'], '--seed: expected a non-negative integer, got "-1"'],
      [['run', '--seed', '1', '--seed', '2'], '--seed: given more than once'],
      [['run', '--replications', '0'], '--replications: expected a positive integer, got "0"'],
      [['plan', 'a.yaml', '--workers', 'two'], '--workers: expected a positive integer, got "two"'],
      [['sweep', 'a.yaml', '--workers', '65'], '--workers: at most 64 worker threads, got 65'],
      [['sweep', 'a.yaml', '--points', '-3'], '--points: expected a positive integer, got "-3"'],
      [
        ['calibrate', 'm', '--scenario', 'a', '--out', 'o', '--resamples', 'x'],
        '--resamples: expected a positive integer, got "x"',
      ],
      [
        ['calibrate', 'm', '--scenario', 'a', '--out', 'o', '--resamples', '1000000'],
        '--resamples: at most 1000, got 1000000',
      ],
      [
        ['catalog', 'list', '--max-price', 'cheap'],
        '--max-price: expected a price in USD per hour, got "cheap"',
      ],
      [['run', '--seed'], 'Not enough arguments following: seed'],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr, calls } = await parsed(args);
      expect(stderr, args.join(' ')).toBe(`fleetsim: ${message}\n`);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(calls).toEqual([]);
    }
  });

  it('the help shows them as numbers', async () => {
    const { stdout } = await cli(['sweep', '--help']);
    for (const flag of ['--seed', '--replications', '--workers', '--points']) {
      // The label may wrap onto the next line of the description, before the next option.
      expect(stdout).toMatch(new RegExp(`\\n +${flag} +((?!\\n +-)[\\s\\S])*\\[number\\]`));
    }
  });

  it('a seed spelled two ways gives a byte-identical summary.json, the seed the scenario file would give', async () => {
    const outs = ['11', '011'].map((seed) => {
      const out = mkdtempSync(join(tmpdir(), 'fleetsim-seed-'));
      return { seed, out };
    });
    for (const { seed, out } of outs) {
      const result = await cli(
        ['run', 'tiny.yaml', '--out', out, '--seed', seed, '--quiet', '--set', 'report.charts=[]'],
        FIXTURES,
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-seed-'));
    writeFileSync(
      join(dir, 'tiny.yaml'),
      readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8').replace('seed: 3', 'seed: 11'),
    );
    const inFile = join(dir, 'out');
    expect(
      (await cli(['run', 'tiny.yaml', '--out', inFile, '--quiet', '--set', 'report.charts=[]'], dir)).code,
    ).toBe(0);
    const [a, b] = outs.map(({ out }) => readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(b).toBe(a);
    expect(readFileSync(join(inFile, 'summary.json'), 'utf8')).toBe(a);
  });
});

describe('unknown options and commands', () => {
  it('name the closest option of the command, or command', async () => {
    const cases: [string[], string][] = [
      [['run', '--seedd', '3'], 'unknown option --seedd; did you mean --seed?'],
      // The unknown flag took the file as its value: still the flag is what is wrong.
      [['validate', '--jsn', 'scenarios/demo.yaml'], 'unknown option --jsn; did you mean --json?'],
      [
        ['plan', 'a.yaml', '--no-capacity', '--replicatons', '3'],
        'unknown option --replicatons; did you mean --replications?',
      ],
      [['trace', 'stats', '--colums', 'f.csv'], 'unknown option --colums; did you mean --column?'],
      [['run', '--frobnicate'], 'unknown option --frobnicate'],
      [['runn'], 'Unknown argument: runn; did you mean "run"?'],
      [['catalog', 'lst'], 'Unknown argument: lst; did you mean "list"?'],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, calls } = await parsed(args);
      expect(stderr, args.join(' ')).toBe(`fleetsim: ${message}\n`);
      expect(code).toBe(2);
      expect(calls).toEqual([]);
    }
  });

  it('yargs forms of known options are not unknown: camelCase and --no-', async () => {
    const { code, calls } = await parsed(['plan', 'a.yaml', '--no-capacity', '--dataRoot', 'x']);
    expect(code).toBe(0);
    expect(calls[0].args).toMatchObject({ capacity: false, dataRoot: 'x' });
  });
});

describe('fleetsim validate --json', () => {
  it('prints ok, the variants and the trace read, as JSON', async () => {
    const { code, stdout, stderr } = await cli(['validate', '--json', 'tiny.yaml'], FIXTURES);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      ok: true,
      file: 'tiny.yaml',
      diagnostics: [],
      variants: ['baseline', 'three'],
      trace_requests: [],
      sweep: null,
    });
  });

  it('prints every error located, with its code, and exits 2', async () => {
    const { code, stdout, stderr } = await cli(['validate', 'unknown-key.yaml', '--json'], FIXTURES);
    expect(stderr).toBe('');
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    // The same error the one-line form prints (README: unknown-key.yaml:8:5).
    const plain = await cli(['validate', 'unknown-key.yaml'], FIXTURES);
    expect(plain.code).toBe(2);
    const [line] = plain.stderr.trim().split('\n');
    const [, file, row, col, message] = /^([^:]+):(\d+):(\d+): (.*)$/.exec(line) ?? [];
    expect(report).toEqual({
      ok: false,
      file: 'unknown-key.yaml',
      diagnostics: [
        { severity: 'error', file, line: Number(row), col: Number(col), code: 'UNKNOWN_KEY', message },
      ],
    });
  });

  it('lists sweep points that cannot run as warnings, and still succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-validate-'));
    writeFileSync(
      join(dir, 's.yaml'),
      `${readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8')}sweep:\n  grid:\n    fleets.0.replicas: [2, 3]\n`,
    );
    const { code, stdout } = await cli(['validate', 's.yaml', '--json'], dir);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      sweep: { points: 2, configurations: 4, infeasible: 0 },
    });
  });
});

describe('fleetsim trace stats --columns', () => {
  it('names each CSV header column and what the preset reads it as', async () => {
    const { code, stdout } = await cli([
      'trace',
      'stats',
      '--columns',
      '--json',
      'traces/azure-llm-2023-conv.csv',
    ]);
    expect(code).toBe(0);
    const header = readFileSync(join(ROOT, 'traces/azure-llm-2023-conv.csv'), 'utf8').split(/\r?\n/)[0];
    expect(header).toBe('TIMESTAMP,ContextTokens,GeneratedTokens');
    expect(JSON.parse(stdout)).toEqual({
      format: 'azure-llm',
      columns: [
        { name: 'TIMESTAMP', maps_to: 'time' },
        { name: 'ContextTokens', maps_to: 'input_tokens' },
        { name: 'GeneratedTokens', maps_to: 'output_tokens' },
      ],
      missing: [],
    });
  });

  it('collects the keys of the first JSONL records and says which mapped column the file lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-columns-'));
    const file = join(dir, 't.jsonl');
    writeFileSync(file, '{"t": 0, "prompt": 5}\n{"t": 1, "prompt": 3, "note": "x"}\n');
    const args = [
      'trace',
      'stats',
      '--columns',
      file,
      '--time-column',
      't',
      '--column',
      'input_tokens=prompt',
    ];
    const json = await cli([...args, '--column', 'output_tokens=gen', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      format: 'jsonl',
      columns: [
        { name: 't', maps_to: 'time' },
        { name: 'prompt', maps_to: 'input_tokens' },
        { name: 'note', maps_to: null },
      ],
      missing: [{ maps_to: 'output_tokens', name: 'gen' }],
    });
    const text = await cli(args);
    expect(text.stdout.split('\n').slice(0, 5)).toEqual([
      `${file} (format jsonl)`,
      '  column  fleetsim reads it as',
      '  t       time',
      '  prompt  input_tokens',
      '  note    - (not read)',
    ]);
  });
});

describe('catalog list flags', () => {
  it('match without regard to case through the command line', async () => {
    const lower = await cli([
      'catalog',
      'list',
      '--provider',
      'aws',
      '--accelerator',
      'h100-80gb',
      '--as-of',
      '2026-12-06',
    ]);
    const upper = await cli([
      'catalog',
      'list',
      '--provider',
      'AWS',
      '--accelerator',
      'H100-80GB',
      '--as-of',
      '2026-12-06',
    ]);
    expect(lower.code).toBe(0);
    expect(lower.stdout).toMatch(/aws\/p5/);
    expect(upper).toEqual(lower);
  });
});

describe('sweep and plan --out', () => {
  it('default to out/<scenario name>-sweep and -plan, the name reduced as run reduces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-study-'));
    const scenario = readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8')
      .replace('name: tiny', 'name: "my study: ../x"')
      .replace('duration: 10m', 'duration: 2m')
      .replace('warmup: 1m', 'warmup: 10s');
    writeFileSync(
      join(dir, 's.yaml'),
      `${scenario}slo: { latency_p99: 5s }\nsweep:\n  grid:\n    fleets.0.replicas: [2, 3]\n`,
    );
    const quiet = ['--quiet', '--workers', '1', '--set', 'report.charts=[]'];
    const sweep = await cli(['sweep', 's.yaml', ...quiet], dir);
    expect(sweep.stderr).toBe('');
    expect(sweep.code).toBe(0);
    const plan = await cli(['plan', 's.yaml', ...quiet], dir);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['my-study-..-x-plan', 'my-study-..-x-sweep']);
    expect(readdirSync(join(dir, 'out/my-study-..-x-sweep'))).toContain('sweep.json');
    expect(readdirSync(join(dir, 'out/my-study-..-x-plan'))).toContain('plan.json');
  });

  it('refuse a default folder that holds files fleetsim did not write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-study-'));
    writeFileSync(
      join(dir, 's.yaml'),
      `${readFileSync(join(FIXTURES, 'tiny.yaml'), 'utf8')}sweep:\n  grid:\n    fleets.0.replicas: [2]\n`,
    );
    mkdirSync(join(dir, 'out/tiny-sweep'), { recursive: true });
    writeFileSync(join(dir, 'out/tiny-sweep/thesis.tex'), 'mine');
    const { code, stderr } = await cli(['sweep', 's.yaml', '--quiet'], dir);
    expect(stderr).toBe(
      `fleetsim: --out: ${join(dir, 'out/tiny-sweep')} holds files that fleetsim did not write; choose a new or empty folder, or pass --force to write (and replace files) there\n`,
    );
    expect(code).toBe(2);
    expect(readdirSync(join(dir, 'out/tiny-sweep'))).toEqual(['thesis.tex']);
  });
});
