/**
 * One fuzz case: a scenario (and the files it reads) made from a seed of the corpus by a few
 * mutations, the command that loads it and its flags. A case is a pure function of the run's
 * seed and its index, so any case can be made again alone.
 */
import { type Corpus, type DataFile, loadCorpus, type ScenarioSeed } from './corpus.js';
import { generateDataCase } from './data-cases.js';
import { mutateBytes } from './mutate-bytes.js';
import { mutateData } from './mutate-data.js';
import {
  type KeyPool,
  keyPool,
  mutateGently,
  mutateScenario,
  mutateTraceConfig,
  mutateVariants,
  overridePath,
  overrideValueText,
  ScenarioDoc,
} from './mutate-yaml.js';
import { Rng } from './random.js';

export type Command =
  | 'run'
  | 'validate'
  | 'compare'
  | 'sweep'
  | 'plan'
  | 'trace'
  | 'calibrate'
  | 'catalog'
  | 'report'
  | 'diff'
  | 'merge';

/**
 * `library`: loaded and run by the library API in this process; `cli`: through the command line;
 * `data`: the command line on data files other than scenarios (data-cases.ts), `flags` holding
 * its whole argument list.
 */
export type Route = 'library' | 'cli' | 'data';

export interface CaseFile {
  /** Relative to the case folder; the scenarios are `scenario.yaml` (and `b/scenario.yaml`). */
  name: string;
  bytes: Buffer;
}

export interface FuzzCase {
  /** `seed:index`, or the fixture's folder name for a kept case. */
  id: string;
  route: Route;
  command: Command;
  files: CaseFile[];
  /** Scenario files given to the command, relative to the case folder. */
  scenarios: string[];
  set: string[];
  /** Other flags of the command line (`--json`, `--seed 5`, ...). */
  flags: string[];
  origin: string;
  mutations: string[];
}

export interface GenerateOptions {
  /** Share of cases sent through the command line (default 0.03). */
  cliShare?: number;
  /**
   * Share of cases on the data route (default 0: the fuzzer's own default is set by main.ts).
   * Drawn from a stream of its own, so that every other case is the one it was without it.
   */
  dataShare?: number;
}

const SCENARIO = 'scenario.yaml';

let pool: KeyPool | null = null;

function keys(corpus: Corpus): KeyPool {
  pool ??= keyPool(corpus.scenarios.map((s) => s.text));
  return pool;
}

export type Focus = 'gentle' | 'scenario' | 'data' | 'overrides' | 'bytes';

/** Seeds that are invalid as written (the CLI's error fixtures): picked less often. */
const INVALID_SEED = /bad-|missing-|unknown-key|negative-|without-/;

/** The scenario text and files of one seed after the mutations of `focus`. */
export function mutateSeed(
  rng: Rng,
  corpus: Corpus,
  seed: ScenarioSeed,
  focus: Focus,
  mutations: string[],
): { text: Buffer; files: CaseFile[]; set: string[] } {
  const doc = ScenarioDoc.parse(seed.text);
  const set: string[] = [];
  if (doc !== null) {
    const count =
      focus === 'scenario'
        ? rng.weighted([
            [1, 60],
            [2, 25],
            [3, 15],
          ])
        : focus === 'data'
          ? rng.int(0, 1)
          : 0;
    for (let i = 0; i < count; i++) {
      const done = mutateScenario(rng, doc, keys(corpus));
      if (done !== null) mutations.push(done);
    }
    for (let i = focus === 'gentle' ? rng.int(1, 3) : 0; i > 0; i--) {
      const done = mutateGently(rng, doc, keys(corpus));
      if (done !== null) mutations.push(done);
    }
    if (focus === 'data' && rng.chance(0.3)) {
      const done = mutateTraceConfig(rng, doc, keys(corpus));
      if (done !== null) mutations.push(done);
    }
    if (focus === 'overrides') {
      if (rng.chance(0.6)) {
        const done = mutateVariants(rng, doc, keys(corpus));
        if (done !== null) mutations.push(done);
      }
      for (let i = rng.chance(0.7) ? rng.int(1, 3) : 0; i > 0; i--) {
        set.push(
          rng.chance(0.95) ? `${overridePath(rng, doc)}=${overrideValueText(rng)}` : overrideValueText(rng),
        );
      }
      if (set.length > 0) mutations.push(`--set ${set.map((s) => JSON.stringify(s)).join(' ')}`);
    }
  }
  let text: Buffer;
  try {
    text = Buffer.from(doc === null ? seed.text : doc.toText());
  } catch (error) {
    mutations.push(`(mutated document not written: ${(error as Error).message})`);
    text = Buffer.from(seed.text);
  }
  if (focus === 'bytes' || (focus !== 'gentle' && rng.chance(0.06))) {
    const done = mutateBytes(rng, text);
    text = done.bytes;
    mutations.push(`scenario bytes: ${done.description}`);
  }
  const files: CaseFile[] = seed.files.map((f) => ({ name: f.name, bytes: Buffer.from(f.text) }));
  if (focus === 'data' && files.length > 0) {
    const i = rng.int(0, files.length - 1);
    const file = files[i];
    let data = file.bytes.toString('utf8');
    if (rng.chance(0.15)) {
      const other = rng.pick(corpus.data.filter((d: DataFile) => d.name !== file.name));
      data = other.text;
      mutations.push(`${file.name}: replaced by the content of ${other.name}`);
    }
    for (let n = rng.int(1, 2); n > 0; n--) {
      const done = mutateData(rng, file.name, data);
      if (done === null) continue;
      data = done.text;
      mutations.push(`${file.name}: ${done.description}`);
    }
    file.bytes = Buffer.from(data);
    if (rng.chance(0.15)) {
      const done = mutateBytes(rng, file.bytes);
      file.bytes = done.bytes;
      mutations.push(`${file.name} bytes: ${done.description}`);
    }
  }
  return { text, files, set };
}

/** The stream that decides whether a case takes the data route, and then makes it. */
function dataRoute(seed: number, index: number): Rng {
  return new Rng(`fleetsim-fuzz-data/${seed}/${index}`);
}

/** Whether case `index` takes the data route at `share` (which needs preparePristine first). */
export function takesDataRoute(seed: number, index: number, share: number): boolean {
  return dataRoute(seed, index).chance(share);
}

export function generateCase(seed: number, index: number, options: GenerateOptions = {}): FuzzCase {
  const corpus = loadCorpus();
  const dataRng = dataRoute(seed, index);
  if (dataRng.chance(options.dataShare ?? 0)) return generateDataCase(seed, index, dataRng);
  const rng = new Rng(`fleetsim-fuzz/${seed}/${index}`);
  const focus = rng.weighted<Focus>([
    ['gentle', 20],
    ['scenario', 35],
    ['data', 22],
    ['overrides', 13],
    ['bytes', 10],
  ]);
  const candidates = focus === 'data' ? corpus.scenarios.filter((s) => s.files.length > 0) : corpus.scenarios;
  const source = rng.weighted(candidates.map((s) => [s, INVALID_SEED.test(s.origin) ? 1 : 4] as const));
  const mutations: string[] = [];
  let main = mutateSeed(rng, corpus, source, focus, mutations);
  const route: Route = rng.chance(options.cliShare ?? 0.03) ? 'cli' : 'library';
  const command =
    route === 'library'
      ? rng.weighted<Command>([
          ['run', 85],
          ['validate', 15],
        ])
      : rng.weighted<Command>([
          ['run', 48],
          ['validate', 16],
          ['compare', 16],
          ['sweep', 12],
          ['plan', 8],
        ]);
  // A sweep or plan of a scenario that does not load says only that: most study cases start from
  // one that does, so that their own flags are what is tested.
  if ((command === 'sweep' || command === 'plan') && focus !== 'gentle' && rng.chance(0.7)) {
    mutations.length = 0;
    main = mutateSeed(rng, corpus, source, 'gentle', mutations);
  }
  const files: CaseFile[] = [{ name: SCENARIO, bytes: main.text }, ...main.files];
  const scenarios = [SCENARIO];
  if (command === 'compare') {
    const other = rng.pick(corpus.scenarios);
    const second = mutateSeed(rng, corpus, other, rng.chance(0.5) ? 'scenario' : 'data', mutations);
    files.push({ name: `b/${SCENARIO}`, bytes: second.text });
    for (const f of second.files) files.push({ name: `b/${f.name}`, bytes: f.bytes });
    scenarios.push(`b/${SCENARIO}`);
    mutations.push(`compared with ${other.origin}`);
  }
  const flags: string[] = [];
  if (route === 'cli') {
    if (command === 'sweep' || command === 'plan') {
      flags.push(...studyFlags(rng, command, main.set));
      mutations.push(`${command} ${flags.join(' ')}`);
    }
    if (command !== 'validate') {
      if (rng.chance(0.3)) flags.push('--json');
      else if (rng.chance(0.4)) flags.push('--quiet');
      if (command !== 'sweep' && rng.chance(0.1)) flags.push('--check');
    }
    if (command !== 'validate' && rng.chance(0.1)) {
      flags.push(`--seed=${rng.pick(['-1', '1e3', 'abc', '9007199254740993', '0x10', ' 5', '42', ''])}`);
    }
  }
  return {
    id: `${seed}:${index}`,
    route,
    command,
    files,
    scenarios,
    set: main.set,
    flags,
    origin: source.origin,
    mutations,
  };
}

/** Keys most seeds have, which sweeps and plans vary. */
const STUDY_KEYS = [
  'fleets.0.replicas',
  'fleets.0.concurrency',
  'workload.scale',
  'seed',
  'fleets.0.queue.capacity',
  'duration',
  'routing.policy',
];
/** Values of a swept key: a few points each, so that a case stays within seconds. */
const STUDY_VALUES = ['[1, 2]', '1..3', '[2]', '0.5..1.5 step 0.5', '[0.5, 1]', '[1, 1]', '[60s, 2m]'];
/** Values a sweep must refuse (or take) with one located line. */
const HOSTILE_STUDY_VALUES = [
  '[]',
  '3..1',
  '1..2 step 0',
  '1..2 step -1',
  '[1, x',
  '1e308..1e308',
  '[-1, 1]',
  '1..100000',
  '1..5001',
  'null',
  '[null]',
  '[{a: 1}]',
  '"1..3"',
  '[NaN]',
  '0.1..0.3 step 1e-9',
  '[1e21]',
  '[round-robin, least-outstanding, nope]',
];

/**
 * Flags of a `sweep` or `plan`: the keys it varies (`--grid`, `--vary`), sampling, shards and
 * replications, ordinary or hostile; always one worker, so that a case uses one core. A plan gets
 * an objective through `set`, and mostly skips its load search, which multiplies its runs.
 */
function studyFlags(rng: Rng, command: 'sweep' | 'plan', set: string[]): string[] {
  const flags: string[] = [];
  const vary = command === 'sweep' ? '--grid' : '--vary';
  const value = () => (rng.chance(0.8) ? rng.pick(STUDY_VALUES) : rng.pick(HOSTILE_STUDY_VALUES));
  if (command === 'plan') {
    set.push(`slo.latency_p99=${rng.pick(['2s', '2s', '100ms', '1h', '0s', '-1s', '[1]'])}`);
    flags.push(
      `--vary=fleets.0.replicas=${rng.chance(0.85) ? rng.pick(['1..4', '1..3', '[1, 2, 4]', '2..2']) : value()}`,
    );
    if (rng.chance(0.8)) flags.push('--no-capacity');
  }
  for (let n = rng.int(command === 'sweep' ? 1 : 0, 2); n > 0; n--) {
    flags.push(`${vary}=${rng.pick(STUDY_KEYS)}=${value()}`);
  }
  if (command === 'sweep' && rng.chance(0.15)) {
    flags.push(`--sampling=${rng.pick(['random', 'latin-hypercube', 'grid', 'bogus'])}`);
    flags.push(`--points=${rng.pick(['2', '1', '3', '0', '1e3', '100000'])}`);
  }
  if (command === 'sweep' && rng.chance(0.1))
    flags.push(`--shard=${rng.pick(['0/2', '1/2', '2/2', '0/0', 'a/b'])}`);
  if (rng.chance(0.15)) flags.push(`--replications=${rng.pick(['2', '2', '1', '0', '30000', '1e2'])}`);
  flags.push('--workers=1');
  return flags;
}
