/**
 * Wall time of `fleetsim calibrate` on a measured run of 1,000 requests, which must stay under a
 * minute. The measured run: the first 1,000 requests of the Azure conversation trace (real arrivals
 * and token counts) served by Llama-3.1-8B on one H100 with step-time parameters unlike the
 * catalog's, written as requests.jsonl; the calibration starts from the catalog's values, with the
 * command's defaults (20 bootstrap resamples, a 30 % hold-out), run as the built command (process
 * start and writing the outputs included). Printed: the time, the replays it took, what it fitted,
 * and the host's load average, since other work on the machine slows it.
 *
 *   npm run bench:calibrate            (BENCH_REQUESTS to change the 1,000)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const LIMIT_S = 60;
const TRACE = fileURLToPath(new URL('../../traces/azure-llm-2023-conv.csv', import.meta.url));
/** The built command (`npm run build`), run as a user runs it: startup and output writing included. */
const FLEETSIM = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

function fleetsim(args: string[], cwd: string): void {
  const result = spawnSync(process.execPath, [FLEETSIM, ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`fleetsim ${args[0]} exited ${result.status}: ${result.stderr}`);
}

const server = (efficiency: string) => `name: bench-calibrate
seed: 3
duration: 1h
workload:
  arrivals:
    trace: { path: ${TRACE}, format: azure-llm, limit: ${REQUESTS} }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    price_per_hour: 3
    hardware: { accelerator: { name: h100-80gb${efficiency} } }
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
`;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-bench-calibrate-'));
  try {
    writeFileSync(
      join(dir, 'truth.yaml'),
      server(', efficiency: { compute: 0.5, memory: 0.6, iteration_overhead: 3ms }'),
    );
    fleetsim(['run', 'truth.yaml', '--requests', '--out', 'measured', '--quiet'], dir);
    writeFileSync(join(dir, 'server.yaml'), server(''));

    const before = loadavg()[0];
    const started = performance.now();
    fleetsim(
      ['calibrate', 'measured/requests.jsonl', '--scenario', 'server.yaml', '--out', 'calibrated', '--quiet'],
      dir,
    );
    const seconds = (performance.now() - started) / 1000;
    const calibration = JSON.parse(readFileSync(join(dir, 'calibrated', 'calibration.json'), 'utf8'));
    const fitted = Object.entries(
      calibration.parameters as Record<string, { fitted: boolean; value: number }>,
    )
      .filter(([, p]) => p.fitted)
      .map(([name, p]) => `${name} ${p.value}`)
      .join(', ');
    console.log(
      `calibrate: ${REQUESTS} measured requests (truth: compute 0.5, memory 0.6, iteration_overhead 3ms)`,
    );
    console.log(`  fitted ${fitted}; worst hold-out error ${worst(calibration.errors.hold_out)}`);
    console.log(
      `  ${seconds.toFixed(1)} s for ${calibration.method.simulations} replays (${((1000 * seconds) / calibration.method.simulations).toFixed(0)} ms each)`,
    );
    console.log(
      `  load average ${before.toFixed(1)} -> ${loadavg()[0].toFixed(1)} on ${cpus().length} cores: other work on the host slows this`,
    );
    console.log(`  ${seconds < LIMIT_S ? 'within' : 'OVER'} the ${LIMIT_S} s budget`);
    if (seconds >= LIMIT_S) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function worst(errors: Record<string, Record<string, number>> | null): string {
  if (errors === null) return '-';
  const all = Object.values(errors).flatMap((row) => Object.values(row));
  return `${(100 * Math.max(...all.map(Math.abs))).toFixed(1)} %`;
}

await main();
