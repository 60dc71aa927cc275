/**
 * The fuzzer: mutated scenarios and data files through the library and the command line, each
 * judged by the oracle (oracle.ts). Deterministic for `--seed`: case i is the same on every
 * machine, and `--case i` runs it again alone.
 *
 *   npm run fuzz -- --cases 10000 --seed 1
 *   npm run fuzz -- --seed 1 --case 4242          # one case, with its mutations and verdict
 *   npm run fuzz -- --replay [--dir DIR]          # kept cases (default: test/fixtures/fuzz) again
 *   npm run fuzz -- --cases 300 --data-share 1     # only the data route (data-cases.ts)
 *
 * Failing cases are written to `--out` (default out/fuzz/seed-<seed>/failures), one folder each
 * in the layout of test/fixtures/fuzz, with a summary in report.json next to them.
 */
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type FuzzCase, generateCase, takesDataRoute } from './cases.js';
import { repoRoot } from './corpus.js';
import { DATA_SHARE } from './data-cases.js';
import { loadFixtures, meetsExpectation, saveCase } from './fixtures.js';
import { knownIssue } from './known.js';
import type { Verdict } from './oracle.js';
import { spawnCli } from './oracle.js';
import { CaseProcess, cappedNode } from './pool.js';
import { preparePristine } from './pristine.js';
import { runCase, signature } from './run-case.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    start: { type: 'string', default: '0' },
    case: { type: 'string' },
    workers: { type: 'string' },
    timeout: { type: 'string', default: '60000' },
    'cli-share': { type: 'string', default: '0.03' },
    'data-share': { type: 'string', default: String(DATA_SHARE) },
    'memory-mb': { type: 'string', default: '3000' },
    out: { type: 'string' },
    replay: { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});

const ROOT = repoRoot();
const CLI = join(ROOT, 'dist/cli/main.js');
const seed = Number(values.seed);
const timeoutMs = Number(values.timeout);
const cliShare = Number(values['cli-share']);
const dataShare = Number(values['data-share']);
const workers = Number(values.workers ?? availableParallelism());
const outDir = values.out ?? join(ROOT, 'out/fuzz', `seed-${seed}`);
const tmpRoot = join(tmpdir(), `fleetsim-fuzz-${process.pid}`);

// The library reads the catalog from pricing/ two folders above its modules: in this build that
// is dist-bench/, beside dist-bench/src.
const BUILT_PRICING = join(ROOT, 'dist-bench/pricing');
if (!existsSync(BUILT_PRICING)) symlinkSync(join(ROOT, 'pricing'), BUILT_PRICING);

/** Every node process a case runs in (library or command line) may map this much memory at most. */
const NODE = cappedNode(Number(values['memory-mb']) * 1024 * 1024);

let dirs = 0;

/**
 * A case in `runner`'s child process (library) or through the command line, under the time limit.
 * A command line that does not end is run again by the library, whose verdict says whether the
 * time went to loading or to simulating.
 */
async function judge(c: FuzzCase, runner: CaseProcess): Promise<Verdict> {
  if (c.route === 'library') return runner.run(c, join(tmpRoot, `w${dirs++}`));
  // A child process loads every module and draws the charts: it gets more time.
  const verdict = await runCase(c, {
    tmpRoot,
    cli: { mode: 'spawn', node: NODE, path: CLI, timeoutMs: 3 * timeoutMs },
  });
  // Only a scenario can be run again by the library, to tell loading from simulating.
  if (verdict.outcome !== 'failure' || verdict.kind !== 'timeout' || c.route === 'data') return verdict;
  const again = await runner.run(
    { ...c, route: 'library', command: c.command === 'validate' ? 'validate' : 'run' },
    join(tmpRoot, `w${dirs++}`),
  );
  return { ...verdict, message: `${verdict.message}; run by the library: ${again.outcome} ${again.message}` };
}

const runners: CaseProcess[] = [];

function newRunner(): CaseProcess {
  const runner = new CaseProcess(NODE, timeoutMs);
  runners.push(runner);
  return runner;
}

function label(verdict: Verdict, c: FuzzCase): string {
  if (verdict.outcome !== 'failure') return verdict.outcome;
  const known = knownIssue(c, verdict);
  return known === null ? `FAILURE ${verdict.kind}` : `known: ${known.id}`;
}

async function one(index: number): Promise<void> {
  const c = generateCase(seed, index, { cliShare, dataShare });
  const started = performance.now();
  const verdict = await judge(c, newRunner());
  console.log(
    `case ${c.id} (${c.route} ${c.command}, from ${c.origin}) in ${Math.round(performance.now() - started)} ms`,
  );
  for (const m of c.mutations) console.log(`  - ${m}`);
  if (c.set.length > 0) console.log(`  --set ${c.set.join(' --set ')}`);
  console.log(`${label(verdict, c)}: ${verdict.message}`);
  saveCase(c, join(outDir, `case-${index}`), { verdict });
  console.log(`written to ${join(outDir, `case-${index}`)}`);
}

async function replay(): Promise<number> {
  let failed = 0;
  const runner = newRunner();
  for (const fixture of loadFixtures(values.dir ?? join(ROOT, 'test/fixtures/fuzz'))) {
    const verdict = await judge(fixture.fuzzCase, runner);
    const met = meetsExpectation(fixture.meta.expect, verdict);
    const known = fixture.meta.known?.area ?? knownIssue(fixture.fuzzCase, verdict)?.area;
    const state = met ? 'as expected' : known !== undefined ? `known (${known})` : 'UNEXPECTED';
    if (!met && known === undefined) failed++;
    console.log(`${fixture.name}: ${state}: ${verdict.outcome} ${verdict.message.slice(0, 200)}`);
  }
  return failed;
}

async function campaign(): Promise<number> {
  const count = Number(values.cases);
  const start = Number(values.start);
  const started = performance.now();
  const counts = new Map<string, number>();
  const groups = new Map<string, { count: number; cases: number[] }>();
  const bump = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);
  let next = start;
  let done = 0;
  let unknown = 0;
  const worker = async () => {
    const runner = newRunner();
    while (next < start + count) {
      const index = next++;
      const c = generateCase(seed, index, { cliShare, dataShare });
      const verdict = await judge(c, runner);
      bump(`${c.route} ${c.command}`);
      bump(label(verdict, c));
      if (verdict.outcome === 'failure') {
        const known = knownIssue(c, verdict);
        if (known === null) unknown++;
        const key = known === null ? signature(verdict) : `known: ${known.id}`;
        const group = groups.get(key) ?? { count: 0, cases: [] };
        group.count++;
        if (group.cases.length < 5) group.cases.push(index);
        groups.set(key, group);
        saveCase(c, join(outDir, 'failures', `${index}-${verdict.kind}`), { verdict });
      }
      if (++done % 250 === 0) {
        const seconds = (performance.now() - started) / 1000;
        console.error(`${done}/${count} cases in ${seconds.toFixed(0)} s, ${unknown} unknown failure(s)`);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  const seconds = (performance.now() - started) / 1000;
  const report = {
    seed,
    start,
    cases: count,
    seconds: Math.round(seconds),
    counts: Object.fromEntries([...counts].sort()),
    failures: Object.fromEntries([...groups].sort((a, b) => b[1].count - a[1].count)),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `${count} cases (seed ${seed}, from ${start}) in ${seconds.toFixed(1)} s with ${workers} worker(s)`,
  );
  for (const [key, n] of [...counts].sort()) console.log(`  ${key}: ${n}`);
  for (const [key, group] of groups)
    console.log(`  ${group.count} x ${key} (cases ${group.cases.join(', ')})`);
  console.log(
    `memory cap per process: ${NODE[0] === 'prlimit' ? `${values['memory-mb']} MB` : 'none (no prlimit)'}`,
  );
  console.log(`report: ${join(outDir, 'report.json')}`);
  return unknown;
}

try {
  let failed = 0;
  // The folders data-route cases copy, made by the build under test (a minute at most).
  const needed =
    values.case === undefined
      ? dataShare > 0 && !values.replay
      : takesDataRoute(seed, Number(values.case), dataShare);
  if (needed) {
    await preparePristine(join(tmpRoot, 'pristine'), (args, cwd) =>
      spawnCli(NODE, CLI, args, cwd, 3 * timeoutMs),
    );
  }
  if (values.case !== undefined) await one(Number(values.case));
  else failed = values.replay ? await replay() : await campaign();
  process.exitCode = failed > 0 ? 1 : 0;
} finally {
  for (const runner of runners) runner.close();
  rmSync(tmpRoot, { recursive: true, force: true });
}
