import { describe, expect, it } from 'vitest';
import type { RequestCounts, VariantResult } from '../../src/metrics/index.js';
import {
  assembleCharts,
  chartedVariants,
  histogramRows,
  MAX_CHARTED,
  renderChart,
  renderSummaryMarkdown,
  summarize,
} from '../../src/report/index.js';
import { uniformPoints, variantResult } from './fixtures/variants.js';

/** `dropped` of 1000 measured requests lost, the rest completed. */
function counts(dropped: number): RequestCounts {
  return { arrived: 1000, completed: 1000 - dropped, dropped, timed_out: 0, in_flight_at_end: 0 };
}

/** A configuration with its cost per 1k requests and its requests lost out of 1000. */
function configuration(name: string, usdPer1k: number, dropped = 0): VariantResult {
  return variantResult(name, {
    requests: counts(dropped),
    cost_per_1k_requests_usd: usdPer1k,
    distributions: { latency_s: uniformPoints(1 + usdPer1k), queue_wait_s: [], ttft_s: [], tpot_s: [] },
  });
}

/** The variants a spec draws: every `variant` field of its inline data, in any view. */
function drawnNames(spec: object): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (typeof record.variant === 'string') names.add(record.variant);
      for (const child of Object.values(record)) visit(child);
    }
  };
  visit((spec as { data?: unknown }).data);
  visit((spec as { datasets?: unknown }).datasets);
  for (const key of ['layer', 'hconcat', 'vconcat'] as const) {
    for (const view of (spec as Record<string, object[] | undefined>)[key] ?? []) {
      for (const name of drawnNames(view)) names.add(name);
    }
  }
  return names;
}

function subtitleOf(spec: object): string[] {
  const subtitle = (spec as { title: { subtitle?: string | string[] } }).title.subtitle ?? [];
  return [subtitle].flat();
}

describe('charts of a thousand configurations', () => {
  // Costs fall with the index, so the cheapest are the last ones; every seventh drops 300 of
  // 1000 requests (misses the default objective of at most 1 % lost) and is cheaper than any.
  const many = Array.from({ length: 1000 }, (_, i) =>
    i % 7 === 3 ? configuration(`c${i}`, 0.5, 300) : configuration(`c${i}`, 2000 - i),
  );

  it('draw the first and the nine cheapest that meet the objective, and say so in every chart', () => {
    // Of c990 - c999, c990 and c997 (i % 7 === 3) miss the objective: the ninth cheapest that
    // meets it is c989. Drawn in the order of the run.
    const { variants, note } = chartedVariants({ variants: many });
    expect(variants.map((v) => v.name)).toEqual([
      'c0',
      'c989',
      'c991',
      'c992',
      'c993',
      'c994',
      'c995',
      'c996',
      'c998',
      'c999',
    ]);
    expect(note).toEqual([
      '10 of 1000 configurations drawn; the tables list every one.',
      'Drawn: the first, then those that meet the objective, cheapest per 1k requests first.',
    ]);
    const charts = assembleCharts({ variants: many });
    expect(charts.map((c) => c.name)).toEqual([
      'latency-cdf',
      'latency-histogram',
      'latency-percentiles',
      'cost-vs-p99',
      'unit-costs',
      'cost-breakdown',
    ]);
    for (const chart of charts) {
      expect([...drawnNames(chart.spec)].sort(), chart.name).toEqual(variants.map((v) => v.name).sort());
      expect(subtitleOf(chart.spec).slice(-2), chart.name).toEqual(note);
    }
  });

  it('fill up with those that miss the objective, fewest requests lost first, when too few meet it', () => {
    const variants = [
      configuration('first', 5, 500),
      configuration('meets-dear', 9),
      configuration('meets-cheap', 3),
      ...Array.from({ length: 20 }, (_, i) => configuration(`lost-${100 + i * 10}`, 1, 100 + i * 10)),
    ];
    const charted = chartedVariants({ variants });
    expect(charted.variants.map((v) => v.name)).toEqual([
      'first',
      'meets-dear',
      'meets-cheap',
      'lost-100',
      'lost-110',
      'lost-120',
      'lost-130',
      'lost-140',
      'lost-150',
      'lost-160',
    ]);
    expect(charted.note[1]).toBe(
      'Drawn: the first, then those that meet the objective, cheapest per 1k requests first, then those that miss it, fewest requests lost first.',
    );
  });

  it(`draw all of ${MAX_CHARTED} configurations without a note`, () => {
    const ten = Array.from({ length: MAX_CHARTED }, (_, i) => configuration(`c${i}`, 1 + i));
    const charted = chartedVariants({ variants: ten });
    expect(charted).toEqual({ variants: ten, note: [] });
    for (const chart of assembleCharts({ variants: ten })) {
      expect(subtitleOf(chart.spec).join(' '), chart.name).not.toContain('drawn');
    }
  });

  it('list every configuration in summary.md, the charts notwithstanding', () => {
    const summary = summarize('many', 1, many);
    expect(summary.variants).toHaveLength(1000);
    const markdown = renderSummaryMarkdown(summary);
    expect(markdown.match(/^## c\d+$/gm)).toHaveLength(1000);
    expect(markdown).toContain('| c999 |');
  });

  it('bin the latencies of two thousand configurations of a hundred points each', () => {
    // 2000 x 104 points: more arguments than a call takes, where Math.min(...points) overflowed the stack.
    const rows = histogramRows([...many, ...many.map((v) => ({ ...v, name: `${v.name}-again` }))], 2);
    expect(rows).toHaveLength(4000);
    const c0 = rows.filter((r) => r.variant === 'c0');
    // c0 is uniform on [0, 2001]: its two bins add up to all of it.
    expect(c0[0].share + c0[1].share).toBeCloseTo(1, 12);
    expect(rows[0].from_s).toBeCloseTo(1.5 * 0.01, 12);
  });
});

describe('rendering the charts of a thousand configurations', () => {
  it("succeeds where vega-lite's sort orders exhausted vega's stack", async () => {
    // vega-lite compiles a sort order of n names into n nested conditions, which vega parses
    // recursively: a thousand drawn at once was a RangeError and no report.
    const lossy = Array.from({ length: 1000 }, (_, i) => configuration(`lossy-${i}`, 1 + i, 1 + (i % 50)));
    const charts = assembleCharts({ variants: lossy, slo: { limits: [], maxDropRate: 0.5 } });
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) {
      const { svg, warnings } = await renderChart(chart.spec);
      expect(warnings, chart.name).toEqual([]);
      expect(svg, chart.name).toContain('10 of 1000 configurations drawn');
    }
    const percentiles = await renderChart(charts.find((c) => c.name === 'latency-percentiles')!.spec);
    expect(percentiles.svg).toContain('lossy-0 (lost 0.1 %)');
    expect(percentiles.svg).toContain('lossy-9 (lost 1.0 %)');
    expect(percentiles.svg).not.toContain('lossy-10 (lost');
  }, 60_000);
});
