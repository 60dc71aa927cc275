import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/app.js';
import type { CliIo } from '../../src/cli/io.js';

/**
 * old.yaml and new.yaml: every service takes exactly 100 ms (300 ms for `slow` in new.yaml) and a
 * replica costs $1.00 an hour (`pricier`: $1.03 in new.yaml), so each cost per month is replicas
 * x $730 by hand: baseline 2 -> 4 replicas, $1,460 -> $2,920; `gone` (3 replicas, only in old)
 * $2,190; `extra` (8, only in new) $5,840; `pricier` $730 -> $751.90, +3 %.
 */
const FIXTURES = resolve(import.meta.dirname, '../fixtures/diff');
const ROOT = resolve(import.meta.dirname, '../..');

async function cli(args: string[], cwd = FIXTURES) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

interface Change {
  old: number | null;
  new: number | null;
  delta_pct: number | null;
  difference_ci95: [number, number] | null;
  changed: boolean;
}

interface DiffJson {
  old: { label: string; file: string; scenario: string; seed: number; slo: string };
  new: { label: string; file: string; scenario: string; seed: number; slo: string };
  replications: number;
  noise: { rule: string; threshold_pct?: number };
  configurations: {
    name: string;
    status: string;
    slo: {
      old: { met: boolean; misses: string[] } | null;
      new: { met: boolean; misses: string[] } | null;
      newly_missed: string[];
    };
    metrics: Record<string, Change>;
  }[];
  fail_on: { rule: string; tripped: boolean; by: string[] }[];
}

const byName = (diff: DiffJson) => Object.fromEntries(diff.configurations.map((c) => [c.name, c]));

describe('fleetsim diff OLD NEW', () => {
  let diff: DiffJson;
  let out: string;
  let json: Awaited<ReturnType<typeof cli>>;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'fleetsim-diff-'));
    json = await cli(['diff', 'old.yaml', 'new.yaml', '--format', 'json', '--out', out, '--quiet']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    diff = JSON.parse(json.stdout);
  });

  it('pairs configurations by name: the new order, then those removed; added and removed ones by themselves', () => {
    expect(diff.configurations.map((c) => [c.name, c.status])).toEqual([
      ['baseline', 'changed'],
      ['small', 'unchanged'],
      ['slow', 'changed'],
      ['pricier', 'unchanged'],
      ['extra', 'added'],
      ['gone', 'removed'],
    ]);
    const { extra, gone } = byName(diff);
    expect(extra.slo.old).toBeNull();
    expect(extra.metrics.cost_usd_per_month.old).toBeNull();
    expect(extra.metrics.cost_usd_per_month.new).toBeCloseTo(8 * 730, 6);
    expect(gone.slo.new).toBeNull();
    expect(gone.metrics.cost_usd_per_month.old).toBeCloseTo(3 * 730, 6);
    expect(gone.metrics.cost_usd_per_month.new).toBeNull();
  });

  it('costs per month are replicas x price x 730 hours: doubling the replicas doubles the cost exactly', () => {
    const { baseline, small } = byName(diff);
    const cost = baseline.metrics.cost_usd_per_month;
    expect(cost.old).toBeCloseTo(2 * 730, 6);
    expect(cost.new).toBeCloseTo(4 * 730, 6);
    expect(cost.delta_pct).toBeCloseTo(100, 6);
    expect(cost.changed).toBe(true);
    expect(small.metrics.cost_usd_per_month.new).toBeCloseTo(730, 6);
    // Four replicas at 4 requests a second hardly ever queue: p99 is the 100 ms service, within the sketch's 1 %.
    expect(baseline.metrics['latency_s.p99'].new).toBeGreaterThanOrEqual(0.099);
    expect(baseline.metrics['latency_s.p99'].new).toBeLessThanOrEqual(0.101);
  });

  it('--set overrides a key of both sides: the baselines at 3 replicas cost 3 x $730 each', async () => {
    const set = await cli([
      'diff',
      'old.yaml',
      'new.yaml',
      '--format',
      'json',
      '--quiet',
      '--set',
      'fleets.0.replicas=3',
    ]);
    expect(set.code).toBe(0);
    const { baseline } = byName(JSON.parse(set.stdout) as DiffJson);
    expect(baseline.metrics.cost_usd_per_month.old).toBeCloseTo(3 * 730, 6);
    expect(baseline.metrics.cost_usd_per_month.new).toBeCloseTo(3 * 730, 6);
    const bad = await cli(['diff', 'old.yaml', 'new.yaml', '--quiet', '--set', 'fleets.0.replicaz=3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--set:1:1: fleets\.0\.replicaz: unknown key "replicaz"/);
  });

  it('a configuration that overflows is loud: its newly missed objectives and its lost requests', () => {
    const { slow } = byName(diff);
    expect(slow.slo.old?.met).toBe(true);
    expect(slow.slo.new?.met).toBe(false);
    expect(slow.slo.newly_missed).toHaveLength(2);
    expect(slow.slo.newly_missed[0]).toMatch(/^latency_p99 \S+ s > 1\.00 s$/);
    expect(slow.slo.newly_missed[1]).toMatch(/^drop rate \S+ % > 1\.0 %$/);
    // One replica serves at most 1 / 0.3 s = 3.33 of the 4 requests a second: about 1/6 is lost.
    const share = slow.metrics.drop_rate.new!;
    expect(share).toBeGreaterThan(0.12);
    expect(share).toBeLessThan(0.22);
    expect(slow.metrics['requests.lost'].old).toBe(0);
    expect(slow.metrics['requests.lost'].changed).toBe(true);
    // A served request waited less than the 10 s queue timeout, then took 300 ms.
    expect(slow.metrics['latency_s.p99'].new).toBeGreaterThan(9);
    expect(slow.metrics['latency_s.p99'].new).toBeLessThanOrEqual(10.3 * 1.01);
  });

  it('without replications a change of at most 5 % is noise; an identical configuration is unchanged', () => {
    expect(diff.noise).toEqual({ rule: 'threshold', threshold_pct: 5, quantile_pct: 2 });
    const { pricier, small } = byName(diff);
    const cost = pricier.metrics.cost_usd_per_month;
    expect(cost.new).toBeCloseTo(1.03 * 730, 6);
    expect(cost.delta_pct).toBeCloseTo(3, 6);
    expect(cost.changed).toBe(false);
    for (const [key, change] of Object.entries(small.metrics)) {
      expect(change.new, key).toBe(change.old);
      expect(change.changed, key).toBe(false);
    }
  });

  it('labels the sides by file name when both files share one name:', () => {
    expect(diff.old).toMatchObject({ label: 'old.yaml', file: 'old.yaml', scenario: 'review', seed: 5 });
    expect(diff.new).toMatchObject({ label: 'new.yaml', file: 'new.yaml', scenario: 'review', seed: 5 });
  });

  it('table: the changed figures old and new, the unchanged configurations, the noise rule', async () => {
    const { code, stdout, stderr } = await cli(['diff', 'old.yaml', 'new.yaml', '--quiet']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('fleetsim diff: old.yaml (review, seed 5) → new.yaml (review, seed 5)');
    expect(lines[2]).toMatch(
      /^slow NEWLY MISSES its objective: latency_p99 .* > 1\.00 s; drop rate .* > 1\.0 %$/,
    );
    expect(stdout).toMatch(/\nbaseline +objective +meets +meets\n +cost \/ month +\$1,460 +\$2,920 +2\.0x\n/);
    expect(stdout).toMatch(/\nslow +objective +meets +MISSES +NEWLY MISSES\n/);
    expect(stdout).toMatch(/\nextra \(added\) +objective +- +meets\n +cost \/ month +- +\$5,840\n/);
    expect(stdout).toMatch(/\ngone \(removed\) +objective +meets +-\n +cost \/ month +\$2,190 +-\n/);
    // Only what changed is listed under a changed configuration: the baseline lost nothing before or after.
    const baseline = stdout.slice(stdout.indexOf('\nbaseline '), stdout.indexOf('\nslow '));
    expect(baseline).not.toContain('lost');
    const unchanged = stdout.slice(stdout.indexOf('Unchanged beyond noise:'));
    expect(unchanged).toMatch(/\nsmall +meets +\$730 /);
    expect(unchanged).toMatch(/\npricier +meets +\$752 \(~\+3\.0 %\) /);
    expect(stdout).toContain('a figure that moved by at most 5 % is taken as unchanged');
  });

  it('markdown: one table of what changed, the unchanged ones in a section of their own', async () => {
    const { code, stdout } = await cli(['diff', 'old.yaml', 'new.yaml', '--format', 'markdown', '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(out, 'diff.md'), 'utf8'));
    expect(
      stdout.startsWith('## fleetsim diff: old.yaml (review, seed 5) → new.yaml (review, seed 5)\n'),
    ).toBe(true);
    expect(stdout).not.toContain('<!--');
    expect(stdout).toMatch(/\n> \*\*slow NEWLY MISSES its objective: latency_p99 /);
    expect(stdout).toContain('\n| baseline | changed | meets | $1,460 → $2,920 (2.0x) |');
    expect(stdout).toMatch(/\n\| slow \| changed \| meets → MISSES \| \$730 \|/);
    expect(stdout).toContain('\n| extra | added | meets | $5,840 |');
    expect(stdout).toContain('\n| gone | removed | meets | $2,190 |');
    expect(stdout).toContain('\n### 2 configurations unchanged beyond noise\n');
    // A lone ~ pair in one line would strike text through on GitHub.
    expect(stdout).toContain('| pricier | meets | $752 (\\~+3.0 %) |');
  });

  it('github-comment: the marker a bot finds, a caution alert, the unchanged rows folded away', async () => {
    const { code, stdout } = await cli([
      'diff',
      'old.yaml',
      'new.yaml',
      '--format',
      'github-comment',
      '--quiet',
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe(readFileSync(join(out, 'comment.md'), 'utf8'));
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('<!-- fleetsim-diff -->');
    expect(lines[1]).toMatch(/^## fleetsim diff: /);
    expect(stdout).toMatch(/\n> \[!CAUTION\]\n> \*\*slow NEWLY MISSES its objective: /);
    const open = stdout.indexOf('<details><summary>2 configurations unchanged beyond noise</summary>');
    const close = stdout.indexOf('</details>');
    expect(open).toBeGreaterThan(0);
    const folded = stdout.slice(open, close);
    const table = stdout.slice(0, open);
    for (const name of ['small', 'pricier']) {
      expect(folded).toContain(`\n| ${name} |`);
      expect(table).not.toContain(`\n| ${name} |`);
    }
    for (const name of ['baseline', 'slow', 'extra', 'gone']) expect(table).toContain(`\n| ${name} |`);
  });

  it('json: what --out wrote, with the fail-on results empty when none was asked for', () => {
    expect(readFileSync(join(out, 'diff.json'), 'utf8')).toBe(json.stdout);
    expect(diff.fail_on).toEqual([]);
    expect(diff.replications).toBe(1);
  });
});

describe('fleetsim diff --fail-on', () => {
  const cases: [string, number, RegExp | null][] = [
    ['slo', 3, /^fleetsim: --fail-on slo tripped: slow newly misses its objective: latency_p99 /],
    ['lost', 3, /^fleetsim: --fail-on lost tripped: slow loses more requests: 0 → \d+$/],
    [
      'cost:+10%',
      3,
      /^fleetsim: --fail-on cost:\+10% tripped: baseline cost per month rose 2\.0x, more than \+10 %$/,
    ],
    // The baseline doubled (+100 %); an added configuration has nothing to rise from.
    ['cost:+150%', 0, null],
    ['p99:+20%', 3, /^fleetsim: --fail-on p99:\+20% tripped: slow p99 latency rose \d+x, more than \+20 %$/],
    // A threshold under the 5 % noise allowance is taken as given: pricier's +3 % trips it and is shown.
    [
      'cost:+2%',
      3,
      /baseline cost per month rose 2\.0x, more than \+2 %; pricier cost per month rose \+3\.0 %/,
    ],
  ];
  for (const [rule, exit, line] of cases) {
    it(`${rule}: exit ${exit}`, async () => {
      const { code, stdout, stderr } = await cli([
        'diff',
        'old.yaml',
        'new.yaml',
        '--quiet',
        '--fail-on',
        rule,
      ]);
      expect(code).toBe(exit);
      if (line === null) {
        expect(stderr).toBe('');
        expect(stdout).toContain(`--fail-on ${rule}: passed`);
      } else {
        expect(stderr.trimEnd().split('\n')).toHaveLength(1);
        expect(stderr.trimEnd()).toMatch(line);
        expect(stdout).toContain(`--fail-on ${rule}: TRIPPED: `);
      }
    });
  }

  it('a threshold that trips shows its figure as changed, whatever the noise allowance', async () => {
    const { stdout } = await cli([
      'diff',
      'old.yaml',
      'new.yaml',
      '--quiet',
      '--format',
      'json',
      '--fail-on',
      'cost:+2%',
    ]);
    const pricier = byName(JSON.parse(stdout)).pricier;
    expect(pricier.status).toBe('changed');
    expect(pricier.metrics.cost_usd_per_month.changed).toBe(true);
  });

  it('rules are repeatable and comma-separated, each once', async () => {
    const { code, stdout } = await cli([
      'diff',
      'old.yaml',
      'new.yaml',
      '--quiet',
      '--format',
      'json',
      '--fail-on',
      'slo,cost:+150%',
      '--fail-on',
      'slo',
    ]);
    expect(code).toBe(3);
    expect((JSON.parse(stdout) as DiffJson).fail_on.map((r) => [r.rule, r.tripped])).toEqual([
      ['slo', true],
      ['cost:+150%', false],
    ]);
  });

  it('the same file twice: nothing changed, nothing trips, and a configuration that misses is still named on top', async () => {
    const { code, stdout, stderr } = await cli([
      'diff',
      'new.yaml',
      'new.yaml',
      '--quiet',
      '--fail-on',
      'slo,lost,p99:+1%',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('fleetsim diff: old (new.yaml, seed 5) → new (new.yaml, seed 5)');
    expect(lines[2]).toMatch(/^slow still MISSES its objective: latency_p99 .* > 1\.00 s; drop rate /);
    expect(stdout).toContain('\nNo configuration changed beyond noise.\n');
    expect(stdout).toMatch(/\nslow +MISSES +\$730 /);
  });

  it('bad rules are one line naming the flag, exit 2, before anything runs', async () => {
    const cases: [string, string][] = [
      [
        'cost:10%',
        '--fail-on: "cost:10%": expected a rise in percent with its sign, such as cost:+10%, got "10%"',
      ],
      [
        'cost:+ten%',
        '--fail-on: "cost:+ten%": expected a rise in percent with its sign, such as cost:+10%, got "+ten%"',
      ],
      [
        'cost-per-1m-token:+10%',
        '--fail-on: "cost-per-1m-token:+10%": unknown figure "cost-per-1m-token"; did you mean "cost-per-1m-tokens"?',
      ],
      ['p99', '--fail-on: "p99": expected a rise after the figure, such as p99:+10%'],
      ['slo:+5%', '--fail-on: "slo:+5%": slo takes no threshold (any objective newly missed trips it)'],
      [
        'latency:+5%',
        `--fail-on: "latency:+5%": unknown figure "latency"; one of slo, lost, cost, cost-per-1m-tokens, cost-per-1k-requests, p50, p99, ttft-p50, ttft-p99, tpot-p50, tpot-p99`,
      ],
      ['slo,', '--fail-on: "": expected slo, lost, or a figure and a rise such as cost:+10%'],
    ];
    for (const [rule, message] of cases) {
      // The files do not exist: the flag is checked first.
      const { code, stdout, stderr } = await cli([
        'diff',
        'missing-a.yaml',
        'missing-b.yaml',
        '--fail-on',
        rule,
      ]);
      expect(stderr, rule).toBe(`fleetsim: ${message}\n`);
      expect(code, rule).toBe(2);
      expect(stdout).toBe('');
    }
  });
});

describe('fleetsim diff flags', () => {
  it('a mistyped flag is named with the closest one', async () => {
    const { code, stderr } = await cli(['diff', 'old.yaml', 'new.yaml', '--fail-onn', 'slo']);
    expect(stderr).toBe('fleetsim: unknown option --fail-onn; did you mean --fail-on?\n');
    expect(code).toBe(2);
  });
});

describe('fleetsim diff on a run a limit cut short', () => {
  it('prints the diff with the run PARTIAL, says which limit, and exits 2 whatever --fail-on says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-diff-cut-'));
    copyFileSync(join(FIXTURES, 'old.yaml'), join(dir, 'old.yaml'));
    writeFileSync(
      join(dir, 'cut.yaml'),
      readFileSync(join(FIXTURES, 'old.yaml'), 'utf8').replace(
        '  - { name: small,',
        '  - { name: cut, set: { limits.max_events: 4000 } }\n  - { name: small,',
      ),
    );
    const { code, stdout, stderr } = await cli(
      ['diff', 'old.yaml', 'cut.yaml', '--quiet', '--fail-on', 'slo'],
      dir,
    );
    expect(code).toBe(2);
    expect(stdout).toMatch(/\ncut \(added\) +objective +- +PARTIAL +NEWLY MISSES\n/);
    // A variant's limit is not in the file's limits:, so the line has no position to give.
    expect(stderr).toMatch(/^fleetsim: new\/cut: PARTIAL: stopped by limits\.max_events /);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('fleetsim diff --replications', () => {
  it('judges a change by the interval of its paired differences: a fixed +3 % of cost is real there', async () => {
    const { code, stdout } = await cli([
      'diff',
      'old.yaml',
      'new.yaml',
      '--quiet',
      '--format',
      'json',
      '--replications',
      '3',
    ]);
    expect(code).toBe(0);
    const diff = JSON.parse(stdout) as DiffJson;
    expect(diff.replications).toBe(3);
    expect(diff.noise.rule).toBe('ci95');
    const { pricier, small, baseline } = byName(diff);
    const cost = pricier.metrics.cost_usd_per_month;
    // A fixed fleet costs the same on every seed: every paired difference is 0.03 x $730 = $21.90.
    expect(cost.difference_ci95![0]).toBeCloseTo(21.9, 6);
    expect(cost.difference_ci95![1]).toBeCloseTo(21.9, 6);
    expect(cost.changed).toBe(true);
    expect(pricier.status).toBe('changed');
    expect(small.status).toBe('unchanged');
    expect(baseline.metrics.cost_usd_per_month.difference_ci95).toEqual([1460, 1460]);
  });
});

describe('fleetsim diff labels', () => {
  it('uses the scenario names when they differ', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-diff-names-'));
    copyFileSync(join(FIXTURES, 'old.yaml'), join(dir, 'old.yaml'));
    writeFileSync(
      join(dir, 'new.yaml'),
      readFileSync(join(FIXTURES, 'new.yaml'), 'utf8').replace('name: review', 'name: review-v2'),
    );
    const { code, stdout } = await cli(['diff', 'old.yaml', 'new.yaml', '--quiet'], dir);
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(
      'fleetsim diff: review (old.yaml, seed 5) → review-v2 (new.yaml, seed 5)',
    );
  });
});

describe("README's Reviewing a change", () => {
  it('pastes what the demo and its copy on two A10Gs give, and the exit code it names', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Reviewing a change'));
    const [commands, shown] = [...section.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)].map((m) => m[1]);
    const lines = commands.trim().split('\n');
    expect(lines[1]).toBe(
      "sed -i 's/fleets.0.replicas: 3/fleets.0.replicas: 2/' scenarios/demo-two-a10g.yaml",
    );
    // The same layout in a folder of its own: scenarios/ beside traces/, as in the package.
    const dir = mkdtempSync(join(tmpdir(), 'fleetsim-diff-readme-'));
    mkdirSync(join(dir, 'scenarios'));
    symlinkSync(join(ROOT, 'traces'), join(dir, 'traces'));
    const demo = readFileSync(join(ROOT, 'scenarios/demo.yaml'), 'utf8');
    expect(demo.match(/fleets\.0\.replicas: 3/g)).toHaveLength(1);
    writeFileSync(join(dir, 'scenarios/demo.yaml'), demo);
    writeFileSync(
      join(dir, 'scenarios/demo-two-a10g.yaml'),
      demo.replace('fleets.0.replicas: 3', 'fleets.0.replicas: 2'),
    );
    const args = lines[2].split(' ').slice(1);
    const { code, stdout, stderr } = await cli([...args, '--quiet'], dir);
    expect(stdout).toBe(shown);
    expect(code).toBe(3);
    expect(stderr).toBe(
      'fleetsim: --fail-on slo tripped: a10g-int8 newly misses its objective: drop rate 7.3 % > 1.0 %\n',
    );
  }, 60_000);
});
