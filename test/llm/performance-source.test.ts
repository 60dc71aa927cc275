import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  renderPlanTable,
  renderSweepCsv,
  renderSweepTable,
  runPlan,
  runSweep,
} from '../../src/plan/index.js';
import { renderSummaryMarkdown, summarize } from '../../src/report/index.js';
import { runScenario } from '../../src/run.js';

const ROOT = resolve(import.meta.dirname, '../..');
const PROFILE = join(ROOT, 'data/validation/splitwise_perf_model_llama2-70b.csv');
const dir = mkdtempSync(join(tmpdir(), 'fleetsim-performance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The median absolute errors docs/validation.md reports for the groups naming `id`, read from its
 * results table (written by test/validation/llm-physics.test.ts), not from the catalog.
 */
function documentedErrors(id: string): number[] {
  const doc = readFileSync(join(ROOT, 'docs/validation.md'), 'utf8');
  const table = doc.slice(doc.indexOf('<!-- results:start -->'), doc.indexOf('<!-- results:end -->'));
  return table
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => cells[1]?.split(' ').includes(id))
    .map((cells) => Number(cells[3].replace(' %', '')));
}

function llmScenario(fleet: object): object {
  return {
    name: 'chat',
    seed: 5,
    duration: '1m',
    workload: { arrivals: { poisson: { rate: 1 } }, input_tokens: 300, output_tokens: 20 },
    model: { llm: { preset: 'Llama-3.1-8B', precision: 'bf16' } },
    fleets: [{ name: 'gpu', replicas: 1, batching: { policy: 'continuous' }, ...fleet }],
  };
}

async function performanceOf(input: object) {
  const output = await runScenario(input);
  return output.results[0].performance;
}

const TPU_CAVEAT =
  'fleet gpu: step times from class-default efficiencies for tpu-v6e (unvalidated): costs and latencies may be off by';

describe('where a fleet’s step and service times come from', () => {
  it('a measured profile', async () => {
    const performance = await performanceOf({
      seed: 1,
      duration: '30s',
      workload: { arrivals: { poisson: { rate: 0.2 } }, input_tokens: 500, output_tokens: 5 },
      fleets: [
        {
          name: 'gpu',
          replicas: 1,
          price_per_hour: 32,
          batching: { policy: 'continuous', tensor_parallel: 4, kv_cache_tokens: 100_000 },
          step_time: { profile: { path: PROFILE, model: 'llama2-70b', hardware: 'a100-80gb' } },
        },
      ],
    });
    expect(performance).toEqual({
      gpu: {
        source: 'measured profile',
        accelerator: 'a100-80gb',
        detail:
          'splitwise_perf_model_llama2-70b.csv: llama2-70b on a100-80gb, interpolated between measured configurations',
        caveat: null,
      },
    });
  });

  it('a validated accelerator, with the error docs/validation.md measured on it', async () => {
    const errors = documentedErrors('a100-80gb');
    expect(errors.length).toBeGreaterThan(0);
    const range = `${Math.min(...errors)}-${Math.max(...errors)} %`;
    const performance = await performanceOf(llmScenario({ instance: 'gcp/a2-ultragpu-1g' }));
    expect(performance.gpu).toEqual({
      source: 'validated catalog entry',
      accelerator: 'a100-80gb',
      detail: `median error ${range} over ${errors.length} measured group(s) (docs/validation.md)`,
      caveat: null,
    });
  });

  it('a validated accelerator with peaks the scenario changed rests on the scenario', async () => {
    const performance = await performanceOf(
      llmScenario({
        price_per_hour: 3,
        hardware: { accelerator: { name: 'a100-80gb', count: 1, tflops: { bf16: 400 } } },
      }),
    );
    expect(performance.gpu.source).toBe('scenario');
    expect(performance.gpu.detail).toMatch(/^roofline on a100-80gb with tflops from the scenario/);
  });

  it('an accelerator without measurements: class default, and a caveat in summary.md', async () => {
    const output = await runScenario(llmScenario({ instance: 'gcp/tpu-v6e-1' }));
    const [result] = output.results;
    expect(result.performance.gpu).toMatchObject({
      source: 'class default (unvalidated)',
      accelerator: 'tpu-v6e',
    });
    const caveat = result.performance.gpu.caveat;
    expect(caveat?.startsWith(TPU_CAVEAT)).toBe(true);
    const markdown = renderSummaryMarkdown(summarize('chat', 5, output.results));
    expect(markdown).toContain(`> **Caveat:** ${caveat}`);
    expect(markdown).toContain('| baseline | gpu | class default (unvalidated) | tpu-v6e |');
  });

  it('a part the catalog does not know runs on class defaults too', async () => {
    const performance = await performanceOf(
      llmScenario({
        price_per_hour: 3,
        hardware: {
          accelerator: {
            name: 'npu-x',
            count: 1,
            memory_gib: 64,
            bandwidth_gbps: 1000,
            tflops: { bf16: 300 },
          },
        },
      }),
    );
    expect(performance.gpu).toMatchObject({ source: 'class default (unvalidated)', accelerator: 'npu-x' });
    expect(performance.gpu.caveat).toMatch(
      /^fleet gpu: step times from the catalog's median efficiencies for npu-x/,
    );
  });

  it('efficiencies from operator profiles, never compared with step times: unvalidated', async () => {
    const performance = await performanceOf(
      // The instance catalog has no A40: the scenario names it with the datasheet figures the
      // accelerator catalog holds, so only its efficiencies come from there.
      llmScenario({
        price_per_hour: 1,
        hardware: {
          accelerator: {
            name: 'a40',
            count: 1,
            memory_gib: 45,
            bandwidth_gbps: 696,
            tflops: { bf16: 149.7 },
          },
        },
      }),
    );
    expect(performance.gpu).toMatchObject({
      source: 'profiled efficiencies (unvalidated)',
      accelerator: 'a40',
    });
    expect(performance.gpu.caveat).toMatch(
      /^fleet gpu: step times from operator-profile efficiencies for a40/,
    );
  });

  it('values fleetsim calibrate fitted on this part: calibrated, with the measured run and its hold-out error', async () => {
    const calibrated = {
      instance: 'aws/g6e.xlarge',
      hardware: {
        accelerator: {
          efficiency: { compute: 0.55, memory: 0.66 },
          efficiency_uncertainty: { compute: 0.02 },
          calibration: { measured: '../bench.json', accelerator: 'l40s', hold_out_error: 0.125 },
        },
      },
    };
    const performance = await performanceOf(llmScenario(calibrated));
    expect(performance.gpu).toEqual({
      source: 'calibrated',
      accelerator: 'l40s',
      detail:
        "roofline on l40s with efficiency compute and memory fitted by fleetsim calibrate to ../bench.json (hold-out error up to 12.5 %); the others the serving stack's and the catalog's (profiled)",
      caveat:
        "fleet gpu: step times calibrated to your measurement ../bench.json (hold-out error up to 12.5 %), not validated by fleetsim: they hold near the load and prompt lengths measured, and rest on the roofline's shape beyond them",
    });
    // Moved to another accelerator, the values describe the one they were fitted on, not this one.
    const moved = await performanceOf(llmScenario({ ...calibrated, instance: 'gcp/a2-ultragpu-1g' }));
    expect(moved.gpu.source).toBe('scenario');
    expect(moved.gpu.detail).toContain(
      'efficiency compute and memory: scenario override (user-provided, not validated here) (fitted on l40s by fleetsim calibrate, not on a100-80gb)',
    );
    // A mark without fitted values marks nothing.
    const unmarked = await performanceOf(
      llmScenario({
        ...calibrated,
        hardware: { accelerator: { calibration: calibrated.hardware.accelerator.calibration } },
      }),
    );
    expect(unmarked.gpu.source).toBe('profiled efficiencies (unvalidated)');
  });

  it('a fleet with a service time or batch latency: the scenario', async () => {
    const performance = await performanceOf({
      seed: 1,
      duration: '1m',
      workload: { arrivals: { poisson: { rate: 2 } }, input_tokens: 100 },
      routing: { policy: 'weighted', weights: { cpu: 1, batch: 1 } },
      fleets: [
        { name: 'cpu', replicas: 1, price_per_hour: 1, service_time: '10ms + 0.1ms * input_tokens' },
        {
          name: 'batch',
          replicas: 1,
          price_per_hour: 1,
          batching: { policy: 'dynamic', max_batch: 4, max_queue_delay: '5ms' },
          batch_latency: '20ms + 5ms * b',
        },
      ],
    });
    expect(performance).toEqual({
      cpu: {
        source: 'scenario',
        accelerator: null,
        detail: 'service_time "10ms + 0.1ms * input_tokens"',
        caveat: null,
      },
      batch: {
        source: 'scenario',
        accelerator: null,
        detail: 'batch_latency "20ms + 5ms * b"',
        caveat: null,
      },
    });
  });
});

describe('outputs that carry the caveat', () => {
  const yaml = `name: chat
seed: 5
duration: 1m
workload:
  arrivals: { poisson: { rate: 1 } }
  input_tokens: 300
  output_tokens: 20
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - { name: gpu, replicas: 1, instance: gcp/tpu-v6e-1, batching: { policy: continuous } }
slo: { latency_p99: 30s }
`;

  async function cli(args: string[]) {
    let stdout = '';
    let stderr = '';
    const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir };
    const code = await runCli(args, io);
    return { code, stdout, stderr };
  }

  it('fleetsim run: summary.md, report.html and the terminal', async () => {
    writeFileSync(join(dir, 'tpu.yaml'), yaml);
    const out = join(dir, 'run');
    const { code, stderr } = await cli(['run', 'tpu.yaml', '--out', out]);
    expect(code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const caveat: string = summary.variants[0].performance.gpu.caveat;
    expect(caveat.startsWith(TPU_CAVEAT)).toBe(true);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain(`> **Caveat:** ${caveat}`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain(
      '<p class="caveat"><strong>Caveat:</strong> fleet gpu: step times from class-default efficiencies for tpu-v6e (unvalidated)',
    );
    expect(html).toContain('<td>gpu</td><td>class default (unvalidated)</td><td>tpu-v6e</td>');
    expect(stderr).toContain(`fleetsim: caveat: ${caveat}\n`);
  });

  it('fleetsim plan: the pick on an unvalidated accelerator carries its source and caveat', async () => {
    writeFileSync(join(dir, 'plan.yaml'), yaml);
    const outDir = join(dir, 'plan');
    const { result } = await runPlan({
      scenario: join(dir, 'plan.yaml'),
      outDir,
      vary: ['fleets.0.replicas=1..2'],
      capacity: false,
      workers: 1,
    });
    expect(result.best?.meets_slo).toBe(true);
    expect(result.best?.performance.gpu.source).toBe('class default (unvalidated)');
    expect(result.best?.performance.gpu.caveat?.startsWith(TPU_CAVEAT)).toBe(true);
    const written = JSON.parse(readFileSync(join(outDir, 'plan.json'), 'utf8'));
    expect(written.best.performance.gpu.source).toBe('class default (unvalidated)');
    const table = renderPlanTable(result).split('\n');
    expect(table[0]).toMatch(/step times\s+SLO$/);
    expect(table[2]).toMatch(/unvalidated \(class default\)\s+met$/);

    const { code, stderr } = await cli([
      'plan',
      'plan.yaml',
      '--vary',
      'fleets.0.replicas=1..2',
      '--out',
      outDir,
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/best: fleets\.0\.replicas=\d \(unvalidated step times: see the caveat\);/);
    expect(stderr).toContain(`fleetsim: caveat: best: ${TPU_CAVEAT}`);
  });

  it('fleetsim sweep: each row carries its source, in sweep.json, a sweep.csv column and the terminal', async () => {
    writeFileSync(join(dir, 'sweep.yaml'), yaml);
    const { result } = await runSweep({
      scenario: join(dir, 'sweep.yaml'),
      outDir: join(dir, 'sweep'),
      grid: ['fleets.0.instance=[gcp/tpu-v6e-1, gcp/a2-ultragpu-1g]'],
      workers: 1,
    });
    expect(result.rows.map((row) => [row.params['fleets.0.instance'], row.performance.gpu.source])).toEqual([
      ['gcp/tpu-v6e-1', 'class default (unvalidated)'],
      ['gcp/a2-ultragpu-1g', 'validated catalog entry'],
    ]);
    const csv = renderSweepCsv(result).trim().split('\n');
    const column = csv[0].split(',').indexOf('performance');
    expect(column).toBeGreaterThan(0);
    expect(csv.slice(1).map((line) => line.split(',')[column])).toEqual([
      'gpu: class default (unvalidated)',
      'gpu: validated catalog entry',
    ]);
    const table = renderSweepTable(result).split('\n');
    expect(table[0]).toMatch(/step times\s+SLO$/);
    expect(table[2]).toMatch(/unvalidated \(class default\)\s+met$/);
    expect(table[3]).toMatch(/validated\s+met$/);
  });
});
