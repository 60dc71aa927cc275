import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { RELATIVE_ACCURACY } from '../../src/metrics/latency-stats.js';
import { runScenario } from '../../src/run.js';
import { type RequestRecord, readRequestRecords } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-requests-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/**
 * Every outcome at once: an LLM fleet past its capacity drops (full queue), rejects (prompts over
 * the token budget without chunked prefill), times out (8 s in its queue) and is cut off by
 * max_drain; a plain fleet beside it serves requests that have no first token. Both are some
 * way off over the network, whose time counts in latency and TTFT.
 */
const OUTCOMES = `name: outcomes
seed: 5
duration: 3m
warmup: 20s
max_drain: 5s
workload:
  arrivals: { poisson: { rate: 14 } }
  input_tokens: { lognormal: { median: 600, sigma: 0.9 } }
  output_tokens: { lognormal: { median: 150, sigma: 0.6 } }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
network: { origin: users, rtt: { users: { us-east-1: 40ms, rack: 5ms } }, bandwidth: { up: 2Mbps, down: 10Mbps } }
fleets:
  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
    batching: { policy: continuous, max_num_seqs: 8, max_num_batched_tokens: 2048, chunked_prefill: false }
    queue: { capacity: 30, timeout: 8s }
  - name: cpu
    site: rack
    replicas: 2
    concurrency: 2
    price_per_hour: 0.5
    service_time: "20ms + 1ms * output_tokens"
routing: { policy: weighted, weights: { gpu: 3, cpu: 1 } }
variants:
  - { name: two-gpus, set: { fleets.0.replicas: 2 } }
`;

/** Scale to zero with a 20 s startup: held requests give up before a replica is ready; spot reclaims drop what runs. */
const ELASTIC = `name: elastic
seed: 4
duration: 20m
workload:
  arrivals: { poisson: { rate: "3 * (1 + sin(2 * pi * t / 10m))" } }
fleets:
  - name: spot
    replicas: { min: 0, max: 4, initial: 0 }
    startup: 20s
    concurrency: 4
    price_per_hour: 1
    service_time: { exponential: { mean: 500ms } }
    queue: { capacity: 10, timeout: 10s }
    autoscaling: { policy: concurrency, target: 2 }
    interruption: { per_hour: 30, notice: 1s }
    on_interrupt: drop
`;

writeFileSync(join(dir, 'outcomes.yaml'), OUTCOMES);
writeFileSync(join(dir, 'elastic.yaml'), ELASTIC);

/** The lines of requests.jsonl, parsed with JSON.parse (independently of the package's reader). */
function lines(out: string): RequestRecord[] {
  const text = readFileSync(join(dir, out, 'requests.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line));
}

function summaryOf(out: string) {
  return JSON.parse(readFileSync(join(dir, out, 'summary.json'), 'utf8'));
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** The q-quantile of sorted values by the sketch's rank rule, q (n - 1), with the order statistics on either side. */
function around(sorted: readonly number[], q: number): [number, number] {
  const rank = q * (sorted.length - 1);
  return [sorted[Math.floor(rank)], sorted[Math.ceil(rank)]];
}

/** A sketch quantile is within its relative accuracy of the exact one (of the order statistic on either side of the rank). */
function expectSketchQuantile(sketch: number, sorted: readonly number[], q: number): void {
  const [below, above] = around(sorted, q);
  // 1 µs of slack: the file's times are rounded to microseconds.
  const slack = 1e-6;
  expect(sketch).toBeGreaterThanOrEqual(below * (1 - RELATIVE_ACCURACY) - slack);
  expect(sketch).toBeLessThanOrEqual(above * (1 + RELATIVE_ACCURACY) + slack);
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const ascending = (values: number[]) => values.sort((a, b) => a - b);

describe('fleetsim run --requests', () => {
  it('writes one line per measured request that agrees with summary.json', async () => {
    const { code, stderr } = await cli(['run', 'outcomes.yaml', '--out', 'out', '--requests']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/wrote .*out\/requests\.jsonl/);
    const records = lines('out');
    const summary = summaryOf('out');
    // Variant after variant, in the scenario's order.
    const variants = records.map((r) => r.variant);
    expect(variants.indexOf('two-gpus')).toBe(variants.lastIndexOf('baseline') + 1);

    for (const v of summary.variants) {
      const mine = records.filter((r) => r.variant === v.name);
      const outcomes = countBy(mine, (r) => r.outcome);
      // The scenario reaches every outcome, so each comparison below is against a real count.
      for (const outcome of ['completed', 'dropped', 'rejected', 'timed_out', 'in_flight_at_end']) {
        expect(outcomes[outcome], `${v.name} ${outcome}`).toBeGreaterThan(0);
      }
      expect(mine.length).toBe(v.requests.arrived);
      expect(outcomes.completed).toBe(v.requests.completed);
      expect(outcomes.dropped + outcomes.rejected).toBe(v.requests.dropped);
      expect(outcomes.rejected).toBe(v.llm.fleets.gpu.rejected);
      expect(outcomes.timed_out).toBe(v.requests.timed_out);
      expect(outcomes.in_flight_at_end).toBe(v.requests.in_flight_at_end);
      const completed = mine.filter((r) => r.outcome === 'completed');
      expect(countBy(completed, (r) => r.fleet as string)).toEqual({
        gpu: v.instances.gpu.completed,
        cpu: v.instances.cpu.completed,
      });
      expect(new Set(mine.filter((r) => r.fleet === 'gpu').map((r) => r.replica))).toEqual(
        new Set(v.name === 'baseline' ? [0] : [0, 1]),
      );

      // Measured means arrived after the 20 s warmup and before arrivals stopped at 3 minutes.
      for (const r of mine) {
        expect(r.arrival).toBeGreaterThanOrEqual(20);
        expect(r.arrival).toBeLessThanOrEqual(180);
        if (r.outcome === 'dropped' || r.outcome === 'rejected') expect(r.finish).toBe(r.arrival);
        if (r.outcome === 'timed_out') expect((r.finish as number) - r.arrival).toBeCloseTo(8, 5);
        if (r.outcome === 'in_flight_at_end') expect(r.finish).toBeNull();
        if (r.fleet === 'gpu' && r.outcome === 'completed') {
          expect(r.first_token).not.toBeNull();
          expect(r.arrival).toBeLessThanOrEqual(r.first_token as number);
          expect(r.first_token as number).toBeLessThanOrEqual(r.finish as number);
        } else expect(r.first_token).toBeNull();
        expect(Number.isInteger(r.input_tokens) || r.fleet === 'cpu').toBe(true);
      }

      // Latency, TTFT and tokens recomputed from the file: the means exactly (to the microsecond
      // rounding), the percentiles within the sketch's relative accuracy.
      const latency = ascending(completed.map((r) => (r.finish as number) - r.arrival));
      expect(mean(latency)).toBeCloseTo(v.latency_s.mean, 6);
      expect(latency[latency.length - 1]).toBeCloseTo(v.latency_s.max, 6);
      for (const [key, q] of [
        ['p50', 0.5],
        ['p90', 0.9],
        ['p99', 0.99],
      ] as const) {
        expectSketchQuantile(v.latency_s[key], latency, q);
      }
      const ttft = ascending(
        completed.filter((r) => r.fleet === 'gpu').map((r) => (r.first_token as number) - r.arrival),
      );
      expect(mean(ttft)).toBeCloseTo(v.ttft_s.mean, 6);
      expectSketchQuantile(v.ttft_s.p90, ttft, 0.9);
      const tokens = (key: 'input_tokens' | 'output_tokens') =>
        completed.reduce((sum, r) => sum + (r[key] as number), 0);
      expect(tokens('input_tokens') / v.tokens.input).toBeCloseTo(1, 9);
      expect(tokens('output_tokens') / v.tokens.output).toBeCloseTo(1, 9);
    }
  });

  it('is byte-identical for a seed and changes nothing else the run writes', async () => {
    expect((await cli(['run', 'outcomes.yaml', '--out', 'again', '--requests', '--quiet'])).code).toBe(0);
    expect((await cli(['run', 'outcomes.yaml', '--out', 'plain', '--quiet'])).code).toBe(0);
    const file = (out: string, name: string) => readFileSync(join(dir, out, name));
    expect(file('again', 'requests.jsonl').equals(file('out', 'requests.jsonl'))).toBe(true);
    for (const name of ['summary.json', 'timeseries.csv', 'distributions.json']) {
      expect(file('plain', name).equals(file('again', name)), name).toBe(true);
    }
    expect(existsSync(join(dir, 'plain', 'requests.jsonl'))).toBe(false);
    // Times carry at most six decimals: microseconds.
    const text = file('again', 'requests.jsonl').toString('utf8');
    expect(text).not.toMatch(/"(arrival|first_token|finish)":-?\d+\.\d{7,}/);
    expect(text).not.toMatch(/e[+-]\d/);
  });

  it('names the replica of each request, and none for a request held while no replica was ready', async () => {
    expect((await cli(['run', 'elastic.yaml', '--out', 'elastic', '--requests', '--quiet'])).code).toBe(0);
    const records = lines('elastic');
    const [v] = summaryOf('elastic').variants;
    const outcomes = countBy(records, (r) => `${r.outcome}${r.replica === null ? ' held' : ''}`);
    expect(records.length).toBe(v.requests.arrived);
    expect(outcomes.completed).toBe(v.requests.completed);
    expect(outcomes.dropped).toBe(v.requests.dropped);
    // Reclaims drop what the replica was serving: some of the drops.
    expect(v.instances.spot.interrupted_requests.dropped).toBeGreaterThan(0);
    expect(outcomes.dropped).toBeGreaterThanOrEqual(v.instances.spot.interrupted_requests.dropped);
    expect(outcomes['timed_out held']).toBeGreaterThan(0);
    expect((outcomes.timed_out ?? 0) + outcomes['timed_out held']).toBe(v.requests.timed_out);
    // Replicas are numbered in launch order: later launches take later numbers, not a reused slot's.
    const replicas = records.flatMap((r) => (r.replica === null ? [] : [r.replica]));
    expect(Math.max(...replicas)).toBeLessThan(v.instances.spot.launched);
    expect(Math.max(...replicas)).toBeGreaterThanOrEqual(4);
    for (const r of records) {
      expect(r.input_tokens).toBeNull();
      expect(r.output_tokens).toBeNull();
    }
  });

  it('follows report.requests, which --no-requests overrides, and removes a file an earlier run left', async () => {
    writeFileSync(
      join(dir, 'keyed.yaml'),
      `${OUTCOMES.replace('duration: 3m', 'duration: 40s')}report: { requests: true }\n`,
    );
    expect((await cli(['run', 'keyed.yaml', '--out', 'keyed', '--quiet'])).code).toBe(0);
    const records = lines('keyed');
    expect(records.length).toBe(
      summaryOf('keyed').variants.reduce(
        (n: number, v: { requests: { arrived: number } }) => n + v.requests.arrived,
        0,
      ),
    );
    // What a killed run left, beside a file that is not fleetsim's own.
    writeFileSync(join(dir, 'keyed', 'requests.jsonl.4242.tmp'), '{"arrival":1');
    writeFileSync(join(dir, 'keyed', 'requests.jsonl.mine.tmp'), 'mine');
    expect((await cli(['run', 'keyed.yaml', '--out', 'keyed', '--quiet', '--no-requests'])).code).toBe(0);
    expect(existsSync(join(dir, 'keyed', 'requests.jsonl'))).toBe(false);
    expect(readdirSync(join(dir, 'keyed')).filter((name) => name.endsWith('.tmp'))).toEqual([
      'requests.jsonl.mine.tmp',
    ]);
  });

  it('a run that fails midway leaves the earlier requests.jsonl as it was, and no partial file', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i * 0.1},${100 + i},${20 + (i % 7)}`);
    writeFileSync(join(dir, 'good.csv'), `t,prompt,output\n${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'bad.csv'), `t,prompt,output\n${rows.join('\n')}\n40,abc,3\n`);
    const scenario = (trace: string) => `name: traced
workload:
  arrivals: { trace: { path: ${trace}, format: csv, time_column: t, columns: { input_tokens: prompt, output_tokens: output } } }
fleets:
  - { name: gpu, replicas: 2, concurrency: 4, price_per_hour: 1, service_time: "10ms + 0.1ms * input_tokens" }
`;
    writeFileSync(join(dir, 'good.yaml'), scenario('good.csv'));
    writeFileSync(join(dir, 'bad.yaml'), scenario('bad.csv'));
    expect((await cli(['run', 'good.yaml', '--out', 'traced', '--requests', '--quiet'])).code).toBe(0);
    const before = readFileSync(join(dir, 'traced', 'requests.jsonl'));
    expect(before.toString('utf8').split('\n').length - 1).toBe(400);
    const failed = await cli(['run', 'bad.yaml', '--out', 'traced', '--requests', '--quiet']);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/bad\.csv:402:2: /);
    expect(readFileSync(join(dir, 'traced', 'requests.jsonl')).equals(before)).toBe(true);
    expect(readdirSync(join(dir, 'traced')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('reads back, with the package reader, as the records the library hands out', async () => {
    const inMemory: RequestRecord[] = [];
    await runScenario(join(dir, 'outcomes.yaml'), { onRequest: (r) => inMemory.push(r) });
    const fromFile = [...readRequestRecords(join(dir, 'out', 'requests.jsonl'))];
    expect(fromFile.length).toBe(inMemory.length);
    const toMicros = (s: number | null) => (s === null ? null : Math.round(s * 1e6));
    fromFile.forEach((read, i) => {
      const held = inMemory[i];
      expect({ ...read, arrival: 0, first_token: 0, finish: 0 }).toEqual({
        ...held,
        arrival: 0,
        first_token: 0,
        finish: 0,
      });
      expect(toMicros(read.arrival)).toBe(toMicros(held.arrival));
      expect(toMicros(read.first_token)).toBe(toMicros(held.first_token));
      expect(toMicros(read.finish)).toBe(toMicros(held.finish));
    });
  });
});

describe('fleetsim compare --requests', () => {
  it('writes the first replication of every configuration, labelled as in the comparison', async () => {
    writeFileSync(join(dir, 'short.yaml'), OUTCOMES.replace('duration: 3m', 'duration: 40s'));
    writeFileSync(
      join(dir, 'other.yaml'),
      OUTCOMES.replace('duration: 3m', 'duration: 40s')
        .replace('name: outcomes', 'name: other')
        .split('variants:')[0],
    );
    const { code } = await cli([
      'compare',
      'short.yaml',
      'other.yaml',
      '--out',
      'cmp',
      '--requests',
      '--quiet',
      '--replications',
      '2',
    ]);
    expect(code).toBe(0);
    const records = lines('cmp');
    const comparison = JSON.parse(readFileSync(join(dir, 'cmp', 'comparison.json'), 'utf8'));
    const labels: string[] = comparison.rows.map((r: { label: string }) => r.label);
    expect(labels).toEqual(['outcomes/baseline', 'outcomes/two-gpus', 'other']);
    const order = records.map((r) => r.variant).filter((v, i, all) => i === 0 || all[i - 1] !== v);
    expect(order).toEqual(labels);
    // Seed and scenario as the first 40 s of the run above: its first outcomes are the same.
    const single = lines('out').slice(0, 50);
    const shortBaseline = records.slice(0, 50).map((r) => ({ ...r, variant: 'baseline' }));
    expect(shortBaseline).toEqual(single);
  });
});
