/**
 * Scenarios with many variants: each size in a fresh process, the wall time and peak resident set
 * of loading the scenario (what `fleetsim validate` does: every variant built and checked) and of
 * `fleetsim run` (every variant simulated for 20 s of traffic, then summary, charts and
 * report.html written). Both should grow in proportion to the number of variants.
 *
 *   npm run bench:variants
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/app.js';
import { loadScenarioFile } from '../src/scenario/index.js';

const LOAD_SIZES = [1000, 2000, 5000];
const RUN_SIZES = [250, 1000, 2000];

interface ChildReport {
  seconds: number;
  /** User and system time of all threads: on a shared machine it varies far less than wall time. */
  cpuSeconds: number;
  maxRssMB: number;
}

/** The child: load or run one scenario, then report its own time and peak resident set. */
async function child(mode: string, scenarioPath: string, outDir: string): Promise<void> {
  const started = performance.now();
  if (mode === 'load') {
    const loaded = await loadScenarioFile(scenarioPath);
    if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('\n'));
  } else {
    let stderr = '';
    const io = { stdout: () => {}, stderr: (text: string) => (stderr += text), cwd: outDir };
    const code = await runCli(['run', scenarioPath, '--quiet', '--out', outDir], io);
    if (code !== 0) throw new Error(stderr);
  }
  const cpu = process.cpuUsage();
  const report: ChildReport = {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(report));
}

/** One fleet, and `count` variants that each change its replicas and price. */
function scenarioYaml(count: number): string {
  const variants = Array.from(
    { length: count },
    (_, i) =>
      `  - { name: v${i}, set: { fleets.0.replicas: ${1 + (i % 6)}, fleets.0.price_per_hour: ${1 + (i % 7) / 10} } }`,
  );
  return `name: variants-${count}
seed: 3
duration: 20s
workload:
  arrivals: { poisson: { rate: 5 } }
fleets:
  - name: gpu
    replicas: 2
    concurrency: 2
    price_per_hour: 1.5
    service_time: 600ms
    queue: { capacity: 20, timeout: 10s }
variants:
${variants.join('\n')}
`;
}

async function parent(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-variants-'));
  const self = fileURLToPath(import.meta.url);
  try {
    console.log('Each size in a fresh process; times include loading the scenario, CPU time starting node');
    console.log('what   variants   wall s    CPU s   CPU ms/variant   peak RSS MB');
    for (const [mode, sizes] of [
      ['load', LOAD_SIZES],
      ['run', RUN_SIZES],
    ] as const) {
      for (const size of sizes) {
        const scenario = join(dir, `variants-${size}.yaml`);
        writeFileSync(scenario, scenarioYaml(size));
        const out = join(dir, `out-${size}`);
        const child = spawnSync(process.execPath, [self, 'child', mode, scenario, out], { encoding: 'utf8' });
        if (child.status !== 0) throw new Error(`child failed: ${child.stderr}`);
        const r = JSON.parse(child.stdout.trim()) as ChildReport;
        console.log(
          `${mode.padEnd(4)} ${String(size).padStart(10)}   ${r.seconds.toFixed(2).padStart(6)}   ${r.cpuSeconds.toFixed(2).padStart(6)}   ${((1000 * r.cpuSeconds) / size).toFixed(2).padStart(14)}   ${r.maxRssMB.toFixed(0).padStart(11)}`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await parent();
