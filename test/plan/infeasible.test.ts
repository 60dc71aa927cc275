import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleSweepCharts } from '../../src/plan/charts.js';
import { mergeSweeps, renderPlanTable, renderSweepTable, runPlan, runSweep } from '../../src/plan/index.js';
import { cli } from '../helpers/cli.js';
import { mmcScenario, tempDir, writeScenario } from './helpers.js';

/**
 * Llama-3.1-70B in bf16 on a grid of instance types. By hand: 70.6e9 parameters x 2 bytes =
 * 131.5 GiB of weights. aws/g6e.xlarge has one 45 GiB L40S, 40.5 GiB usable at the default
 * gpu_memory_utilization of 0.9, and aws/g5.xlarge one 24 GB A10G: neither holds the weights.
 * aws/p4d.24xlarge has eight 40 GiB A100s, 288 GiB usable: it does. The scenario as written runs
 * on the p4d, so it is valid on its own.
 */
const WEIGHTS_GIB = ((70.6e9 * 2) / 2 ** 30).toFixed(1);
const L40S_USABLE_GIB = (45 * 0.9).toFixed(1);
// vLLM V1's profiling pass peaks in the sampler: 256 sequences x 128256 logits x 38 bytes while
// it sorts, next to the (2048 + 256) x 8192 16-bit hidden states; 0.16 GiB loads outside PyTorch.
const PROFILING_GIB = ((256 * 128_256 * 38 + (2048 + 256) * 8192 * 2) / 2 ** 30 + 0.16).toFixed(1);
const L40S_REASON = `fleets[0].instance: Llama-3.1-70B needs ${WEIGHTS_GIB} GiB for its weights and ${PROFILING_GIB} GiB for the activations of vLLM V1's profiling pass (max_num_batched_tokens 2048, max_num_seqs 256) and memory outside PyTorch; 1 x NVIDIA L40S leave ${L40S_USABLE_GIB} GiB at gpu_memory_utilization 0.9: no room for a KV cache`;

function llmGrid(instances: string, extra = ''): string {
  return `name: llm-grid
seed: 3
duration: 1m
warmup: 10s
workload:
  arrivals: { poisson: { rate: 0.5 } }
  input_tokens: { constant: 200 }
  output_tokens: { constant: 50 }
model:
  llm: { preset: Llama-3.1-70B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    instance: aws/p4d.24xlarge
    batching: { policy: continuous }
slo: { latency_p99: 30s }
sweep:
  grid:
    fleets.0.instance: ${instances}
    fleets.0.replicas: [1, 2]
${extra}`;
}

describe('a sweep or plan over a grid with an instance the model does not fit', () => {
  it('records those points as infeasible with the reason, runs the others, and the plan picks a feasible one', async () => {
    const dir = tempDir('infeasible');
    const scenario = writeScenario(dir, llmGrid('[aws/g6e.xlarge, aws/p4d.24xlarge]'));
    const { result, computed } = await runSweep({ scenario, outDir: join(dir, 'sweep'), workers: 1 });

    expect(result.rows.map((row) => [row.params['fleets.0.instance'], row.status])).toEqual([
      ['aws/g6e.xlarge', 'infeasible'],
      ['aws/g6e.xlarge', 'infeasible'],
      ['aws/p4d.24xlarge', 'ok'],
      ['aws/p4d.24xlarge', 'ok'],
    ]);
    // Only the two feasible points were simulated.
    expect(computed).toBe(2);
    for (const row of result.rows.slice(0, 2)) {
      expect(row.reason).toBe(L40S_REASON);
      expect(row.metrics).toEqual({});
      expect(row.meets_slo).toBe(false);
      expect(row.pareto).toBe(false);
      expect(row.slo).toBeNull();
    }
    for (const row of result.rows.slice(2)) {
      expect(row.reason).toBeNull();
      expect(row.metrics['requests.completed']).toBeGreaterThan(0);
      // Every request completes well within 30 s at one request every two seconds.
      expect(row.meets_slo).toBe(true);
    }

    const csv = readFileSync(join(dir, 'sweep', 'sweep.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = csv[0].split(',');
    expect(header.slice(0, 5)).toEqual([
      'point',
      'variant',
      'fleets.0.instance',
      'fleets.0.replicas',
      'status',
    ]);
    expect(header.at(-1)).toBe('reason');
    // An infeasible row has no P(SLO): its four cells (share, interval, draws) are empty.
    expect(csv[1]).toMatch(/^0,baseline,aws\/g6e\.xlarge,1,infeasible,false,,,,,false,,/);
    // The reason holds a comma: the cell is quoted.
    expect(csv[1].endsWith(`,"${L40S_REASON}"`)).toBe(true);
    expect(csv[3]).toMatch(/^2,baseline,aws\/p4d\.24xlarge,1,ok,true,/);
    expect(csv[3].endsWith(',')).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, 'sweep', 'sweep.json'), 'utf8'));
    expect(json.rows[0]).toMatchObject({ status: 'infeasible', reason: L40S_REASON, meets_slo: false });
    expect(json.rows[2]).toMatchObject({ status: 'ok', reason: null, meets_slo: true });

    const table = renderSweepTable(result).split('\n');
    expect(table[2]).toMatch(/^0\s+aws\/g6e\.xlarge\s+1\s+-\s+-\s+-\s+-\s+infeasible$/);
    expect(table[4]).toMatch(/^2\s+aws\/p4d\.24xlarge\s+1\s.*\smet$/);
    expect(table[6]).toBe(
      `infeasible, skipped: sweep point fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=1 and 1 more: ${L40S_REASON}`,
    );

    // The charts draw only the configurations that ran, and say the others were left out.
    for (const chart of assembleSweepCharts(result)) {
      const spec = chart.spec as {
        title: { subtitle: string[] };
        data?: { values: object[] };
        layer: { data?: { values: { configuration: string }[] } }[];
      };
      const values = (spec.data?.values ?? spec.layer.flatMap((layer) => layer.data?.values ?? [])) as {
        configuration: string;
      }[];
      expect(values.length, chart.name).toBeGreaterThan(0);
      for (const value of values) expect(value.configuration).toMatch(/p4d/);
      expect(spec.title.subtitle.at(-1), chart.name).toMatch(
        /2 infeasible configuration\(s\), which cannot run at all, are left out/,
      );
    }

    const plan = await runPlan({ scenario, outDir: join(dir, 'plan'), workers: 1, capacity: false });
    expect(plan.result.best?.params).toEqual({
      'fleets.0.instance': 'aws/p4d.24xlarge',
      'fleets.0.replicas': 1,
    });
    expect(plan.result.best?.status).toBe('ok');
    // The plan's own run of the configuration it picked equals the sweep's run of it.
    expect(plan.result.best?.metrics).toEqual(result.rows[2].metrics);
    const last = plan.result.candidates.at(-1)!;
    expect(plan.result.candidates).toHaveLength(2);
    expect(last).toMatchObject({
      params: { 'fleets.0.instance': 'aws/g6e.xlarge', 'fleets.0.replicas': 2 },
      status: 'infeasible',
      reason: L40S_REASON,
      meets_slo: false,
      cost_usd_per_hour: null,
      slo: null,
      max_sustainable: null,
    });
    const planJson = JSON.parse(readFileSync(join(dir, 'plan', 'plan.json'), 'utf8'));
    expect(planJson.candidates.map((entry: { status: string }) => entry.status)).toEqual([
      'ok',
      'infeasible',
    ]);
    const planTable = renderPlanTable(plan.result).split('\n');
    expect(planTable[2]).toMatch(/^1\s+aws\/p4d\.24xlarge\s+1\s.*\smet$/);
    expect(planTable[3]).toMatch(/^-\s+aws\/g6e\.xlarge\s+2\s+-\s+-\s+-\s+-\s+infeasible$/);
    expect(planTable[4]).toBe(
      `infeasible, skipped: candidate fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=2: ${L40S_REASON}`,
    );
  });

  it('exits 2 with one line when no point can run, in sweep, plan and validate alike', async () => {
    const dir = tempDir('infeasible-all');
    writeScenario(dir, llmGrid('[aws/g6e.xlarge, aws/g5.xlarge]'));
    // Line 19, column 25: the first value of fleets.0.instance in the grid, the one the first reason is about.
    const first = `sweep point fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=1: ${L40S_REASON} (and 1 other reason(s))`;
    const cases: [string[], string][] = [
      [
        ['sweep', 'scenario.yaml', '--out', 'o', '--workers', '1'],
        `scenario.yaml:19:25: all 4 configurations of the sweep are infeasible; ${first}\n`,
      ],
      [
        ['plan', 'scenario.yaml', '--out', 'o', '--workers', '1', '--no-capacity'],
        `scenario.yaml:19:25: all 2 candidates of the plan are infeasible; candidate fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=2: ${L40S_REASON} (and 1 other reason(s))\n`,
      ],
      [
        ['validate', 'scenario.yaml'],
        `scenario.yaml:19:25: all 4 configurations of the sweep are infeasible; sweep points (2 of 4) with fleets.0.instance="aws/g6e.xlarge": ${L40S_REASON} (and 1 other reason(s))\n`,
      ],
    ];
    for (const [args, line] of cases) {
      const { code, stdout, stderr } = await cli(args, dir);
      expect(stderr, args[0]).toBe(line);
      expect(stdout, args[0]).toBe('');
      expect(code, args[0]).toBe(2);
    }
  });
});

describe('shards of a sweep with infeasible points', () => {
  it('a shard holding only infeasible points still writes its rows; merge fails only when no point of the whole sweep can run', async () => {
    const dir = tempDir('infeasible-shards');
    // Round-robin: shard 0/2 gets point 0 (the L40S, infeasible), shard 1/2 point 1 (the A100s).
    const scenario = writeScenario(
      dir,
      llmGrid('[aws/g6e.xlarge, aws/p4d.24xlarge]').replace(
        'fleets.0.replicas: [1, 2]',
        'fleets.0.replicas: [1]',
      ),
    );
    const shards = [0, 1].map((index) => join(dir, `shard-${index}`));
    for (const [index, outDir] of shards.entries()) {
      await runSweep({ scenario, outDir, workers: 1, shard: { index, count: 2 } });
    }
    const merged = mergeSweeps(shards);
    expect(merged.rows.map((row) => [row.point, row.status, row.reason])).toEqual([
      [0, 'infeasible', L40S_REASON],
      [1, 'ok', null],
    ]);
    expect(merged.rows[1].pareto).toBe(true);

    const none = writeScenario(dir, llmGrid('[aws/g6e.xlarge, aws/g5.xlarge]'), 'none.yaml');
    const noneShards = [0, 1].map((index) => join(dir, `none-${index}`));
    for (const [index, outDir] of noneShards.entries()) {
      await runSweep({ scenario: none, outDir, workers: 1, shard: { index, count: 2 } });
    }
    expect(() => mergeSweeps(noneShards)).toThrow(
      `all 4 configurations of the sweep are infeasible; sweep point fleets.0.instance="aws/g6e.xlarge", fleets.0.replicas=1: ${L40S_REASON} (and 1 other reason(s))`,
    );
  });
});

describe('fleetsim validate on a sweep grid', () => {
  it('reports each infeasible combination once, at the grid value, and still succeeds', async () => {
    const dir = tempDir('validate-grid');
    // Replicas and load cannot make a point infeasible: 2 instances x 40 replica counts x 3 loads
    // are checked as two combinations, one line for the one that does not fit.
    writeScenario(
      dir,
      llmGrid('[aws/g6e.xlarge, aws/p4d.24xlarge]').replace(
        'fleets.0.replicas: [1, 2]',
        'fleets.0.replicas: 1..40\n    workload.scale: [1, 2, 4]',
      ),
    );
    const { code, stdout, stderr } = await cli(['validate', 'scenario.yaml'], dir);
    expect(stderr).toBe(
      `scenario.yaml:19:25: sweep points (120 of 240) with fleets.0.instance="aws/g6e.xlarge": ${L40S_REASON}\n`,
    );
    expect(stdout).toBe(
      'scenario.yaml: ok (1 variant(s): baseline); sweep: 240 point(s), 240 configuration(s), 120 infeasible (sweep and plan skip them)\n',
    );
    expect(code).toBe(0);
  });

  it('still reports a grid value the schema rejects as an error, wherever it sits in the grid', async () => {
    const dir = tempDir('validate-bad-value');
    writeScenario(
      dir,
      llmGrid('[aws/g6e.xlarge, aws/p4d.24xlarge]').replace(
        'fleets.0.replicas: [1, 2]',
        'fleets.0.replicas: [1, 2, 0]',
      ),
    );
    const { code, stdout, stderr } = await cli(['validate', 'scenario.yaml'], dir);
    expect(stderr).toBe('scenario.yaml:20:31: fleets[0].replicas: expected a positive integer (value 0)\n');
    expect(stdout).toBe('');
    expect(code).toBe(2);
  });

  it('names the variant when only some variants cannot run on a point', async () => {
    const dir = tempDir('validate-variants');
    // Llama-3.1-8B: 8.03e9 x 2 bytes = 15.0 GiB, which fits the L40S's 40.5 GiB.
    writeScenario(
      dir,
      llmGrid(
        '[aws/g6e.xlarge, aws/p4d.24xlarge]',
        'variants:\n  - { name: small, set: { model.llm.preset: Llama-3.1-8B } }\n',
      ),
    );
    const { code, stdout, stderr } = await cli(['validate', 'scenario.yaml'], dir);
    expect(stderr).toBe(
      `scenario.yaml:19:25: sweep points (2 of 4) with fleets.0.instance="aws/g6e.xlarge" (variant "baseline"): ${L40S_REASON}\n`,
    );
    expect(stdout).toBe(
      'scenario.yaml: ok (2 variant(s): baseline, small); sweep: 4 point(s), 8 configuration(s), 2 infeasible (sweep and plan skip them)\n',
    );
    expect(code).toBe(0);
  });

  it('loads the sweep points with the --catalog files the scenario was loaded with', async () => {
    const dir = tempDir('validate-catalog');
    writeFileSync(
      join(dir, 'lab.yaml'),
      'instances:\n  lab/box:\n    vcpus: 16\n    billing: { increment: 1s, minimum: 0s }\n    prices: { onprem: { on_demand: 0.9 } }\n    sources: { on_demand: { source: amortized purchase, as_of: 2026-10-01 } }\n',
    );
    const base = mmcScenario({
      rate: 1,
      concurrency: 2,
      duration: 600,
      extra: 'sweep:\n  grid:\n    fleets.0.replicas: [1, 2]\n',
    }).replace('price_per_hour: 2', 'instance: lab/box\n    region: onprem');
    writeScenario(dir, base);
    // Its points were loaded without them: "unknown instance" for the instance the base had priced.
    const { code, stdout, stderr } = await cli(['validate', 'scenario.yaml', '--catalog', 'lab.yaml'], dir);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/ok .*sweep: 2 point\(s\), 2 configuration\(s\)$/m);
    expect(code).toBe(0);
  });

  it('treats an instance not sold in a swept region as infeasible, and a misspelt instance as an error', async () => {
    const dir = tempDir('validate-regions');
    // aws/g6.12xlarge is priced in us-east-1 and us-west-2 only (pricing/aws.yaml).
    const base = mmcScenario({
      rate: 1,
      concurrency: 2,
      duration: 600,
      extra: 'sweep:\n  grid:\n    fleets.0.region: [us-east-1, eu-west-1]\n',
    }).replace('price_per_hour: 2', 'instance: aws/g6.12xlarge');
    writeScenario(dir, base);
    const { code, stdout, stderr } = await cli(['validate', 'scenario.yaml'], dir);
    expect(stderr).toBe(
      'scenario.yaml:15:34: sweep point fleets.0.region="eu-west-1": fleets[0].region: instance "aws/g6.12xlarge" has no price in region "eu-west-1"; regions: us-east-1, us-east-2, us-west-2, eu-central-1\n',
    );
    expect(stdout).toMatch(/ok .*sweep: 2 point\(s\), 2 configuration\(s\), 1 infeasible/);
    expect(code).toBe(0);

    writeScenario(
      dir,
      base.replace(
        '[us-east-1, eu-west-1]',
        '[us-east-1]\n    fleets.0.instance: [aws/g6.12xlarge, aws/g6.12xlarj]',
      ),
      'typo.yaml',
    );
    const typo = await cli(['validate', 'typo.yaml'], dir);
    expect(typo.stderr).toMatch(
      /^typo\.yaml:16:42: fleets\[0\]\.instance: unknown instance "aws\/g6\.12xlarj"; closest: aws\/g6\.12xlarge/,
    );
    expect(typo.stderr.trim().split('\n')).toHaveLength(1);
    expect(typo.code).toBe(2);
  });
});

describe('a configuration that fails while running', () => {
  it('is recorded as infeasible with the simulator message; the others run', async () => {
    const dir = tempDir('infeasible-run');
    // The rate 2 - t/100 turns negative after 200 s: a 60 s run never gets there, a 300 s run does.
    const scenario = writeScenario(
      dir,
      mmcScenario({
        rate: 1,
        concurrency: 4,
        duration: 60,
        extra: 'sweep:\n  grid:\n    duration: [60, 300]\n',
      })
        .replace('rate: 1 }', 'rate: "2 - t/100" }')
        .replace('warmup: 200', 'warmup: 10'),
    );
    const { result } = await runSweep({ scenario, outDir: dir, workers: 1 });
    expect(result.rows.map((row) => [row.params.duration, row.status])).toEqual([
      [60, 'ok'],
      [300, 'infeasible'],
    ]);
    expect(result.rows[1].reason).toMatch(
      /^rate "2 - t\/100" is -[\d.e-]+ req\/s at t = [\d.]+ s; it must be a finite number >= 0$/,
    );
    expect(result.rows[0].metrics['requests.completed']).toBeGreaterThan(0);
    // Without an slo: the default objective judges the row that ran.
    const table = renderSweepTable(result).split('\n');
    expect(table[0]).toMatch(/\$\/1k req\s+step times\s+SLO$/);
    expect(table[2]).toMatch(/^0\s+60\s.*\smet$/);
    expect(table[3]).toMatch(/^1\s+300\s+-\s+-\s+-\s+-\s+infeasible$/);
    expect(table[4]).toBe(`infeasible, skipped: sweep point duration=300: ${result.rows[1].reason}`);
  });
});
