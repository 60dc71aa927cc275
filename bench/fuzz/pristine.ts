/**
 * Output folders of real commands, made once per fuzzer process, that data-route cases copy and
 * tamper with: two run folders (one with replications and capacity events), the two shards of a
 * sweep and the whole sweep (for resuming it). They are made from corpus seeds with relative paths
 * in a folder of their own, so their bytes do not depend on where that folder is: a case drawn
 * from them is the same on every machine and every run, and a failing one is saved whole, files
 * and all, so a kept case replays without them.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CaseFile } from './cases.js';
import { loadCorpus, type ScenarioSeed } from './corpus.js';
import type { CliResult } from './oracle.js';

export type CliRunner = (args: string[], cwd: string) => Promise<CliResult>;

/** `run-a`, `run-b`: run folders; `shard-0`, `shard-1`: sweep shards; `sweep`: a whole sweep. */
export type PristineName = 'run-a' | 'run-b' | 'shard-0' | 'shard-1' | 'sweep';

/** The sweep every shard, merge and resume case is about: 2 points, the seed's variants each. */
export const SWEEP_ARGS = [
  '--grid=fleets.0.replicas=1..2',
  '--workers=1',
  '--set=limits.max_wall=20s',
  '--quiet',
] as const;

/** Seeds of the folders: an LLM fleet with variants and a trace; an autoscaled spot fleet. */
const RUN_A = 'scenarios/demo.yaml';
const RUN_B = 'scenarios/spot-autoscaling.yaml';

let made: Map<PristineName, CaseFile[]> | null = null;
let sweepScenario: CaseFile[] = [];

function seedOf(origin: string): ScenarioSeed {
  const seed = loadCorpus().scenarios.find((s) => s.origin === origin);
  if (seed === undefined) throw new Error(`corpus seed ${origin} not found`);
  return seed;
}

function seedFiles(seed: ScenarioSeed): CaseFile[] {
  return [
    { name: 'scenario.yaml', bytes: Buffer.from(seed.text) },
    ...seed.files.map((f) => ({ name: f.name, bytes: Buffer.from(f.text) })),
  ];
}

function writeFiles(dir: string, files: readonly CaseFile[]): void {
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.name)), { recursive: true });
    writeFileSync(join(dir, f.name), f.bytes);
  }
}

/** Every file under `dir`, named relative to it, in a fixed order. */
export function readFolder(dir: string): CaseFile[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

async function make(cli: CliRunner, cwd: string, args: string[]): Promise<void> {
  const result = await cli(args, cwd);
  if (result.code !== 0) {
    throw new Error(`pristine folder: fleetsim ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
}

/**
 * Makes the folders under `dir` with `cli` (spawned, or the entry function in this thread). Call
 * once before generating data-route cases; later calls reuse the first.
 */
export async function preparePristine(dir: string, cli: CliRunner): Promise<void> {
  if (made !== null) return;
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  writeFiles(a, seedFiles(seedOf(RUN_A)));
  writeFiles(b, seedFiles(seedOf(RUN_B)));
  const quiet = ['--no-charts', '--quiet', '--set=limits.max_wall=20s'];
  await make(cli, a, ['run', 'scenario.yaml', '--out=run', ...quiet]);
  await make(cli, b, ['run', 'scenario.yaml', '--out=run', '--replications=2', ...quiet]);
  await make(cli, a, ['sweep', 'scenario.yaml', ...SWEEP_ARGS, '--shard=0/2', '--out=shard-0']);
  await make(cli, a, ['sweep', 'scenario.yaml', ...SWEEP_ARGS, '--shard=1/2', '--out=shard-1']);
  await make(cli, a, ['sweep', 'scenario.yaml', ...SWEEP_ARGS, '--out=sweep']);
  sweepScenario = seedFiles(seedOf(RUN_A));
  made = new Map([
    ['run-a', readFolder(join(a, 'run'))],
    ['run-b', readFolder(join(b, 'run'))],
    ['shard-0', readFolder(join(a, 'shard-0'))],
    ['shard-1', readFolder(join(a, 'shard-1'))],
    ['sweep', readFolder(join(a, 'sweep'))],
  ]);
}

export function pristineReady(): boolean {
  return made !== null;
}

/** A copy of folder `name`'s files, renamed under `as/`. */
export function pristine(name: PristineName, as: string): CaseFile[] {
  if (made === null) throw new Error('data-route cases need preparePristine() first');
  return made.get(name)!.map((f) => ({ name: `${as}/${f.name}`, bytes: Buffer.from(f.bytes) }));
}

/** The scenario (and its data files) the sweep folders were made from. */
export function sweepScenarioFiles(): CaseFile[] {
  return sweepScenario.map((f) => ({ name: f.name, bytes: Buffer.from(f.bytes) }));
}
