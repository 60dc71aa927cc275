import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder for one test's scenario and outputs. */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `fleetsim-${label}-`));
}

/** Writes `yaml` as `name` into `dir` and returns its path. */
export function writeScenario(dir: string, yaml: string, name = 'scenario.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

/**
 * One M/M/c queue: Poisson arrivals at `rate`, exponential service of mean 1 s, one replica with
 * `concurrency` servers sharing its FIFO queue.
 */
export function mmcScenario(options: {
  rate: number;
  concurrency: number;
  duration: number;
  extra?: string;
}): string {
  return `name: mmc
seed: 11
duration: ${options.duration}
warmup: 200
workload:
  arrivals: { poisson: { rate: ${options.rate} } }
fleets:
  - name: servers
    replicas: 1
    concurrency: ${options.concurrency}
    price_per_hour: 2
    service_time: { exponential: { mean: 1s } }
${options.extra ?? ''}`;
}

/** A sweep of two points (one or two replicas) replaying `trace.csv`, which each test writes beside it. */
export const REPLAY_SWEEP = `name: replay
seed: 3
workload:
  arrivals:
    trace: { path: trace.csv, format: vidur }
fleets:
  - name: gpu
    replicas: 1
    concurrency: 2
    price_per_hour: 1.5
    service_time: { exponential: { mean: 200ms } }
slo: { latency_p99: 5s, max_drop_rate: 0.01 }
sweep:
  grid:
    fleets.0.replicas: [1, 2]
`;
