import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import {
  assembleSweepCharts,
  costDomain,
  hardwareCostChart,
  hardwareCostPoints,
  sweepCostLatencyChart,
  sweepCostPoints,
} from '../../src/plan/charts.js';
import type { PlanCandidate, PlanResult, SweepResult, SweepRow } from '../../src/plan/index.js';
import { assemblePlanCharts, candidateBars, capacityPoints } from '../../src/plan/plan-charts.js';
import { renderChart } from '../../src/report/index.js';
import { tempDir, writeScenario } from './helpers.js';

interface Channel {
  field: string;
  title?: string;
  scale: { domain: unknown[]; range: unknown[] };
}
type ChartLayers = {
  layer: {
    mark: { type: string };
    encoding: Record<'shape' | 'fill' | 'color' | 'x', Channel> & { tooltip: { title?: string }[] };
  }[];
};

function row(
  point: number,
  params: Record<string, unknown>,
  figures: Partial<SweepRow> & { metrics: SweepRow['metrics'] },
): SweepRow {
  return {
    point,
    variant: 'baseline',
    params,
    status: 'ok',
    reason: null,
    meets_slo: null,
    pareto: false,
    replications: 1,
    ci95: null,
    slo: null,
    model_draws: false,
    warnings: [],
    performance: {},
    ...figures,
  };
}

/**
 * Two instance types, three replica counts each, worked by hand. Cost per 1M tokens, cost of the
 * run, p99 and the SLO verdict (p99 <= 2 s):
 *   g6 x1: $3.0, $10, 5.0 s, missed   g6 x2: $2.0, $20, 1.5 s, met   g6 x3: $2.5, $30, 1.0 s, met
 *   g2 x1: $4.0, $12, 9.0 s, missed   g2 x2: $3.5, $24, 3.0 s, missed  g2 x3: n/a (no completions)
 */
function sweep(): SweepResult {
  const figures: [string, number, number | null, number | null, number | null, boolean][] = [
    ['aws/g6.xlarge', 1, 3.0, 10, 5.0, false],
    ['aws/g6.xlarge', 2, 2.0, 20, 1.5, true],
    ['aws/g6.xlarge', 3, 2.5, 30, 1.0, true],
    ['gcp/g2-standard-8', 1, 4.0, 12, 9.0, false],
    ['gcp/g2-standard-8', 2, 3.5, 24, 3.0, false],
    ['gcp/g2-standard-8', 3, null, 36, null, false],
  ];
  return {
    scenario: 'hardware',
    seed: 1,
    replications: 1,
    sampling: 'grid',
    parameters: [
      { path: 'fleets.0.instance', values: ['aws/g6.xlarge', 'gcp/g2-standard-8'] },
      { path: 'fleets.0.replicas', values: [1, 2, 3] },
    ],
    slo: { latency_p99: 2 },
    points: 6,
    shard: null,
    rows: figures.map(([instance, replicas, perToken, cost, p99, met], i) =>
      row(
        i,
        { 'fleets.0.instance': instance, 'fleets.0.replicas': replicas },
        {
          meets_slo: met,
          slo: {
            met,
            default: false,
            objectives: [{ objective: 'latency_p99', limit: 2, value: p99, met }],
            met_at_upper_ci95: null,
            met_by_replication: [met],
            met_share: met ? 1 : 0,
            met_share_ci95: met ? [0.2065493143, 1] : [0, 0.7934506857],
          },
          // On the frontier: nothing both cheaper and faster. g6 x1 ($10, 5 s), g6 x2 ($20, 1.5 s), g6 x3 ($30, 1 s).
          pareto: i <= 2,
          metrics: {
            'cost_per_1m_tokens_usd.total': perToken,
            'cost_usd.total': cost,
            'latency_s.p99': p99,
          },
        },
      ),
    ),
  };
}

describe('sweep charts', () => {
  it('cost vs p99: a point per configuration that completed requests, with its SLO verdict and the frontier', () => {
    const points = sweepCostPoints(sweep());
    expect(points.map((p) => [p.configuration, p.cost_usd, p.p99_s, p.verdict, p.frontier])).toEqual([
      ['fleets.0.instance=aws/g6.xlarge, fleets.0.replicas=1', 10, 5, 'misses SLO', 'yes'],
      ['fleets.0.instance=aws/g6.xlarge, fleets.0.replicas=2', 20, 1.5, 'meets SLO', 'yes'],
      ['fleets.0.instance=aws/g6.xlarge, fleets.0.replicas=3', 30, 1, 'meets SLO', 'yes'],
      ['fleets.0.instance=gcp/g2-standard-8, fleets.0.replicas=1', 12, 9, 'misses SLO', 'no'],
      ['fleets.0.instance=gcp/g2-standard-8, fleets.0.replicas=2', 24, 3, 'misses SLO', 'no'],
    ]);
    // The cheapest per hour that meets the objective: no list price here, so the cheaper run, g6 x2.
    expect(points.map((p) => p.pick)).toEqual(['no', 'yes', 'no', 'no', 'no']);
    expect(points[0].missed).toBe('latency_p99 5.00 s > 2.00 s');
    expect(points[1].missed).toBe('');
    expect(points[0]).toMatchObject({
      param0: 'aws/g6.xlarge',
      param1: '1',
      label: 'instance=aws/g6.xlarge, replicas=1',
    });
    const spec = sweepCostLatencyChart(sweep()) as unknown as ChartLayers;
    // Frontier line, the ring of the pick, the points and (five configurations) their labels; no
    // error bars without replications.
    expect(spec.layer.map((layer) => layer.mark.type)).toEqual(['line', 'point', 'point', 'text']);
    const points_ = spec.layer[2].encoding;
    // A miss is a hollow cross in the legend's colour for it: never a filled dot like a choice.
    const missesAt = points_.shape.scale.domain.indexOf('misses SLO');
    expect(points_.shape.scale.range[missesAt]).toBe('M-1,-1L1,1M-1,1L1,-1');
    expect(points_.fill.scale.range[missesAt]).toBe('transparent');
    expect(points_.color.scale.range[missesAt]).toBe('#e45756');
    // Tooltips name each swept value under its path.
    expect(points_.tooltip.slice(0, 2).map((t) => t.title)).toEqual([
      'fleets.0.instance',
      'fleets.0.replicas',
    ]);
    // The cost axis: the costs ($10 to $30) with a margin of 6 % of their span, never below zero.
    const [low, high] = spec.layer[2].encoding.x.scale.domain as number[];
    expect(low).toBeCloseTo(8.8, 12);
    expect(high).toBeCloseTo(31.2, 12);
    const [zero, top] = costDomain([0.01, 5]);
    expect(zero).toBe(0);
    expect(top).toBeCloseTo(5.2994, 12);
  });

  it('labels points only up to five configurations: beyond, tooltips and the legend identify them', () => {
    const six = sweep();
    six.rows.push({ ...six.rows[1], point: 6, params: { ...six.rows[1].params, 'fleets.0.replicas': 4 } });
    const spec = sweepCostLatencyChart(six) as unknown as ChartLayers;
    expect(spec.layer.map((layer) => layer.mark.type)).toEqual(['line', 'point', 'point']);
  });

  it('cost vs p99 draws the 95 % interval of each p99 with replications', () => {
    const replicated = sweep();
    for (const r of replicated.rows) r.ci95 = { 'latency_s.p99': 0.25, 'cost_usd.total': 0.5 };
    const [first] = sweepCostPoints(replicated);
    expect([first.p99_low_s, first.p99_s, first.p99_high_s]).toEqual([4.75, 5, 5.25]);
    const layers = (sweepCostLatencyChart(replicated) as unknown as ChartLayers).layer;
    expect(layers.map((layer) => layer.mark.type)).toEqual(['rule', 'line', 'point', 'point', 'text']);
  });

  it('cost per 1M tokens by hardware: a dot per configuration, a bar at the cheapest meeting the SLO', () => {
    const points = hardwareCostPoints(sweep());
    expect(points.map((p) => [p.hardware, p.usd_per_1m_tokens, p.verdict])).toEqual([
      ['aws/g6.xlarge', 3, 'misses SLO'],
      ['aws/g6.xlarge', 2, 'meets SLO'],
      ['aws/g6.xlarge', 2.5, 'meets SLO'],
      ['gcp/g2-standard-8', 4, 'misses SLO'],
      ['gcp/g2-standard-8', 3.5, 'misses SLO'],
    ]);
    const spec = hardwareCostChart(sweep()) as { layer: { data: { values: object[] } }[] };
    // g6's cheapest meeting the SLO is 2 replicas at $2.0 (the $3.0 of 1 replica misses it); no g2 meets it.
    expect(spec.layer[0].data.values).toEqual([
      {
        hardware: 'aws/g6.xlarge',
        usd_per_1m_tokens: 2,
        configuration: 'fleets.0.instance=aws/g6.xlarge, fleets.0.replicas=2',
      },
    ]);
  });

  it('without an SLO the bars mark the cheapest of each instance type', () => {
    const result = sweep();
    for (const r of result.rows) r.meets_slo = null;
    const spec = hardwareCostChart(result) as {
      layer: { data: { values: { usd_per_1m_tokens: number }[] } }[];
    };
    expect(spec.layer[0].data.values.map((v) => v.usd_per_1m_tokens)).toEqual([2, 3.5]);
  });

  it('leaves out the hardware chart when no instance type was swept, and charts without data', () => {
    const result = sweep();
    result.parameters = result.parameters.filter((p) => p.path !== 'fleets.0.instance');
    expect(hardwareCostChart(result)).toBeNull();
    expect(assembleSweepCharts(result).map((c) => c.name)).toEqual(['cost-vs-p99']);
    expect(assembleSweepCharts({ ...sweep(), rows: [] })).toEqual([]);
  });
});

function candidate(params: Record<string, unknown>, meets: boolean, variant = 'baseline'): PlanCandidate {
  return {
    params,
    variant,
    status: 'ok',
    reason: null,
    meets_slo: meets,
    cost_usd_per_hour: 2 * (params['fleets.0.replicas'] as number),
    cost_usd: null,
    cost_per_1k_requests_usd: null,
    slo: {
      met: meets,
      default: false,
      objectives: [],
      met_at_upper_ci95: null,
      met_by_replication: [meets],
      met_share: meets ? 1 : 0,
      met_share_ci95: meets ? [0.2065493143, 1] : [0, 0.7934506857],
    },
    metrics: { 'requests.arrived': 900, 'simulated_s.arrivals_end': 400, 'simulated_s.warmup': 100 },
    ci95: null,
    warnings: [],
    performance: {},
    model_uncertainty: null,
    max_sustainable: null,
  };
}

/** Replicas needed at loads 1, 1.5 and 2 for two instance types; g2 misses at 2 even with the most tried. */
function plan(): Pick<PlanResult, 'growth' | 'search' | 'candidates' | 'best'> {
  const at = (scale: number, g6: number, g2: number | null) => ({
    scale,
    best: null,
    candidates: [
      candidate({ 'fleets.0.instance': 'aws/g6.xlarge', 'fleets.0.replicas': g6 }, true),
      candidate({ 'fleets.0.instance': 'gcp/g2-standard-8', 'fleets.0.replicas': g2 ?? 16 }, g2 !== null),
    ],
  });
  return {
    search: {
      key: 'fleets.0.replicas',
      values: Array.from({ length: 16 }, (_, i) => i + 1),
      choices: [{ path: 'fleets.0.instance', values: ['aws/g6.xlarge', 'gcp/g2-standard-8'] }],
      variants: ['baseline'],
    },
    growth: [at(1, 3, 5), at(1.5, 4, 9), at(2, 6, null)],
    // At the scenario's load (2): the g6 with 6 replicas meets it; the g2 misses even with 16.
    ...(() => {
      const base = at(2, 6, null);
      return { candidates: base.candidates, best: base.candidates[0] };
    })(),
  };
}

describe('plan charts', () => {
  it('capacity curves: the replicas each configuration needs at each load of growth', () => {
    const points = capacityPoints(plan());
    expect(points.map((p) => [p.configuration, p.load, p.needed])).toEqual([
      ['aws/g6.xlarge', 1, 3],
      ['gcp/g2-standard-8', 1, 5],
      ['aws/g6.xlarge', 1.5, 4],
      ['gcp/g2-standard-8', 1.5, 9],
      ['aws/g6.xlarge', 2, 6],
    ]);
    // 900 arrivals between warmup (100 s) and the end of arrivals (400 s).
    expect(points[0].rate_rps).toBe(3);
    expect(points[0].cost_usd_per_hour).toBe(6);
    expect(assemblePlanCharts({ ...plan(), growth: [] }).map((c) => c.name)).toEqual(['plan-candidates']);
  });

  it('candidates: what each costs a month, the pick solid, a miss a dashed outline that says what it missed', () => {
    const bars = candidateBars(plan());
    // $2 per replica-hour: 6 replicas $12/h, 16 replicas $32/h; 730 hours a month.
    expect(bars.map((b) => [b.candidate, b.verdict, b.usd_per_hour, b.usd_per_month, b.text])).toEqual([
      ['instance=aws/g6.xlarge, replicas=6', 'the pick', 12, 8760, '$8,760 a month'],
      ['instance=gcp/g2-standard-8, replicas=16', 'misses SLO', 32, 23360, 'misses the objective'],
    ]);
    const [chart] = assemblePlanCharts(plan());
    expect(chart.name).toBe('plan-candidates');
    const [layer] = (chart.spec as unknown as ChartLayers).layer;
    expect(layer.encoding.x).toMatchObject({ field: 'usd_per_month', scale: { zero: true } });
    const fill = (layer.encoding as unknown as Record<string, Channel>).fill.scale;
    expect(fill.range[fill.domain.indexOf('misses SLO')]).toBe('transparent');
  });

  it('capacity curves plot what the capacity costs per hour against arrivals per second, from zero', () => {
    const [, chart] = assemblePlanCharts(plan());
    const [line] = (
      chart.spec as { layer: { encoding: Record<string, { field: string; scale?: object }> }[] }
    ).layer;
    expect(line.encoding.x).toMatchObject({ field: 'rate_rps', scale: { zero: true } });
    expect(line.encoding.y).toMatchObject({ field: 'cost_usd_per_hour', scale: { zero: true } });
    // A point without an arrival rate puts every point back on workload.scale.
    const noRate = plan();
    noRate.growth[0].candidates[0].metrics = {};
    const [, fallback] = assemblePlanCharts(noRate);
    const [first] = (fallback.spec as { layer: { encoding: Record<string, { field: string }> }[] }).layer;
    expect(first.encoding.x.field).toBe('load');
  });

  it('capacity curves leave out a configuration that cannot run, and say so', () => {
    const withInfeasible = plan();
    for (const level of withInfeasible.growth) {
      level.candidates.push({
        ...candidate({ 'fleets.0.instance': 'aws/g6e.xlarge', 'fleets.0.replicas': 16 }, false),
        status: 'infeasible',
        reason: 'fleets[0].instance: no room for a KV cache',
        slo: null,
        metrics: {},
      });
    }
    expect(capacityPoints(withInfeasible)).toEqual(capacityPoints(plan()));
    const subtitle = (p: ReturnType<typeof plan>) =>
      (assemblePlanCharts(p)[1].spec.title as { subtitle: string[] }).subtitle.join(' ');
    expect(subtitle(withInfeasible)).toMatch(/and so are those that cannot run at all\.$/);
    expect(subtitle(plan())).not.toMatch(/cannot run/);
  });

  it('every sweep and plan chart compiles without a vega-lite warning', async () => {
    const replicated = sweep();
    for (const r of replicated.rows) r.ci95 = { 'latency_s.p99': 0.25 };
    const charts = [...assembleSweepCharts(replicated), ...assemblePlanCharts(plan())];
    expect(charts.map((c) => c.name)).toEqual([
      'cost-vs-p99',
      'cost-per-1m-tokens-by-hardware',
      'plan-candidates',
      'capacity-curves',
    ]);
    for (const chart of charts) {
      const { svg, warnings } = await renderChart(chart.spec);
      expect(warnings, chart.name).toEqual([]);
      expect(svg, chart.name).toMatch(/^<svg /);
    }
    const capacity = await renderChart(charts[3].spec);
    expect(capacity.svg).toContain('cost of the capacity needed (USD per hour)');
    expect(capacity.svg).toContain('load (arrivals, req/s)');
    expect(capacity.svg).toContain('gcp/g2-standard-8');
    expect(capacity.svg).toContain('fleets.0.instance');
  });
});

async function cli(args: string[], cwd: string) {
  let stderr = '';
  const io: CliIo = { stdout: () => {}, stderr: (t) => (stderr += t), cwd };
  return { code: await runCli(args, io), stderr };
}

const SMALL = `name: small
seed: 4
duration: 200
warmup: 20
workload:
  arrivals: { poisson: { rate: 5 } }
fleets:
  - { name: gpu, replicas: 1, concurrency: 2, price_per_hour: 1.5, service_time: 300ms }
slo: { latency_p99: 1s }
sweep:
  grid: { fleets.0.replicas: [1, 2, 3] }
`;

describe('sweep, merge and plan write their charts beside their JSON', () => {
  it('sweep and merge draw them, PNGs on request; shards draw none', async () => {
    const dir = tempDir('sweep-charts');
    writeScenario(dir, SMALL);
    const charts = (folder: string) => readdirSync(join(dir, folder)).filter((f) => f.startsWith('cost'));
    const whole = await cli(['sweep', 'scenario.yaml', '--out', 'whole', '--workers', '1'], dir);
    expect(whole.code).toBe(0);
    expect(whole.stderr).toContain('and 1 chart(s): whole/cost-vs-p99 (.vl.json, .svg)');
    expect(charts('whole')).toEqual(['cost-vs-p99.svg', 'cost-vs-p99.vl.json']);
    for (const shard of ['0/2', '1/2']) {
      const { code } = await cli(
        ['sweep', 'scenario.yaml', '--out', `shard-${shard[0]}`, '--shard', shard, '--workers', '1'],
        dir,
      );
      expect(code).toBe(0);
      expect(readdirSync(join(dir, `shard-${shard[0]}`))).toEqual([
        '.fleetsim',
        'points',
        'sweep.csv',
        'sweep.json',
      ]);
    }
    const merged = await cli(['merge', 'shard-0', 'shard-1', '--out', 'merged', '--png'], dir);
    expect(merged.code).toBe(0);
    expect(merged.stderr).toContain('and 1 chart(s): merged/cost-vs-p99 (.vl.json, .svg, .png)');
    expect(charts('merged')).toEqual(['cost-vs-p99.png', 'cost-vs-p99.svg', 'cost-vs-p99.vl.json']);
    const spec = (folder: string) => readFileSync(join(dir, folder, 'cost-vs-p99.vl.json'), 'utf8');
    expect(spec('merged')).toBe(spec('whole'));
    const values = (JSON.parse(spec('whole')) as { data: { values: { configuration: string }[] } }).data
      .values;
    expect(values.map((v) => v.configuration)).toEqual([1, 2, 3].map((n) => `fleets.0.replicas=${n}`));
  });

  it('plan draws capacity curves when it searched at several loads', async () => {
    const dir = tempDir('plan-charts');
    writeScenario(dir, SMALL);
    const { code, stderr } = await cli(
      [
        'plan',
        'scenario.yaml',
        '--out',
        'plan',
        '--no-capacity',
        '--workers',
        '1',
        '--vary',
        'workload.scale=[1, 2]',
        '--png',
      ],
      dir,
    );
    expect(code).toBe(0);
    expect(stderr).toContain(
      'and 2 chart(s): plan/plan-candidates, plan/capacity-curves (.vl.json, .svg, .png)',
    );
    expect(readdirSync(join(dir, 'plan')).filter((f) => f.endsWith('.png'))).toEqual([
      'capacity-curves.png',
      'plan-candidates.png',
    ]);
    const result = JSON.parse(readFileSync(join(dir, 'plan/plan.json'), 'utf8')) as PlanResult;
    const spec = JSON.parse(readFileSync(join(dir, 'plan/capacity-curves.vl.json'), 'utf8'));
    expect(spec.data.values.map((v: { load: number; needed: number }) => [v.load, v.needed])).toEqual(
      result.growth.map((level) => [level.scale, level.best?.params['fleets.0.replicas']]),
    );
  });
});
