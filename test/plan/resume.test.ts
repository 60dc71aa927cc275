import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { REPLAY_SWEEP, tempDir, writeScenario } from './helpers.js';

const TRACE = readFileSync(
  resolve(import.meta.dirname, '../fixtures/traces/vidur-splitwise-conv-200.csv'),
  'utf8',
).split('\n');

/** The first `requests` requests of the 200-request fixture trace, with its header. */
function trace(requests: number): string {
  return `${TRACE.slice(0, requests + 1).join('\n')}\n`;
}

function arrived(dir: string): number[] {
  const sweep = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  return sweep.rows.map((row: { metrics: Record<string, number> }) => row.metrics['requests.arrived']);
}

const SWEEP = ['sweep', 'scenario.yaml', '--out', 'out', '--workers', '1'];

describe('a sweep rerun into the same folder', () => {
  it('recomputes every point after the trace changes, and reuses them all while nothing does', async () => {
    const dir = tempDir('resume-trace');
    writeScenario(dir, REPLAY_SWEEP);
    writeFileSync(join(dir, 'trace.csv'), trace(200));
    const first = await cli(SWEEP, dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/2 row\(s\): 2 run now, 0 reused/);
    expect(arrived(join(dir, 'out'))).toEqual([200, 200]);
    const firstJson = readFileSync(join(dir, 'out', 'sweep.json'), 'utf8');

    const again = await cli(SWEEP, dir);
    expect(again.stderr).toMatch(/2 row\(s\): 0 run now, 2 reused/);
    expect(readFileSync(join(dir, 'out', 'sweep.json'), 'utf8')).toBe(firstJson);

    writeFileSync(join(dir, 'trace.csv'), trace(50));
    const cut = await cli(SWEEP, dir);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/2 row\(s\): 2 run now, 0 reused/);
    expect(arrived(join(dir, 'out'))).toEqual([50, 50]);

    // Back to the first trace: its points are still there.
    writeFileSync(join(dir, 'trace.csv'), trace(200));
    const back = await cli(SWEEP, dir);
    expect(back.stderr).toMatch(/2 row\(s\): 0 run now, 2 reused/);
    expect(readFileSync(join(dir, 'out', 'sweep.json'), 'utf8')).toBe(firstJson);
  });

  it('recomputes a point whose file was cut short, and writes it whole again', async () => {
    const dir = tempDir('resume-truncated');
    writeScenario(dir, REPLAY_SWEEP);
    writeFileSync(join(dir, 'trace.csv'), trace(80));
    expect((await cli(SWEEP, dir)).code).toBe(0);
    const firstJson = readFileSync(join(dir, 'out', 'sweep.json'), 'utf8');
    const points = join(dir, 'out', 'points');
    const [damaged] = readdirSync(points).sort();
    const whole = readFileSync(join(points, damaged), 'utf8');
    writeFileSync(join(points, damaged), whole.slice(0, Math.floor(whole.length / 2)));

    const resumed = await cli(SWEEP, dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/2 row\(s\): 1 run now, 1 reused/);
    expect(readFileSync(join(points, damaged), 'utf8')).toBe(whole);
    expect(readFileSync(join(dir, 'out', 'sweep.json'), 'utf8')).toBe(firstJson);
  });

  it('plan recomputes its candidates after the trace changes', async () => {
    const dir = tempDir('resume-plan');
    writeScenario(dir, REPLAY_SWEEP);
    writeFileSync(join(dir, 'trace.csv'), trace(200));
    const plan = ['plan', 'scenario.yaml', '--out', 'out', '--no-capacity', '--workers', '1'];
    const first = await cli(plan, dir);
    expect(first.code, first.stderr).toBe(0);
    const [, ran] = first.stderr.match(/(\d+) configuration\(s\): \1 run now, 0 reused/) ?? [];
    expect(Number(ran)).toBeGreaterThan(0);
    expect((await cli(plan, dir)).stderr).toContain(`${ran} configuration(s): 0 run now, ${ran} reused`);
    writeFileSync(join(dir, 'trace.csv'), trace(50));
    const cut = await cli(plan, dir);
    expect(cut.code, cut.stderr).toBe(0);
    expect(cut.stderr).toMatch(/(\d+) configuration\(s\): \1 run now, 0 reused/);
    const best = JSON.parse(readFileSync(join(dir, 'out', 'plan.json'), 'utf8')).best;
    expect(best.metrics['requests.arrived']).toBe(50);
  });
});

describe('merge', () => {
  async function shard(dir: string, scenario: string, index: number): Promise<string> {
    const out = `shard-${scenario}-${index}`;
    const run = await cli(
      ['sweep', `${scenario}.yaml`, '--out', out, '--shard', `${index}/2`, '--workers', '1'],
      dir,
    );
    expect(run.code, run.stderr).toBe(0);
    return out;
  }

  it('refuses shards of scenarios that differ in service time or price, with one line and exit 2', async () => {
    const dir = tempDir('merge-digest');
    writeFileSync(join(dir, 'trace.csv'), trace(40));
    writeScenario(dir, REPLAY_SWEEP, 'a.yaml');
    writeScenario(dir, REPLAY_SWEEP.replace('mean: 200ms', 'mean: 300ms'), 'slower.yaml');
    writeScenario(dir, REPLAY_SWEEP.replace('price_per_hour: 1.5', 'price_per_hour: 2'), 'pricier.yaml');
    const a0 = await shard(dir, 'a', 0);
    const a1 = await shard(dir, 'a', 1);
    expect((await cli(['merge', a0, a1, '--out', 'merged'], dir)).code).toBe(0);
    for (const other of ['slower', 'pricier']) {
      const b1 = await shard(dir, other, 1);
      const { code, stderr } = await cli(['merge', a0, b1, '--out', `merged-${other}`], dir);
      expect(stderr).toBe(
        `fleetsim: ${join(dir, b1, 'sweep.json')}: a shard of another sweep than ${join(dir, a0, 'sweep.json')} (the scenario, a file it reads or the fleetsim version differ)\n`,
      );
      expect(code).toBe(2);
    }
  });

  it('refuses shards run on different contents of the trace', async () => {
    const dir = tempDir('merge-trace');
    writeScenario(dir, REPLAY_SWEEP, 'a.yaml');
    writeFileSync(join(dir, 'trace.csv'), trace(40));
    const a0 = await shard(dir, 'a', 0);
    writeFileSync(join(dir, 'trace.csv'), trace(30));
    const a1 = await shard(dir, 'a', 1);
    const { code, stderr } = await cli(['merge', a0, a1, '--out', 'merged'], dir);
    expect(stderr).toMatch(/^fleetsim: .*shard-a-1\/sweep\.json: a shard of another sweep than .*\n$/);
    expect(code).toBe(2);
  });

  it('reports a shard sweep.json cut short in one line with exit 2', async () => {
    const dir = tempDir('merge-truncated');
    writeScenario(dir, REPLAY_SWEEP, 'a.yaml');
    writeFileSync(join(dir, 'trace.csv'), trace(40));
    const a0 = await shard(dir, 'a', 0);
    const a1 = await shard(dir, 'a', 1);
    const path = join(dir, a1, 'sweep.json');
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, Math.floor(text.length / 3)));
    const { code, stderr } = await cli(['merge', a0, a1, '--out', 'merged'], dir);
    expect(stderr).toMatch(
      new RegExp(
        `^fleetsim: ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a complete sweep\\.json \\([^\\n]+\\); rerun the shard, it resumes\\n$`,
      ),
    );
    expect(code).toBe(2);
  });
});
