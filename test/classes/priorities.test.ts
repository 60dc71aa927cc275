import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import type { RequestRecord } from '../../src/workload/index.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-priorities-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function run(files: Record<string, string>) {
  const requests: RequestRecord[] = [];
  const dir = folder(files);
  const output = await runScenario(join(dir, 's.yaml'), { onRequest: (r) => requests.push(r) });
  return { requests, result: output.results[0] };
}

/** Each request as `class@arrival: outcome@finish`, in arrival order. */
const outcomes = (requests: RequestRecord[]) =>
  [...requests]
    .sort((a, b) => a.arrival - b.arrival)
    .map((r) => `${r.class}@${r.arrival}: ${r.outcome}@${r.finish}`);

/** A trace whose rows name their class, read into two classes: `low` (priority 0) and `high` (priority 5). */
const scenario = (trace: string, fleet: string, classes = '') => ({
  't.csv': `time,tier\n${trace}`,
  's.yaml': `workload:
  arrivals:
    trace: { path: t.csv, time_column: time, columns: { class: tier } }
  classes:
    - { name: low, priority: 0 }
    - { name: high, priority: 5 }
${classes}fleets:
${fleet}`,
});

const TRACE = '0,low\n0.1,low\n0.2,high\n0.3,low\n0.4,high\n';

describe('priorities in the service disciplines', () => {
  it('slot: one server, 1 s each; the queue serves high before low, each first come first served', async () => {
    // low@0 starts at once (0-1). At 1 s, low@0.1, high@0.2, low@0.3 and high@0.4 wait: high@0.2
    // runs 1-2, high@0.4 2-3, then low@0.1 3-4 and low@0.3 4-5.
    const fleet = '  - { name: cpu, replicas: 1, concurrency: 1, price_per_hour: 1, service_time: 1s }\n';
    const { requests } = await run(scenario(TRACE, fleet));
    expect(outcomes(requests)).toEqual([
      'low@0: completed@1',
      'low@0.1: completed@4',
      'high@0.2: completed@2',
      'low@0.3: completed@5',
      'high@0.4: completed@3',
    ]);
    // With one priority, the same trace is served in arrival order.
    const flat = scenario(TRACE, fleet);
    flat['s.yaml'] = flat['s.yaml'].replace('priority: 5', 'priority: 0');
    expect(outcomes((await run(flat)).requests).map((r) => r.split(': ')[1])).toEqual([
      'completed@1',
      'completed@2',
      'completed@3',
      'completed@4',
      'completed@5',
    ]);
  });

  it('slot: a full queue takes a high arrival by dropping the newest waiting low one, never a high one', async () => {
    // Queue of 1. low@0 runs 0-1; low@0.1 waits; high@0.2 finds the queue full and takes the place
    // of low@0.1 (dropped at 0.2); low@0.3 finds it full of a higher priority: dropped; high@0.4
    // finds it full of its own priority: dropped. high@0.2 runs 1-2.
    const fleet =
      '  - { name: cpu, replicas: 1, concurrency: 1, price_per_hour: 1, service_time: 1s, queue: { capacity: 1 } }\n';
    const { requests } = await run(scenario(TRACE, fleet));
    expect(outcomes(requests)).toEqual([
      'low@0: completed@1',
      'low@0.1: dropped@0.2',
      'high@0.2: completed@2',
      'low@0.3: dropped@0.3',
      'high@0.4: dropped@0.4',
    ]);
  });

  it('slot: queue timeouts still apply to each waiting request', async () => {
    // Timeout 2.5 s: low@0.1 would start at 3, past 2.6; it leaves at 2.6. low@0.3 leaves at 2.8.
    const fleet =
      '  - { name: cpu, replicas: 1, concurrency: 1, price_per_hour: 1, service_time: 1s, queue: { timeout: 2.5s } }\n';
    const { requests } = await run(scenario(TRACE, fleet));
    expect(outcomes(requests)).toEqual([
      'low@0: completed@1',
      'low@0.1: timed_out@2.6',
      'high@0.2: completed@2',
      'low@0.3: timed_out@2.8',
      'high@0.4: completed@3',
    ]);
  });

  it('held requests (no replica ready) are routed by priority when a replica becomes ready', async () => {
    // Scaled to zero: the first arrival brings a replica up, ready at 7 s. The four held requests
    // are routed high@0.1 (starts, 7-8), high@0.3 (waits in the queue of 1, 8-9), then low@0 and
    // low@0.2, which find the queue full of a higher priority: dropped at 7. In arrival order,
    // low@0 and high@0.1 would have been served instead.
    const fleet = `  - name: cpu
    replicas: { min: 0, max: 1 }
    concurrency: 1
    price_per_hour: 1
    service_time: 1s
    startup: 5s
    queue: { capacity: 1 }
    autoscaling: { policy: concurrency, target: 1 }
`;
    const { requests } = await run(scenario('0,low\n0.1,high\n0.2,low\n0.3,high\n', fleet));
    expect(outcomes(requests)).toEqual([
      'low@0: dropped@7',
      'high@0.1: completed@8',
      'low@0.2: dropped@7',
      'high@0.3: completed@9',
    ]);
  });

  it('batch: batches of up to 2, 1 s each, are formed from the highest priority first', async () => {
    // low@0 runs alone 0-1. At 1 s the queue in service order is high@0.2, high@0.4, high@0.5,
    // low@0.1, low@0.3: batches [high@0.2, high@0.4] 1-2, [high@0.5, low@0.1] 2-3, [low@0.3] 3-4.
    const fleet =
      '  - { name: cpu, replicas: 1, concurrency: 1, price_per_hour: 1, batching: { policy: dynamic, max_batch: 2 }, batch_latency: "1s + 0s * b" }\n';
    const { requests } = await run(scenario(`${TRACE}0.5,high\n`, fleet));
    expect(outcomes(requests)).toEqual([
      'low@0: completed@1',
      'low@0.1: completed@3',
      'high@0.2: completed@2',
      'low@0.3: completed@4',
      'high@0.4: completed@2',
      'high@0.5: completed@3',
    ]);
  });

  const LLM_FLEET = `  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
    batching: { policy: continuous, max_num_seqs: 1 }
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
`;

  it('continuous: with one sequence at a time, requests complete in priority order', async () => {
    // low@0 is admitted at once; the others wait and are admitted one by one as each finishes:
    // high@0.2, high@0.4, then low@0.1, low@0.3.
    const tokens = '    input_tokens: 100\n    output_tokens: 50\n';
    const files = scenario(TRACE.replaceAll('0.', '0.00'), LLM_FLEET);
    files['s.yaml'] = files['s.yaml']
      .replace(
        '- { name: low, priority: 0 }',
        `- name: low\n      priority: 0\n  ${tokens.replaceAll('\n    ', '\n      ')}`,
      )
      .replace(
        '- { name: high, priority: 5 }',
        `- name: high\n      priority: 5\n  ${tokens.replaceAll('\n    ', '\n      ')}`,
      );
    const { requests } = await run(files);
    const byFinish = [...requests].sort((a, b) => (a.finish as number) - (b.finish as number));
    expect(byFinish.map((r) => `${r.class}@${r.arrival}`)).toEqual([
      'low@0',
      'high@0.002',
      'high@0.004',
      'low@0.001',
      'low@0.003',
    ]);
    expect(requests.every((r) => r.outcome === 'completed')).toBe(true);
  });
});

describe('deadline classes', () => {
  // chat (interactive) and batch (deadline 1.5 s), one server, 1 s each.
  const files = (trace: string) => ({
    't.csv': `time,tier\n${trace}`,
    's.yaml': `workload:
  arrivals:
    trace: { path: t.csv, time_column: time, columns: { class: tier } }
  classes:
    - { name: chat }
    - { name: batch, priority: 9, deadline: 1.5s }
fleets:
  - { name: cpu, replicas: 1, concurrency: 1, price_per_hour: 1, service_time: 1s, queue: { timeout: 10s } }
`,
  });

  it('run after every waiting interactive request (whatever their priority), and are lost past their deadline', async () => {
    // chat@0 runs 0-1. At 1 s chat@0.2 goes first though batch@0.1 is older and of a higher
    // priority: deadline work ranks below interactive work. batch@0.1 gives up at its deadline,
    // 1.6. batch@1.9 runs 2-3 (deadline 3.4): on time. chat@2.5 runs 3-4, so batch@2.6 starts at 4
    // and finishes at 5, past its deadline 4.1: lost (timed out), its second of service spent.
    const { requests, result } = await run(
      files('0,chat\n0.1,batch\n0.2,chat\n1.9,batch\n2.5,chat\n2.6,batch\n'),
    );
    expect(outcomes(requests)).toEqual([
      'chat@0: completed@1',
      'batch@0.1: timed_out@1.6',
      'chat@0.2: completed@2',
      'batch@1.9: completed@3',
      'chat@2.5: completed@4',
      'batch@2.6: timed_out@5',
    ]);
    expect(result.requests).toMatchObject({ arrived: 6, completed: 4, timed_out: 2, dropped: 0 });
    // The server ran without a break from 0 to 5, the late request's second included.
    expect(result.simulated_s.end).toBe(5);
    expect(result.utilization.cpu).toBeCloseTo(1, 9);
  });

  it('fill the valleys of interactive load: nothing lost, the fleet busier than without them', async () => {
    const scenarioWith = (batch: boolean) => ({
      's.yaml': `duration: 2h
workload:
  classes:
    - name: chat
      arrivals: { poisson: { rate: "2 + 1.5 * sin(2 * pi * t / 3600)" } }
${
  batch
    ? `    - name: nightly
      deadline: 1h
      arrivals: { poisson: { rate: 1 } }
`
    : ''
}fleets:
  - { name: cpu, replicas: 1, concurrency: 8, price_per_hour: 1, service_time: { exponential: { mean: 1s } }, queue: { timeout: 30s } }
`,
    });
    const alone = await run(scenarioWith(false));
    const both = await run(scenarioWith(true));
    expect(both.result.requests.dropped + both.result.requests.timed_out).toBe(0);
    const nightly = both.requests.filter((r) => r.class === 'nightly');
    expect(nightly.length).toBeGreaterThan(6000);
    expect(nightly.every((r) => r.outcome === 'completed')).toBe(true);
    // Load 2 of 8 slots alone, 3 with the nightly work: utilization rises by about an eighth.
    expect(alone.result.utilization.cpu).toBeCloseTo(2 / 8, 1);
    expect(both.result.utilization.cpu - alone.result.utilization.cpu).toBeCloseTo(1 / 8, 1);
  });
});
