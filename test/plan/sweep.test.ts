import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Interrupted, mergeSweepDirs, runSweep } from '../../src/plan/index.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { cli } from '../helpers/cli.js';
import { tempDir, writeScenario } from './helpers.js';

/** Two swept keys, a variant and two replications: every part of a row that sharding could disturb. */
const SWEEP = `name: small
seed: 4
duration: 300
warmup: 20
workload:
  arrivals: { poisson: { rate: 5 } }
  output_tokens: { uniform: { min: 10, max: 200 } }
fleets:
  - name: gpu
    replicas: 1
    concurrency: 2
    price_per_hour: 1.5
    service_time: "50ms + 2ms * output_tokens"
slo: { latency_p99: 1500ms, max_drop_rate: 0.01 }
sweep:
  grid:
    fleets.0.concurrency: "2..4"
    fleets.0.replicas: [1, 2]
variants:
  - { name: spiky, set: { workload.arrivals: { gamma: { rate: 5, cv: 2 } } } }
`;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('fleetsim sweep', () => {
  it('has one row per point and variant, each equal to a plain run of that point', async () => {
    const dir = tempDir('sweep-rows');
    const scenario = writeScenario(dir, SWEEP);
    const { result } = await runSweep({ scenario, outDir: join(dir, 'out'), workers: 1 });
    expect(result.points).toBe(6);
    expect(result.rows.map((row) => [row.point, row.variant])).toEqual(
      [0, 1, 2, 3, 4, 5].flatMap((point) => [
        [point, 'baseline'],
        [point, 'spiky'],
      ]),
    );
    // Point 3 is concurrency 3, replicas 2 (the last key varies fastest).
    const row = result.rows.find((r) => r.point === 3 && r.variant === 'spiky')!;
    expect(row.params).toEqual({ 'fleets.0.concurrency': 3, 'fleets.0.replicas': 2 });
    const loaded = await loadScenarioFile(scenario, {
      set: ['fleets.0.concurrency=3', 'fleets.0.replicas=2'],
    });
    if (!loaded.ok) throw new Error('point does not load');
    const plain = runLoadedScenario(loaded.value).summary.variants[1];
    expect(row.metrics['latency_s.p99']).toBe(plain.latency_s.p99);
    expect(row.metrics['cost_usd.total']).toBe(plain.cost_usd.total);
    expect(row.metrics['requests.completed']).toBe(plain.requests.completed);
    expect(row.meets_slo).toBe(plain.latency_s.p99! <= 1.5 && row.metrics.drop_rate! <= 0.01);
    expect(row.ci95).toBeNull();
    // Common random numbers: every point of a variant sees the same arrivals.
    const arrivals = new Set(
      result.rows.filter((r) => r.variant === 'spiky').map((r) => r.metrics['requests.arrived']),
    );
    expect(arrivals.size).toBe(1);
  });

  it('marks the cost vs p99 Pareto frontier of the rows that meet the objective', async () => {
    const dir = tempDir('sweep-pareto');
    const { result } = await runSweep({ scenario: writeScenario(dir, SWEEP), outDir: dir, workers: 1 });
    const cost = (r: (typeof result.rows)[number]) => r.metrics['cost_usd.total'] as number;
    const p99 = (r: (typeof result.rows)[number]) => r.metrics['latency_s.p99'] as number;
    const passing = result.rows.filter((row) => row.meets_slo);
    for (const row of result.rows) {
      const dominated = passing.some(
        (other) =>
          cost(other) <= cost(row) &&
          p99(other) <= p99(row) &&
          (cost(other) < cost(row) || p99(other) < p99(row)),
      );
      expect(row.pareto, `point ${row.point} ${row.variant}`).toBe(row.meets_slo === true && !dominated);
    }
    expect(result.rows.some((row) => row.pareto)).toBe(true);
    // The grid holds configurations on both sides of the objective, so the rule above is tested.
    expect(new Set(result.rows.map((row) => row.meets_slo))).toEqual(new Set([true, false]));
  });

  it('merged shards are byte-identical to the unsharded sweep', async () => {
    const dir = tempDir('sweep-shards');
    const scenario = writeScenario(dir, SWEEP);
    const whole = join(dir, 'whole');
    await runSweep({ scenario, outDir: whole, replications: 2, workers: 1 });
    const shards = [0, 1, 2].map((index) => join(dir, `shard-${index}`));
    for (const [index, outDir] of shards.entries()) {
      const { result } = await runSweep({
        scenario,
        outDir,
        replications: 2,
        workers: 1,
        shard: { index, count: 3 },
      });
      expect(result.rows.every((row) => row.point % 3 === index)).toBe(true);
    }
    // Out of order on purpose: merge puts rows back in point order.
    mergeSweepDirs([shards[2], shards[0], shards[1]], join(dir, 'merged'));
    for (const file of ['sweep.json', 'sweep.csv']) {
      expect(readFileSync(join(dir, 'merged', file), 'utf8')).toBe(readFileSync(join(whole, file), 'utf8'));
    }
    const merged = JSON.parse(readFileSync(join(dir, 'merged', 'sweep.json'), 'utf8'));
    expect(merged.rows[0].ci95['latency_s.p99']).toBeGreaterThan(0);
    expect(() => mergeSweepDirs([shards[0], shards[2]], join(dir, 'bad'))).toThrow(/missing shard\(s\) 1\/3/);
    expect(() => mergeSweepDirs([shards[0], shards[0], shards[1]], join(dir, 'bad'))).toThrow(
      /shard 0\/3 again/,
    );
  });

  it('an interrupted sweep keeps only whole point files, and the rerun recomputes none of them', async () => {
    const dir = tempDir('sweep-resume');
    const scenario = writeScenario(dir, SWEEP);
    const outDir = join(dir, 'out');
    const controller = new AbortController();
    const interrupted = runSweep({
      scenario,
      outDir,
      workers: 1,
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 5) controller.abort();
      },
    });
    await expect(interrupted).rejects.toThrow(Interrupted);
    const saved = filesUnder(outDir);
    expect(saved.every((path) => path.startsWith(join(outDir, 'points')) && path.endsWith('.json'))).toBe(
      true,
    );
    expect(saved).toHaveLength(5);
    for (const path of saved) expect(JSON.parse(readFileSync(path, 'utf8')).runs).toHaveLength(1);

    const resumed = await runSweep({ scenario, outDir, workers: 1 });
    expect(resumed.reused).toBe(5);
    expect(resumed.computed).toBe(12 - 5);
    const fresh = join(dir, 'fresh');
    await runSweep({ scenario, outDir: fresh, workers: 1 });
    expect(readFileSync(join(outDir, 'sweep.json'), 'utf8')).toBe(
      readFileSync(join(fresh, 'sweep.json'), 'utf8'),
    );

    // A changed scenario does not reuse stale points.
    const changed = await runSweep({ scenario, outDir, workers: 1, set: ['duration=200'] });
    expect(changed.reused).toBe(0);
  });

  it('random and Latin-hypercube sampling draw distinct grid points, the same for the same seed', async () => {
    const dir = tempDir('sweep-sampling');
    const scenario = writeScenario(
      dir,
      SWEEP.replace('"2..4"', '"1..8"')
        .replace('[1, 2]', '"1..8"')
        .replace(/variants:[\s\S]*$/, ''),
    );
    for (const sampling of ['random', 'latin-hypercube'] as const) {
      const first = await runSweep({
        scenario,
        outDir: join(dir, sampling),
        workers: 1,
        sampling,
        points: 8,
      });
      const again = await runSweep({
        scenario,
        outDir: join(dir, `${sampling}-again`),
        workers: 1,
        sampling,
        points: 8,
      });
      const params = first.result.rows.map((row) => JSON.stringify(row.params));
      expect(again.result.rows.map((row) => JSON.stringify(row.params))).toEqual(params);
      expect(new Set(params).size).toBe(params.length);
      if (sampling === 'random') expect(params).toHaveLength(8);
      else {
        // Eight strata over eight levels: every level of each key exactly once.
        for (const key of ['fleets.0.concurrency', 'fleets.0.replicas']) {
          expect(first.result.rows.map((row) => row.params[key]).sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        }
      }
      const other = await runSweep({
        scenario,
        outDir: join(dir, `${sampling}-seed`),
        workers: 1,
        sampling,
        points: 8,
        seed: 99,
      });
      expect(other.result.rows.map((row) => JSON.stringify(row.params))).not.toEqual(params);
    }
  });
});

describe('fleetsim sweep, plan and merge on the command line', () => {
  it('writes sweep.json and sweep.csv and prints a table', async () => {
    const dir = tempDir('cli-sweep');
    writeScenario(dir, SWEEP);
    const { code, stdout, stderr } = await cli(
      ['sweep', 'scenario.yaml', '--out', 'out', '--grid', 'fleets.0.replicas=[2]', '--workers', '1'],
      dir,
    );
    expect(stderr).toMatch(/6 row\(s\): 6 run now, 0 reused/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^point\s+variant\s+fleets\.0\.concurrency\s+fleets\.0\.replicas\s+p99/);
    const csv = readFileSync(join(dir, 'out', 'sweep.csv'), 'utf8')
      .trim()
      .split('\n');
    expect(csv).toHaveLength(1 + 6);
    expect(csv[0]).toMatch(
      /^point,variant,fleets\.0\.concurrency,fleets\.0\.replicas,status,meets_slo,met_share,met_share_ci95_low,met_share_ci95_high,model_draws,pareto,requests\.arrived,.*,warnings,reason$/,
    );
    // One replication: no P(SLO) to estimate, so its cells are empty.
    expect(csv[1]).toMatch(/^0,baseline,2,2,ok,(true|false),,,,,(true|false),\d+,.*,$/);
  });

  it('plan writes plan.json with the best candidate', async () => {
    const dir = tempDir('cli-plan');
    writeScenario(dir, SWEEP);
    const { code, stdout, stderr } = await cli(
      [
        'plan',
        'scenario.yaml',
        '--out',
        'out',
        '--vary',
        'fleets.0.concurrency=[2, 4]',
        '--no-capacity',
        '--workers',
        '1',
      ],
      dir,
    );
    expect(code).toBe(0);
    expect(stderr).toMatch(/best: fleets\.0\.concurrency=\d, fleets\.0\.replicas=\d \(variant \w+\)/);
    expect(stdout).toMatch(/^rank\s+variant\s+fleets\.0\.concurrency/);
    const plan = JSON.parse(readFileSync(join(dir, 'out', 'plan.json'), 'utf8'));
    expect(plan.best.meets_slo).toBe(true);
    expect(plan.search).toEqual({
      key: 'fleets.0.replicas',
      values: [1, 2],
      choices: [{ path: 'fleets.0.concurrency', values: [2, 4] }],
      variants: ['baseline', 'spiky'],
    });
    expect(plan.candidates).toHaveLength(4);
  });

  it('reports bad input as one line each with exit code 2', async () => {
    const dir = tempDir('cli-errors');
    writeScenario(dir, SWEEP);
    writeScenario(dir, SWEEP.replace('fleets.0.replicas: [1, 2]', 'fleets.0.replica: [1, 2]'), 'typo.yaml');
    writeScenario(dir, SWEEP.replace('fleets.0.replicas: [1, 2]', 'fleets.0.replicas: [1, 0]'), 'zero.yaml');
    writeScenario(dir, SWEEP.replace('"2..4"', '"4..2"'), 'range.yaml');
    writeScenario(dir, SWEEP.replace('[1, 2]', '[1, 2]\n  sampling: random'), 'sampling.yaml');
    writeScenario(dir, SWEEP.replace(/slo:.*\n/, ''), 'no-slo.yaml');
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    mkdirSync(join(dir, 'piped'));
    execFileSync('mkfifo', [join(dir, 'piped', 'sweep.json')]);
    // A row as a shard writes it, then edited by hand: a metric as text, and metrics null.
    const row = {
      point: 0,
      variant: 'baseline',
      params: { 'fleets.0.replicas': 1 },
      status: 'ok',
      reason: null,
      meets_slo: true,
      pareto: false,
      replications: 1,
      metrics: { 'latency_s.p99': 'NaN' },
      ci95: null,
      slo: null,
      model_draws: false,
      warnings: [],
      performance: {},
    };
    for (const [name, rows] of [
      ['edited', [row]],
      ['nulled', [{ ...row, metrics: null }]],
      // Its objectives where `default` stood: the chart's missed-objective text failed inside.
      ['swapped', [{ ...row, metrics: {}, slo: { met: false, default: [], objectives: false } }]],
      // sweep.md has a column per swept key: a row without its value failed writing it.
      ['unvalued', [{ ...row, metrics: {}, params: {} }]],
      [
        'unsourced',
        [
          {
            ...row,
            metrics: {},
            performance: { gpu: { source: 'x', accelerator: null, detail: '', caveat: null } },
          },
        ],
      ],
      [
        'twice',
        [
          { ...row, metrics: {} },
          { ...row, metrics: {} },
        ],
      ],
    ] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(
        join(dir, name, 'sweep.json'),
        JSON.stringify({
          rows,
          points: 2,
          parameters: [{ path: 'fleets.0.replicas', values: [1, 2] }],
          shard: { index: 0, count: 2, digest: 'x' },
        }),
      );
    }
    mkdirSync(join(dir, 'tampered'));
    writeFileSync(
      join(dir, 'tampered', 'sweep.json'),
      JSON.stringify({ rows: [], shard: { index: 0, count: 1e20, digest: 'x' } }),
    );
    const cases: [string[], string][] = [
      [
        ['sweep', 'typo.yaml', '--out', 'o'],
        'typo.yaml:18:5: sweep.grid["fleets.0.replica"]: unknown key "replica" in fleets[0]; did you mean "replicas"?\n',
      ],
      [
        ['sweep', 'zero.yaml', '--out', 'o'],
        'zero.yaml:18:28: fleets[0].replicas: expected a positive integer (value 0)\n',
      ],
      [
        ['sweep', 'range.yaml', '--out', 'o'],
        'range.yaml:17:27: sweep.grid.fleets.0.concurrency: expected low..high with low <= high, got "4..2"\n',
      ],
      [['sweep', 'sampling.yaml', '--out', 'o'], 'sampling.yaml:16:3: sweep: sampling random needs points\n'],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--grid', 'fleets.0.concurrency=[1, x'],
        '--grid:1:27: cannot parse the values: flow sequence must end with a ]\n',
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--grid', 'fleets.0.queue.size=[1]'],
        '--grid:1:1: fleets.0.queue.size: unknown key "size" in fleets[0].queue; expected one of: capacity, timeout\n',
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--shard', '3/3'],
        'fleetsim: --shard: expected K/N with 0 <= K < N <= 20,000 (e.g. 0/4), got "3/3"\n',
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--workers', '0'],
        'fleetsim: --workers: expected a positive integer, got "0"\n',
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--points', '3'],
        'fleetsim: --points applies only with sampling random or latin-hypercube\n',
      ],
      [
        ['plan', 'no-slo.yaml', '--out', 'o'],
        'fleetsim: plan needs an slo: section in the scenario (or --set slo.latency_p99=2s)\n',
      ],
      [
        ['plan', 'scenario.yaml', '--out', 'o', '--set', 'sweep.grid={ workload.scale: [1, 2] }'],
        expect.stringMatching(/^fleetsim: plan: vary the replicas of a fleet/),
      ],
      [
        ['merge', 'nowhere', '--out', 'o'],
        expect.stringMatching(/^fleetsim: .*nowhere\/sweep\.json: not found/),
      ],
      // A pipe would block every read for ever: refused before reading, as scenario and as shard.
      [
        ['sweep', 'fifo.yaml', '--out', 'o'],
        expect.stringMatching(/^fifo\.yaml:1:1: not a file: \/.*fifo\.yaml\n$/),
      ],
      [['diff', 'scenario.yaml', 'fifo.yaml'], expect.stringMatching(/^fifo\.yaml:1:1: not a file: /)],
      [
        ['merge', 'piped', '--out', 'o'],
        expect.stringMatching(/^fleetsim: .*piped\/sweep\.json: not a file\n$/),
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--grid', 'fleets.0.replicas=&a [*a]'],
        '--grid:1:23: cannot parse the values: an alias inside the value it names makes it endless; write the value out\n',
      ],
      [
        ['merge', 'edited', '--out', 'o'],
        expect.stringMatching(
          /^fleetsim: .*edited\/sweep\.json: not a sweep\.json written by fleetsim sweep \(rows\[0\]\.metrics\.latency_s\.p99: .*\); rerun the shard, it resumes\n$/,
        ),
      ],
      [
        ['merge', 'nulled', '--out', 'o'],
        expect.stringMatching(
          /^fleetsim: .*nulled\/sweep\.json: not a sweep\.json written by fleetsim sweep \(rows\[0\]\.metrics: .*\)/,
        ),
      ],
      [
        ['merge', 'swapped', '--out', 'o'],
        expect.stringMatching(
          /^fleetsim: .*swapped\/sweep\.json: not a sweep\.json written by fleetsim sweep \(rows\[0\]\.slo\.default: Invalid input: expected boolean, received array\)/,
        ),
      ],
      [
        ['merge', 'unvalued', '--out', 'o'],
        expect.stringMatching(/\(rows\[0\]\.params: no value of fleets\.0\.replicas\)/),
      ],
      [
        ['merge', 'unsourced', '--out', 'o'],
        expect.stringMatching(/\(rows\[0\]\.performance\.gpu\.source: Invalid option: expected one of /),
      ],
      [['merge', 'twice', '--out', 'o'], expect.stringMatching(/\(rows\[1\]: point 0, baseline again\)/)],
      [
        ['merge', 'tampered', '--out', 'o'],
        expect.stringMatching(
          /^fleetsim: .*tampered\/sweep\.json: not a sweep\.json written by fleetsim sweep \(shard 0\/100000000000000000000\)/,
        ),
      ],
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--shard', '0/20001'],
        'fleetsim: --shard: expected K/N with 0 <= K < N <= 20,000 (e.g. 0/4), got "0/20001"\n',
      ],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await cli(args, dir);
      expect(stderr, args.join(' ')).toEqual(message);
      expect(code, args.join(' ')).toBe(2);
    }
    expect(existsSync(join(dir, 'o', 'sweep.json'))).toBe(false);
  });
});
