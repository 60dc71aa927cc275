import { describe, expect, it } from 'vitest';
import type { TimeSeriesRow } from '../../src/metrics/index.js';
import { DEFAULT_MAX_DROP_RATE } from '../../src/metrics/slo.js';
import {
  assembleCharts,
  CHART_NAMES,
  cdfAt,
  cdfChart,
  chartedFleets,
  costBreakdownChart,
  costLatencyChart,
  costLatencyPoints,
  costPartRows,
  fleetTimelineRows,
  histogramRows,
  latencyHistogramChart,
  paretoFrontier,
  percentileBarsChart,
  type Replicated,
  timelineChart,
  timelineMarks,
  timelineRows,
  timeUnitFor,
  unitCostsChart,
  type VariantEstimates,
} from '../../src/report/index.js';
import { uniformPoints, variantResult } from './fixtures/variants.js';

/** The inline data of a single-view or layered spec. */
function valuesOf(spec: object): Record<string, unknown>[] {
  return (spec as { data: { values: Record<string, unknown>[] } }).data.values;
}

describe('cost against p99 and the Pareto frontier', () => {
  // Worked by hand: cost per 1k requests, p99 seconds.
  const points = [
    { variant: 'a', usd_per_1k: 1, p99_s: 10 },
    { variant: 'b', usd_per_1k: 2, p99_s: 5 },
    { variant: 'c', usd_per_1k: 3, p99_s: 6 }, // b is cheaper and faster
    { variant: 'b-twin', usd_per_1k: 2, p99_s: 5 }, // ties b: neither beats the other
    { variant: 'd', usd_per_1k: 4, p99_s: 1 },
    { variant: 'e', usd_per_1k: 5, p99_s: 1 }, // as fast as d, dearer
    { variant: 'f', usd_per_1k: 0.5, p99_s: 20 },
    { variant: 'g', usd_per_1k: 1, p99_s: 12 }, // as cheap as a, slower
  ];

  it('keeps exactly the variants no other one beats on cost and p99 at once', () => {
    expect(paretoFrontier(points).map((p) => p.variant)).toEqual(['a', 'b', 'b-twin', 'd', 'f']);
  });

  it('marks the frontier in the chart data and leaves out variants without completions', () => {
    const variants = points.map((p) =>
      variantResult(p.variant, {
        cost_per_1k_requests_usd: p.usd_per_1k,
        latency_s: { mean: 1, p50: 1, p90: 1, p95: 1, p99: p.p99_s, p999: p.p99_s, max: p.p99_s },
      }),
    );
    const idle = variantResult('idle', {
      cost_per_1k_requests_usd: null,
      latency_s: { mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null },
    });
    const spec = costLatencyChart([...variants, idle]);
    const rows = valuesOf(spec!);
    expect(rows.map((r) => r.variant)).toEqual(points.map((p) => p.variant));
    expect(rows.filter((r) => r.frontier === 'yes').map((r) => r.variant)).toEqual([
      'a',
      'b',
      'b-twin',
      'd',
      'f',
    ]);
    expect(costLatencyChart([idle])).toBeNull();
  });
});

describe('CDF charts', () => {
  it('plot each variant at the recorded quantiles, zeros left out of the log axis', () => {
    const points: [number, number][] = [
      [0.25, 0],
      [0.5, 0.2],
      [0.99, 1.5],
      [1, 3],
    ];
    const spec = cdfChart(
      [
        variantResult('a', {
          distributions: { latency_s: points, queue_wait_s: [], ttft_s: [], tpot_s: [] },
        }),
        variantResult('b'),
      ],
      'latency_s',
    );
    const rows = valuesOf(spec!);
    // Every measured request completed: the share of measured requests is the quantile.
    expect(rows.filter((r) => r.variant === 'a')).toEqual([
      { variant: 'a', quantile: 0.5, measured: 0.5, seconds: 0.2 },
      { variant: 'a', quantile: 0.99, measured: 0.99, seconds: 1.5 },
      { variant: 'a', quantile: 1, measured: 1, seconds: 3 },
    ]);
    expect(rows.filter((r) => r.variant === 'b')).toHaveLength(uniformPoints(1).length);
    const x = (spec as { layer: { encoding: { x: { title: string; scale: { type: string } } } }[] }).layer[0]
      .encoding.x;
    expect(x).toMatchObject({ title: 'latency (s, log scale)', scale: { type: 'log' } });
  });

  it('are left out for TTFT and TPOT when no variant has an LLM fleet, and skip variants without them', () => {
    const plain = [variantResult('a'), variantResult('b')];
    expect(cdfChart(plain, 'ttft_s')).toBeNull();
    expect(cdfChart(plain, 'tpot_s')).toBeNull();
    const llm = variantResult('llm', {
      distributions: { latency_s: [], queue_wait_s: [], ttft_s: uniformPoints(0.4), tpot_s: [] },
    });
    const rows = valuesOf(cdfChart([plain[0], llm], 'ttft_s')!);
    expect(new Set(rows.map((r) => r.variant))).toEqual(new Set(['llm']));
    expect(rows.find((r) => r.quantile === 0.99)?.seconds).toBeCloseTo(0.396, 12);
  });

  it('give a variant the same colour whether or not the others have data, and list only those drawn', () => {
    const llm = variantResult('llm', {
      distributions: {
        latency_s: uniformPoints(1),
        queue_wait_s: [],
        ttft_s: uniformPoints(0.4),
        tpot_s: [],
      },
    });
    type Color = { scale: { domain: string[]; range: string[] }; legend?: { values: string[] } };
    const colorOf = (spec: unknown) =>
      (spec as { layer: { encoding: { color: Color } }[] }).layer[0].encoding.color;
    const latency = colorOf(cdfChart([variantResult('plain'), llm], 'latency_s'));
    const ttft = colorOf(cdfChart([variantResult('plain'), llm], 'ttft_s'));
    expect(ttft.scale).toEqual(latency.scale);
    expect(ttft.scale.domain).toEqual(['plain', 'llm']);
    expect(ttft.legend).toEqual({ values: ['llm'] });
    expect(latency.legend).toBeUndefined();
  });
});

describe('latency histogram', () => {
  it('reads the CDF through the quantile points linearly, with repeated values as a step', () => {
    const points: [number, number][] = [
      [0.1, 1],
      [0.5, 2],
      [0.6, 2],
      [1, 4],
    ];
    expect(cdfAt(points, 0.5)).toBe(0);
    expect(cdfAt(points, 1)).toBe(0.1);
    expect(cdfAt(points, 1.5)).toBeCloseTo(0.3, 12);
    expect(cdfAt(points, 2)).toBeCloseTo(0.6, 12);
    expect(cdfAt(points, 3)).toBeCloseTo(0.8, 12);
    expect(cdfAt(points, 4)).toBe(1);
    expect(cdfAt(points, 9)).toBe(1);
  });

  it('gives each bin the share of a uniform distribution that falls in it', () => {
    // Uniform on [0, 10]: the first recorded point is 0.1 s (quantile 0.01), the last 10 s. Two
    // log bins: [0.1, 1] holds 10 % (including the 1 % below 0.1 s), (1, 10] the other 90 %.
    const rows = histogramRows(
      [
        variantResult('u', {
          distributions: { latency_s: uniformPoints(10), queue_wait_s: [], ttft_s: [], tpot_s: [] },
        }),
      ],
      2,
    );
    expect(rows.map((r) => [r.from_s, r.to_s])).toEqual([
      [0.1, expect.closeTo(1, 12)],
      [expect.closeTo(1, 12), 10],
    ]);
    expect(rows[0].share).toBeCloseTo(0.1, 12);
    expect(rows[1].share).toBeCloseTo(0.9, 12);
  });

  it('puts every request of a constant latency in one bin', () => {
    const constant = uniformPoints(1).map(([q]) => [q, 2] as [number, number]);
    const rows = histogramRows([
      variantResult('c', {
        distributions: { latency_s: constant, queue_wait_s: [], ttft_s: [], tpot_s: [] },
      }),
    ]);
    expect(rows).toEqual([{ variant: 'c', from_s: 2, to_s: 2, share: 1 }]);
  });

  it('overlays up to three variants, and gives each its own panel on one scale beyond that', () => {
    const named = (name: string, top: number) =>
      variantResult(name, {
        distributions: { latency_s: uniformPoints(top), queue_wait_s: [], ttft_s: [], tpot_s: [] },
      });
    const three = latencyHistogramChart([named('a', 1), named('b', 2), named('c', 4)])!;
    expect('facet' in three).toBe(false);
    expect(new Set(valuesOf(three).map((r) => r.variant))).toEqual(new Set(['a', 'b', 'c']));
    const four = latencyHistogramChart([named('a', 1), named('b', 2), named('c', 4), named('d', 8)]) as {
      facet: { row: { field: string; sort: string[] } };
      spec: { encoding: { y: { scale?: unknown } } };
      resolve?: unknown;
    };
    expect(four.facet.row).toMatchObject({ field: 'variant', sort: ['a', 'b', 'c', 'd'] });
    // One y scale for all panels: a taller bar is a larger share wherever it is.
    expect(four.resolve).toBeUndefined();
    expect(four.spec.encoding.y.scale).toBeUndefined();
  });
});

describe('percentile bars', () => {
  it('draw p50, p90 and p99 per variant and a line at each latency limit of the SLO', () => {
    const variants = [variantResult('a'), variantResult('b')];
    const plain = percentileBarsChart(variants);
    expect(valuesOf(plain!).map((r) => [r.variant, r.percentile, r.seconds])).toEqual([
      ['a', 'p50', 0.5],
      ['a', 'p90', 0.9],
      ['a', 'p99', 0.99],
      ['b', 'p50', 0.5],
      ['b', 'p90', 0.9],
      ['b', 'p99', 0.99],
    ]);
    expect(plain).not.toHaveProperty('layer');
    const withSlo = percentileBarsChart(variants, {
      limits: [
        { metric: 'latency', statistic: 'p99', seconds: 0.8 },
        { metric: 'ttft', statistic: 'p99', seconds: 0.1 },
      ],
      maxDropRate: null,
    }) as { layer: { data: { values: { seconds: number; label: string }[] } }[] };
    expect(withSlo.layer[1].data.values).toEqual([{ seconds: 0.8, label: 'SLO latency p99 ≤ 800 ms' }]);
  });
});

describe('cost breakdown', () => {
  it('stacks cost per fleet, and per market and kind where they split it', () => {
    const oneMarket = variantResult('a', {
      cost_usd: {
        total: 5,
        compute: 5,
        idle: 1,
        recompute: 0,
        transfer: 0,
        by_fleet: { cpu: 1, gpu: 4 },
        by_market: { 'on-demand': 5, spot: 0, reserved: 0, 'reserved-3y': 0 },
      },
    });
    expect(costPartRows([oneMarket], 'fleet')).toEqual([
      { variant: 'a', part: 'cpu', usd: 1 },
      { variant: 'a', part: 'gpu', usd: 4 },
    ]);
    // idle is part of compute: serving is the rest, and the kinds add up to the total.
    expect(costPartRows([oneMarket], 'kind')).toEqual([
      { variant: 'a', part: 'serving', usd: 4 },
      { variant: 'a', part: 'idle', usd: 1 },
    ]);
    const titles = (spec: unknown) => (spec as { hconcat: { title: string }[] }).hconcat.map((p) => p.title);
    expect(titles(costBreakdownChart([oneMarket]))).toEqual([
      'by fleet',
      'serving, recompute, idle, transfer',
    ]);

    const mixed = variantResult('b', {
      cost_usd: {
        total: 5,
        compute: 4.5,
        idle: 1.5,
        recompute: 0.5,
        transfer: 0.5,
        by_fleet: { gpu: 4.5 },
        by_market: { 'on-demand': 2.5, spot: 2, reserved: 0, 'reserved-3y': 0 },
      },
    });
    expect(titles(costBreakdownChart([oneMarket, mixed]))).toEqual([
      'by fleet',
      'by market',
      'serving, recompute, idle, transfer',
    ]);
    // recompute is part of compute too: serving is what is left of it.
    expect(costPartRows([mixed], 'kind')).toEqual([
      { variant: 'b', part: 'serving', usd: 2.5 },
      { variant: 'b', part: 'recompute', usd: 0.5 },
      { variant: 'b', part: 'idle', usd: 1.5 },
      { variant: 'b', part: 'transfer', usd: 0.5 },
    ]);
    const sum = (rows: { usd: number }[]) => rows.reduce((total, r) => total + r.usd, 0);
    expect(sum(costPartRows([mixed], 'kind'))).toBeCloseTo(5, 12);
    expect(sum(costPartRows([mixed], 'market'))).toBeCloseTo(5, 12);
    expect(costPartRows([mixed], 'market').map((r) => r.part)).toEqual(['on-demand', 'spot', 'transfer']);

    // An owned device pays its electricity apart: a part of its own in both panels, which still add up.
    const owned = variantResult('c', {
      cost_usd: {
        total: 0.4855,
        compute: 0.4014,
        idle: 0.0001,
        recompute: 0,
        transfer: 0,
        energy: 0.0841,
        by_fleet: { gpu: 0.4855 },
        by_market: { 'on-demand': 0.4014, spot: 0, reserved: 0, 'reserved-3y': 0 },
      },
    });
    expect(sum(costPartRows([owned], 'kind'))).toBeCloseTo(0.4855, 12);
    expect(sum(costPartRows([owned], 'market'))).toBeCloseTo(0.4855, 12);
    expect(costPartRows([owned], 'kind').at(-1)).toEqual({ variant: 'c', part: 'energy', usd: 0.0841 });
    expect(titles(costBreakdownChart([owned]))).toEqual([
      'by fleet',
      'by market',
      'serving, recompute, idle, transfer, energy',
    ]);
  });

  it('draws only the per-fleet panel for a summary saved before the finer breakdowns existed', () => {
    const old = variantResult('old', { cost_usd: { total: 3, by_fleet: { gpu: 3 } } as never });
    expect(
      (costBreakdownChart([old]) as { hconcat: { title: string }[] }).hconcat.map((p) => p.title),
    ).toEqual(['by fleet']);
  });
});

function row(time_s: number, arrivals: number, replicas: number): TimeSeriesRow {
  return {
    time_s,
    arrivals,
    completed: arrivals,
    dropped: 0,
    timed_out: 0,
    queue_length: 1.5,
    busy_slots: 2,
    utilization: 0.25,
    replicas,
    cost_usd_per_hour: replicas * 1.5,
    busy_slots_by_fleet: { gpu: 2 },
  };
}

describe('timeline', () => {
  // Intervals of 60 s; the run ends at 150 s, so the last interval is 30 s wide.
  const variant = variantResult('a', {
    timeseries: [row(0, 120, 2), row(60, 60, 3), row(120, 15, 3)],
    simulated_s: { warmup: 0, arrivals_end: 140, end: 150 },
  });

  it('divides arrivals by the width of each interval and closes the last one at the end of the run', () => {
    const rows = timelineRows([variant], { name: 's', seconds: 1 });
    expect(rows.map((r) => [r.time, r.arrival_rps, r.replicas, r.cost_usd_per_hour])).toEqual([
      [0, 2, 2, 3],
      [60, 1, 3, 4.5],
      [120, 0.5, 3, 4.5],
      [150, 0.5, 3, 4.5],
    ]);
  });

  it('chooses a time unit that keeps the axis short', () => {
    expect(timeUnitFor(600).name).toBe('s');
    expect(timeUnitFor(3600).name).toBe('min');
    expect(timeUnitFor(86_400).name).toBe('h');
    const rows = timelineRows([variant], timeUnitFor(7200));
    expect(rows.map((r) => r.time)).toEqual([0, 1, 2, 2.5]);
  });

  it('has five panels, and a strip of capacity events on top only when there are events', () => {
    const plain = timelineChart([variant]) as { vconcat: { layer: unknown[] }[]; datasets: object };
    expect(plain.vconcat).toHaveLength(5);
    expect(plain.vconcat.every((panel) => panel.layer.length === 2)).toBe(true);
    expect(Object.keys(plain.datasets)).toEqual(['timeline']);
    const marked = timelineChart([
      {
        ...variant,
        capacity_events: [
          { time_s: 30, fleet: 'gpu', kind: 'scale', from: 2, to: 3 },
          { time_s: 90, fleet: 'gpu', kind: 'notice' },
          { time_s: 120, fleet: 'gpu', kind: 'reclaim' },
          { time_s: 130, fleet: 'gpu', kind: 'scale', from: 3, to: 1 },
        ],
      },
    ]) as {
      vconcat: { mark?: { type: string }; encoding?: { y: { sort: string[] } }; layer?: unknown[] }[];
      datasets: { events: object[] };
    };
    expect(marked.vconcat).toHaveLength(6);
    expect(marked.vconcat[0].mark?.type).toBe('tick');
    // Rows only for the kinds that happened, in a fixed order.
    expect(marked.vconcat[0].encoding?.y.sort).toEqual([
      'scale out',
      'scale in',
      'spot notice',
      'spot reclaim',
    ]);
    expect(marked.vconcat.slice(1).every((panel) => panel.layer?.length === 2)).toBe(true);
    expect(marked.datasets.events).toEqual([
      { variant: 'a', time: 30, event: 'scale out', fleet: 'gpu', replicas: '2 -> 3' },
      { variant: 'a', time: 90, event: 'spot notice', fleet: 'gpu', replicas: null },
      { variant: 'a', time: 120, event: 'spot reclaim', fleet: 'gpu', replicas: null },
      { variant: 'a', time: 130, event: 'scale in', fleet: 'gpu', replicas: '3 -> 1' },
    ]);
  });

  it('keeps the replicas and cost of each fleet apart, labelled with their market, when a run has several', () => {
    const twoFleets = {
      ...variant,
      instances: {
        spot: { ...variant.instances.gpu, market: 'spot' as const },
        steady: { ...variant.instances.gpu, market: 'on-demand' as const },
      },
      timeseries: [
        {
          ...row(0, 120, 3),
          replicas_by_fleet: { spot: 2, steady: 1 },
          cost_usd_per_hour_by_fleet: { spot: 1, steady: 3.5 },
        },
        {
          ...row(60, 60, 4),
          replicas_by_fleet: { spot: 3, steady: 1 },
          cost_usd_per_hour_by_fleet: { spot: 1.5, steady: 3.5 },
        },
      ],
      simulated_s: { warmup: 0, arrivals_end: 100, end: 100 },
    };
    expect(
      fleetTimelineRows([twoFleets], { name: 's', seconds: 1 }).map((r) => [
        r.fleet,
        r.time,
        r.fleet_replicas,
        r.fleet_cost_usd_per_hour,
      ]),
    ).toEqual([
      ['spot (spot)', 0, 2, 1],
      ['spot (spot)', 60, 3, 1.5],
      ['spot (spot)', 100, 3, 1.5],
      ['steady (on-demand)', 0, 1, 3.5],
      ['steady (on-demand)', 60, 1, 3.5],
      ['steady (on-demand)', 100, 1, 3.5],
    ]);
    const chart = timelineChart([twoFleets]) as {
      vconcat: { data: { name: string }; layer: { encoding: { y: { title: string } } }[] }[];
      datasets: object;
    };
    expect(chart.vconcat.map((panel) => panel.layer[0].encoding.y.title)).toEqual([
      'arrivals (req/s)',
      'replicas',
      'replicas by fleet',
      'queue (requests)',
      'utilization (%)',
      'cost rate (USD/h)',
      'cost by fleet (USD/h)',
    ]);
    expect(Object.keys(chart.datasets)).toEqual(['timeline', 'fleets']);
    // One fleet, or a folder written before fleets were kept apart: no panels by fleet.
    expect(fleetTimelineRows([variant], { name: 's', seconds: 1 })).toEqual([]);
    const older = { ...twoFleets, timeseries: twoFleets.timeseries.map(({ replicas_by_fleet, ...r }) => r) };
    expect(fleetTimelineRows([older], { name: 's', seconds: 1 })).toEqual([]);
  });

  it('ends the time axis where the run ended', () => {
    const chart = timelineChart([variant]) as {
      vconcat: { layer: { encoding: { x: { scale: { domain: number[]; nice: boolean } } } }[] }[];
    };
    expect(chart.vconcat.at(-1)?.layer[0].encoding.x.scale).toEqual({ domain: [0, 150], nice: false });
  });

  it('puts event marks on the time axis in the unit of the curves', () => {
    const long = { ...variant, simulated_s: { warmup: 0, arrivals_end: 7000, end: 7200 } };
    const marks = timelineMarks(
      [{ ...long, capacity_events: [{ time_s: 5400, fleet: 'gpu', kind: 'reclaim' }] }],
      timeUnitFor(7200),
    );
    expect(marks.map((m) => m.time)).toEqual([90]);
  });

  it('of more than 10 fleets draws the 9 costliest apart and the others as one, adding up to the same totals', () => {
    // Fleet f<i> costs i + 1 dollars in all and runs i + 1 replicas: f11..f3 are the costliest nine,
    // f0, f1, f2 (1 + 2 + 3 = 6 USD, 6 replicas, 6 USD/h) the other three.
    const fleets = Array.from({ length: 12 }, (_, i) => `f${i}`);
    const byFleet = (value: (i: number) => number) => Object.fromEntries(fleets.map((f, i) => [f, value(i)]));
    const many = variantResult('many', {
      cost_usd: { ...variant.cost_usd, total: 78, by_fleet: byFleet((i) => i + 1) },
      instances: Object.fromEntries(fleets.map((f) => [f, variant.instances.gpu])),
      timeseries: [
        {
          ...row(0, 120, 78),
          replicas_by_fleet: byFleet((i) => i + 1),
          cost_usd_per_hour_by_fleet: byFleet((i) => i + 1),
        },
      ],
      simulated_s: { warmup: 0, arrivals_end: 60, end: 60 },
    });
    const charted = chartedFleets([many]);
    expect([...(charted.apart ?? [])]).toEqual(['f11', 'f10', 'f9', 'f8', 'f7', 'f6', 'f5', 'f4', 'f3']);
    expect(charted.note).toEqual([
      '9 of 12 fleets drawn apart, the costliest; the 3 other fleets as one. The tables list every one.',
    ]);
    const parts = costPartRows([many], 'fleet');
    expect(parts).toHaveLength(10);
    expect(parts.at(-1)).toEqual({ variant: 'many', part: '3 other fleets', usd: 6 });
    expect(parts.reduce((sum, p) => sum + p.usd, 0)).toBe(78);
    const rows = fleetTimelineRows([many], { name: 's', seconds: 1 });
    expect(new Set(rows.map((r) => r.fleet)).size).toBe(10);
    const others = rows.filter((r) => r.fleet === '3 other fleets');
    expect(others.map((r) => [r.time, r.fleet_replicas, r.fleet_cost_usd_per_hour])).toEqual([
      [0, 6, 6],
      [60, 6, 6],
    ]);
    expect(rows.filter((r) => r.time === 0).reduce((sum, r) => sum + r.fleet_replicas, 0)).toBe(78);
    for (const chart of [costBreakdownChart([many]), timelineChart([many])]) {
      expect((chart as unknown as { title: { subtitle: string[] } }).title.subtitle).toContain(
        charted.note[0],
      );
    }
    // The legends list the others last.
    const breakdown = costBreakdownChart([many]) as unknown as {
      hconcat: { encoding: { color: { sort?: string[] } } }[];
    };
    expect(breakdown.hconcat[0].encoding.color.sort?.at(-1)).toBe('3 other fleets');
    expect(breakdown.hconcat[0].encoding.color.sort).toHaveLength(10);
    // Ten fleets are all drawn apart, and nothing is said.
    const ten = { ...many, cost_usd: { ...many.cost_usd, by_fleet: byFleet((i) => (i < 10 ? 1 : 0)) } };
    delete ten.cost_usd.by_fleet.f10;
    delete ten.cost_usd.by_fleet.f11;
    expect(chartedFleets([ten])).toEqual({ apart: null, others: '', note: [] });
  });
});

describe('unit costs', () => {
  it('show cost per 1k requests and, where there are tokens, per 1M input, output and total tokens', () => {
    const noTokens = unitCostsChart([variantResult('a')]) as { hconcat: { title: string }[] };
    expect(noTokens.hconcat.map((p) => p.title)).toEqual(['per 1k completed requests']);
    const tokens = unitCostsChart([
      variantResult('a', { cost_per_1m_tokens_usd: { input: 0.1, output: 0.9, total: 0.3 } }),
    ]) as { hconcat: { title: string; data: { values: object[] } }[] };
    expect(tokens.hconcat[1].data.values).toEqual([
      { variant: 'a', tokens: 'input', usd_per_1m: 0.1 },
      { variant: 'a', tokens: 'output', usd_per_1m: 0.9 },
      { variant: 'a', tokens: 'total', usd_per_1m: 0.3 },
    ]);
  });
});

describe('assembleCharts', () => {
  const variants = [variantResult('a'), variantResult('b', { timeseries: [row(0, 10, 1)] })];

  it('draws every chart that has data, in a fixed order, by default', () => {
    expect(assembleCharts({ variants }).map((c) => c.name)).toEqual(
      CHART_NAMES.filter((n) => n !== 'ttft-cdf' && n !== 'tpot-cdf'),
    );
  });

  it('draws only the charts asked for, and names the known ones for an unknown name', () => {
    expect(assembleCharts({ variants }, ['timeline', 'latency-cdf']).map((c) => c.name)).toEqual([
      'latency-cdf',
      'timeline',
    ]);
    expect(() => assembleCharts({ variants }, ['latency-cdf', 'pie'])).toThrow(
      /unknown chart\(s\) pie; known: latency-cdf, latency-histogram/,
    );
  });
});

describe('error bars of replications', () => {
  // Means and half-widths by hand, in binary fractions so that mean ± half-width is exact.
  const replicated: Replicated = {
    replications: 3,
    variants: new Map<string, VariantEstimates>([
      [
        'a',
        {
          metrics: {
            'latency_s.p50': 0.5,
            'latency_s.p90': 1,
            'latency_s.p99': 1.5,
            cost_per_1k_requests_usd: 2.5,
            'cost_per_1m_tokens_usd.input': 0.25,
            'cost_per_1m_tokens_usd.output': 1,
            'cost_per_1m_tokens_usd.total': 0.5,
          },
          ci95: {
            'latency_s.p50': 0.125,
            'latency_s.p90': 0.25,
            'latency_s.p99': 0.5,
            cost_per_1k_requests_usd: 0.5,
            'cost_per_1m_tokens_usd.input': 0.0625,
            'cost_per_1m_tokens_usd.output': 0.25,
            'cost_per_1m_tokens_usd.total': 0.125,
          },
        },
      ],
      [
        'b',
        {
          // p90 measured by a single replication: a mean without an interval.
          metrics: {
            'latency_s.p50': 0.25,
            'latency_s.p90': 0.5,
            'latency_s.p99': 0.75,
            cost_per_1k_requests_usd: 4,
          },
          ci95: {
            'latency_s.p50': 0,
            'latency_s.p90': null,
            'latency_s.p99': 0.25,
            cost_per_1k_requests_usd: 1,
          },
        },
      ],
    ]),
  };
  // The run's own figures (replication 0), which the means replace.
  const variants = [
    variantResult('a', { cost_per_1m_tokens_usd: { input: 0.2, output: 0.9, total: 0.4 } }),
    variantResult('b', { cost_per_1k_requests_usd: 3 }),
  ];
  type Layer = {
    mark: { type: string };
    data?: { values: Record<string, unknown>[] };
    encoding: Record<string, { field?: string }>;
  };
  const errorBars = (layers: Layer[]) => layers.filter((l) => l.mark.type === 'errorbar');

  it('put the means of the percentiles on the bars and whiskers from mean - half-width to mean + half-width', () => {
    const spec = percentileBarsChart(variants, undefined, replicated) as unknown as {
      layer: Layer[];
      title: { subtitle: string[] };
    };
    expect(spec.layer[0].data!.values.map((r) => [r.variant, r.percentile, r.seconds])).toEqual([
      ['a', 'p50', 0.5],
      ['a', 'p90', 1],
      ['a', 'p99', 1.5],
      ['b', 'p50', 0.25],
      ['b', 'p90', 0.5],
      ['b', 'p99', 0.75],
    ]);
    const [bars] = errorBars(spec.layer);
    expect(bars.encoding.y.field).toBe('seconds_ci95_low');
    expect(bars.encoding.y2.field).toBe('seconds_ci95_high');
    expect(bars.encoding.xOffset.field).toBe('percentile');
    expect(
      bars.data!.values.map((r) => [r.variant, r.percentile, r.seconds_ci95_low, r.seconds_ci95_high]),
    ).toEqual([
      ['a', 'p50', 0.375, 0.625],
      ['a', 'p90', 0.75, 1.25],
      ['a', 'p99', 1, 2],
      ['b', 'p50', 0.25, 0.25],
      ['b', 'p99', 0.5, 1],
    ]);
    expect(spec.title.subtitle).toEqual([
      'Lower is better.',
      'Means of 3 replications; whiskers: their 95 % confidence intervals.',
    ]);
    const withSlo = percentileBarsChart(
      variants,
      { limits: [{ metric: 'latency', statistic: 'p99', seconds: 0.8 }], maxDropRate: null },
      replicated,
    ) as { layer: Layer[] };
    // The label is drawn twice: a white halo, then the text.
    expect(withSlo.layer.map((l) => l.mark.type)).toEqual(['bar', 'errorbar', 'rule', 'text', 'text']);
  });

  it('put whiskers on the cost per 1k requests and per 1M tokens', () => {
    const spec = unitCostsChart(variants, replicated) as { hconcat: { layer: Layer[] }[] };
    const [requests, tokens] = spec.hconcat.map((panel) => errorBars(panel.layer));
    expect(requests).toHaveLength(1);
    expect(requests[0].encoding.y.field).toBe('usd_per_1k_ci95_low');
    expect(
      requests[0].data!.values.map((r) => [
        r.variant,
        r.usd_per_1k,
        r.usd_per_1k_ci95_low,
        r.usd_per_1k_ci95_high,
      ]),
    ).toEqual([
      ['a', 2.5, 2, 3],
      ['b', 4, 3, 5],
    ]);
    expect(
      tokens[0].data!.values.map((r) => [
        r.tokens,
        r.usd_per_1m,
        r.usd_per_1m_ci95_low,
        r.usd_per_1m_ci95_high,
      ]),
    ).toEqual([
      ['input', 0.25, 0.1875, 0.3125],
      ['output', 1, 0.75, 1.25],
      ['total', 0.5, 0.375, 0.625],
    ]);
  });

  it('cross each point of cost against p99 with whiskers along both axes, the frontier on the means', () => {
    const spec = costLatencyChart(variants, replicated) as {
      layer: Layer[];
      data: { values: Record<string, unknown>[] };
    };
    const [cost, p99] = errorBars(spec.layer);
    expect([cost.encoding.x.field, cost.encoding.x2.field, cost.encoding.y.field]).toEqual([
      'usd_per_1k_ci95_low',
      'usd_per_1k_ci95_high',
      'p99_s',
    ]);
    expect([p99.encoding.y.field, p99.encoding.y2.field, p99.encoding.x.field]).toEqual([
      'p99_s_ci95_low',
      'p99_s_ci95_high',
      'usd_per_1k',
    ]);
    expect(
      spec.data.values.map((r) => [
        r.variant,
        r.usd_per_1k_ci95_low,
        r.usd_per_1k_ci95_high,
        r.p99_s_ci95_low,
        r.p99_s_ci95_high,
      ]),
    ).toEqual([
      ['a', 2, 3, 1, 2],
      ['b', 3, 5, 0.5, 1],
    ]);
    // The runs alone cost 2 and 3 at the same p99: b is beaten. Its means are dearer and faster.
    expect(costLatencyPoints(variants).map((p) => p.variant)).toEqual(['a', 'b']);
    expect(paretoFrontier(costLatencyPoints(variants)).map((p) => p.variant)).toEqual(['a']);
    expect(spec.data.values.map((r) => r.frontier)).toEqual(['yes', 'yes']);
  });

  it('leave the charts as they were without replications', () => {
    expect(assembleCharts({ variants, replicated: undefined })).toEqual(assembleCharts({ variants }));
    const plain = percentileBarsChart(variants);
    expect(JSON.stringify(plain)).not.toContain('errorbar');
    expect(JSON.stringify(unitCostsChart(variants))).not.toContain('errorbar');
    expect(JSON.stringify(costLatencyChart(variants))).not.toContain('errorbar');
    const drawn = assembleCharts({ variants, replicated });
    expect(drawn.filter((c) => JSON.stringify(c.spec).includes('errorbar')).map((c) => c.name)).toEqual([
      'latency-percentiles',
      'cost-vs-p99',
      'unit-costs',
    ]);
  });
});

/** Counts of a run that lost `timedOut + dropped` of 1000 measured requests. */
function lossy(dropped: number, timedOut: number) {
  return {
    arrived: 1000,
    completed: 1000 - dropped - timedOut,
    dropped,
    timed_out: timedOut,
    in_flight_at_end: 0,
  };
}

type Spec = {
  layer: {
    mark: { type: string };
    data?: { values: Record<string, unknown>[] };
    encoding: Record<string, { field?: string; legend?: { labelExpr?: string } }>;
  }[];
  title: { subtitle: string | string[] };
};

describe('charts of a run that lost requests', () => {
  // 100 dropped and 195 timed out of 1000 measured: 705 completed, 29.5 % lost.
  const lost = variantResult('lost', {
    requests: lossy(100, 195),
    distributions: { latency_s: uniformPoints(2), queue_wait_s: [], ttft_s: uniformPoints(0.5), tpot_s: [] },
  });
  const whole = variantResult('whole');

  it('end the CDFs at the share of measured requests that completed and say how much was lost', () => {
    for (const metric of ['latency_s', 'ttft_s'] as const) {
      const spec = cdfChart([whole, lost], metric) as unknown as Spec;
      const rows = valuesOf(spec).filter((r) => r.variant === 'lost');
      expect(Math.max(...rows.map((r) => r.measured as number))).toBeCloseTo(0.705, 12);
      for (const r of rows) expect(r.measured).toBeCloseTo((r.quantile as number) * 0.705, 12);
      if (metric === 'latency_s') {
        const wholeRows = valuesOf(spec).filter((r) => r.variant === 'whole');
        expect(wholeRows.at(-1)).toMatchObject({ quantile: 1, measured: 1 });
      }
      expect(spec.layer[0].encoding.y.field).toBe('measured');
      expect(spec.layer[0].encoding.color.legend?.labelExpr).toContain('"lost (lost 29.5 %)"');
      expect(spec.layer[0].encoding.color.legend?.labelExpr).not.toContain('whole (lost');
    }
  });

  it('leave the legend alone when nothing was lost', () => {
    const spec = cdfChart([whole], 'latency_s') as unknown as Spec;
    expect(spec.layer[0].encoding.color.legend).toBeUndefined();
    expect(JSON.stringify(spec.title)).not.toContain('dropped or timed out');
  });

  it('give the histogram bins of a lossy run shares that add up to the completed share', () => {
    const rows = histogramRows([whole, lost], 4);
    const sum = (name: string) =>
      rows.filter((r) => r.variant === name).reduce((total, r) => total + r.share, 0);
    expect(sum('whole')).toBeCloseTo(1, 12);
    expect(sum('lost')).toBeCloseTo(0.705, 12);
  });

  it('name the share lost beside each lossy variant of the percentile bars', () => {
    const spec = percentileBarsChart([whole, lost]) as unknown as {
      encoding: { x: { axis: { labelExpr: string } } };
    };
    expect(spec.encoding.x.axis.labelExpr).toContain('"lost (lost 29.5 %)"');
  });
});

describe('objectives drawn on the charts of the metric they limit', () => {
  const llm = (name: string) =>
    variantResult(name, {
      ttft_s: { mean: 0.25, p50: 0.25, p90: 0.45, p95: 0.475, p99: 0.495, p999: 0.4995, max: 0.5 },
      distributions: {
        latency_s: uniformPoints(1),
        queue_wait_s: [],
        ttft_s: uniformPoints(0.5),
        tpot_s: uniformPoints(0.05),
      },
    });
  const variants = [llm('a'), llm('b')];
  const ttftP95 = {
    limits: [{ metric: 'ttft' as const, statistic: 'p95' as const, seconds: 1 }],
    maxDropRate: null,
  };
  const rules = (layers: Spec['layer']) => layers.filter((l) => l.mark.type === 'rule');

  it('put a vertical rule at a TTFT p95 limit on the TTFT CDF, and none on the others', () => {
    const ttft = cdfChart(variants, 'ttft_s', ttftP95) as unknown as Spec;
    const [rule] = rules(ttft.layer);
    expect(rule.encoding.x.field).toBe('seconds');
    expect(rule.data!.values).toEqual([{ seconds: 1, label: 'SLO ttft p95 ≤ 1.00 s' }]);
    const labels = ttft.layer.filter((l) => l.mark.type === 'text').map((l) => l.data!.values);
    expect(labels).toEqual([
      [{ seconds: 1, label: 'SLO ttft p95 ≤ 1.00 s' }],
      [{ seconds: 1, label: 'SLO ttft p95 ≤ 1.00 s' }],
    ]);
    for (const metric of ['latency_s', 'tpot_s'] as const) {
      expect(rules((cdfChart(variants, metric, ttftP95) as unknown as Spec).layer)).toEqual([]);
    }
  });

  it('add a TTFT panel with a rule at a p95 limit, a statistic the bars do not show, to the percentile bars', () => {
    const spec = percentileBarsChart(variants, ttftP95) as unknown as {
      vconcat: (Spec['layer'][number] & { title: string; layer?: Spec['layer'] })[];
    };
    expect(spec.vconcat.map((p) => p.title)).toEqual(['latency', 'time to first token']);
    const [latency, ttft] = spec.vconcat;
    expect(latency.layer).toBeUndefined();
    const [bars, rule] = ttft.layer!;
    expect(bars.data!.values.map((r) => [r.variant, r.percentile, r.seconds])).toEqual([
      ['a', 'p50', 0.25],
      ['a', 'p90', 0.45],
      ['a', 'p99', 0.495],
      ['b', 'p50', 0.25],
      ['b', 'p90', 0.45],
      ['b', 'p99', 0.495],
    ]);
    expect(rule.mark.type).toBe('rule');
    expect(rule.encoding.y.field).toBe('seconds');
    expect(rule.data!.values).toEqual([{ seconds: 1, label: 'SLO ttft p95 ≤ 1.00 s' }]);
  });

  it('draw a latency p95 limit on the latency bars although they show p50, p90 and p99', () => {
    const spec = percentileBarsChart(variants, {
      limits: [{ metric: 'latency', statistic: 'p95', seconds: 0.7 }],
      maxDropRate: 0.01,
    }) as unknown as Spec;
    expect(rules(spec.layer)[0].data!.values).toEqual([{ seconds: 0.7, label: 'SLO latency p95 ≤ 700 ms' }]);
  });

  it('draw nothing on latency charts for an objective that only limits lost requests', () => {
    const dropOnly = { limits: [], maxDropRate: 0.01 };
    for (const chart of assembleCharts({ variants, slo: dropOnly })) {
      expect(JSON.stringify(chart.spec), chart.name).not.toContain('"rule"');
    }
  });
});

describe('the Pareto frontier of cost against p99 and configurations that miss the objective', () => {
  // Cost per 1k requests and p99 by hand. `cheap` is cheapest but lost 8 % (80 timed out of
  // 1000): without the objective it would beat `mid` on both figures.
  const point = (name: string, usd: number, p99: number, requests = lossy(0, 0)) =>
    variantResult(name, {
      requests,
      cost_per_1k_requests_usd: usd,
      latency_s: { mean: p99 / 2, p50: p99 / 2, p90: p99, p95: p99, p99, p999: p99, max: p99 },
    });
  const variants = [point('cheap', 1, 5, lossy(0, 80)), point('mid', 2, 6), point('fast', 3, 2)];
  const statusOf = (spec: unknown) =>
    Object.fromEntries(valuesOf(spec as object).map((r) => [r.variant, [r.status, r.frontier]]));

  it('judges by the default limit on lost requests without an SLO, and draws the frontier of the rest', () => {
    expect(DEFAULT_MAX_DROP_RATE).toBe(0.01);
    const spec = costLatencyChart(variants) as unknown as Spec;
    expect(statusOf(spec)).toEqual({
      cheap: ['fails', 'no'],
      mid: ['frontier', 'yes'],
      fast: ['frontier', 'yes'],
    });
    // The frontier line and the filled points draw only passing configurations; the cross layer the failing one.
    const cross = spec.layer.find((l) => l.encoding.shape !== undefined)!;
    expect(cross.encoding.shape).toMatchObject({
      field: 'failing',
      scale: { domain: ['misses objective'], range: ['cross'] },
    });
    expect(spec.title.subtitle).toContain(
      'Cross: misses the objective (drop rate <= 1.0 %), so never on the frontier;',
    );
    expect(valuesOf(spec).find((r) => r.variant === 'cheap')?.objective).toBe('drop rate 8.0 % > 1.0 %');
  });

  it('judges by the SLO when given, its latency limits and its own limit on lost requests', () => {
    const slo = {
      limits: [{ metric: 'latency' as const, statistic: 'p99' as const, seconds: 5.5 }],
      maxDropRate: 0.1,
    };
    expect(statusOf(costLatencyChart(variants, undefined, slo))).toEqual({
      cheap: ['frontier', 'yes'],
      mid: ['fails', 'no'],
      fast: ['frontier', 'yes'],
    });
    // An SLO without a limit on lost requests gets the default one.
    expect(statusOf(costLatencyChart(variants, undefined, { ...slo, maxDropRate: null }))).toEqual({
      cheap: ['fails', 'no'],
      mid: ['fails', 'no'],
      fast: ['frontier', 'yes'],
    });
  });

  it('has no cross layer and no caption about it when every configuration passes', () => {
    const spec = costLatencyChart(variants.slice(1)) as unknown as Spec;
    expect(spec.layer.some((l) => l.encoding.shape !== undefined)).toBe(false);
    expect(JSON.stringify(spec.title)).not.toContain('misses');
  });

  it('fades the unit costs of a failing configuration and says so beside its name', () => {
    const spec = unitCostsChart(variants) as unknown as {
      hconcat: {
        encoding: { opacity: { condition: { test: string } }; x: { axis: { labelExpr: string } } };
      }[];
    };
    const [perRequest] = spec.hconcat;
    expect(perRequest.encoding.opacity.condition.test).toBe('indexof(["cheap"], datum.variant) >= 0');
    expect(perRequest.encoding.x.axis.labelExpr).toContain("' (misses objective)'");
    expect(JSON.stringify(unitCostsChart(variants.slice(1)))).not.toContain('misses');
  });
});
