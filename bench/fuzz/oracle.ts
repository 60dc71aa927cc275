/**
 * Runs a case and judges it. A case passes when it is either
 * - a valid run whose every figure is finite (see figures.ts for where a null may stand), or
 * - a user error: diagnostics `file:line:col: message` (line and column from 1) or one line
 *   `fleetsim: message`, each a single line without control characters; exit code 2 from the CLI.
 * Anything else fails: an internal error (exit code 1), a stack trace on stderr, an unlocated or
 * multi-line message, a non-finite or misplaced null figure, a crash or a hang.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runCli } from '../../src/cli/app.js';
import { type CliIo, UsageError } from '../../src/cli/io.js';
import { checkSweepGrid } from '../../src/plan/check-grid.js';
import {
  renderCapacityEventsJson,
  renderDistributionsJson,
  renderSummaryJson,
  renderSummaryMarkdown,
  renderTextTable,
  renderTimeseriesCsv,
} from '../../src/report/index.js';
import { verdictLines } from '../../src/report/slo.js';
import { runLoadedScenario, ScenarioError } from '../../src/run.js';
import { type LoadedScenario, loadScenarioFile } from '../../src/scenario/index.js';
import {
  type Diagnostic,
  formatDiagnostic,
  oneLine,
  RunInputError,
  UserError,
} from '../../src/scenario/types.js';
import type { FuzzCase } from './cases.js';
import { runProblems } from './figures.js';

export type FailureKind =
  | 'internal-error'
  | 'stack-trace'
  | 'unlocated-message'
  | 'not-one-line'
  | 'bad-figures'
  | 'timeout'
  | 'crash';

/** For a user error, `message` holds every line of it. */
export type Verdict =
  | { outcome: 'ok'; message: string }
  | { outcome: 'user-error'; message: string }
  | { outcome: 'failure'; kind: FailureKind; message: string };

const LOCATED = /^(.+?):(\d+):(\d+): (\S.*)$/;
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;

function failure(kind: FailureKind, message: string): Verdict {
  return {
    outcome: 'failure',
    kind,
    message: message.length > 2000 ? `${message.slice(0, 2000)}...` : message,
  };
}

/** C0 controls (tab included), DEL and C1 controls: a terminal may act on them. */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

/** Why one line of user-facing error text breaks the one-located-line rule, or null. */
function lineProblem(line: string, located: boolean): Verdict | null {
  if (/[\n\r\u2028\u2029]/.test(line)) return failure('not-one-line', JSON.stringify(line));
  if ([...line].some(isControl))
    return failure('not-one-line', `control character in ${JSON.stringify(line)}`);
  if (!located) return /^fleetsim: \S/.test(line) ? null : failure('unlocated-message', line);
  const match = LOCATED.exec(line);
  if (match === null || Number(match[2]) < 1 || Number(match[3]) < 1) {
    return /^fleetsim: \S/.test(line) && !line.startsWith('fleetsim: internal error')
      ? null
      : failure('unlocated-message', line);
  }
  return null;
}

function judgeDiagnostics(diagnostics: readonly Diagnostic[]): Verdict {
  if (diagnostics.length === 0) return failure('unlocated-message', 'an error without a diagnostic');
  for (const d of diagnostics) {
    const text = formatDiagnostic(d);
    const problem = lineProblem(text, true);
    if (problem !== null) return problem;
  }
  return { outcome: 'user-error', message: diagnostics.map(formatDiagnostic).join('\n') };
}

/** The first frame of a stack that is fleetsim's own code, to tell failures apart. */
function ownFrame(stack: string): string {
  const frame = stack.split('\n').find((l) => /\bsrc\/|dist\//.test(l) && /^\s+at /.test(l));
  return frame === undefined
    ? ''
    : ` ${frame
        .trim()
        .replace(/^at /, 'at ')
        .replace(/\(.*?(src|dist)\//, '($1/')}`;
}

function judgeThrown(error: unknown): Verdict {
  if (error instanceof ScenarioError) return judgeDiagnostics(error.diagnostics);
  if (error instanceof UserError) return judgeDiagnostics([error.diagnostic]);
  if (error instanceof RunInputError || error instanceof UsageError) {
    // As the command line prints it.
    const line = `fleetsim: ${oneLine(error.message)}`;
    return lineProblem(line, false) ?? { outcome: 'user-error', message: line };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  // A long message (a path of 10,000 characters) must not push out the frame that tells failures apart.
  const message = e.message.length > 500 ? `${e.message.slice(0, 500)}…` : e.message;
  return failure('internal-error', `${e.name}: ${message}${ownFrame(e.stack ?? '')}`);
}

export function writeCase(c: FuzzCase, dir: string): void {
  for (const file of c.files) {
    const path = join(dir, file.name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.bytes);
  }
}

/**
 * `run` and `validate` by the library API, in this thread; every renderer of `run` included.
 * `onSimulating` is called once the simulation starts, so whoever stops a case that takes too long
 * can tell a long run from a hang in loading. The run reports no progress, as `runScenario` does
 * not.
 */
export async function runInLibrary(c: FuzzCase, dir: string, onSimulating?: () => void): Promise<Verdict> {
  const file = join(dir, c.scenarios[0]);
  try {
    const loaded = await loadScenarioFile(file, { set: c.set });
    if (!loaded.ok) return judgeDiagnostics(loaded.errors);
    const scenario = loaded.value;
    if (c.command === 'validate') {
      const grid = await checkSweepGrid(scenario, file, c.set);
      const infeasible = grid?.infeasible.map((i) => i.diagnostic) ?? [];
      const problem = infeasible.length > 0 ? judgeDiagnostics(infeasible) : null;
      if (problem?.outcome === 'failure') return problem;
      return { outcome: 'ok', message: `valid, ${scenario.variants.length} variant(s)` };
    }
    onSimulating?.();
    capWallTime(scenario);
    const { summary, results } = runLoadedScenario(scenario);
    renderSummaryJson(summary);
    renderSummaryMarkdown(summary);
    renderTextTable(summary);
    verdictLines(summary.variants);
    renderTimeseriesCsv(results);
    renderDistributionsJson(summary.scenario, summary.seed, results);
    renderCapacityEventsJson(summary.scenario, summary.seed, results);
    const problems = [
      ...runProblems(results),
      ...runProblems((JSON.parse(renderSummaryJson(summary)) as { variants: unknown[] }).variants),
    ];
    if (problems.length > 0) return failure('bad-figures', [...new Set(problems)].slice(0, 5).join('; '));
    const events = results.reduce((sum, r) => sum + r.events, 0);
    return { outcome: 'ok', message: `${results.length} variant(s), ${events} events` };
  } catch (error) {
    return judgeThrown(error);
  }
}

/**
 * Wall-clock seconds all the simulations of one library case may take together, well inside the
 * case's time limit: a valid run too large for it ends as a partial run, by `limits.max_wall`, as
 * it would for a user at the default of 10 minutes. What is judged is that it ends, marked.
 */
export const LIBRARY_WALL_S = 24;

/** `limits.max_wall` of every command-line case, per simulation (see LIBRARY_WALL_S). */
export const CLI_WALL = '20s';

function capWallTime(scenario: LoadedScenario): void {
  const share = Math.max(1, LIBRARY_WALL_S / scenario.variants.length);
  for (const { scenario: variant } of scenario.variants) {
    variant.limits = { ...variant.limits, maxWallS: Math.min(variant.limits.maxWallS, share) };
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export function cliArguments(c: FuzzCase, outDir: string): string[] {
  if (c.route === 'data') return c.flags;
  return [
    c.command,
    ...c.scenarios,
    ...(c.command === 'validate' ? [] : [`--out=${outDir}`]),
    ...c.set.map((s) => `--set=${s}`),
    ...(c.command === 'validate' ? [] : [`--set=limits.max_wall=${CLI_WALL}`]),
    ...c.flags,
  ];
}

/**
 * The real command line: `node dist/cli/main.js ...` in the case folder, killed after `timeoutMs`;
 * `node` is the command that runs node (with a memory cap, see pool.ts).
 */
export function spawnCli(
  node: readonly string[],
  cliPath: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const [command, ...prefix] = node;
    const start = () =>
      spawn(command, [...prefix, cliPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let child: ReturnType<typeof start>;
    try {
      child = start();
    } catch (error) {
      // An argument no process can take (a NUL byte): the case's fault, reported as one failure
      // rather than stopping the campaign.
      resolve({
        code: null,
        stdout: '',
        stderr: `cannot start: ${(error as Error).message}`,
        timedOut: false,
      });
      return;
    }
    let stdout = '';
    let stderr = '';
    // Past 1 MB the rest is dropped, and with it the last line's tail: only whole lines are judged.
    const cap = (text: string, more: Buffer) => (text.length > 1e6 ? text : text + more.toString('utf8'));
    const wholeLines = (text: string) =>
      text.length > 1e6 ? text.slice(0, text.lastIndexOf('\n') + 1) : text;
    child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
    child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: wholeLines(stdout), stderr: wholeLines(stderr), timedOut });
    });
  });
}

/** The command line's entry point called in this thread (no process, no build needed). */
export async function callCli(args: string[], cwd: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr, timedOut: false };
}

/** The line `run` and `compare` end with once their outputs are written. */
const WROTE_OUTPUTS = /^\d+ (variant|configuration)\(s\)[, ].*; wrote /;

/** Judges what the command line did: exit code, stderr's shape, and the figures it wrote. */
export function judgeCli(c: FuzzCase, result: CliResult, outDir: string): Verdict {
  const { code, stdout, stderr } = result;
  if (result.timedOut)
    return failure('timeout', `no exit after the time limit; stderr: ${stderr.slice(0, 300)}`);
  if (STACK_FRAME.test(stderr)) return failure('stack-trace', stderr.slice(0, 1500));
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (code === 1) return failure('internal-error', lines[0] ?? '(exit code 1, nothing on stderr)');
  if (c.route === 'data' && code === 2) {
    const half = halfWritten(dirname(outDir));
    if (half.length > 0) return failure('crash', `left half-written: ${half.slice(0, 3).join(', ')}`);
  }
  if (code === 2) {
    // Progress lines and warnings may precede the error, and a run cut short by a limit writes
    // every output (with the line saying so) before its PARTIAL lines; every other line must
    // still be one of ours. A limit the scenario sets locates its PARTIAL line at that key.
    const partial = lines.some((l) => /^(fleetsim|.+:\d+:\d+): \S+: PARTIAL: /.test(l));
    const judged = partial ? lines.filter((l) => !WROTE_OUTPUTS.test(l)) : lines;
    for (const line of judged) {
      const problem = lineProblem(line, true);
      if (problem !== null) return problem;
    }
    const errors = judged.filter((l) => !/^fleetsim: (warning|caveat):/.test(l));
    return errors.length === 0
      ? failure('unlocated-message', 'exit code 2 without an error line')
      : { outcome: 'user-error', message: errors.join('\n') };
  }
  if (code !== 0 && code !== 3) return failure('crash', `exit code ${code}: ${lines[0] ?? ''}`);
  if (c.route === 'data') {
    // Whatever the exit, a file written half (its temporary name still there) must not be left.
    const half = halfWritten(dirname(outDir));
    if (half.length > 0) return failure('crash', `left half-written: ${half.slice(0, 3).join(', ')}`);
  }
  if (lines.some((l) => /internal error/.test(l))) return failure('internal-error', lines.join('\n'));
  try {
    if (c.route === 'data') return judgeDataOutputs(c, code, stdout, dirname(outDir));
    return judgeOutputs(c, code, stdout, outDir);
  } catch (error) {
    return failure('crash', `unreadable output: ${(error as Error).message}`);
  }
}

function judgeOutputs(c: FuzzCase, code: number, stdout: string, outDir: string): Verdict {
  const problems: string[] = [];
  if (c.command === 'run') {
    const path = join(outDir, 'summary.json');
    if (!existsSync(path)) return failure('crash', 'run exited 0 without writing summary.json');
    problems.push(
      ...runProblems((JSON.parse(readFileSync(path, 'utf8')) as { variants: unknown[] }).variants),
    );
    if (c.flags.includes('--json')) {
      problems.push(...runProblems((JSON.parse(stdout) as { variants: unknown[] }).variants));
    }
  } else if (c.command === 'compare') {
    if (!existsSync(join(outDir, 'comparison.json')))
      return failure('crash', 'compare wrote no comparison.json');
    if (c.flags.includes('--json')) JSON.parse(stdout);
  } else if (c.command === 'sweep' || c.command === 'plan') {
    const path = join(outDir, `${c.command}.json`);
    if (!existsSync(path))
      return failure('crash', `${c.command} exited ${code} without writing ${c.command}.json`);
    JSON.parse(readFileSync(path, 'utf8'));
    if (c.flags.includes('--json')) JSON.parse(stdout);
  }
  if (problems.length > 0) return failure('bad-figures', [...new Set(problems)].slice(0, 5).join('; '));
  return { outcome: 'ok', message: `exit ${code}` };
}

/** Files of the case folder still under a temporary name: an output written half and left. */
function halfWritten(caseDir: string): string[] {
  if (!existsSync(caseDir)) return [];
  return readdirSync(caseDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
    /\.tmp$|\.tmp[-.]/.test(f),
  );
}

/** What a data-route command that ended well must have written or printed, whole. */
function judgeDataOutputs(c: FuzzCase, code: number, stdout: string, caseDir: string): Verdict {
  const args = c.flags;
  const out = args.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  const json = (path: string) => JSON.parse(readFileSync(join(caseDir, path), 'utf8')) as unknown;
  const need = (path: string) => existsSync(join(caseDir, path));
  const missing = (path: string) =>
    failure('crash', `${args.slice(0, 2).join(' ')} exited ${code} without writing ${path}`);
  if (args.includes('--json') || args.includes('--format=json')) JSON.parse(stdout);
  switch (c.command) {
    case 'calibrate':
      if (!need('out/calibration.json')) return missing('out/calibration.json');
      json('out/calibration.json');
      if (!need('out/scenario.yaml')) return missing('out/scenario.yaml');
      break;
    case 'catalog':
      if (args[1] === 'import' && !need('out/prices.yaml')) return missing('out/prices.yaml');
      break;
    case 'report':
      if (!need(`${args[1]}/report.html`)) return missing(`${args[1]}/report.html`);
      break;
    case 'diff':
      if (out !== undefined) {
        if (!need(`${out}/diff.json`)) return missing(`${out}/diff.json`);
        json(`${out}/diff.json`);
      }
      break;
    case 'merge':
    case 'sweep':
      if (out !== undefined) {
        if (!need(`${out}/sweep.json`)) return missing(`${out}/sweep.json`);
        json(`${out}/sweep.json`);
      }
      break;
  }
  return { outcome: 'ok', message: `exit ${code}` };
}
