/**
 * Memory against trace length: the same fleet replays traces of 100,000 to 3,000,000 requests,
 * each run in a fresh process, and the peak live heap (sampled after a full collection, every
 * quarter second) and the peak resident set of each are printed.
 * Traces are read as a stream, latencies go into sketches and the time series widens its bins
 * to stay under 1,000 rows, so the figures should not move with the trace's length.
 *
 *   npm run bench:memory
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScenarioFile } from '../src/scenario/index.js';
import { runMeasuringMemory } from './peak-memory.js';

const SIZES = [100_000, 1_000_000, 3_000_000];
const RATE = 10;

interface ChildReport {
  requests: number;
  events: number;
  seconds: number;
  peakLiveHeapMB: number;
  maxRssMB: number;
}

/** The child: run one scenario, sampling the heap between progress steps. */
async function child(scenarioPath: string): Promise<void> {
  const loaded = await loadScenarioFile(scenarioPath);
  if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  const run = runMeasuringMemory(loaded.value);
  const report: ChildReport = {
    requests: run.results[0].requests.arrived,
    events: run.results[0].events,
    seconds: run.seconds,
    peakLiveHeapMB: run.peakLiveHeapMB,
    maxRssMB: run.maxRssMB,
  };
  console.log(JSON.stringify(report));
}

/** A CSV trace of `count` Poisson arrivals at RATE per second, with token counts. */
async function writeTrace(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('ts,prompt,completion\n');
  let t = 0;
  let seed = 12345;
  const uniform = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return (seed + 0.5) / 2147483648;
  };
  for (let i = 0; i < count; i++) {
    t += -Math.log(uniform()) / RATE;
    const line = `${t.toFixed(6)},${Math.round(200 + 800 * uniform())},${Math.round(50 + 300 * uniform())}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

function scenarioYaml(tracePath: string): string {
  return `name: memory
seed: 1
workload:
  arrivals:
    trace: { path: ${JSON.stringify(tracePath)}, format: csv, time_column: ts, time_unit: s,
             columns: { input_tokens: prompt, output_tokens: completion } }
fleets:
  - name: gpu
    replicas: 4
    concurrency: 4
    price_per_hour: 1.2
    service_time: "100ms + 0.2ms * input_tokens + 1ms * output_tokens"
`;
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-memory-'));
  const self = fileURLToPath(import.meta.url);
  try {
    console.log(`Trace replay at ${RATE} requests/s on 4 x 4 slots; each size in a fresh process`);
    console.log('requests     trace MB   events      seconds   live heap MB   peak RSS MB');
    for (const size of SIZES) {
      const trace = join(dir, `trace-${size}.csv`);
      await writeTrace(trace, size);
      const scenario = join(dir, `scenario-${size}.yaml`);
      writeFileSync(scenario, scenarioYaml(trace));
      const run = spawnSync(process.execPath, ['--expose-gc', self, 'child', scenario], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`child failed: ${run.stderr}`);
      const r = JSON.parse(run.stdout.trim()) as ChildReport;
      console.log(
        `${String(r.requests).padEnd(12)} ${(statSync(trace).size / 2 ** 20).toFixed(1).padStart(8)}   ${String(r.events).padEnd(11)} ${r.seconds.toFixed(2).padStart(7)}   ${r.peakLiveHeapMB.toFixed(1).padStart(12)}   ${r.maxRssMB.toFixed(1).padStart(11)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]);
else await parent();
