import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobResult } from './job.js';
import { EvaluationStore } from './store.js';

const KEY = 'a'.repeat(32);

/** A run as `runJob` reports one: its metrics in the order `flattenMetrics` made them. */
const run = (p99: number): JobResult => ({
  metrics: {
    'requests.arrived': 10,
    'latency_s.p99': p99,
    'ttft_s.p99': null,
    drop_rate: 0,
    cost_usd_per_hour: 3,
  },
  warnings: [{ code: 'NEAR_SATURATION', subject: 'gpu', message: 'fleet gpu is near saturation' }],
  performance: { gpu: { source: 'scenario', accelerator: null, detail: 'service_time', caveat: null } },
});

function storeWith(runs: JobResult[]): { store: EvaluationStore; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-store-'));
  const store = new EvaluationStore(dir);
  store.write(KEY, runs);
  return { store, file: join(dir, 'points', readdirSync(join(dir, 'points'))[0]) };
}

describe('EvaluationStore', () => {
  it('gives back the runs it wrote, their metrics in their own order (sweep.json lists them so)', () => {
    const runs = [run(1.5), run(2)];
    const { store } = storeWith(runs);
    const read = store.read(KEY, 2)!;
    expect(read).toEqual(runs);
    expect(Object.keys(read[0].metrics)).toEqual(Object.keys(runs[0].metrics));
  });

  it('takes a point of another count of replications, or of another key, as not finished', () => {
    const { store } = storeWith([run(1.5), run(2)]);
    expect(store.read(KEY, 3)).toBeNull();
    expect(store.read(KEY, 1)).toBeNull();
    expect(store.read('b'.repeat(32), 2)).toBeNull();
  });

  it.each<[string, (stored: { key: string; runs: JobResult[] }) => unknown]>([
    ['null', () => null],
    ['no runs', (s) => ({ ...s, runs: [] })],
    [
      'a figure as text',
      (s) => ({ ...s, runs: [{ ...s.runs[0], metrics: { ...s.runs[0].metrics, 'latency_s.p99': '1.5' } }] }),
    ],
    [
      'no cost per hour',
      (s) => ({ ...s, runs: [{ ...s.runs[0], metrics: { 'latency_s.p99': 1.5, drop_rate: 0 } }] }),
    ],
    ['warnings null', (s) => ({ ...s, runs: [{ ...s.runs[0], warnings: null }] })],
    [
      'a warning without a code',
      (s) => ({ ...s, runs: [{ ...s.runs[0], warnings: [{ subject: 'gpu', message: 'x' }] }] }),
    ],
    ['performance null', (s) => ({ ...s, runs: [{ ...s.runs[0], performance: null }] })],
    [
      'a draw without its spreads',
      (s) => ({ ...s, runs: [{ ...s.runs[0], model: { gpu: { basis: 'x', drawn: {} } } }] }),
    ],
  ])('takes a point file edited to hold %s as not finished', (_, edit) => {
    const { store, file } = storeWith([run(1.5)]);
    writeFileSync(file, JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')))));
    expect(store.read(KEY, 1)).toBeNull();
  });
});
