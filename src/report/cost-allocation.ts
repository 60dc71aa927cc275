import { roundSignificant } from '../core/format.js';
import type { CostAllocation, VariantResult } from '../metrics/index.js';
import { roundNumbers } from './summary.js';

/** Simulated time is shown as UTC from this instant: a run has no calendar date of its own. */
const RUN_START_MS = 0;

const iso = (seconds: number) => new Date(RUN_START_MS + Math.round(seconds * 1000)).toISOString();

/** OpenCost's name for what no workload used. */
export const IDLE_ALLOCATION = '__idle__';

/**
 * One allocation in the fields of OpenCost's allocation API (`/allocation`): `properties.labels`
 * carry the class and tenant, `cpuCost` and `gpuCost` the replicas without and with accelerators,
 * `networkCost` data transfer; fleetsim models no RAM, volume or load-balancer cost apart, so
 * those are 0 (a replica's price includes them), and shares nothing, so `sharedCost` is 0.
 */
function openCostAllocation(row: CostAllocation) {
  const window = { start: iso(0), end: iso(row.end_s) };
  return {
    name: row.name,
    properties: { labels: row.labels },
    window,
    start: window.start,
    end: window.end,
    minutes: row.end_s / 60,
    cpuCost: row.cpu_usd,
    gpuCost: row.gpu_usd,
    ramCost: 0,
    pvCost: 0,
    networkCost: row.network_usd,
    loadBalancerCost: 0,
    sharedCost: 0,
    externalCost: 0,
    totalCost: row.total_usd,
  };
}

/**
 * cost-allocation.json: per variant, one allocation set keyed by name as OpenCost's
 * `/allocation` answers (`data` holds one set for the one window a run is), a class's and idle
 * capacity's (`__idle__`). Null when no variant declares classes.
 */
export function renderCostAllocationJson(
  scenario: string,
  seed: number,
  results: readonly VariantResult[],
): string | null {
  if (!results.some((r) => r.cost_allocation !== undefined)) return null;
  const variants = results.map((r) => ({
    variant: r.name,
    data: [Object.fromEntries((r.cost_allocation ?? []).map((row) => [row.name, openCostAllocation(row)]))],
  }));
  return `${JSON.stringify(roundNumbers({ scenario, seed, variants }), null, 2)}\n`;
}

const CSV_COLUMNS = [
  'variant',
  'name',
  'class',
  'tenant',
  'window_start',
  'window_end',
  'minutes',
  'cpuCost',
  'gpuCost',
  'networkCost',
  'totalCost',
] as const;

/** The same allocations, one row each, for a spreadsheet or a billing import. Null when no variant declares classes. */
export function renderCostAllocationCsv(results: readonly VariantResult[]): string | null {
  if (!results.some((r) => r.cost_allocation !== undefined)) return null;
  const field = (value: string | number | null) => {
    if (value === null) return '';
    const text = typeof value === 'number' ? String(roundSignificant(value, 10)) : value;
    return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of results) {
    for (const row of r.cost_allocation ?? []) {
      const a = openCostAllocation(row);
      lines.push(
        [
          r.name,
          row.name,
          row.labels.class ?? null,
          row.labels.tenant ?? null,
          a.start,
          a.end,
          a.minutes,
          a.cpuCost,
          a.gpuCost,
          a.networkCost,
          a.totalCost,
        ]
          .map(field)
          .join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
