import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { readRunOutputs } from '../../src/report/index.js';

/**
 * One spot fleet, autoscaled on a schedule: 1 replica, 3 from 00:05, 1 again from 00:10 (decisions
 * every minute); its replica is reclaimed at 10 s with a 1 s notice while it serves the requests
 * of 0 s and 1 s (60 s each). The variant moves the scale-out to 00:08 and to 2 replicas.
 */
const SCENARIO = `name: elastic-marks
seed: 5
workload:
  arrivals: { trace: { path: arrivals.csv, format: csv, time_column: t } }
fleets:
  - name: gpu
    replicas: { min: 1, max: 3, initial: 1 }
    concurrency: 2
    price_per_hour: 2
    service_time: 60s
    startup: 30s
    autoscaling:
      policy: scheduled
      schedule: [{ at: "00:00", replicas: 1 }, { at: "00:05", replicas: 3 }, { at: "00:10", replicas: 1 }]
    interruption: { trace: reclaim.csv, notice: 1s }
    on_interrupt: requeue
variants:
  - name: late
    set:
      fleets.0.autoscaling.schedule: [{ at: "00:00", replicas: 1 }, { at: "00:08", replicas: 2 }]
`;

async function cli(args: string[], cwd: string) {
  let stderr = '';
  const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stderr };
}

interface TimelineSpec {
  datasets: { events?: { variant: string; time: number; event: string; replicas: string | null }[] };
  vconcat: { mark?: { type: string } }[];
}

describe('capacity events of a run', () => {
  let dir: string;
  let out: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fleetsim-events-'));
    writeFileSync(join(dir, 'scenario.yaml'), SCENARIO);
    writeFileSync(join(dir, 'arrivals.csv'), 't\n0\n1\n900\n');
    writeFileSync(join(dir, 'reclaim.csv'), 'time\n10\n');
    out = join(dir, 'out');
    const { code, stderr } = await cli(
      ['run', 'scenario.yaml', '--out', 'out', '--set', 'report.charts=[timeline]'],
      dir,
    );
    expect(stderr).toMatch(/1 chart\(s\)/);
    expect(code).toBe(0);
  });

  it('writes the scaling decisions, notices and reclaims of each variant to capacity-events.json', () => {
    const file = JSON.parse(readFileSync(join(out, 'capacity-events.json'), 'utf8'));
    expect(file.scenario).toBe('elastic-marks');
    expect(file.seed).toBe(5);
    const reclaim = [
      { time_s: 9, fleet: 'gpu', kind: 'notice' },
      { time_s: 10, fleet: 'gpu', kind: 'reclaim' },
      // The reclaimed replica is not replaced until the next decision brings the fleet back to min.
      { time_s: 60, fleet: 'gpu', kind: 'scale', from: 0, to: 1 },
    ];
    expect(file.variants).toEqual([
      {
        name: 'baseline',
        events: [
          ...reclaim,
          { time_s: 300, fleet: 'gpu', kind: 'scale', from: 1, to: 3 },
          { time_s: 600, fleet: 'gpu', kind: 'scale', from: 3, to: 1 },
        ],
      },
      { name: 'late', events: [...reclaim, { time_s: 480, fleet: 'gpu', kind: 'scale', from: 1, to: 2 }] },
    ]);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.variants[0].instances.gpu.preempted).toBe(1);
    expect(JSON.stringify(summary)).not.toContain('capacity_events');
  });

  it('marks them on the timeline, and fleetsim report draws the same timeline from the files', async () => {
    const specPath = join(out, 'charts/timeline.vl.json');
    const spec = JSON.parse(readFileSync(specPath, 'utf8')) as TimelineSpec;
    expect(spec.vconcat[0].mark?.type).toBe('tick');
    const marks = spec.datasets.events!;
    expect(marks.filter((m) => m.variant === 'baseline').map((m) => [m.time, m.event, m.replicas])).toEqual([
      [9, 'spot notice', null],
      [10, 'spot reclaim', null],
      [60, 'scale out', '0 -> 1'],
      [300, 'scale out', '1 -> 3'],
      [600, 'scale in', '3 -> 1'],
    ]);
    expect(marks.filter((m) => m.variant === 'late')).toHaveLength(4);
    const before = readFileSync(specPath, 'utf8');
    rmSync(join(out, 'charts'), { recursive: true });
    expect((await cli(['report', 'out'], dir)).code).toBe(0);
    expect(readFileSync(specPath, 'utf8')).toBe(before);
    expect(readRunOutputs(out).results.map((r) => r.capacity_events.length)).toEqual([5, 4]);
  });

  it('a run folder from before capacity-events.json is drawn without marks; a damaged file is named', async () => {
    const old = join(dir, 'old');
    expect(
      (await cli(['run', 'scenario.yaml', '--out', 'old', '--quiet', '--set', 'report.charts=[]'], dir)).code,
    ).toBe(0);
    rmSync(join(old, 'capacity-events.json'));
    writeFileSync(join(old, 'report-options.json'), '{ "charts": ["timeline"], "slo": null }\n');
    expect((await cli(['report', 'old'], dir)).code).toBe(0);
    const spec = JSON.parse(readFileSync(join(old, 'charts/timeline.vl.json'), 'utf8')) as TimelineSpec;
    expect(spec.datasets.events).toBeUndefined();
    writeFileSync(join(old, 'capacity-events.json'), '{ "variants": {} }');
    const damaged = await cli(['report', 'old'], dir);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr).toBe(
      'fleetsim: old/capacity-events.json: not a capacity-events.json written by fleetsim run (variants: Invalid input: expected array, received object)\n',
    );
  });
});
