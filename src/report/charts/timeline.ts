import type { TopLevelSpec } from 'vega-lite';
import type { VariantResult } from '../../metrics/index.js';
import { FORMAT, header, hoverLayer, pickedOpacity, pickVariantParam, variantColor } from './theme.js';
import type { TimelineEvent } from './types.js';

export interface TimelineRow {
  variant: string;
  /** In the chart's time unit. */
  time: number;
  arrival_rps: number;
  replicas: number;
  queue_length: number;
  utilization: number;
  cost_usd_per_hour: number;
}

export interface TimeUnit {
  name: 's' | 'min' | 'h';
  seconds: number;
}

/** The unit that keeps the time axis in two- or three-digit numbers. */
export function timeUnitFor(spanS: number): TimeUnit {
  if (spanS <= 20 * 60) return { name: 's', seconds: 1 };
  if (spanS <= 10 * 3600) return { name: 'min', seconds: 60 };
  return { name: 'h', seconds: 3600 };
}

/**
 * One row per variant and interval, plus one at the end of the run repeating the last, so the
 * last interval is drawn as wide as it is. The arrival rate divides by the interval's width, and
 * the last interval is cut short by the end of the run.
 */
export function timelineRows(
  variants: readonly Pick<VariantResult, 'name' | 'timeseries' | 'simulated_s'>[],
  unit: TimeUnit,
): TimelineRow[] {
  return variants.flatMap((v) => {
    const rows = v.timeseries;
    const intervalS = rows.length > 1 ? rows[1].time_s - rows[0].time_s : v.simulated_s.end;
    const drawn = rows.map((row) => {
      const widthS = Math.min(intervalS, v.simulated_s.end - row.time_s) || intervalS;
      return {
        variant: v.name,
        time: row.time_s / unit.seconds,
        arrival_rps: row.arrivals / widthS,
        replicas: row.replicas,
        queue_length: row.queue_length,
        utilization: row.utilization,
        cost_usd_per_hour: row.cost_usd_per_hour,
      };
    });
    const last = drawn.at(-1);
    return last === undefined || v.simulated_s.end / unit.seconds <= last.time
      ? drawn
      : [...drawn, { ...last, time: v.simulated_s.end / unit.seconds }];
  });
}

const PANELS: { field: keyof TimelineRow; title: string; format: string; axisFormat?: string }[] = [
  { field: 'arrival_rps', title: 'arrivals (req/s)', format: FORMAT.number },
  { field: 'replicas', title: 'replicas', format: FORMAT.number },
  { field: 'queue_length', title: 'queue (requests)', format: FORMAT.number },
  { field: 'utilization', title: 'utilization (%)', format: FORMAT.percent, axisFormat: '%' },
  { field: 'cost_usd_per_hour', title: 'cost rate (USD/h)', format: FORMAT.usd },
];

/**
 * Arrival rate, replicas, queue length, utilization and cost rate over simulated time, one
 * panel each, a line per variant; `events` (spot reclaims, scaling) are vertical rules.
 */
export function timelineChart(
  variants: readonly Pick<VariantResult, 'name' | 'timeseries' | 'simulated_s'>[],
  events: Readonly<Record<string, readonly TimelineEvent[]>> = {},
): TopLevelSpec | null {
  const spanS = Math.max(0, ...variants.map((v) => v.simulated_s.end));
  const unit = timeUnitFor(spanS);
  const values = timelineRows(variants, unit);
  if (values.length === 0) return null;
  const all = variants.map((v) => v.name);
  const names = [...new Set(values.map((r) => r.variant))];
  const marks = Object.entries(events).flatMap(([variant, list]) =>
    list.map((e) => ({ variant, time: e.time_s / unit.seconds, kind: e.kind, fleet: e.fleet })),
  );
  const x = { field: 'time', type: 'quantitative' as const, title: `simulated time (${unit.name})` };
  return {
    ...header(
      'Timeline',
      `Per interval of the time series; click a legend entry to highlight a variant.${marks.length > 0 ? ' Vertical lines: fleet events.' : ''}`,
    ),
    datasets: marks.length > 0 ? { timeline: values, events: marks } : { timeline: values },
    spacing: 10,
    vconcat: PANELS.map((panel, i) => ({
      width: 640,
      height: 90,
      data: { name: 'timeline' },
      layer: [
        {
          ...(i === 0 ? { params: [pickVariantParam] } : {}),
          mark: { type: 'line' as const, interpolate: 'step-after' as const },
          encoding: {
            x: { ...x, axis: i === PANELS.length - 1 ? {} : { title: null, labels: false, ticks: false } },
            y: {
              field: panel.field,
              type: 'quantitative' as const,
              title: panel.title,
              axis: { format: panel.axisFormat, tickCount: 4 },
            },
            color: variantColor(all, names),
            opacity: pickedOpacity,
          },
        },
        hoverLayer(`hover_${panel.field}`, {
          x,
          y: { field: panel.field, type: 'quantitative' as const },
          color: variantColor(all, names),
          tooltip: [
            { field: 'variant', type: 'nominal' as const },
            { field: 'time', type: 'quantitative' as const, title: `time (${unit.name})`, format: '.4~g' },
            { field: panel.field, type: 'quantitative' as const, title: panel.title, format: panel.format },
          ],
        }),
        ...(marks.length === 0
          ? []
          : [
              {
                data: { name: 'events' },
                mark: { type: 'rule' as const, color: '#555', strokeWidth: 1 },
                encoding: {
                  x,
                  strokeDash: { field: 'kind', type: 'nominal' as const, title: 'event' },
                  tooltip: [
                    { field: 'kind', type: 'nominal' as const, title: 'event' },
                    { field: 'fleet', type: 'nominal' as const },
                    { field: 'variant', type: 'nominal' as const },
                    {
                      field: 'time',
                      type: 'quantitative' as const,
                      title: `time (${unit.name})`,
                      format: '.4~g',
                    },
                  ],
                },
              },
            ]),
      ],
    })),
    resolve: { scale: { x: 'shared' } },
  };
}
