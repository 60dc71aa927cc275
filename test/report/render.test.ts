import { describe, expect, it } from 'vitest';
import { vegaSafe } from '../../src/report/charts/vega-safe.js';
import { assembleCharts, renderChart, renderPng } from '../../src/report/index.js';
import { uniformPoints, variantResult } from './fixtures/variants.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

const variants = [
  variantResult('small-fleet', {
    distributions: { latency_s: uniformPoints(4), queue_wait_s: [], ttft_s: uniformPoints(0.3), tpot_s: [] },
    cost_per_1m_tokens_usd: { input: 0.1, output: 0.5, total: 0.2 },
    timeseries: [0, 60, 120].map((time_s) => ({
      time_s,
      arrivals: 600,
      completed: 590,
      dropped: 0,
      timed_out: 0,
      queue_length: 3,
      busy_slots: 6,
      utilization: 0.75,
      replicas: 2,
      cost_usd_per_hour: 3,
      busy_slots_by_fleet: { gpu: 6 },
    })),
    simulated_s: { warmup: 0, arrivals_end: 170, end: 180 },
    capacity_events: [
      { time_s: 60, fleet: 'gpu', kind: 'scale', from: 2, to: 3 },
      { time_s: 150, fleet: 'gpu', kind: 'reclaim' },
    ],
  }),
  variantResult('large-fleet', {
    cost_per_1k_requests_usd: 3,
    latency_s: { mean: 0.3, p50: 0.3, p90: 0.5, p95: 0.6, p99: 0.7, p999: 0.8, max: 0.9 },
  }),
];

describe('rendering charts', () => {
  it('compiles every chart without a vega-lite warning and draws its titles into the SVG', async () => {
    const charts = assembleCharts({
      variants,
      slo: { limits: [{ metric: 'latency', statistic: 'p99', seconds: 0.9 }], maxDropRate: null },
    });
    expect(charts.map((c) => c.name)).toContain('ttft-cdf');
    for (const chart of charts) {
      const { svg, warnings } = await renderChart(chart.spec);
      expect(warnings, chart.name).toEqual([]);
      expect(svg, chart.name).toMatch(/^<svg /);
      expect(svg, chart.name).toContain('font-family="DejaVu Sans"');
      expect(svg, chart.name).toContain('small-fleet');
    }
    const cdf = await renderChart(charts.find((c) => c.name === 'latency-cdf')!.spec);
    expect(cdf.svg).toContain('latency (s, log scale)');
    expect(cdf.svg).toContain('requests at or below (%)');
    const timeline = await renderChart(charts.find((c) => c.name === 'timeline')!.spec);
    for (const title of [
      'arrivals (req/s)',
      'cost rate (USD/h)',
      'simulated time (s)',
      'scale out',
      'spot reclaim',
    ]) {
      expect(timeline.svg).toContain(title);
    }
  });

  it('draws every chart of configurations named after what every object inherits', async () => {
    // Vega parses a string literal that names an inherited property (toString) as an identifier:
    // the spec follows such names with a space, which no scenario name ends with and the drawn text leaves out.
    const inherited = variants.map((v, i) => ({ ...v, name: ['toString', 'constructor'][i] }));
    const charts = assembleCharts({ variants: inherited });
    expect(charts.length).toBeGreaterThan(5);
    for (const chart of charts) {
      const { svg, warnings } = await renderChart(chart.spec);
      expect(warnings, chart.name).toEqual([]);
      expect(svg, chart.name).toContain('>toString</text>');
    }
    expect(vegaSafe({ domain: ['baseline', 'toString'], toString: 'valueOf', n: 1 })).toEqual({
      domain: ['baseline', 'toString '],
      toString: 'valueOf ',
      n: 1,
    });
  });

  it('compiles the charts with error bars of replications without a vega-lite warning', async () => {
    const estimates = (p99: number) => ({
      metrics: {
        'latency_s.p50': p99 / 4,
        'latency_s.p90': p99 / 2,
        'latency_s.p99': p99,
        cost_per_1k_requests_usd: 2,
        'cost_per_1m_tokens_usd.input': 0.1,
        'cost_per_1m_tokens_usd.output': 0.5,
        'cost_per_1m_tokens_usd.total': 0.2,
      },
      ci95: {
        'latency_s.p50': 0.05,
        'latency_s.p90': 0.1,
        'latency_s.p99': 0.2,
        cost_per_1k_requests_usd: 0.3,
        'cost_per_1m_tokens_usd.input': 0.01,
        'cost_per_1m_tokens_usd.output': 0.05,
        'cost_per_1m_tokens_usd.total': 0.02,
      },
    });
    const charts = assembleCharts(
      {
        variants,
        replicated: {
          replications: 5,
          variants: new Map([
            ['small-fleet', estimates(4)],
            ['large-fleet', estimates(0.7)],
          ]),
        },
      },
      ['latency-percentiles', 'unit-costs', 'cost-vs-p99'],
    );
    expect(charts).toHaveLength(3);
    for (const chart of charts) {
      const { svg, warnings } = await renderChart(chart.spec);
      expect(warnings, chart.name).toEqual([]);
      expect(svg, chart.name).toContain('Means of 5 replications');
      // Axis titles: those of bars and whiskers would be joined if they differed.
      const texts = svg.match(/<text[^>]*>[^<]*<\/text>/g)!.join('\n');
      expect(texts, chart.name).not.toContain('ci95');
    }
  });

  // toString: a name every object inherits, which Vega would read as an identifier (see vegaSafe).
  it.each(['small-fleet', 'toString'])(
    'draws lost shares, objectives and failing configurations as text a reader sees (%s)',
    async (name) => {
      // It lost 295 of 1000 measured requests; the objective limits TTFT p95 to 0.2 s.
      const lossy = [
        {
          ...variants[0],
          name,
          requests: { arrived: 1000, completed: 705, dropped: 100, timed_out: 195, in_flight_at_end: 0 },
          ttft_s: { mean: 0.15, p50: 0.15, p90: 0.27, p95: 0.285, p99: 0.297, p999: 0.2997, max: 0.3 },
        },
        variants[1],
      ];
      const slo = {
        limits: [{ metric: 'ttft' as const, statistic: 'p95' as const, seconds: 0.2 }],
        maxDropRate: 0.01,
      };
      const drawn = new Map(
        await Promise.all(
          assembleCharts({ variants: lossy, slo }).map(
            async (chart) => [chart.name as string, await renderChart(chart.spec)] as const,
          ),
        ),
      );
      for (const [chart, { warnings }] of drawn) expect(warnings, chart).toEqual([]);
      const texts = (chart: string) =>
        drawn
          .get(chart)!
          .svg.match(/<text[^>]*>[^<]*<\/text>/g)!
          .map((t) => t.replace(/<[^>]*>/g, ''));
      for (const chart of ['latency-cdf', 'ttft-cdf', 'latency-histogram', 'latency-percentiles']) {
        expect(texts(chart), chart).toContain(`${name} (lost 29.5 %)`);
      }
      expect(texts('ttft-cdf')).toContain('SLO ttft p95 ≤ 200 ms');
      expect(texts('latency-percentiles')).toContain('SLO ttft p95 ≤ 200 ms');
      expect(texts('latency-cdf')).not.toContain('SLO ttft p95 ≤ 200 ms');
      expect(texts('cost-vs-p99')).toContain('misses objective');
      expect(texts('unit-costs')).toContain(`${name} (misses objective)`);
    },
  );

  it('draws the text into the PNG with the bundled fonts, at twice the size of the SVG', async () => {
    const [chart] = assembleCharts({ variants }, ['latency-percentiles']);
    const { svg, png } = await renderChart(chart.spec);
    const withoutText = svg.replace(/<text[^>]*>[^<]*<\/text>/g, '');
    expect(withoutText.length).toBeLessThan(svg.length);
    // Without fonts resvg silently leaves the text out: the PNG is that of the SVG without text.
    const noFonts = await renderPng(svg, []);
    expect(Buffer.from(noFonts).equals(Buffer.from(await renderPng(withoutText)))).toBe(true);
    // With them, the text is there.
    expect(Buffer.from(png).equals(Buffer.from(await renderPng(withoutText)))).toBe(false);
    const width = Number(/width="(\d+)"/.exec(svg)![1]);
    const height = Number(/height="(\d+)"/.exec(svg)![1]);
    expect(pngSize(png)).toEqual([2 * width, 2 * height]);
  });
});
