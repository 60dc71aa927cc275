/**
 * The seed corpus: the shipped scenarios, the scenario fixtures of the tests and the fuzzer's own
 * seeds (bench/fuzz/seeds, for features the others leave out), each made self-contained and
 * small: every file it reads is copied beside it (traces cut to their first rows) and its run is
 * cut to a few simulated minutes, so that a case takes milliseconds.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, type Node, parseDocument, type Scalar } from 'yaml';
import { parseDuration } from '../../src/core/units.js';

/** What a data file of a scenario holds, from the key that names it (a trace is cut to its first rows). */
export type DataKind = 'trace' | 'column' | 'times' | 'periods' | 'prices' | 'profile';

export interface DataFile {
  name: string;
  kind: DataKind;
  text: string;
}

export interface ScenarioSeed {
  /** Where it came from, relative to the repository. */
  origin: string;
  text: string;
  /** The files its paths name, already renamed to `name` in `text`. */
  files: DataFile[];
}

export interface Corpus {
  root: string;
  scenarios: ScenarioSeed[];
  /** Every data file of every seed, plus the trace fixtures no scenario names. */
  data: DataFile[];
}

/** Rows kept of a trace: enough for queues to form, few enough for a run of milliseconds. */
const TRACE_ROWS = 300;
/** Longest run a seed keeps, seconds of arrivals. */
const MAX_DURATION_S = 180;
const MAX_WARMUP_S = 20;

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'scenarios'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('fleetsim repository root not found');
    dir = up;
  }
  return dir;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** What a path-valued key points at, from the keys leading to it. */
function kindOf(path: readonly unknown[]): DataKind | null {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (last === 'path' && parent === 'trace') return 'trace';
  if (last === 'path' && parent === 'empirical') return 'column';
  if (last === 'path' && parent === 'profile') return 'profile';
  if (last === 'trace' && parent === 'interruption') return 'times';
  if (last === 'trace' && parent === 'unavailable') return 'periods';
  if (last === 'trace' && parent === 'spot_price') return 'prices';
  return null;
}

function cutLines(text: string, rows: number): string {
  const lines = text.split('\n');
  return lines.length <= rows + 1 ? text : `${lines.slice(0, rows + 1).join('\n')}\n`;
}

/** Visits every scalar of a document with its key path. */
function eachScalar(node: unknown, path: unknown[], visit: (scalar: Scalar, path: unknown[]) => void) {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      eachScalar(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      eachScalar(item, [...path, i], visit);
    });
  } else if (isScalar(node)) {
    visit(node, path);
  }
}

function shrink(seconds: number, limit: number, written: unknown): unknown {
  return seconds > limit ? `${Math.round(limit / 60)}m` : written;
}

function loadSeed(root: string, file: string, used: Set<string>): ScenarioSeed {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  const files: DataFile[] = [];
  if (doc.errors.length === 0) {
    eachScalar(doc.contents as Node, [], (scalar, path) => {
      const kind = kindOf(path);
      if (kind !== null && typeof scalar.value === 'string') {
        const source = resolve(dirname(file), scalar.value);
        if (!existsSync(source) || !statSync(source).isFile()) return;
        let name = basename(source);
        for (let i = 2; used.has(name); i++)
          name = `${basename(source, extname(source))}-${i}${extname(source)}`;
        used.add(name);
        const data = readFileSync(source, 'utf8');
        files.push({ name, kind, text: kind === 'trace' ? cutLines(data, TRACE_ROWS) : data });
        scalar.value = name;
      }
      const key = path[path.length - 1];
      if (path.length === 1 && (key === 'duration' || key === 'warmup')) {
        const seconds = parseDuration(scalar.value);
        if (seconds.ok) {
          scalar.value = shrink(
            seconds.value,
            key === 'duration' ? MAX_DURATION_S : MAX_WARMUP_S,
            scalar.value,
          );
        }
      }
    });
  }
  return {
    origin: file.slice(root.length + 1),
    text: doc.errors.length === 0 ? doc.toString() : text,
    files,
  };
}

let cached: Corpus | null = null;

export function loadCorpus(): Corpus {
  if (cached !== null) return cached;
  const root = repoRoot();
  const sources = [
    ...yamlFiles(join(root, 'scenarios')),
    ...yamlFiles(join(root, 'test/fixtures/cli')),
    ...yamlFiles(join(root, 'test/fixtures/scenarios')),
    ...yamlFiles(join(root, 'bench/fuzz/seeds')),
  ];
  const scenarios = sources.map((file) => loadSeed(root, file, new Set(['scenario.yaml'])));
  const data = scenarios.flatMap((s) => s.files);
  const traces = join(root, 'test/fixtures/traces');
  for (const name of readdirSync(traces).sort()) {
    if (/\.(csv|jsonl)$/.test(name)) {
      data.push({
        name,
        kind: 'trace',
        text: cutLines(readFileSync(join(traces, name), 'utf8'), TRACE_ROWS),
      });
    }
  }
  cached = { root, scenarios, data };
  return cached;
}
