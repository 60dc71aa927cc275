import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/run.js';
import type { RequestRecord } from '../../src/workload/index.js';
import { cli } from '../helpers/cli.js';

// Three turns 10 s apart: system prompt 100, first message 50, later messages 20, answers 30.
// Service takes 1 ms per input token, on a fleet with room for every request at once.
const SCENARIO = `duration: 10m
workload:
  arrivals:
    sessions:
      rate: 0.5
      turns: 3
      system_prompt_tokens: 100
      first_message_tokens: 50
      message_tokens: 20
      output_tokens: 30
      think_time: 10s
fleets:
  - name: cpu
    replicas: 1
    concurrency: 1000
    price_per_hour: 1
    service_time: "1ms * input_tokens"
`;

describe('sessions arrivals in a run', () => {
  it('each turn reaches the fleet with the conversation so far as its input tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-sessions-'));
    writeFileSync(join(dir, 's.yaml'), SCENARIO);
    const requests: RequestRecord[] = [];
    await runScenario(join(dir, 's.yaml'), { onRequest: (r) => requests.push(r) });
    const count = (input: number) => requests.filter((r) => r.input_tokens === input).length;
    // 150, then + 30 + 20 per turn; only sessions cut by the end lack their later turns.
    expect(count(150) + count(200) + count(250)).toBe(requests.length);
    expect(count(150)).toBeGreaterThanOrEqual(count(200));
    expect(count(200)).toBeGreaterThanOrEqual(count(250));
    expect(count(150) - count(250)).toBeLessThanOrEqual(count(150) * 0.1);
    // About 0.5 * 600 = 300 sessions of 3 turns (4 standard deviations: 69 sessions).
    expect(Math.abs(count(150) - 300)).toBeLessThan(4 * Math.sqrt(300));
    for (const r of requests) {
      expect(r.output_tokens).toBe(30);
      expect((r.finish as number) - r.arrival).toBeCloseTo((r.input_tokens as number) / 1000, 5);
    }
  });

  it('a bad key is one located line and exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-sessions-'));
    writeFileSync(join(dir, 's.yaml'), SCENARIO.replace('turns: 3', 'turns: 0'));
    const { code, stdout, stderr } = await cli(['run', 's.yaml', '--out', 'out'], dir);
    expect(stdout).toBe('');
    expect(stderr).toBe('s.yaml:6:14: workload.arrivals.sessions.turns: expected at least 1 turn\n');
    expect(code).toBe(2);
  });
});
