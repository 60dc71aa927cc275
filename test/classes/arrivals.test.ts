import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStreams, Engine } from '../../src/engine/index.js';
import { runScenario } from '../../src/run.js';
import { loadScenarioText } from '../../src/scenario/load.js';
import { Arrivals } from '../../src/sim/arrivals.js';
import { PRIORITIES } from '../../src/sim/events.js';
import type { RequestRecord } from '../../src/workload/index.js';
import { cli } from '../helpers/cli.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-classes-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function requestsOf(dir: string, file = 's.yaml'): Promise<RequestRecord[]> {
  const requests: RequestRecord[] = [];
  await runScenario(join(dir, file), { onRequest: (r) => requests.push(r) });
  return requests;
}

// A fleet with room for every request at once: arrivals and sizes are all that differ.
const FLEET = `fleets:
  - { name: cpu, replicas: 1, concurrency: 10000, price_per_hour: 1, service_time: "1ms * input_tokens" }
`;

const CHAT = `    - name: chat
      arrivals: { poisson: { rate: 5 } }
      input_tokens: { lognormal: { median: 300, sigma: 0.7 } }
`;
const BATCH = `    - name: batch
      priority: 3
      arrivals: { gamma: { rate: 2, cv: 2 } }
      input_tokens: { exponential: { mean: 2000 } }
`;

describe('request classes: arrivals', () => {
  it("adding a class leaves another class's arrival times and sizes exactly as they were", async () => {
    const alone = await requestsOf(
      folder({ 's.yaml': `duration: 10m\nworkload:\n  classes:\n${CHAT}${FLEET}` }),
    );
    const both = await requestsOf(
      folder({ 's.yaml': `duration: 10m\nworkload:\n  classes:\n${BATCH}${CHAT}${FLEET}` }),
    );
    const chat = (rs: RequestRecord[]) =>
      rs
        .filter((r) => r.class === undefined || r.class === 'chat')
        .map((r) => [r.arrival, r.input_tokens])
        .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(alone.length).toBeGreaterThan(2500);
    // One class: records name none, as without classes.
    expect(alone.every((r) => !('class' in r))).toBe(true);
    expect(both.some((r) => r.class === 'batch')).toBe(true);
    expect(chat(both)).toEqual(chat(alone));
  });

  it('merges the classes in time order, each request with its class and priority', async () => {
    const dir = folder({ 's.yaml': `duration: 10m\nworkload:\n  classes:\n${CHAT}${BATCH}${FLEET}` });
    const scenario = (await loadScenarioText(
      `duration: 10m\nworkload:\n  classes:\n${CHAT}${BATCH}${FLEET}`,
      join(dir, 's.yaml'),
    )) as { ok: true; value: { variants: { scenario: import('../../src/scenario/types.js').Scenario }[] } };
    expect(scenario.ok).toBe(true);
    const arrivals = new Arrivals(scenario.value.variants[0].scenario, createStreams(1));
    const seen = [0, 0];
    const priorities = new Set<string>();
    let previous = 0;
    const engine: Engine = new Engine(
      {
        handle: (_kind, _slot, _gen, now) => {
          expect(now).toBeGreaterThanOrEqual(previous);
          previous = now;
          arrivals.take();
          seen[arrivals.classIndex]++;
          priorities.add(`${arrivals.classIndex}:${arrivals.priority}`);
          if (!arrivals.next(engine, now)) engine.stop();
        },
      },
      PRIORITIES,
    );
    expect(arrivals.first(engine)).toBe(true);
    engine.run();
    expect([...priorities].sort()).toEqual(['0:0', '1:3']);
    // 5/s and 2/s for 600 s, each within 5 standard deviations (gamma cv 2: variance 4 x the Poisson's).
    expect(Math.abs(seen[0] - 3000)).toBeLessThan(5 * Math.sqrt(3000));
    expect(Math.abs(seen[1] - 1200)).toBeLessThan(5 * 2 * Math.sqrt(1200));
  });

  it("a trace's class column hands each row to the class it names", async () => {
    const dir = folder({
      't.csv': 'time,tier,in\n0,chat,10\n0.5,batch,100\n1,chat,20\n2,batch,200\n',
      's.yaml': `workload:
  arrivals:
    trace: { path: t.csv, time_column: time, columns: { class: tier, input_tokens: in } }
  classes:
    - name: chat
    - name: batch
      output_tokens: 7
${FLEET}`,
    });
    const requests = await requestsOf(dir);
    expect(requests.map((r) => [r.arrival, r.class, r.input_tokens, r.output_tokens])).toEqual([
      [0, 'chat', 10, 0],
      [0.5, 'batch', 100, 7],
      [1, 'chat', 20, 0],
      [2, 'batch', 200, 7],
    ]);
  });

  it('a class value no class has is one located line with the nearest name, exit code 2', async () => {
    const dir = folder({
      't.csv': 'time,tier\n0,chat\n0.5,bach\n',
      's.yaml': `workload:
  arrivals:
    trace: { path: t.csv, time_column: time, columns: { class: tier } }
  classes:
    - name: chat
    - name: batch
${FLEET}`,
    });
    const { code, stdout, stderr } = await cli(['run', 's.yaml', '--out', 'out'], dir);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      't.csv:3:2: column "tier": expected a class of workload.classes, got "bach"; did you mean "batch"?\n',
    );
    expect(code).toBe(2);
  });

  it('duplicate names, a class without arrivals and keys that belong in a class are located errors', async () => {
    const dir = folder({
      's.yaml': `duration: 1m
workload:
  input_tokens: 5
  classes:
    - name: chat
      arrivals: { constant: { rate: 1 } }
    - name: chat
      arrivals: { constant: { rate: 1 } }
    - name: batch
${FLEET}`,
    });
    const { code, stderr } = await cli(['validate', 's.yaml'], dir);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      's.yaml:3:17: workload.input_tokens: with `classes`, give it in each class that needs it (each class draws its own)',
      's.yaml:7:13: workload.classes[1].name: duplicate class name "chat" (also workload.classes[0])',
      "s.yaml:9:7: workload.classes[2]: needs `arrivals` (or the workload's `arrivals.trace` with `columns.class` naming its rows)",
    ]);
    expect(code).toBe(2);
  });

  it('a class column without classes is a located error', async () => {
    const dir = folder({
      't.csv': 'time,tier\n0,chat\n',
      's.yaml': `workload:
  arrivals:
    trace: { path: t.csv, time_column: time, columns: { class: tier } }
${FLEET}`,
    });
    const { code, stderr } = await cli(['validate', 's.yaml'], dir);
    expect(stderr).toBe(
      's.yaml:3:64: workload.arrivals.trace.columns.class: a class column needs `workload.classes` to name the classes\n',
    );
    expect(code).toBe(2);
  });

  it('synthetic classes need a duration; classes that all replay traces do not', async () => {
    const dir = folder({ 's.yaml': `workload:\n  classes:\n${CHAT}${FLEET}` });
    const { code, stderr } = await cli(['validate', 's.yaml'], dir);
    expect(stderr).toMatch(/^s\.yaml:\d+:\d+: duration: required unless every class replays a trace\n$/);
    expect(code).toBe(2);
  });
});
