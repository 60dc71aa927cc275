import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimateMean } from '../../src/plan/index.js';
import { buildDiff, type DiffSideInput } from '../../src/report/diff.js';
import type { VariantSummary } from '../../src/report/index.js';
import { runLoadedScenario } from '../../src/run.js';
import { loadScenarioFile } from '../../src/scenario/index.js';
import { DEFAULT_SLO, type Slo } from '../../src/scenario/types.js';

const TINY = resolve(import.meta.dirname, '../fixtures/cli/tiny.yaml');

/** A real summary, then figures set by hand on copies of it. */
let base: VariantSummary;

beforeAll(async () => {
  const loaded = await loadScenarioFile(TINY);
  if (!loaded.ok) throw new Error('tiny.yaml does not load');
  const {
    timeseries: _t,
    distributions: _d,
    capacity_events: _c,
    ...summary
  } = runLoadedScenario(loaded.value).results[0];
  base = summary;
});

function withFigures(p99: number, lost = 0): VariantSummary {
  const copy = structuredClone(base);
  copy.latency_s.p99 = p99;
  copy.requests = { ...copy.requests, dropped: lost, timed_out: 0, in_flight_at_end: 0 };
  return copy;
}

function side(label: string, replicates: VariantSummary[], slo: Slo = DEFAULT_SLO): DiffSideInput {
  return {
    label,
    file: `${label}.yaml`,
    scenario: 'tiny',
    seed: 3,
    slo,
    configurations: [{ name: 'baseline', replicates }],
  };
}

function p99Change(old: number[], now: number[]) {
  const diff = buildDiff(
    side(
      'old',
      old.map((x) => withFigures(x)),
    ),
    side(
      'new',
      now.map((x) => withFigures(x)),
    ),
    {
      replications: old.length,
      estimate: estimateMean,
    },
  );
  return diff.configurations[0].metrics['latency_s.p99'];
}

/** Mean and 95 % half-width by hand, with t(0.975) for 2 degrees of freedom from a t table. */
function interval(xs: number[]): [number, number] {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (xs.length - 1));
  const half = (4.3027 * s) / Math.sqrt(xs.length);
  return [mean - half, mean + half];
}

describe('the noise rule with replications: the 95 % interval of the paired differences', () => {
  it('a difference whose interval holds 0 is noise, though the means differ', () => {
    const change = p99Change([1.0, 1.1, 0.9], [1.05, 1.02, 0.96]);
    const [low, high] = interval([0.05, -0.08, 0.06]);
    expect(change.difference_ci95![0]).toBeCloseTo(low, 3);
    expect(change.difference_ci95![1]).toBeCloseTo(high, 3);
    expect(low).toBeLessThan(0);
    expect(change.old).toBeCloseTo(1.0, 9);
    expect(change.new).toBeCloseTo(1.01, 9);
    expect(change.changed).toBe(false);
  });

  it('one whose interval leaves 0 out has changed, though the intervals of the two means overlap', () => {
    const change = p99Change([1.0, 1.1, 0.9], [1.2, 1.31, 1.09]);
    const [low, high] = interval([0.2, 0.21, 0.19]);
    expect(change.difference_ci95![0]).toBeCloseTo(low, 3);
    expect(change.difference_ci95![1]).toBeCloseTo(high, 3);
    expect(low).toBeGreaterThan(0);
    // Each mean's own interval (±0.248) is wider than the shift of 0.2.
    expect(change.old_ci95!).toBeGreaterThan(0.2);
    expect(change.changed).toBe(true);
  });

  it('a percentile that moved less than the sketch resolves (2 %) has not changed, however steady', () => {
    const change = p99Change([1.0, 1.1, 0.9], [1.01, 1.11, 0.91]);
    expect(change.difference_ci95![0]).toBeCloseTo(0.01, 9);
    expect(change.changed).toBe(false);
  });
});

describe('the noise rule of one run: 5 %, and any change of lost requests', () => {
  it('takes a move of at most 5 % as noise', () => {
    expect(p99Change([1.0], [1.04]).changed).toBe(false);
    expect(p99Change([1.0], [1.05]).changed).toBe(false);
    expect(p99Change([1.0], [1.06]).changed).toBe(true);
    expect(p99Change([1.0], [0.94]).changed).toBe(true);
  });

  it('shows a single request more lost, and the verdict it turns', () => {
    const slo: Slo = { ...DEFAULT_SLO, maxDropRate: 0 };
    const diff = buildDiff(side('old', [withFigures(1)], slo), side('new', [withFigures(1, 1)], slo), {
      replications: 1,
      estimate: estimateMean,
      failOn: [
        { kind: 'lost', text: 'lost' },
        { kind: 'slo', text: 'slo' },
      ],
    });
    const [c] = diff.configurations;
    expect(c.metrics['requests.lost']).toMatchObject({ old: 0, new: 1, changed: true });
    expect(c.status).toBe('changed');
    expect(c.slo.old?.met).toBe(true);
    expect(c.slo.new?.met).toBe(false);
    expect(c.slo.newly_missed).toEqual([expect.stringMatching(/^drop rate \S+ % > 0\.0 %$/)]);
    expect(diff.fail_on.map((r) => r.tripped)).toEqual([true, true]);
  });

  it('names only the objectives newly missed when a configuration missed before too', () => {
    const slo: Slo = {
      ...DEFAULT_SLO,
      maxDropRate: 0,
      limits: [{ metric: 'latency', statistic: 'p99', seconds: 2 }],
    };
    const diff = buildDiff(side('old', [withFigures(1, 1)], slo), side('new', [withFigures(3, 1)], slo), {
      replications: 1,
      estimate: estimateMean,
    });
    const [c] = diff.configurations;
    expect(c.slo.old?.met).toBe(false);
    expect(c.slo.newly_missed).toEqual(['latency_p99 3.00 s > 2.00 s']);
    expect(c.slo.new?.misses).toHaveLength(2);
  });
});
