/**
 * How a plan scales with worker threads: the demo scenario (scenarios/demo.yaml, its four
 * variants) planned over 25 replica counts each, 100 points, with `latency_p99: 30s`, through
 * `fleetsim plan` with 1 worker and with 2, each into a fresh folder so nothing is reused. The target:
 * 2 workers at least 1.7 times as fast as 1, in wall time. Both plans must pick the same
 * configuration and simulate the same configurations, which the bench checks.
 *
 * The machine is shared and noisy, so rounds alternate which goes first and the median round's
 * ratio is the figure; a round's two plans run back to back.
 *
 *   npm run bench:plan        (BENCH_ROUNDS=3 for a quicker look)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The built command line (`npm run build`), a fresh process per plan as a user runs it: worker
// threads load dist/plan/worker.js, and a single worker runs in the main thread, each paying its
// own start-up and JIT warm-up.
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
const SCENARIO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TARGET = 1.7;

function plan(workers: number) {
  const outDir = mkdtempSync(join(tmpdir(), `fleetsim-plan-${workers}-`));
  try {
    const started = performance.now();
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'plan',
        SCENARIO,
        '--set',
        'slo.latency_p99=30s',
        '--vary',
        'fleets.0.replicas=1..25',
        '--workers',
        String(workers),
        '--out',
        outDir,
      ],
      { encoding: 'utf8' },
    );
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0)
      throw new Error(`plan with ${workers} worker(s) exited ${run.status}: ${run.stderr}`);
    const result = JSON.parse(readFileSync(join(outDir, 'plan.json'), 'utf8')) as {
      best: { params: unknown } | null;
      configurations: number;
    };
    return {
      seconds,
      best: JSON.stringify(result.best?.params ?? null),
      configurations: result.configurations,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

function main() {
  plan(1); // unmeasured: file caches
  const ratios: number[] = [];
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [1, 2] : [2, 1];
    const runs = new Map<number, ReturnType<typeof plan>>();
    for (const workers of order) runs.set(workers, plan(workers));
    const a = runs.get(1)!;
    const b = runs.get(2)!;
    if (a.best !== b.best || a.configurations !== b.configurations) {
      throw new Error(
        `1 and 2 workers disagree: ${a.best} / ${b.best}, ${a.configurations} / ${b.configurations}`,
      );
    }
    one.push(a.seconds);
    two.push(b.seconds);
    ratios.push(a.seconds / b.seconds);
    console.log(
      `round ${round + 1}: 1 worker ${a.seconds.toFixed(2)} s, 2 workers ${b.seconds.toFixed(2)} s, ${(a.seconds / b.seconds).toFixed(2)}x (${a.configurations} configurations)`,
    );
  }
  const ratio = median(ratios);
  console.log(
    `plan of the demo, 100 points: 1 worker ${median(one).toFixed(2)} s, 2 workers ${median(two).toFixed(2)} s (medians); speed-up ${ratio.toFixed(2)}x, target >= ${TARGET}x: ${ratio >= TARGET ? 'met' : 'MISSED'}`,
  );
}

main();
