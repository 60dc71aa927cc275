import type { TopLevelSpec } from 'vega-lite';
import type { CapacityEvent, VariantResult } from '../../metrics/index.js';
import { type ChartedFleets, chartedFleets, lastOf } from './selection.js';
import { FORMAT, header, hoverLayer, pickedOpacity, pickVariantParam, variantColor } from './theme.js';

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
    return closedAtEnd(drawn, v.simulated_s.end / unit.seconds);
  });
}

/** `rows` with the last repeated at `end`, so a step line draws the last interval as wide as it is. */
function closedAtEnd<Row extends { time: number }>(rows: Row[], end: number): Row[] {
  const last = rows.at(-1);
  return last === undefined || end <= last.time ? rows : [...rows, { ...last, time: end }];
}

/** One row per variant, fleet and interval, for fleets' own replicas and cost; the end row as in `timelineRows`. */
export interface FleetTimelineRow {
  variant: string;
  /** `gpu-spot (spot)`: the fleet and the market it buys in. */
  fleet: string;
  time: number;
  fleet_replicas: number;
  fleet_cost_usd_per_hour: number;
}

/**
 * Per fleet, of the variants with more than one fleet: empty when none has more, or for folders
 * written before time series kept fleets apart.
 */
export function fleetTimelineRows(
  variants: readonly Pick<VariantResult, 'name' | 'timeseries' | 'simulated_s' | 'instances' | 'cost_usd'>[],
  unit: TimeUnit,
  charted: ChartedFleets = chartedFleets(variants),
): FleetTimelineRow[] {
  return variants.flatMap((v) => {
    const fleets = Object.keys(v.instances);
    if (fleets.length < 2 || v.timeseries.some((row) => row.replicas_by_fleet === undefined)) return [];
    const { apart, others } = charted;
    const rest = apart === null ? [] : fleets.filter((fleet) => !apart.has(fleet));
    const together =
      rest.length === 0
        ? []
        : closedAtEnd(
            v.timeseries.map((row) => ({
              variant: v.name,
              fleet: others,
              time: row.time_s / unit.seconds,
              fleet_replicas: sumOver(rest, row.replicas_by_fleet),
              fleet_cost_usd_per_hour: sumOver(rest, row.cost_usd_per_hour_by_fleet),
            })),
            v.simulated_s.end / unit.seconds,
          );
    const drawn = apart === null ? fleets : fleets.filter((fleet) => apart.has(fleet));
    return [
      ...drawn.flatMap((fleet) => {
        const market = (v.instances[fleet] as { market?: string }).market;
        const label = market === undefined ? fleet : `${fleet} (${market})`;
        const drawn = v.timeseries.map((row) => ({
          variant: v.name,
          fleet: label,
          time: row.time_s / unit.seconds,
          fleet_replicas: row.replicas_by_fleet?.[fleet] ?? 0,
          fleet_cost_usd_per_hour: row.cost_usd_per_hour_by_fleet?.[fleet] ?? 0,
        }));
        return closedAtEnd(drawn, v.simulated_s.end / unit.seconds);
      }),
      ...together,
    ];
  });
}

function sumOver(fleets: readonly string[], byFleet: Record<string, number> | undefined): number {
  let sum = 0;
  for (const fleet of fleets) sum += byFleet?.[fleet] ?? 0;
  return sum;
}

interface Panel {
  field: string;
  title: string;
  format: string;
  axisFormat?: string;
  /** Lines per fleet (dashed by fleet) from the fleet rows, rather than per variant. */
  byFleet?: boolean;
}

const PANELS: (Panel & { field: keyof TimelineRow })[] = [
  { field: 'arrival_rps', title: 'arrivals (req/s)', format: FORMAT.number },
  { field: 'replicas', title: 'replicas', format: FORMAT.number },
  { field: 'queue_length', title: 'queue (requests)', format: FORMAT.number },
  { field: 'utilization', title: 'utilization (%)', format: FORMAT.percent, axisFormat: '%' },
  { field: 'cost_usd_per_hour', title: 'cost rate (USD/h)', format: FORMAT.usd },
];

const FLEET_PANELS: Panel[] = [
  { field: 'fleet_replicas', title: 'replicas by fleet', format: FORMAT.number, byFleet: true },
  { field: 'fleet_cost_usd_per_hour', title: 'cost by fleet (USD/h)', format: FORMAT.usd, byFleet: true },
];

/** The rows of the events strip, top to bottom. */
const EVENT_NAMES = ['scale out', 'scale in', 'spot notice', 'spot reclaim'] as const;
type EventName = (typeof EVENT_NAMES)[number];

export interface TimelineMark {
  variant: string;
  /** In the chart's time unit. */
  time: number;
  event: EventName;
  fleet: string;
  /** `3 -> 5` for a scaling decision (replicas ready plus starting, before and after). */
  replicas: string | null;
}

function eventName(event: CapacityEvent): EventName {
  if (event.kind === 'notice') return 'spot notice';
  if (event.kind === 'reclaim') return 'spot reclaim';
  return (event.to ?? 0) >= (event.from ?? 0) ? 'scale out' : 'scale in';
}

/** Each variant's capacity events (autoscaling decisions, spot notices and reclaims) as marks. */
export function timelineMarks(
  variants: readonly Pick<VariantResult, 'name' | 'capacity_events'>[],
  unit: TimeUnit,
): TimelineMark[] {
  return variants.flatMap((v) =>
    v.capacity_events.map((e) => ({
      variant: v.name,
      time: e.time_s / unit.seconds,
      event: eventName(e),
      fleet: e.fleet,
      replicas: e.kind === 'scale' ? `${e.from} -> ${e.to}` : null,
    })),
  );
}

/**
 * Arrival rate, replicas, queue length, utilization and cost rate over simulated time, one panel
 * each, a line per variant. Capacity events get a strip of their own on top, a row per kind and
 * a tick per event: an autoscaled run makes hundreds of decisions, which as lines across the
 * panels would hide the curves they explain.
 */
export function timelineChart(
  variants: readonly Pick<
    VariantResult,
    'name' | 'timeseries' | 'simulated_s' | 'capacity_events' | 'instances' | 'cost_usd'
  >[],
): TopLevelSpec | null {
  const spanS = variants.reduce((span, v) => Math.max(span, v.simulated_s.end), 0);
  const unit = timeUnitFor(spanS);
  const values = timelineRows(variants, unit);
  if (values.length === 0) return null;
  const all = variants.map((v) => v.name);
  const names = [...new Set(values.map((r) => r.variant))];
  const marks = timelineMarks(variants, unit);
  const fleets = chartedFleets(variants);
  const fleetValues = fleetTimelineRows(variants, unit, fleets);
  // Beside the replicas and the cost of each variant, those of each of its fleets (spot and on-demand apart).
  const panels: Panel[] =
    fleetValues.length === 0
      ? PANELS
      : [...PANELS.slice(0, 2), FLEET_PANELS[0], ...PANELS.slice(2), FLEET_PANELS[1]];
  // The axis ends where the longest run ended, not at the next round number past it.
  const x = {
    field: 'time',
    type: 'quantitative' as const,
    title: `simulated time (${unit.name})`,
    scale: { domain: [0, spanS / unit.seconds], nice: false },
  };
  const hiddenX = { ...x, axis: { title: null, labels: false, ticks: false } };
  const time = {
    field: 'time',
    type: 'quantitative' as const,
    title: `time (${unit.name})`,
    format: '.4~g',
  };
  const kinds = EVENT_NAMES.filter((name) => marks.some((m) => m.event === name));
  const eventsPanel = {
    width: 640,
    // A row per kind, split between the variants (`yOffset`): at least 8 px each, at most 48 a row.
    height: kinds.length * Math.min(48, Math.max(16, 8 * all.length)),
    data: { name: 'events' },
    mark: { type: 'tick' as const, thickness: 1.5 },
    encoding: {
      x: hiddenX,
      y: { field: 'event', type: 'nominal' as const, title: null, sort: kinds },
      yOffset: { field: 'variant', type: 'nominal' as const, sort: all },
      color: variantColor(all, names),
      opacity: pickedOpacity,
      tooltip: [
        { field: 'event', type: 'nominal' as const },
        { field: 'fleet', type: 'nominal' as const },
        { field: 'replicas', type: 'nominal' as const },
        { field: 'variant', type: 'nominal' as const },
        time,
      ],
    },
  };
  return {
    ...header(
      'Timeline',
      `Per interval of the time series; click a legend entry to highlight a variant.${marks.length > 0 ? ' Top: capacity events, a tick each.' : ''}`,
      ...(fleetValues.length > 0 ? fleets.note : []),
    ),
    datasets: {
      timeline: values,
      ...(marks.length > 0 && { events: marks }),
      ...(fleetValues.length > 0 && { fleets: fleetValues }),
    },
    spacing: 10,
    vconcat: [
      ...(marks.length > 0 ? [eventsPanel] : []),
      ...panels.map((panel, i) => {
        const dash = panel.byFleet
          ? {
              strokeDash: {
                field: 'fleet',
                type: 'nominal' as const,
                title: 'fleet (market)',
                // The others drawn as one after the fleets drawn apart.
                ...(fleets.apart !== null && {
                  sort: lastOf(
                    fleetValues.map((r) => r.fleet),
                    fleets.others,
                  ),
                }),
              },
            }
          : {};
        return {
          width: 640,
          height: 90,
          data: { name: panel.byFleet ? 'fleets' : 'timeline' },
          layer: [
            {
              ...(i === 0 ? { params: [pickVariantParam] } : {}),
              mark: { type: 'line' as const, interpolate: 'step-after' as const },
              encoding: {
                x: i === panels.length - 1 ? x : hiddenX,
                y: {
                  field: panel.field,
                  type: 'quantitative' as const,
                  title: panel.title,
                  axis: { format: panel.axisFormat, tickCount: 4 },
                },
                color: variantColor(all, names),
                ...dash,
                opacity: pickedOpacity,
              },
            },
            hoverLayer(`hover_${panel.field}`, {
              x,
              y: { field: panel.field, type: 'quantitative' as const },
              color: variantColor(all, names),
              tooltip: [
                { field: 'variant', type: 'nominal' as const },
                ...(panel.byFleet
                  ? [{ field: 'fleet', type: 'nominal' as const, title: 'fleet (market)' }]
                  : []),
                time,
                {
                  field: panel.field,
                  type: 'quantitative' as const,
                  title: panel.title,
                  format: panel.format,
                },
              ],
            }),
          ],
        };
      }),
    ],
    resolve: { scale: { x: 'shared' } },
  };
}
