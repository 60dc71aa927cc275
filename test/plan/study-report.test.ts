import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';
import { formatSeconds } from '../../src/core/format.js';
import {
  NO_PICK,
  type PlanResult,
  runPlan,
  type SweepResult,
  type SweepRow,
  sweepAnswer,
} from '../../src/plan/index.js';
import { tempDir, writeScenario } from './helpers.js';

/**
 * Poisson arrivals at 5/s, 300 ms of work, two slots a replica at $1.50 an hour. One replica
 * (6.7 requests/s of capacity) queues past the 1 s p99; two or three keep up.
 */
const SCENARIO = `name: small
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

const HOSTILE = '</script><b>x';

async function cli(args: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function row(
  point: number,
  params: Record<string, unknown>,
  hourly: number,
  meets: boolean | null,
): SweepRow {
  return {
    point,
    variant: 'baseline',
    params,
    status: 'ok',
    reason: null,
    meets_slo: meets,
    pareto: false,
    replications: 1,
    metrics: {
      cost_usd_per_hour: hourly,
      'cost_usd.total': hourly / 10,
      'latency_s.p99': 0.5,
      'requests.arrived': 600 * (params['workload.scale'] as number),
      'simulated_s.warmup': 0,
      'simulated_s.arrivals_end': 120,
    },
    ci95: null,
    slo: null,
    model_draws: false,
    warnings: [],
    performance: {},
  };
}

describe('the answer of a sweep', () => {
  it('picks the cheapest per hour that meets the objective at each load, never a cheaper one that misses', () => {
    // Replicas 1, 2, 4 at loads 1 and 2 ($1 per replica-hour): at load 1 one replica misses and two
    // meet; at load 2 two miss and four meet; at load 4 (only one replica swept) nothing meets.
    const rows = [
      row(0, { 'fleets.0.replicas': 1, 'workload.scale': 1 }, 1, false),
      row(1, { 'fleets.0.replicas': 2, 'workload.scale': 1 }, 2, true),
      row(2, { 'fleets.0.replicas': 4, 'workload.scale': 1 }, 4, true),
      row(3, { 'fleets.0.replicas': 1, 'workload.scale': 2 }, 1, false),
      row(4, { 'fleets.0.replicas': 2, 'workload.scale': 2 }, 2, false),
      row(5, { 'fleets.0.replicas': 4, 'workload.scale': 2 }, 4, true),
      row(6, { 'fleets.0.replicas': 4, 'workload.scale': 4 }, 4, false),
    ];
    const parameters = [
      { path: 'fleets.0.replicas', values: [1, 2, 4] },
      { path: 'workload.scale', values: [1, 2, 4] },
    ];
    const answer = sweepAnswer({ rows, parameters });
    expect(answer.byLoad).toBe(true);
    expect(answer.picks.map(({ scale, row, met }) => [scale, row?.point ?? null, met])).toEqual([
      [1, 1, 2],
      [2, 5, 1],
      [4, null, 0],
    ]);
    // 600 arrivals per unit of scale in 120 s: 5 requests/s at load 1, 10 at load 2.
    expect(answer.sustained).toEqual([
      { params: { 'fleets.0.replicas': 1 }, variant: 'baseline', scale: null, rate_rps: null, missed_at: 1 },
      { params: { 'fleets.0.replicas': 2 }, variant: 'baseline', scale: 1, rate_rps: 5, missed_at: 2 },
      { params: { 'fleets.0.replicas': 4 }, variant: 'baseline', scale: 2, rate_rps: 10, missed_at: 4 },
    ]);
    // Rows never judged: nothing to pick.
    const unjudged = sweepAnswer({ rows: rows.map((r) => ({ ...r, meets_slo: null })), parameters });
    expect(unjudged.unjudged).toBe(true);
    expect(unjudged.picks.every((pick) => pick.row === null)).toBe(true);
  });
});

describe('fleetsim sweep: report.html, summary.md and the answer on the terminal', () => {
  it('names the pick with its monthly cost and margin, and flags every configuration that misses', async () => {
    const dir = tempDir('sweep-report');
    writeScenario(dir, SCENARIO);
    const { code, stdout, stderr } = await cli(
      ['sweep', 'scenario.yaml', '--out', 'out', '--workers', '1'],
      dir,
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(readFileSync(join(dir, 'out/sweep.json'), 'utf8')) as SweepResult;
    const [one, two, three] = result.rows;
    expect([one.meets_slo, two.meets_slo, three.meets_slo]).toEqual([false, true, true]);
    // Two replicas at $1.50: $3.00 an hour, 730 hours a month.
    const p99 = two.metrics['latency_s.p99'] as number;
    const margin = Math.round((1 - p99) * 100);
    const pick = `fleets.0.replicas=2, $3.00 per hour ($2,190 a month of 730 hours), p99 latency ${formatSeconds(p99)}.`;
    const margins = `Margins: latency_p99 ${formatSeconds(p99)}, ${margin} % under its 1.00 s limit`;
    expect(stdout).toContain(
      `Pick (the cheapest per hour of the 2 that meet the objective): ${pick}\n  ${margins}`,
    );
    expect(stderr).toMatch(
      /wrote out\/sweep\.json, out\/sweep\.csv, out\/summary\.md, out\/report\.html and 1 chart/,
    );

    const summary = readFileSync(join(dir, 'out/summary.md'), 'utf8');
    expect(summary).toContain(`**Pick:** ${pick}`.replaceAll('_', '\\_'));
    const first = summary.split('\n').find((line) => line.startsWith('| 0 | 1 |'));
    expect(first).toContain('| $1.50 | $1,095 |');
    expect(first).toMatch(
      new RegExp(
        `\\| MISSED: latency\\\\_p99 ${formatSeconds(one.metrics['latency_s.p99'] as number)} \\\\> 1\\.00 s \\|$`,
      ),
    );
    expect(summary).toMatch(/^\| 1 \| 2 \| \$3\.00 \| \$2,190 \| .* \| met \|$/m);

    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).toContain('<p class="answer"><strong>Pick:</strong> fleets.0.replicas=2, $3.00 per hour');
    expect(html).toMatch(/<tr class="missed"><th scope="row">0<\/th><td>1<\/td>.*MISSED: latency_p99/);
    expect(html).toMatch(/<tr class="pick"><th scope="row">1<\/th><td>2<\/td>/);
    expect(html).toContain('id="chart-cost-vs-p99"');
    expect(html).not.toContain(NO_PICK);
  });

  it('says loudly that nothing meets an objective none can meet, and picks nothing', async () => {
    const dir = tempDir('sweep-report-none');
    writeScenario(dir, SCENARIO);
    const { code, stdout } = await cli(
      [
        'sweep',
        'scenario.yaml',
        '--out',
        'out',
        '--workers',
        '1',
        '--set',
        'slo.latency_p99=10ms',
        '--set',
        `name=${HOSTILE}`,
      ],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`${NO_PICK}: none is picked`);
    expect(stdout).not.toMatch(/Pick|cheapest/);
    const summary = readFileSync(join(dir, 'out/summary.md'), 'utf8');
    expect(summary).toContain(`**${NO_PICK}: none is picked.**`);
    expect(summary).not.toContain('Pick');
    expect(summary.match(/\| MISSED: latency\\_p99 /g)).toHaveLength(3);
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).toContain(`<p class="nopick">${NO_PICK}: none is picked.</p>`);
    expect(html).not.toContain('class="answer"');
    // A scenario's name is text, in the page and in its title.
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('<h1>Sweep: &#60;/script&#62;&#60;b&#62;x</h1>');
    expect(summary).toContain('# Sweep: \\</script\\>\\<b\\>x');
    expect(html).not.toContain('class="pick"');
  });

  it('with workload.scale swept, picks at each load and says how much load each configuration sustains', async () => {
    const dir = tempDir('sweep-report-load');
    writeScenario(dir, SCENARIO);
    const { code, stdout } = await cli(
      ['sweep', 'scenario.yaml', '--out', 'out', '--workers', '1', '--grid', 'workload.scale=[1, 2]'],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Pick at workload\.scale 1 \(/m);
    expect(stdout).toContain(
      'Load each configuration sustains (the largest workload.scale swept before its first miss):',
    );
    // One replica queues past the objective at the scenario's own load.
    expect(stdout).toContain('  fleets.0.replicas=1: none of the loads swept (misses at workload.scale 1)');
    // The rate shown is the one measured: Poisson at 5/s times the scale, to within its noise.
    const sustained = [
      ...stdout.matchAll(
        /^ {2}fleets\.0\.replicas=\d: (?:at least )?workload\.scale (\d+), ([\d.]+) requests\/s/gm,
      ),
    ];
    expect(sustained.length).toBeGreaterThan(0);
    for (const [, scale, rate] of sustained) expect(Number(rate)).toBeCloseTo(5 * Number(scale), -0.3);
    expect(readFileSync(join(dir, 'out/summary.md'), 'utf8')).toContain(
      '## Load each configuration sustains',
    );
    expect(readFileSync(join(dir, 'out/report.html'), 'utf8')).toContain('<table id="sustained">');
  });
});

const PLAN = `${SCENARIO.replace(/sweep:\n.*\n$/, '')}variants:
  - { name: slow, set: { fleets.0.service_time: 900ms, fleets.0.price_per_hour: 0.5 } }
  - { name: fast, set: { fleets.0.service_time: 100ms, fleets.0.price_per_hour: 4 } }
`;

describe('fleetsim plan: report.html and the answer on the terminal', () => {
  it('reports its progress with a total that only shrinks, to the configurations it ran', async () => {
    const dir = tempDir('plan-progress');
    const scenario = writeScenario(dir, PLAN);
    const seen: [number, number, number][] = [];
    const { result } = await runPlan({
      scenario,
      outDir: join(dir, 'out'),
      workers: 1,
      vary: ['fleets.0.replicas=1..4'],
      onProgress: (done, total, computed) => seen.push([done, total, computed]),
    });
    // Three candidates (the variants), each at most 1 + log2(4) = 3 bisection steps and 13 of the
    // load search (6 doublings to 64x, 6 halvings of the last to within 2 %, one at the scenario's load).
    expect(seen[0]).toEqual([0, 3 * (3 + 13), 0]);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
      expect(seen[i][1]).toBeLessThanOrEqual(seen[i - 1][1]);
      expect(seen[i][1]).toBeGreaterThanOrEqual(seen[i][0]);
    }
    expect(seen.at(-1)).toEqual([result.configurations, result.configurations, result.configurations]);
  });

  it('names the pick with its monthly cost and margins, lists the load each sustains, and writes report.html', async () => {
    const dir = tempDir('plan-report');
    writeScenario(dir, PLAN);
    const { code, stdout, stderr } = await cli(
      ['plan', 'scenario.yaml', '--out', 'out', '--workers', '1', '--vary', 'fleets.0.replicas=1..4'],
      dir,
    );
    expect(code, stderr).toBe(0);
    const plan = JSON.parse(readFileSync(join(dir, 'out/plan.json'), 'utf8')) as PlanResult;
    // The slow variant misses even with four replicas; the pick is the cheapest per hour of the others.
    const slow = plan.candidates.find((c) => c.variant === 'slow')!;
    expect(slow.meets_slo).toBe(false);
    expect(plan.best?.variant).toBe('baseline');
    expect(plan.best?.params).toEqual({ 'fleets.0.replicas': 2 });
    expect(stdout).toContain(
      'Pick (the cheapest per hour of the 2 that meet the objective): fleets.0.replicas=2 (variant baseline), $3.00 per hour ($2,190 a month of 730 hours)',
    );
    expect(stdout).toMatch(/^ {2}Margins: latency_p99 [\d.]+ ms, \d+ % under its 1\.00 s limit/m);
    expect(stdout).toContain('Load each candidate sustains within the objective');
    for (const entry of plan.candidates.filter((c) => c.meets_slo)) {
      const load = entry.max_sustainable!;
      expect(stdout).toContain(
        `(workload.scale ${load.scale}, ${load.growth.toFixed(2)}x the load planned for)`,
      );
      // Poisson at 5/s times the growth found, to within its noise.
      expect(load.rate_rps!).toBeCloseTo(5 * load.growth, -0.3);
    }
    expect(stderr).toContain('out/report.html');
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).toContain('<p class="answer"><strong>Pick:</strong> fleets.0.replicas=2 (variant baseline)');
    expect(html).toMatch(/<tr class="missed"><th scope="row">3<\/th><td>slow<\/td>.*missed: latency_p99/);
    expect(html).toContain('id="chart-plan-candidates"');
    expect(existsSync(join(dir, 'out/plan-candidates.svg'))).toBe(true);
    expect(existsSync(join(dir, 'out/plan-candidates.png'))).toBe(false);
  });

  it('says loudly that nothing meets an objective none can meet', async () => {
    const dir = tempDir('plan-report-none');
    writeScenario(dir, PLAN);
    const { code, stdout } = await cli(
      [
        'plan',
        'scenario.yaml',
        '--out',
        'out',
        '--workers',
        '1',
        '--no-capacity',
        '--vary',
        'fleets.0.replicas=[1, 2]',
        '--set',
        'slo.latency_p99=10ms',
      ],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toContain(`${NO_PICK}: none is picked`);
    expect(stdout).not.toMatch(/Pick|cheapest/);
    expect(readFileSync(join(dir, 'out/plan.md'), 'utf8')).toContain(`**${NO_PICK}: none is picked.**`);
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).toContain(`<p class="nopick">${NO_PICK}: none is picked.`);
    expect(html).not.toContain('class="pick"');
  });
});
