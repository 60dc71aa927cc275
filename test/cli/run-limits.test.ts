import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';

const NO_CHARTS = ['--set', 'report.charts=[]'];

const RATE_BOMB = `name: rate-bomb
duration: 60s
workload:
  arrivals:
    poisson: { rate: "t < 30 ? 1e9 : 1" }
fleets:
  - { name: cpu, replicas: 2, price_per_hour: 1, service_time: { exponential: { mean: 100ms } } }
`;

const SLOW_DRAIN = `name: slow-drain
duration: 60s
workload: { arrivals: { poisson: { rate: 5 } } }
fleets:
  - name: cpu
    replicas: { min: 1, max: 8, initial: 1 }
    price_per_hour: 1
    service_time: 1e12ms
    autoscaling: { policy: target-tracking, metric: concurrency, target: 2 }
`;

/** tiny.yaml's fleet, once as written and once at a tenth of the price but cut short by max_events. */
const CHEAP_BUT_CUT = `name: cheap
seed: 3
duration: 10m
workload:
  arrivals: { poisson: { rate: 5 } }
  output_tokens: { uniform: { min: 10, max: 200 } }
fleets:
  - { name: gpu, replicas: 2, concurrency: 2, price_per_hour: 1.5, service_time: "50ms + 2ms * output_tokens" }
variants:
  - { name: cheap-cut, set: { fleets.0.price_per_hour: 0.15, limits.max_events: 4000 } }
`;

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleetsim-limits-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function cli(args: string[], cwd: string, extra: Partial<CliIo> = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, ...extra };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('run limits on the command line', () => {
  it('refuses a rate of 1e9 req/s before running, at the rate, with exit 2 and no output', async () => {
    const dir = folder({ 'rate.yaml': RATE_BOMB });
    const { code, stdout, stderr } = await cli(['run', 'rate.yaml', '--out', 'out'], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')).toEqual([
      'rate.yaml:5:22: workload.arrivals.poisson.rate: about 3.0e+10 requests (5.0e+8 req/s on average over 1m) need at least 3.0e+10 events, more than limits.max_events (1,000,000,000): the run could not finish; lower the load or the duration, or raise limits.max_events',
      '',
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('with limits raised by --set, the run stops at max_in_flight: exit 2 after every output, each marked partial', async () => {
    const dir = folder({ 'rate.yaml': RATE_BOMB });
    const set = ['--set', 'limits.max_events=null', '--set', 'limits.max_in_flight=20000', ...NO_CHARTS];
    const { code, stdout, stderr } = await cli(['run', 'rate.yaml', '--out', 'out', '--check', ...set], dir);
    // Not 3 (--check, objective missed) and not 0: the run did not finish.
    expect(code).toBe(2);
    const lines = stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(
      /^fleetsim: baseline: PARTIAL: stopped by limits\.max_in_flight at simulated t=[\d.e-]+ s \([\d,]+ requests in the system, more than limits\.max_in_flight \(20,000\)\); every output marks it so\. Raise limits\.max_in_flight in the scenario or with --set limits\.max_in_flight=<value> \(null: no limit\)$/,
    );
    expect(stdout).toMatch(/\nbaseline\s+PARTIAL\s+0\s/);
    expect(stdout).toContain(
      'baseline MISSES its objective: PARTIAL run, stopped by limits.max_in_flight at ',
    );

    const [baseline] = json(join(dir, 'out/summary.json')).variants;
    expect(Object.keys(baseline).slice(0, 3)).toEqual(['name', 'partial', 'slo']);
    expect(baseline.partial.limit).toBe('max_in_flight');
    expect(baseline.partial.at_s).toBeGreaterThan(0);
    expect(baseline.partial.at_s).toBeLessThan(0.001);
    expect(baseline.slo.met).toBe(false);
    expect(baseline.slo.partial).toBe(`limits.max_in_flight at ${baseline.partial.at_s} s simulated`);
    expect(baseline.warnings[0]).toMatch(/^PARTIAL: the run was stopped at /);
    expect(baseline.requests.in_flight_at_end).toBeGreaterThan(20_000);
    expect(baseline.requests.in_flight_at_end).toBeLessThanOrEqual(20_000 + 4096);
    const markdown = readFileSync(join(dir, 'out/summary.md'), 'utf8');
    expect(markdown).toContain('## baseline (PARTIAL: stopped by limits.max_in_flight)');
    expect(markdown).toMatch(/\| baseline \| PARTIAL \|/);
    const html = readFileSync(join(dir, 'out/report.html'), 'utf8');
    expect(html).toContain('PARTIAL run, stopped by limits.max_in_flight');
  });

  it('points at the limit in the scenario file when the file sets it', async () => {
    const dir = folder({
      'tiny.yaml': `duration: 10m
workload: { arrivals: { poisson: { rate: 5 } } }
fleets:
  - { name: gpu, replicas: 2, price_per_hour: 1.5, service_time: 100ms }
limits:
  max_events: 4000
`,
    });
    const { code, stderr } = await cli(['run', 'tiny.yaml', '--out', 'out', '--quiet', ...NO_CHARTS], dir);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^tiny\.yaml:6:15: baseline: PARTIAL: stopped by limits\.max_events at simulated t=[\dm s.]+ \(4,000 events handled, the most limits\.max_events allows\); /,
    );
    expect(stderr.split('\n')).toHaveLength(2);
    expect(json(join(dir, 'out/summary.json')).variants[0].events).toBe(4000);
  });

  it('announces a large run before it starts', async () => {
    const dir = folder({ 'cheap.yaml': CHEAP_BUT_CUT.slice(0, CHEAP_BUT_CUT.indexOf('variants:')) });
    const set = ['--set', 'limits.max_events=50000', ...NO_CHARTS];
    const { code, stderr } = await cli(['run', 'cheap.yaml', '--out', 'out', ...set], dir);
    expect(code).toBe(0);
    expect(stderr.split('\n')[0]).toBe(
      'fleetsim: warning: baseline: a large run: about 3,000 requests (5 req/s on average over 10m), about 6,000 events or more; limits.max_events (50,000) stops a run that needs more, as a partial result',
    );
  });

  it('compare never picks a configuration a limit cut short, however cheap', async () => {
    const dir = folder({ 'cheap.yaml': CHEAP_BUT_CUT });
    const { code, stderr } = await cli(
      ['compare', 'cheap.yaml', '--out', 'out', '--quiet', ...NO_CHARTS],
      dir,
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/^fleetsim: cheap-cut: PARTIAL: stopped by limits\.max_events /);
    const comparison = json(join(dir, 'out/comparison.json'));
    expect(readFileSync(join(dir, 'out/comparison.md'), 'utf8')).toContain('| objective | meets | PARTIAL |');
    const [baseline, cut] = comparison.rows;
    // Cut short after some 2,000 requests, with a handful unfinished: its figures alone would pass.
    expect(cut.values.drop_rate).toBeLessThan(0.01);
    expect(cut.values.cost_per_1k_requests_usd).toBeLessThan(baseline.values.cost_per_1k_requests_usd);
    expect(cut.slo_met).toBe(false);
    expect(cut.partial).toBe(true);
    expect(baseline.partial).toBeUndefined();
    expect(cut.slo_failures[0]).toMatch(/^PARTIAL run, stopped by limits\.max_events at [\d.]+ s simulated$/);
    expect(baseline.slo_met).toBe(true);
    expect(comparison.pick.label).toBe('baseline');
  });

  it('progress during the drain shows the requests in flight and the simulated time, not 100 % and ETA 0', async () => {
    const dir = folder({ 'drain.yaml': SLOW_DRAIN });
    let ms = 0;
    const { code, stderr } = await cli(['run', 'drain.yaml', '--out', 'out', ...NO_CHARTS], dir, {
      // Every clock read takes 2 s: every report past the first seconds is a line.
      now: () => (ms += 2000),
    });
    expect(code).toBe(0);
    const progress = stderr.split('\n').filter((l) => l.startsWith('fleetsim: baseline: '));
    const draining = progress.filter((l) => l.includes('draining'));
    expect(draining.length).toBeGreaterThan(0);
    for (const line of draining) {
      expect(line).toMatch(
        /^fleetsim: baseline: draining: \d+ in flight, simulated t=([\d]+m [0-5]\ds|1h 0[01]m) \(max_drain ends it by 1h 01m\), [\d,]+ requests, [\d.]+k? events\/s$/,
      );
    }
    expect(progress.some((l) => / 100 %|ETA 0 s/.test(l))).toBe(false);
    expect(stderr).toContain('draining stopped 1h after arrivals ended (max_drain)');
    const [baseline] = json(join(dir, 'out/summary.json')).variants;
    expect(baseline.simulated_s.end).toBe(3660);
    expect(baseline.partial).toBeUndefined();
  });
});
