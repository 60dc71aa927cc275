import type { TopLevelSpec } from 'vega-lite';
import { REPORT_CHART_NAMES, type ReportChartName } from '../../scenario/types.js';
import { cdfChart } from './cdf.js';
import { costBreakdownChart } from './cost-breakdown.js';
import { costLatencyChart } from './cost-latency.js';
import { latencyHistogramChart } from './histogram.js';
import { percentileBarsChart } from './percentiles.js';
import { chartedVariants } from './selection.js';
import { timelineChart } from './timeline.js';
import type { ChartInput } from './types.js';
import { unitCostsChart } from './unit-costs.js';

export { type CdfMetric, cdfChart, cdfRows } from './cdf.js';
export { type CostSplit, costBreakdownChart, costPartRows } from './cost-breakdown.js';
export {
  type CostLatencyStatus,
  costLatencyChart,
  costLatencyPoints,
  paretoFrontier,
} from './cost-latency.js';
export { cdfAt, histogramRows, latencyHistogramChart } from './histogram.js';
export { chartObjective, judgeVariant, lostShare } from './objective.js';
export { percentileBarsChart, percentileRows } from './percentiles.js';
export {
  type ChartedFleets,
  type ChartedVariants,
  chartedFleets,
  chartedVariants,
  MAX_CHARTED,
  MAX_FLEETS_CHARTED,
} from './selection.js';
export { CHART_FONT, CHART_HEIGHT, CHART_WIDTH, FORMAT, header, THEME } from './theme.js';
export {
  fleetTimelineRows,
  type TimelineMark,
  timelineChart,
  timelineMarks,
  timelineRows,
  timeUnitFor,
} from './timeline.js';
export type { ChartInput, CostUsd, Replicated, VariantEstimates } from './types.js';
export { tokenCostRows, unitCostsChart } from './unit-costs.js';

interface ChartDefinition {
  /** A chart returns null when the results hold nothing for it (e.g. TTFT without an LLM fleet). */
  build(input: ChartInput): TopLevelSpec | null;
}

/** Every chart by name (its file name and its `report.charts` value), in the order reports show them. */
export const CHARTS = {
  'latency-cdf': { build: ({ variants, slo }) => cdfChart(variants, 'latency_s', slo) },
  'latency-histogram': { build: ({ variants }) => latencyHistogramChart(variants) },
  'latency-percentiles': {
    build: ({ variants, slo, replicated }) => percentileBarsChart(variants, slo, replicated),
  },
  'ttft-cdf': { build: ({ variants, slo }) => cdfChart(variants, 'ttft_s', slo) },
  'tpot-cdf': { build: ({ variants, slo }) => cdfChart(variants, 'tpot_s', slo) },
  'cost-vs-p99': {
    build: ({ variants, slo, replicated }) => costLatencyChart(variants, replicated, slo),
  },
  'unit-costs': { build: ({ variants, slo, replicated }) => unitCostsChart(variants, replicated, slo) },
  'cost-breakdown': { build: ({ variants }) => costBreakdownChart(variants) },
  timeline: { build: ({ variants }) => timelineChart(variants) },
} satisfies Record<ReportChartName, ChartDefinition>;

export type ChartName = ReportChartName;
export const CHART_NAMES: readonly ChartName[] = REPORT_CHART_NAMES;

export interface Chart<Name extends string = ChartName> {
  name: Name;
  spec: TopLevelSpec;
}

/** Unknown chart names, for the caller to report; empty when all are known. */
export function unknownChartNames(names: readonly string[]): string[] {
  return names.filter((name) => !Object.hasOwn(CHARTS, name));
}

/** `spec` with `lines` added to its subtitle. */
function withSubtitle(spec: TopLevelSpec, lines: readonly string[]): TopLevelSpec {
  if (lines.length === 0) return spec;
  const title =
    typeof spec.title === 'object' && !Array.isArray(spec.title) ? spec.title : { text: spec.title ?? '' };
  const subtitle = title.subtitle === undefined ? [] : [title.subtitle].flat();
  return { ...spec, title: { ...title, subtitle: [...subtitle, ...lines] } };
}

/**
 * The specs of the charts asked for (default: all), in the order of `CHARTS`, without those the
 * results hold nothing for; of many configurations only those `chartedVariants` picks, each chart
 * saying so. Throws a RangeError naming the known charts for an unknown name.
 */
export function assembleCharts(input: ChartInput, names: readonly string[] = CHART_NAMES): Chart[] {
  const unknown = unknownChartNames(names);
  if (unknown.length > 0) {
    throw new RangeError(`unknown chart(s) ${unknown.join(', ')}; known: ${CHART_NAMES.join(', ')}`);
  }
  const { variants, note } = chartedVariants(input);
  return CHART_NAMES.filter((name) => names.includes(name)).flatMap((name) => {
    const spec = CHARTS[name].build({ ...input, variants });
    return spec === null ? [] : [{ name, spec: withSubtitle(spec, note) }];
  });
}
