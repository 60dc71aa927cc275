/**
 * The data route: cases of the commands that read files other than scenarios, which the scenario
 * routes never reach: `trace stats`, `calibrate`, `catalog list|show|import`, `report`, `diff`,
 * `merge` and a `sweep` resumed over tampered points. Inputs are the repository's own (traces,
 * measured runs, user catalogs, price lists) or folders real commands wrote (pristine.ts); one or
 * two of a case's files are mutated, by their kind (JSON fields, CSV and JSONL rows, YAML keys) or
 * their bytes. The case holds every file and the whole command line, so it is saved and replayed
 * as any other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CaseFile, type Command, type FuzzCase, mutateSeed } from './cases.js';
import { loadCorpus, repoRoot } from './corpus.js';
import { mutateBytes } from './mutate-bytes.js';
import { mutateData } from './mutate-data.js';
import { mutateJson } from './mutate-json.js';
import { type KeyPool, keyPool, mutateScenario, ScenarioDoc } from './mutate-yaml.js';
import { type PristineName, pristine, SWEEP_ARGS, sweepScenarioFiles } from './pristine.js';
import type { Rng } from './random.js';

interface Input {
  name: string;
  text: string;
  /** Where it came from, relative to the repository. */
  origin: string;
}

interface Inputs {
  traces: Input[];
  server: Input;
  catalogs: Input[];
  /** The shipped pricing files `catalog import --base` refreshes, by provider. */
  bases: Map<string, Input>;
  yamlKeys: KeyPool;
}

let inputs: Inputs | null = null;

function read(origin: string, name = origin.slice(origin.lastIndexOf('/') + 1)): Input {
  return { name, origin, text: readFileSync(join(repoRoot(), origin), 'utf8') };
}

function loadInputs(): Inputs {
  if (inputs !== null) return inputs;
  const catalogs = ['negotiated.yaml', 'onprem.yaml'].map((f) => read(`bench/fuzz/data-seeds/${f}`));
  const bases = new Map(['aws', 'gcp', 'azure'].map((p) => [p, read(`pricing/${p}.yaml`, 'base.yaml')]));
  inputs = {
    traces: loadCorpus()
      .data.filter((d) => d.kind === 'trace')
      .map((d) => ({ name: d.name, text: d.text, origin: `trace ${d.name}` })),
    server: read(`${CALIBRATE}/server.yaml`),
    catalogs,
    bases,
    yamlKeys: keyPool([...catalogs, ...bases.values()].map((c) => c.text)),
  };
  return inputs;
}

const CALIBRATE = 'test/fixtures/calibrate';
const PRICING = 'test/fixtures/pricing';

/** The measured files of test/fixtures/calibrate, with the flags each needs (test/cli/calibrate.test.ts). */
const MEASURED: readonly { file: string; flags: string[] }[] = [
  { file: 'requests.jsonl', flags: [] },
  {
    file: 'client-ms.csv',
    flags: [
      '--columns=arrival=sent_ms,first_token=first_token_ms,finish=done_ms,input_tokens=prompt_tokens,output_tokens=completion_tokens',
      '--time-unit=ms',
    ],
  },
  { file: 'guidellm-report.json', flags: [] },
  { file: 'guidellm-0.3-report.json', flags: [] },
  { file: 'vllm-result.json', flags: [] },
  { file: 'vllm-burst.json', flags: [] },
];

/** Price lists `catalog import --from` reads, by provider; `date`: what the list does not record. */
const PRICE_LISTS: Record<string, readonly { format: string; origin: string; date?: boolean }[]> = {
  aws: [
    { format: 'vantage-csv', origin: `${PRICING}/aws_gpu_ml_instance_prices_vantage_2026-01-21.csv` },
    { format: 'aws-spot-advisor', origin: `${PRICING}/aws_spot_advisor_data_2025-06-28.json` },
    { format: 'aws-price-list', origin: 'bench/fuzz/data-seeds/aws-offer.json' },
  ],
  gcp: [
    { format: 'gcp-compute-csv', origin: `${PRICING}/gcp_compute_instance_prices_2026-07-30.csv` },
    {
      format: 'skypilot-csv',
      origin: `${PRICING}/gcp_tpu_prices_skypilot_catalog_v6_subset.csv`,
      date: true,
    },
  ],
  azure: [{ format: 'azure-retail-json', origin: 'bench/fuzz/data-seeds/azure-retail.json', date: true }],
};
const TYPES: Record<string, readonly string[]> = {
  aws: ['p5.4xlarge', 'g6e.xlarge', 'g4dn.12xlarge', 'nope.large'],
  gcp: ['a2-highgpu-1g', 'tpu-v5litepod-1', 'a3-highgpu-8g'],
  azure: ['Standard_NC40ads_H100_v5', 'Standard_X'],
};
const REGIONS: Record<string, string> = { aws: 'us-east-1,us-west-2', gcp: 'us-central1', azure: 'eastus' };
const DATES = ['@2026-11-28', '@2026-13-45', '@', '@yesterday', '@9999-12-31', '@1970-01-01', '@2026-02-29'];

/** Attributes `trace stats --column` takes, and some it does not. */
const TRACE_ATTRIBUTES = [
  'input_tokens',
  'output_tokens',
  'prefix_blocks',
  'class',
  'model',
  'adapter',
  'nope',
  '',
];
const HOSTILE_COLUMNS = [
  '',
  'nope',
  'toString',
  '__proto__',
  ' timestamp',
  'a=b',
  '\u001b[31m',
  'x'.repeat(300),
];

/** A mutation of one file of a case, chosen by what the file holds. */
function tamper(rng: Rng, file: CaseFile, mutations: string[]): void {
  const text = file.bytes.toString('utf8');
  if (rng.chance(0.8)) {
    let done: { text: string; description: string } | null = null;
    if (/\.json$/i.test(file.name)) done = mutateJson(rng, text);
    else if (/\.(csv|jsonl)$/i.test(file.name)) done = mutateData(rng, file.name, text);
    else if (/\.ya?ml$/i.test(file.name)) {
      const doc = ScenarioDoc.parse(text);
      const description = doc === null ? null : mutateScenario(rng, doc, loadInputs().yamlKeys);
      if (doc !== null && description !== null) {
        try {
          done = { text: doc.toText(), description };
        } catch {
          done = null;
        }
      }
    }
    if (done !== null) {
      file.bytes = Buffer.from(done.text);
      mutations.push(`${file.name}: ${done.description}`);
      if (!rng.chance(0.15)) return;
    }
  }
  const bytes = mutateBytes(rng, file.bytes);
  file.bytes = bytes.bytes;
  mutations.push(`${file.name} bytes: ${bytes.description}`);
}

/** Mutates one or two of `files` picked by `weight` (0: never), or now and then deletes one. */
function tamperSome(
  rng: Rng,
  files: CaseFile[],
  weight: (name: string) => number,
  mutations: string[],
): CaseFile[] {
  const candidates = files.filter((f) => weight(f.name) > 0);
  if (candidates.length === 0) return files;
  if (rng.chance(0.08)) {
    const gone = rng.weighted(candidates.map((f) => [f, weight(f.name)] as const));
    mutations.push(`${gone.name}: deleted`);
    return files.filter((f) => f !== gone);
  }
  for (let n = rng.chance(0.25) ? 2 : 1; n > 0; n--) {
    tamper(rng, rng.weighted(candidates.map((f) => [f, weight(f.name)] as const)), mutations);
  }
  return files;
}

interface Built {
  command: Command;
  files: CaseFile[];
  args: string[];
  origin: string;
}

function headerNames(name: string, text: string): string[] {
  const first = text.split('\n', 1)[0] ?? '';
  if (!/\.jsonl$/i.test(name)) return first.split(',');
  try {
    return Object.keys(JSON.parse(first) as object);
  } catch {
    return [];
  }
}

function traceCase(rng: Rng, mutations: string[]): Built {
  const { traces } = loadInputs();
  const source = rng.pick(traces);
  const file: CaseFile = { name: source.name, bytes: Buffer.from(source.text) };
  if (rng.chance(0.1)) {
    const other = rng.pick(traces);
    file.bytes = Buffer.from(other.text);
    mutations.push(`${file.name}: replaced by the content of ${other.name}`);
  }
  for (let n = rng.chance(0.85) ? rng.int(1, 2) : 0; n > 0; n--) tamper(rng, file, mutations);
  const columns = headerNames(file.name, file.bytes.toString('utf8'));
  // A process's arguments cannot hold a NUL: a header name with one is given without it.
  const column = () =>
    (columns.length > 0 && rng.chance(0.7) ? rng.pick(columns) : rng.pick(HOSTILE_COLUMNS)).replaceAll(
      '\0',
      '',
    );
  const flags: string[] = [];
  if (rng.chance(0.3)) flags.push('--json');
  if (rng.chance(0.15)) flags.push('--columns');
  if (rng.chance(0.35)) flags.push(`--on-bad-row=${rng.chance(0.95) ? 'skip' : 'ignore'}`);
  for (let n = rng.chance(0.4) ? rng.int(1, 2) : 0; n > 0; n--) {
    flags.push(`--column=${rng.pick(TRACE_ATTRIBUTES)}=${column()}`);
  }
  if (rng.chance(0.15))
    flags.push(`--format=${rng.pick(['azure-llm', 'vidur', 'mooncake', 'csv', 'jsonl', 'tsv'])}`);
  if (rng.chance(0.1)) flags.push(`--time-column=${column()}`);
  if (rng.chance(0.1)) flags.push(`--time-unit=${rng.pick(['s', 'ms', 'us', 'datetime', 'h'])}`);
  return {
    command: 'trace',
    files: [file],
    args: ['trace', 'stats', file.name, ...flags],
    origin: source.origin,
  };
}

function calibrateCase(rng: Rng, mutations: string[]): Built {
  const { server } = loadInputs();
  const measured = rng.pick(MEASURED);
  const input = read(`${CALIBRATE}/${measured.file}`);
  const files: CaseFile[] = [
    { name: input.name, bytes: Buffer.from(input.text) },
    { name: 'server.yaml', bytes: Buffer.from(server.text) },
  ];
  tamperSome(rng, files, (name) => (name === 'server.yaml' ? 1 : 6), mutations);
  const flags = [...measured.flags];
  // Flags a user gets wrong now and then: the measured file's own are dropped or replaced.
  if (rng.chance(0.1)) flags.length = 0;
  if (rng.chance(0.1)) flags.push(`--format=${rng.pick(['jsonl', 'csv', 'guidellm', 'vllm'])}`);
  if (rng.chance(0.08))
    flags.push(`--columns=${rng.pick(['arrival=ts', 'input_tokens=', '=x', 'nope=arrival'])}`);
  if (rng.chance(0.08)) flags.push(`--time-unit=${rng.pick(['s', 'ms', 'us'])}`);
  if (rng.chance(0.08)) flags.push(`--fleet=${rng.pick(['gpu', 'nope', ''])}`);
  if (rng.chance(0.2)) flags.push('--json');
  else if (rng.chance(0.3)) flags.push('--quiet');
  if (rng.chance(0.1)) flags.push('--check');
  // A few resamples keep a case within seconds (at most 1,000 are taken).
  const resamples = rng.chance(0.9) ? '5' : rng.pick(['1', '0', '-1', 'abc', '2.5', '1e9']);
  return {
    command: 'calibrate',
    files,
    args: [
      'calibrate',
      input.name,
      '--scenario=server.yaml',
      '--out=out',
      `--resamples=${resamples}`,
      ...flags,
    ],
    origin: input.origin,
  };
}

function catalogCase(rng: Rng, mutations: string[]): Built {
  const { catalogs } = loadInputs();
  const chosen = rng.chance(0.15) ? catalogs : [rng.pick(catalogs)];
  const files = chosen.map((c) => ({ name: c.name, bytes: Buffer.from(c.text) }));
  tamperSome(rng, files, () => 1, mutations);
  const catalogFlags = files.map((f) => `--catalog=${f.name}`);
  const flags: string[] = [];
  if (rng.chance(0.4)) flags.push('--json');
  if (rng.chance(0.5)) {
    const instances = files.flatMap((f) => [
      ...f.bytes.toString('utf8').matchAll(/^ {2}([^\s:#]+\/[^\s:]+):/gm),
    ]);
    const instance =
      rng.chance(0.8) && instances.length > 0 ? rng.pick(instances)[1] : rng.pick(HOSTILE_INSTANCES);
    return {
      command: 'catalog',
      files,
      args: ['catalog', 'show', instance, ...catalogFlags, ...flags],
      origin: chosen.map((c) => c.origin).join(' + '),
    };
  }
  if (rng.chance(0.3)) flags.push(`--provider=${rng.pick(['aws', 'lab', 'LAB', 'gcp', 'nope'])}`);
  if (rng.chance(0.2)) flags.push(`--accelerator=${rng.pick(['h100-80gb', 'l40s', 'nope'])}`);
  if (rng.chance(0.2))
    flags.push(`--market=${rng.pick(['on-demand', 'spot', 'reserved', 'reserved-3y', 'x'])}`);
  if (rng.chance(0.2)) flags.push(`--region=${rng.pick(['onprem', 'us-east-1', 'colo-1', 'mars-1'])}`);
  if (rng.chance(0.1)) flags.push(`--max-price=${rng.pick(['5', '0', '-1', '1e308', 'NaN'])}`);
  if (rng.chance(0.1))
    flags.push(`--as-of=${rng.pick(['2026-12-01', '1970-01-01', '2026-13-45', '9999-12-31'])}`);
  return {
    command: 'catalog',
    files,
    args: ['catalog', 'list', ...catalogFlags, ...flags],
    origin: chosen.map((c) => c.origin).join(' + '),
  };
}

const HOSTILE_INSTANCES = [
  'aws/p5.48xlarge',
  'lab/h100-bx',
  'nope/x',
  'aws/',
  '/',
  '__proto__/x',
  'lab/constructor',
];

function importCase(rng: Rng, mutations: string[]): Built {
  const { bases, catalogs } = loadInputs();
  const provider = rng.pick(['aws', 'aws', 'gcp', 'azure']);
  const lists = PRICE_LISTS[provider];
  const chosen = rng.chance(0.4) && lists.length > 1 ? [...lists] : [rng.pick(lists)];
  const files: CaseFile[] = [];
  const from = chosen.map((list) => {
    const input = read(list.origin);
    files.push({ name: input.name, bytes: Buffer.from(input.text) });
    // A list of another format now and then: its reader must say so at the file.
    const format = rng.chance(0.08) ? rng.pick(Object.values(PRICE_LISTS).flat()).format : list.format;
    const date = list.date || rng.chance(0.1) ? (rng.chance(0.85) ? DATES[0] : rng.pick(DATES)) : '';
    return `--from=${format}=${input.name}${date}`;
  });
  const flags: string[] = [];
  const base = rng.chance(0.5) ? bases.get(provider)! : rng.chance(0.3) ? rng.pick(catalogs) : null;
  if (base !== null) {
    files.push({ name: base.name, bytes: Buffer.from(base.text) });
    flags.push(`--base=${base.name}`);
  }
  if (base === null || rng.chance(0.2)) flags.push(`--types=${rng.pick(TYPES[provider])}`);
  if (base === null || rng.chance(0.2))
    flags.push(`--regions=${rng.chance(0.9) ? REGIONS[provider] : 'mars-1,'}`);
  if (rng.chance(0.1)) flags.push(`--provider=${rng.pick(['aws', 'gcp', 'azure', 'lab', 'AWS'])}`);
  if (rng.chance(0.3)) flags.push('--quiet');
  tamperSome(rng, files, (name) => (name === base?.name ? 1 : 3), mutations);
  return {
    command: 'catalog',
    files,
    args: ['catalog', 'import', ...from, ...flags, '--out=out/prices.yaml'],
    origin: chosen.map((l) => l.origin).join(' + '),
  };
}

/** How often each file of a run folder is tampered with: those `report` reads most. */
function runFileWeight(name: string): number {
  const base = name.slice(name.indexOf('/') + 1);
  const weights: Record<string, number> = {
    'summary.json': 6,
    'report-options.json': 3,
    'distributions.json': 3,
    'replications.json': 3,
    'timeseries.csv': 3,
    'capacity-events.json': 2,
    'scenario.yaml': 1,
    '.fleetsim': 1,
  };
  return weights[base] ?? 0;
}

function reportCase(rng: Rng, mutations: string[]): Built {
  const name: PristineName = rng.pick(['run-a', 'run-b']);
  let files = pristine(name, 'run');
  // The folders are drawn without charts: a third of the cases ask for every chart again, so
  // that the files the charts read (distributions, time series) are read.
  const options = files.find((f) => f.name === 'run/report-options.json');
  if (options !== undefined && rng.chance(0.35)) {
    const saved = JSON.parse(options.bytes.toString('utf8')) as Record<string, unknown>;
    options.bytes = Buffer.from(`${JSON.stringify({ ...saved, charts: null }, null, 2)}\n`);
    mutations.push('run/report-options.json: charts = null (every chart)');
  }
  files = tamperSome(rng, files, runFileWeight, mutations);
  const flags = rng.chance(0.3) ? ['--quiet'] : [];
  return { command: 'report', files, args: ['report', 'run', ...flags], origin: `pristine ${name}` };
}

const FAIL_ON = [
  'slo',
  'lost',
  'cost:+10%',
  'p99:+5%',
  'ttft-p99:-1%',
  'cost:+abc',
  'bogus',
  'cost:+1e400%',
  'p50:+0%',
];

function diffCase(rng: Rng, mutations: string[]): Built {
  const flags: string[] = [];
  if (rng.chance(0.5)) flags.push(`--format=${rng.pick(['table', 'json', 'markdown', 'github-comment'])}`);
  if (rng.chance(0.3)) flags.push(`--fail-on=${rng.pick(FAIL_ON)}`);
  if (rng.chance(0.1)) flags.push(`--replications=${rng.pick(['2', '0', '-1', '1e9', 'abc'])}`);
  if (rng.chance(0.1)) flags.push(`--seed=${rng.pick(['3', '-1', '1e3', 'abc'])}`);
  if (rng.chance(0.4)) flags.push('--out=out');
  if (rng.chance(0.2)) flags.push('--quiet');
  // What diff is sometimes taken for: two run folders, one tampered with.
  if (rng.chance(0.1)) {
    const files = [
      ...pristine('run-a', 'old'),
      ...tamperSome(rng, pristine('run-b', 'new'), runFileWeight, mutations),
    ];
    return {
      command: 'diff',
      files,
      args: ['diff', 'old', 'new', ...flags],
      origin: 'pristine run-a, run-b',
    };
  }
  const corpus = loadCorpus();
  const seed = rng.pick(corpus.scenarios);
  const old = mutateSeed(rng, corpus, seed, 'gentle', []);
  const focus = rng.weighted<'gentle' | 'scenario' | 'data' | 'bytes'>([
    ['gentle', 5],
    ['scenario', 2],
    ['data', seed.files.length > 0 ? 2 : 0],
    ['bytes', 1],
  ]);
  const now = mutateSeed(rng, corpus, seed, focus, mutations);
  const side = (dir: string, s: ReturnType<typeof mutateSeed>): CaseFile[] => [
    { name: `${dir}/scenario.yaml`, bytes: s.text },
    ...s.files.map((f) => ({ name: `${dir}/${f.name}`, bytes: f.bytes })),
  ];
  return {
    command: 'diff',
    files: [...side('old', old), ...side('new', now)],
    args: ['diff', 'old/scenario.yaml', 'new/scenario.yaml', '--set=limits.max_wall=20s', ...flags],
    origin: seed.origin,
  };
}

/** Weights of a sweep folder's files: the rows merge checks, the points a resume reuses. */
function sweepFileWeight(name: string): number {
  if (/\/points\/[^/]+\.json$/.test(name)) return 3;
  if (name.endsWith('/sweep.json')) return 5;
  return name.endsWith('/sweep.csv') || name.endsWith('/.fleetsim') ? 1 : 0;
}

function mergeCase(rng: Rng, mutations: string[]): Built {
  const s0 = pristine('shard-0', 's0');
  const s1 = pristine('shard-1', 's1');
  const files = tamperSome(rng, [...s0, ...s1], sweepFileWeight, mutations);
  const dirs = rng.weighted<string[]>([
    [['s0', 's1'], 40],
    [['s1', 's0'], 4],
    [['s0', 's0'], 3],
    [['s1'], 3],
    [['s0', 's1', 's1'], 2],
    [['s0', 'missing'], 1],
  ]);
  const flags = rng.chance(0.3) ? ['--quiet'] : [];
  return {
    command: 'merge',
    files,
    args: ['merge', ...dirs, '--out=out', ...flags],
    origin: 'pristine shard-0, shard-1',
  };
}

function resumeCase(rng: Rng, mutations: string[]): Built {
  const folder = tamperSome(
    rng,
    pristine('sweep', 'sweep'),
    (name) => sweepFileWeight(name) * (name.includes('/points/') ? 3 : 1),
    mutations,
  );
  return {
    command: 'sweep',
    files: [...sweepScenarioFiles(), ...folder],
    args: ['sweep', 'scenario.yaml', ...SWEEP_ARGS, '--out=sweep'],
    origin: 'pristine sweep (resumed)',
  };
}

/**
 * Share of the fuzzer's cases on the data route unless `--data-share` says otherwise: small, as
 * each spawns the command line; the other cases are the ones they were before the route existed.
 */
export const DATA_SHARE = 0.05;

/** Case `index` of `seed` on the data route; `rng` is the stream that chose the route. */
export function generateDataCase(seed: number, index: number, rng: Rng): FuzzCase {
  const mutations: string[] = [];
  const make = rng.weighted<(rng: Rng, mutations: string[]) => Built>([
    [traceCase, 20],
    [calibrateCase, 14],
    [catalogCase, 9],
    [importCase, 8],
    [reportCase, 18],
    [diffCase, 7],
    [mergeCase, 12],
    [resumeCase, 12],
  ]);
  const built = make(rng, mutations);
  return {
    id: `${seed}:${index}`,
    route: 'data',
    command: built.command,
    files: built.files,
    scenarios: [],
    set: [],
    flags: built.args,
    origin: built.origin,
    mutations,
  };
}
