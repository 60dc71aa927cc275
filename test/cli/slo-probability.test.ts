import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { tempDir, writeScenario } from '../plan/helpers.js';

/**
 * One L40S serving Llama-3.1-8B, every request alike: replications differ only by the drawn
 * memory fraction (spread 0.1), which sets the time per output token, and the TPOT limit sits
 * between the nominal values (21.6 ms; `busy`, with eight times the load, 24.0 ms), so for each
 * some draws meet it and some do not, and `busy` misses it on the means.
 */
const SCENARIO = `name: marginal
seed: 21
duration: 40s
workload:
  arrivals: { constant: { rate: 1 } }
  input_tokens: 300
  output_tokens: 40
model:
  llm: { preset: Llama-3.1-8B, precision: bf16 }
fleets:
  - name: gpu
    replicas: 1
    instance: aws/g6e.xlarge
    batching: { policy: continuous, max_num_seqs: 64, max_num_batched_tokens: 2048 }
    hardware:
      accelerator:
        efficiency_uncertainty: { memory: 0.1 }
slo:
  tpot_p50: 0.0228s
report:
  charts: []
variants:
  - name: busy
    set: { workload.arrivals.constant.rate: 8 }
`;

const N = 12;

/** The 95 % Wilson score interval in closed form, z = 1.959964 (exactly 0 and 1 at none and all). */
function wilson(k: number, n: number): [number, number] {
  const z2 = 1.959964 ** 2;
  const p = k / n;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (Math.sqrt(z2) / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [k === 0 ? 0 : centre - half, k === n ? 1 : centre + half];
}

/** A share as the outputs write it: a whole percentage, 0 and 100 only for none and all. */
const percent = (share: number) =>
  share <= 0 ? 0 : share >= 1 ? 100 : Math.min(99, Math.max(1, Math.round(100 * share)));

interface ReplicatedVariant {
  name: string;
  slo: { met: boolean; met_by_replication: boolean[] };
}

describe('P(SLO) under model uncertainty', () => {
  const dir = tempDir('slo-probability');
  writeScenario(dir, SCENARIO);
  /** What `fleetsim run --replications` returns per variant: each replication's own verdict. */
  let variants: ReplicatedVariant[] = [];

  beforeAll(async () => {
    const run = await cli(
      ['run', 'scenario.yaml', '--out', 'run', '--replications', String(N), '--model-uncertainty', '--quiet'],
      dir,
    );
    expect(run.code).toBe(0);
    variants = JSON.parse(readFileSync(join(dir, 'run', 'replications.json'), 'utf8')).variants;
  });

  it('the scenario is marginal: some draws meet the objective and some do not, and busy misses on the means', () => {
    for (const v of variants) {
      const met = v.slo.met_by_replication.filter(Boolean).length;
      expect(met, v.name).toBeGreaterThan(0);
      expect(met, v.name).toBeLessThan(N);
    }
    expect(variants.find((v) => v.name === 'busy')?.slo.met).toBe(false);
  });

  it("report.html states each variant's P(SLO) from its replications' verdicts, never as a pass when it misses", () => {
    const html = readFileSync(join(dir, 'run', 'report.html'), 'utf8');
    const items = new Map(
      [...html.matchAll(/<li><strong>([^<]*)<\/strong>([\s\S]*?)<\/li>/g)].map((m) => [m[1], m[2]]),
    );
    for (const v of variants) {
      const met = v.slo.met_by_replication.filter(Boolean).length;
      const [low, high] = wilson(met, N);
      const item = items.get(v.name) ?? '';
      expect(item).toContain(
        `P(SLO) ${percent(met / N)} %: the SLO held in ${met} of ${N} model draws (95 % CI ${percent(low)}-${percent(high)} %)`,
      );
      if (!v.slo.met) {
        expect(item).toContain('<span class="worse">MISSES</span>');
        expect(item).not.toContain('class="better"');
      }
    }
    expect(html).toContain('Every replication drew the step-time parameters from their uncertainty');
  });

  it('fleetsim report reads the verdicts back; a file from before them has no P(SLO), a damaged one is named', async () => {
    const file = (folder: string) => join(dir, folder, 'replications.json');
    const saved = JSON.parse(readFileSync(file('run'), 'utf8'));
    cpSync(join(dir, 'run'), join(dir, 'old'), { recursive: true });
    for (const v of saved.variants) delete v.slo.met_by_replication;
    writeFileSync(file('old'), JSON.stringify(saved));
    expect((await cli(['report', 'old'], dir)).code).toBe(0);
    const html = readFileSync(join(dir, 'old', 'report.html'), 'utf8');
    expect(html).toContain('on the means of 12 replications');
    expect(html).not.toContain('P(SLO)');

    saved.variants[1].slo.met_by_replication = [true];
    writeFileSync(file('old'), JSON.stringify(saved));
    const damaged = await cli(['report', 'old'], dir);
    expect(damaged.code).toBe(2);
    expect(damaged.stderr.trim().split('\n')).toEqual([
      `fleetsim: old/replications.json: variant "busy": "slo.met_by_replication" must hold true or false for each of the 12 replications`,
    ]);
  });

  it("compare draws as run's replications do, and gives each side's P(SLO) in its JSON, table, markdown and CSV", async () => {
    const { code, stdout } = await cli(
      [
        'compare',
        'scenario.yaml',
        '--out',
        'cmp',
        '--replications',
        String(N),
        '--model-uncertainty',
        '--quiet',
      ],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const comparison = JSON.parse(readFileSync(join(dir, 'cmp', 'comparison.json'), 'utf8'));
    const csv: Record<string, string>[] = parse(readFileSync(join(dir, 'cmp', 'comparison.csv'), 'utf8'), {
      columns: true,
    });
    const markdown = readFileSync(join(dir, 'cmp', 'comparison.md'), 'utf8');
    const cells: string[] = [];
    for (const v of variants) {
      const row = comparison.rows.find((r: { label: string }) => r.label === v.name);
      // The same seeds draw the same step-time parameters, so each replication meets or misses alike.
      expect(row.slo_probability.met_by_replication).toEqual(v.slo.met_by_replication);
      expect(row.slo_probability.model_draws).toBe(true);
      const met = v.slo.met_by_replication.filter(Boolean).length;
      const [low, high] = wilson(met, N);
      expect(row.slo_probability.met_share).toBeCloseTo(met / N, 9);
      expect(row.slo_probability.met_share_ci95[0]).toBeCloseTo(low, 6);
      expect(row.slo_probability.met_share_ci95[1]).toBeCloseTo(high, 6);
      expect(row.slo_met).toBe(v.slo.met);
      const line = csv.find((r) => r.label === v.name)!;
      expect(Number(line.met_share)).toBeCloseTo(met / N, 9);
      expect(Number(line.met_share_ci95_low)).toBeCloseTo(low, 6);
      expect(Number(line.met_share_ci95_high)).toBeCloseTo(high, 6);
      expect(line.model_draws).toBe('true');
      cells.push(`${percent(met / N)} % (${percent(low)}-${percent(high)} %)`);
    }
    expect(markdown).toContain(`| P(SLO) | ${cells.join(' | ')} |`);
    expect(markdown).toMatch(/\| objective \| meets \| MISSES \|/);
  });

  it('compare refuses one draw, and says when a scenario asks for draws without replications', async () => {
    const one = await cli(
      ['compare', 'scenario.yaml', '--out', 'one', '--replications', '1', '--model-uncertainty'],
      dir,
    );
    expect(one.code).toBe(2);
    expect(one.stderr.trim().split('\n')).toEqual([
      'fleetsim: model_uncertainty draws the step-time parameters once per replication: give --replications N with N of at least 2 (or --no-model-uncertainty)',
    ]);
    const plain = await cli(
      ['compare', 'scenario.yaml', '--out', 'plain', '--set', 'model_uncertainty=true', '--json'],
      dir,
    );
    expect(plain.code).toBe(0);
    expect(plain.stderr).toContain(
      "fleetsim: warning: model_uncertainty draws the step-time parameters only across replications (--replications N, N of at least 2): each configuration ran once with the scenario's values, so there is no P(SLO)",
    );
    expect(JSON.parse(plain.stdout).rows.map((r: { slo_probability: unknown }) => r.slo_probability)).toEqual(
      [null, null],
    );
  });

  it("sweep.csv gives each row's P(SLO) from its replications' verdicts", async () => {
    const { code } = await cli(
      [
        'sweep',
        'scenario.yaml',
        '--out',
        'sweep',
        '--grid',
        'fleets.0.replicas=[1,2]',
        '--replications',
        String(N),
        '--model-uncertainty',
        '--workers',
        '1',
        '--quiet',
      ],
      dir,
    );
    expect(code).toBe(0);
    const sweep = JSON.parse(readFileSync(join(dir, 'sweep', 'sweep.json'), 'utf8'));
    const csv: Record<string, string>[] = parse(readFileSync(join(dir, 'sweep', 'sweep.csv'), 'utf8'), {
      columns: true,
    });
    expect(csv).toHaveLength(4);
    csv.forEach((line, i) => {
      const runs: boolean[] = sweep.rows[i].slo.met_by_replication;
      expect(runs).toHaveLength(N);
      const met = runs.filter(Boolean).length;
      const [low, high] = wilson(met, N);
      expect(Number(line.met_share)).toBeCloseTo(met / N, 9);
      expect(Number(line.met_share_ci95_low)).toBeCloseTo(low, 6);
      expect(Number(line.met_share_ci95_high)).toBeCloseTo(high, 6);
      expect(line.model_draws).toBe('true');
      expect(line.meets_slo).toBe(String(sweep.rows[i].slo.met));
    });
    // The point of one replica is the scenario itself: the same seeds draw the same parameters as
    // the replicated run's, so its replications meet or miss alike.
    const baseline = variants.find((v) => v.name === 'baseline')!;
    const first = sweep.rows.find(
      (row: { variant: string; params: Record<string, unknown> }) =>
        row.variant === 'baseline' && row.params['fleets.0.replicas'] === 1,
    );
    expect(first.slo.met_by_replication).toEqual(baseline.slo.met_by_replication);
  });
});
