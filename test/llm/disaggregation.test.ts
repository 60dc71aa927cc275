import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ContinuousScheduler,
  createSequence,
  observeSchedulerSteps,
} from '../../src/policies/batching/continuous.js';
import type { IterationScheduler } from '../../src/policies/batching/iteration-scheduler.js';
import { runScenario } from '../../src/run.js';
import { formatDiagnostic, loadScenarioObject, loadScenarioText } from '../../src/scenario/index.js';
import { llm } from '../../src/serving/index.js';
import { simulate } from '../../src/sim/index.js';
import type { RequestRecord } from '../../src/workload/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fleetsim-disagg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => observeSchedulerSteps(null));

/** A CSV trace of `[seconds, prompt tokens, output tokens]` rows. */
function trace(rows: [number, number, number][]): object {
  const path = join(dir, `trace-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, `t,prompt,output\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  return {
    trace: {
      path,
      format: 'csv',
      time_column: 't',
      columns: { input_tokens: 'prompt', output_tokens: 'output' },
    },
  };
}

const BATCHING = { policy: 'continuous', max_num_seqs: 16, max_num_batched_tokens: 2048 };

function fleet(name: string, role: string | undefined, extra: object = {}): object {
  return {
    name,
    ...(role !== undefined && { role }),
    replicas: 1,
    instance: 'aws/g6e.xlarge',
    batching: BATCHING,
    ...extra,
  };
}

function scenario(arrivals: object, fleets: object[], extra: object = {}): object {
  return {
    seed: 3,
    workload: { arrivals },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets,
    ...extra,
  };
}

// The step-time physics evaluated here from the schedule worked out by hand, as in
// continuous-batching.test.ts: one L40S per replica.
const model = llm.presetModel('Llama-3.1-8B');
const hardware = { accelerator: llm.loadAccelerators().get('l40s') as llm.AcceleratorSpec, count: 1 };
const microseconds = (batch: llm.IterationBatch) =>
  Math.round(llm.iterationTime(model, hardware, batch).totalS * 1e6);
const prefill = (tokens: number) =>
  microseconds({
    prefill: [{ tokens, pastTokens: 0, count: 1 }],
    decodeSequences: 0,
    decodeContextTokens: 0,
  });
const decode = (context: number) =>
  microseconds({ prefill: [], decodeSequences: 1, decodeContextTokens: context });

// Llama-3.1-8B (config.json): 32 layers, 8 KV heads of dimension 128, K and V in bf16 (2 bytes).
const KV_BYTES_PER_TOKEN = 2 * 32 * 8 * 128 * 2;

describe('prefill/decode disaggregation', () => {
  it('a lone request: TTFT is its prefill plus exactly one transfer, then output - 1 decode steps', async () => {
    const link = { kv_link: { bandwidth: '100Gbps', latency: '1ms' } };
    const output = await runScenario(
      scenario(trace([[0, 300, 4]]), [fleet('p', 'prefill'), fleet('d', 'decode')], { disaggregation: link }),
    );
    const result = output.results[0];
    // 300 tokens x 131,072 bytes over 12.5 GB/s, plus 1 ms: 3,145.728 + 1,000 µs, on the µs clock.
    const transferUs = Math.round(((300 * KV_BYTES_PER_TOKEN) / 12.5e9) * 1e6 + 1000);
    expect(transferUs).toBe(4146);
    const ttftUs = prefill(300) + transferUs;
    // The decode replica starts from the 300 prompt tokens' KV cache and the first token.
    const decodeUs = decode(300) + decode(301) + decode(302);
    expect(result.ttft_s.max).toBe(ttftUs / 1e6);
    expect(result.latency_s.max).toBe((ttftUs + decodeUs) / 1e6);
    expect(result.tpot_s.max).toBeCloseTo(decodeUs / 3 / 1e6, 12);
    expect(result.requests).toMatchObject({ arrived: 1, completed: 1, dropped: 0 });
    expect(result.instances.d.completed).toBe(1);
    expect(result.instances.p.completed).toBe(0);
    expect(result.disaggregation).toMatchObject({
      kv_bytes_per_token: KV_BYTES_PER_TOKEN,
      transfers: 1,
      transfer_bytes: 300 * KV_BYTES_PER_TOKEN,
      transfer_s: { total: transferUs / 1e6 },
      local_decodes: { p: 0 },
      dropped_without_decode: { p: 0 },
    });
    // The prefill replica ran one iteration (the prompt); the decode replica three.
    expect(result.llm?.fleets.p).toMatchObject({ role: 'prefill', iterations: 1, admitted: 1 });
    expect(result.llm?.fleets.d).toMatchObject({
      role: 'decode',
      iterations: 3,
      admitted: 1,
      preemptions: 0,
    });
  });

  it('a colocated fleet serves the same request without a transfer: its TTFT is the prefill alone', async () => {
    const result = (await runScenario(scenario(trace([[0, 300, 4]]), [fleet('gpu', 'both')]))).results[0];
    expect(result.ttft_s.max).toBe(prefill(300) / 1e6);
    expect(result.disaggregation).toBeUndefined();
  });

  it('role both is colocated serving: the summary equals that of a fleet without a role', async () => {
    const rows: [number, number, number][] = Array.from({ length: 60 }, (_, i) => [
      i * 0.05,
      200 + 37 * i,
      5 + (i % 9),
    ]);
    const arrivals = trace(rows);
    const plain = (await runScenario(scenario(arrivals, [fleet('gpu', undefined)]))).results[0];
    const both = (await runScenario(scenario(arrivals, [fleet('gpu', 'both')]))).results[0];
    expect(JSON.stringify(both)).toBe(JSON.stringify(plain));
  });

  it.each([
    ['', null],
    [', with prefix caching on shared system prompts', { tokens: 1024, prompts: 2 }],
  ])(
    'conserves requests and KV blocks on both sides, through queueing, preemption and a reclaim%s',
    async (_, sharedPrefix) => {
      // Bursts of long prompts and outputs onto small KV caches: decode replicas preempt, prefill
      // replicas hold blocks while transfers run, and a decode replica is reclaimed mid-run.
      const rows: [number, number, number][] = [];
      for (let i = 0; i < 240; i++)
        rows.push([
          Math.floor(i / 40) * 2 + (i % 40) * 0.001,
          400 + ((i * 613) % 3000),
          20 + ((i * 37) % 400),
        ]);
      const reclaims = join(dir, 'reclaims.csv');
      writeFileSync(reclaims, 'time\n3\n');
      const prefillReclaims = join(dir, 'prefill-reclaims.csv');
      writeFileSync(prefillReclaims, 'time\n5\n');
      const small = { ...BATCHING, kv_cache_tokens: 12000 };
      const object = scenario(
        trace(rows),
        [
          fleet('p', 'prefill', {
            replicas: 2,
            batching: small,
            market: 'spot',
            interruption: { trace: prefillReclaims, notice: '10ms' },
          }),
          fleet('d1', 'decode', { batching: small }),
          fleet('d2', 'decode', {
            replicas: 2,
            batching: small,
            market: 'spot',
            interruption: { trace: reclaims, notice: '1s' },
            on_interrupt: 'requeue',
          }),
        ],
        { disaggregation: { kv_link: { bandwidth: '25Gbps', latency: '2ms' } } },
      ) as { workload: Record<string, unknown> };
      // The prefill replicas then find the shared prompts cached, and hold shared blocks while their transfers run.
      if (sharedPrefix !== null) object.workload.shared_prefix = sharedPrefix;
      const loaded = await loadScenarioObject(object);
      if (!loaded.ok) throw new Error(loaded.errors.map(formatDiagnostic).join('\n'));
      const schedulers = new Set<IterationScheduler>();
      let steps = 0;
      observeSchedulerSteps((scheduler) => {
        scheduler.checkInvariants();
        schedulers.add(scheduler);
        steps++;
      });
      const records: RequestRecord[] = [];
      const result = simulate(loaded.value.variants[0].scenario, { onRequest: (r) => records.push(r) });
      observeSchedulerSteps(null);
      expect(steps).toBeGreaterThan(1000);
      const r = result.requests;
      expect(r.arrived).toBe(240);
      expect(r.completed + r.dropped + r.timed_out + r.in_flight_at_end).toBe(240);
      // One record per request, each with one outcome; every completion on a decode fleet.
      expect(records).toHaveLength(240);
      const completed = records.filter((record) => record.outcome === 'completed');
      expect(completed).toHaveLength(r.completed);
      expect(completed.every((record) => record.fleet === 'd1' || record.fleet === 'd2')).toBe(true);
      expect(result.instances.p.completed).toBe(0);
      expect(result.instances.d1.completed + result.instances.d2.completed).toBe(r.completed);
      // The run exercised what it is meant to.
      const d = result.llm?.fleets;
      expect((d?.d1.preemptions ?? 0) + (d?.d2.preemptions ?? 0)).toBeGreaterThan(0);
      expect(result.instances.d2.interrupted_requests.requeued).toBeGreaterThan(0);
      // Every request that reached a decode replica got there by one transfer; the requeued ones
      // went through a prefill again, so transfers exceed completions by at most the requeues.
      const disaggregation = result.disaggregation;
      expect(disaggregation?.local_decodes.p).toBe(0);
      const requeued = result.instances.d2.interrupted_requests.requeued;
      expect(disaggregation?.transfers).toBeGreaterThanOrEqual(r.completed);
      expect(disaggregation?.transfers).toBeLessThanOrEqual(r.completed + requeued);
      // Drained: every replica's KV cache, on both sides, is whole again, but for the reclaimed
      // replicas' (their schedulers are replaced, the old ones left as they were).
      // A reclaimed prefill replica takes along the blocks of the transfers it was sending.
      const holding = [...schedulers].filter((scheduler) => scheduler.usedBlocks > 0);
      expect(holding.length).toBeLessThanOrEqual(2);
      for (const scheduler of schedulers) {
        if (!holding.includes(scheduler)) expect((scheduler as ContinuousScheduler).outgoingBlocks).toBe(0);
      }
      const hitRate = d?.p.prefix_cache?.hit_rate ?? 0;
      if (sharedPrefix === null) expect(hitRate).toBe(0);
      else expect(hitRate).toBeGreaterThan(0.1);
    },
  );

  it('without a ready decode replica, the prefill replica decodes the request itself if it can hold it', async () => {
    // The decode replica gets its reclaim notice at 0 (it drains, taking no new requests) and its
    // replacement is still starting when the prompts are done.
    const notices = join(dir, 'notice-at-0.csv');
    writeFileSync(notices, 'time\n0\n');
    const decodeFleet = fleet('d', 'decode', {
      market: 'spot',
      interruption: { trace: notices, notice: '1s' },
    });
    // A 300-token prompt with 4 output tokens fits the prefill replica's 304-token cache; one
    // with 20 does not, and is lost once.
    const prefillFleet = fleet('p', 'prefill', {
      batching: { ...BATCHING, kv_cache_tokens: 304, block_size: 1 },
    });
    const arrivals = trace([
      [0, 300, 4],
      [0.5, 300, 20],
    ]);
    const result = (await runScenario(scenario(arrivals, [prefillFleet, decodeFleet]))).results[0];
    expect(result.requests).toMatchObject({ arrived: 2, completed: 1, dropped: 1 });
    expect(result.disaggregation).toMatchObject({
      transfers: 0,
      local_decodes: { p: 1 },
      dropped_without_decode: { p: 1 },
    });
    expect(result.ttft_s.max).toBe(prefill(300) / 1e6);
    expect(result.instances.p.completed).toBe(1);
  });
});

describe('scenarios/disaggregated.yaml', () => {
  it('on the same GPUs at the same cost, disaggregation shortens the TPOT tail', async () => {
    const path = fileURLToPath(new URL('../../scenarios/disaggregated.yaml', import.meta.url));
    const { results } = await runScenario(path, { set: ['workload.arrivals.trace.duration=8m'] });
    const [disaggregated, colocated] = results;
    expect(disaggregated.cost_usd.total).toBeCloseTo(colocated.cost_usd.total, 2);
    expect(disaggregated.tpot_s.p99).toBeLessThan(colocated.tpot_s.p99 as number);
    expect(disaggregated.requests.completed).toBe(colocated.requests.completed);
    expect(disaggregated.disaggregation?.transfers).toBeGreaterThan(disaggregated.requests.completed);
    expect(colocated.disaggregation).toBeUndefined();
  });
});

describe('the scheduler of a disaggregated pair', () => {
  const config = {
    maxNumSeqs: 4,
    maxNumBatchedTokens: 64,
    chunkedPrefill: true,
    blockSize: 16,
    kvCacheTokens: 64,
  };

  it('holds the blocks of a sent KV cache until released, and counts them in use', () => {
    const s = new ContinuousScheduler(config);
    s.enqueue(createSequence(0, 40, 1));
    expect(s.schedule()).toBe(true);
    s.finishIteration();
    expect(s.finished.map((q) => q.slot)).toEqual([0]);
    // ceil(40 / 16) = 3 of the 4 blocks stay while the transfer runs: a 20-token prompt cannot start.
    s.holdBlocks(3);
    s.checkInvariants();
    expect(s.usedBlocks).toBe(3);
    s.enqueue(createSequence(1, 20, 2));
    expect(s.schedule()).toBe(false);
    s.releaseBlocks(3);
    s.checkInvariants();
    expect(s.schedule()).toBe(true);
    expect(s.scheduledTokens).toBe(20);
  });

  it('decodes a sequence whose prompt was computed elsewhere, taking its blocks on admission', () => {
    const s = new ContinuousScheduler(config);
    const received = createSequence(7, 40, 3);
    received.computed = 40;
    received.generated = 1;
    s.enqueue(received);
    s.checkInvariants();
    expect(s.schedule()).toBe(true);
    // One decode over a 40-token context: no prefill, and blocks for 41 tokens.
    expect(s.batch.prefill).toHaveLength(0);
    expect(s.batch).toMatchObject({ decodeSequences: 1, decodeContextTokens: 40 });
    expect(s.usedBlocks).toBe(3);
    s.checkInvariants();
    s.finishIteration();
    s.schedule();
    s.finishIteration();
    expect(s.finished.map((q) => q.slot)).toEqual([7]);
    expect(s.usedBlocks).toBe(0);
  });

  it('finds a waiting sequence with tokens that were not computed elsewhere', () => {
    const s = new ContinuousScheduler(config);
    const broken = createSequence(3, 40, 3);
    broken.computed = 12;
    s.enqueue(broken);
    expect(() => s.checkInvariants()).toThrow('waiting sequence 3 holds 0 blocks for 12 tokens');
  });
});

describe('disaggregated scenarios are checked', () => {
  const base = (fleets: string, extra = '') =>
    'workload: { arrivals: { poisson: { rate: 1 } } }\nduration: 10s\nmodel: { llm: { preset: Llama-3.1-8B } }\n' +
    `fleets:\n${fleets}${extra}`;
  const gpu = (name: string, role: string) =>
    `  - { name: ${name}, role: ${role}, replicas: 1, instance: aws/g6e.xlarge, batching: { policy: continuous } }\n`;
  const errors = async (text: string) => {
    const loaded = await loadScenarioText(text, '/x/s.yaml');
    return loaded.ok ? [] : loaded.errors.map(formatDiagnostic);
  };

  it('a prefill fleet needs a decode fleet, and a decode fleet a prefill fleet', async () => {
    expect(await errors(base(gpu('p', 'prefill')))).toEqual([
      '/x/s.yaml:5:22: fleets[0].role: a prefill fleet needs a fleet with role: decode to hand its requests to',
    ]);
    expect(await errors(base(gpu('d', 'decode')))).toEqual([
      '/x/s.yaml:5:22: fleets[0].role: a decode fleet needs a fleet with role: prefill to take requests from',
    ]);
    expect(await errors(base(gpu('p', 'prefill') + gpu('d', 'decode')))).toEqual([]);
  });

  it('a decode fleet keeps at least one replica', async () => {
    const decode =
      '  - name: d\n    role: decode\n    replicas: { min: 0, max: 2 }\n    autoscaling: { policy: concurrency }\n' +
      '    instance: aws/g6e.xlarge\n    batching: { policy: continuous }\n';
    const found = await errors(base(gpu('p', 'prefill') + decode));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^\/x\/s\.yaml:8:\d+: fleets\[1\]\.replicas\.min: a decode fleet needs min >= 1/,
    );
  });

  it('routing sends new requests only to prefill-capable fleets', async () => {
    const text = base(
      gpu('p', 'prefill') + gpu('d', 'decode'),
      'routing: { policy: weighted, weights: { p: 1, d: 1 } }\n',
    );
    const found = await errors(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^\/x\/s\.yaml:7:\d+: routing\.weights.*"d" is a decode fleet/);
  });

  it('a role needs continuous batching; a link without the roles is left unused (a variant may turn them off)', async () => {
    const slot = '  - { name: cpu, role: prefill, replicas: 1, price_per_hour: 1, service_time: 1s }\n';
    expect((await errors(base(slot + gpu('d', 'decode')))).join('\n')).toMatch(
      /role prefill applies only with batching policy continuous/,
    );
    expect(
      await errors(base(gpu('g', 'both'), 'disaggregation: { kv_link: { bandwidth: 100Gbps } }\n')),
    ).toEqual([]);
  });
});
