import {
  formatThousands as count,
  formatDuration,
  formatPercent as percent,
  formatUsdInText as usd,
} from '../core/format.js';
import type { Scenario } from '../scenario/types.js';
import type { LlmFleetStats, VariantResult } from './result.js';
import { MAX_CELLS, MAX_FIXED_BINS, maxBinsOf } from './time-series.js';

export interface RunWarning {
  code:
    | 'PARTIAL'
    | 'DRAIN_LIMIT'
    | 'SKIPPED_TRACE_ROWS'
    | 'LOST_REQUESTS'
    | 'NEAR_SATURATION'
    | 'GROWING_QUEUE'
    | 'PREEMPTION'
    | 'SERVES_NOTHING'
    | 'SERIES_WIDENED'
    | 'FLAPPING'
    | 'STALE_PRICE';
  /** What it is about (a fleet name, `run`, `queue`, `requests` or `trace`), so replications' warnings can be counted together. */
  subject: string;
  message: string;
}

/**
 * Above this utilization, waiting time grows like 1 / (1 - rho): a capacity error of a few percent
 * in the model moves latency by multiples (BLIS issue #482, DOMAIN.md).
 */
export const NEAR_SATURATION = 0.95;

/** More than this share of measured requests lost (dropped, timed out, still in flight) fails the configuration's users. */
export const LOST_SHARE = 0.001;

/**
 * An LLM fleet preempts repeatedly when its preemptions exceed this share of the sequences it
 * admitted: each costs a recomputed prompt and a wait in the queue, so beyond 1 % they reach the
 * p99 latency ...
 */
export const PREEMPTION_SHARE = 0.01;
/** ... or when recomputing them takes more than this share of its iteration time. */
export const RECOMPUTE_SHARE = 0.05;

const RESOURCE = {
  kv_cache: 'KV-cache',
  batch_slots: 'batch-slot',
  token_budget: 'token-budget',
} as const;

/** A run limit ended the run: nothing else it says is the scenario's answer. */
function partialRun(result: VariantResult): RunWarning | null {
  const partial = result.partial;
  if (partial === undefined) return null;
  const at = `the run was stopped at ${Number(partial.at_s.toPrecision(6))} s simulated`;
  const figures = `its figures cover the run up to then, the ${count(result.requests.in_flight_at_end)} measured requests still in the system count as lost`;
  return {
    code: 'PARTIAL',
    subject: 'run',
    message:
      partial.limit === 'objective'
        ? `PARTIAL: ${at} because it had missed its objective whatever the requests still to come would do (${partial.reason}): ${figures}; \`fleetsim run\` runs it whole`
        : `PARTIAL: ${at} by limits.${partial.limit} (${partial.reason}): ${figures}, and it fails its objective; raise limits.${partial.limit} (null turns it off) to run it whole`,
  };
}

/** Draining ended at `max_drain` with requests left: they count as lost, not as slow completions. */
function drainLimit(result: VariantResult, scenario: Scenario): RunWarning | null {
  const inFlight = result.requests.in_flight_at_end;
  if (result.partial !== undefined || inFlight === 0 || !Number.isFinite(scenario.maxDrain)) return null;
  return {
    code: 'DRAIN_LIMIT',
    subject: 'requests',
    message: `draining stopped ${formatDuration(scenario.maxDrain)} after arrivals ended (max_drain) with ${count(inFlight)} measured requests unfinished: they count as lost, against the drop rate, and are in no latency percentile`,
  };
}

/** Rows of the trace passed over as bad: the run replays less load than the file holds. */
function skippedTraceRows(result: VariantResult): RunWarning | null {
  const skipped = result.skipped_trace_rows;
  if (skipped === undefined || skipped.count === 0) return null;
  const rest = skipped.count - skipped.first.length;
  return {
    code: 'SKIPPED_TRACE_ROWS',
    subject: 'trace',
    message: `skipped ${count(skipped.count)} bad ${skipped.count === 1 ? 'row' : 'rows'} of the trace (on_bad_row: skip), so it replays fewer requests than the file holds: ${skipped.first.join('; ')}${rest > 0 ? `; and ${count(rest)} more` : ''}`,
  };
}

/** Requests that arrived after warmup and were not served: dropped (rejected included), timed out, or cut off by the end. */
function lostRequests(result: VariantResult): RunWarning | null {
  const { arrived, completed, dropped, timed_out: timedOut, in_flight_at_end: inFlight } = result.requests;
  const lost = dropped + timedOut + inFlight;
  if (arrived === 0 || !(lost / arrived > LOST_SHARE)) return null;
  const rejected = Object.values(result.llm?.fleets ?? {}).reduce((sum, fleet) => sum + fleet.rejected, 0);
  const parts = [
    `${count(dropped)} dropped${rejected > 0 ? ` (${count(rejected)} of them too large for the KV cache)` : ''}`,
    `${count(timedOut)} timed out`,
    `${count(inFlight)} still in flight at the end`,
  ];
  return {
    code: 'LOST_REQUESTS',
    subject: 'requests',
    message: `lost ${count(lost)} of ${count(arrived)} requests (${percent(lost / arrived)}: ${parts.join(', ')}): its latency and cost figures describe only the ${count(completed)} it served`,
  };
}

function saturation(fleet: string, utilization: number, llm: LlmFleetStats | undefined): RunWarning | null {
  if (!(utilization >= NEAR_SATURATION)) return null;
  const consequence = 'near saturation latency is extremely sensitive to capacity error';
  if (llm === undefined) {
    return {
      code: 'NEAR_SATURATION',
      subject: fleet,
      message: `fleet ${fleet} is ${percent(utilization)} utilized: ${consequence}`,
    };
  }
  const uses = [
    `mean KV-cache use ${percent(llm.kv_utilization.mean)}`,
    `batch-slot occupancy ${percent(llm.batch_slot_occupancy)}`,
    `token-budget use ${percent(llm.token_budget_use)}`,
  ];
  const binding = { kv_cache: 0, batch_slots: 1, token_budget: 2 }[llm.binding];
  const others = uses.filter((_, i) => i !== binding);
  return {
    code: 'NEAR_SATURATION',
    subject: fleet,
    message: `fleet ${fleet} is ${RESOURCE[llm.binding]} bound: ${uses[binding]} (${others.join(', ')}): ${consequence}`,
  };
}

/** Why a fleet preempted: for KV-cache blocks, and for priority when it was allowed to. */
function preemptedFor(llm: LlmFleetStats): string {
  const forPriority = llm.priority_preemptions ?? 0;
  if (forPriority === 0) return 'for lack of KV-cache blocks';
  const forBlocks = llm.preemptions - forPriority;
  return forBlocks === 0
    ? 'to give waiting higher-priority requests room'
    : `(${count(forBlocks)} for lack of KV-cache blocks, ${count(forPriority)} to give waiting higher-priority requests room)`;
}

function repeatedPreemption(fleet: string, llm: LlmFleetStats): RunWarning | null {
  const perSequence = llm.admitted > 0 ? llm.preemptions / llm.admitted : 0;
  if (!(perSequence > PREEMPTION_SHARE || llm.recompute_share > RECOMPUTE_SHARE)) return null;
  return {
    code: 'PREEMPTION',
    subject: fleet,
    message: `fleet ${fleet} preempted running sequences ${count(llm.preemptions)} times ${preemptedFor(llm)}, against ${count(llm.admitted)} sequences admitted (mean KV-cache use ${percent(llm.kv_utilization.mean)}): recomputing them took ${percent(llm.recompute_share)} of its iteration time, ${usd(llm.recompute_cost_usd)} of its cost, and each preempted request waits again`,
  };
}

function servesNothing(fleet: string, result: VariantResult): RunWarning | null {
  const costUsd = result.cost_usd.by_fleet[fleet] ?? 0;
  if (result.instances[fleet]?.completed !== 0 || !(costUsd > 0)) return null;
  // A prefill fleet hands its requests on: the decode fleets complete them.
  const llm = result.llm?.fleets[fleet];
  if (llm?.role === 'prefill' && llm.admitted > 0) return null;
  return {
    code: 'SERVES_NOTHING',
    subject: fleet,
    message: `fleet ${fleet} completed none of the measured requests but cost ${usd(costUsd)}`,
  };
}

/**
 * The queue grew when the last third of the measured arrival window held on average more than
 * twice the waiting requests of the first third, plus one per replica. A stable queue only
 * fluctuates around its mean; the floor keeps nearly empty queues from tripping it.
 */
function growingQueue(result: VariantResult, scenario: Scenario): RunWarning | null {
  const rows = result.timeseries;
  if (rows.length < 2) return null;
  const intervalS = rows[1].time_s - rows[0].time_s;
  const { warmup, arrivals_end: arrivalsEnd } = result.simulated_s;
  const window = rows.filter((row) => row.time_s >= warmup && row.time_s + intervalS <= arrivalsEnd);
  const third = Math.floor(window.length / 3);
  if (third < 2) return null;
  const meanQueue = (part: typeof window) =>
    part.reduce((sum, row) => sum + row.queue_length, 0) / part.length;
  const first = meanQueue(window.slice(0, third));
  const last = meanQueue(window.slice(window.length - third));
  const replicas = scenario.fleets.reduce((sum, fleet) => sum + fleet.replicas, 0);
  if (!(last > 2 * first + replicas)) return null;
  return {
    code: 'GROWING_QUEUE',
    subject: 'queue',
    message: `the queue grew from ${first.toPrecision(3)} to ${last.toPrecision(3)} waiting requests on average over the run: the fleet cannot keep up (unstable), so latency depends on the run length`,
  };
}

/**
 * The run outlasted the rows the `metrics.interval` asked for allows (MAX_FIXED_BINS, fewer with
 * many fleets), so its series has wider rows.
 */
function seriesWidened(result: VariantResult, scenario: Scenario): RunWarning | null {
  const asked = scenario.metrics.interval;
  const rows = result.timeseries;
  if (asked === null || rows.length < 2) return null;
  const used = rows[1].time_s - rows[0].time_s;
  if (!(used > asked * (1 + 1e-9))) return null;
  const fleets = scenario.fleets.length;
  const bound = maxBinsOf(fleets, false);
  const kept =
    bound < MAX_FIXED_BINS
      ? `the ${count(bound - 1)} rows a series of ${count(fleets)} fleets keeps (at most ${count(MAX_CELLS)} values, two per fleet in each row)`
      : `${count(MAX_FIXED_BINS)} rows`;
  return {
    code: 'SERIES_WIDENED',
    subject: 'metrics',
    message: `the time series has rows of ${formatDuration(used)}, not the ${formatDuration(asked)} of metrics.interval: at that interval the ${count(Math.round(result.simulated_s.end))} s simulated would need more than ${kept}`,
  };
}

/** An autoscaler gave capacity up and took it back within the flap window: cold starts paid for nothing. */
function flapping(result: VariantResult): RunWarning[] {
  return Object.entries(result.scaling ?? {}).flatMap(([fleet, stats]) =>
    stats.flaps === 0
      ? []
      : [
          {
            code: 'FLAPPING' as const,
            subject: fleet,
            message: `fleet ${fleet} flapped ${count(stats.flaps)} time${stats.flaps === 1 ? '' : 's'}: a scale-in followed within ${formatDuration(stats.flap_window_s)} (metrics.flap_window) by a scale-out, each paying a cold start for capacity just given up (${count(stats.scale_ins)} scale-ins, ${count(stats.scale_outs)} scale-outs in all); a longer scale-in stabilization window or cooldown, or a higher min, would steady it`,
          },
        ],
  );
}

/**
 * The catalog price a fleet is billed at was older than the threshold at the scenario's `as_of`
 * (aged when the scenario was loaded, src/hardware/price-age.ts): its cost may be far from today's.
 */
function stalePrices(scenario: Scenario): RunWarning[] {
  return scenario.fleets.flatMap((fleet) => {
    const stale = fleet.stalePrice;
    if (!stale) return [];
    return [
      {
        code: 'STALE_PRICE' as const,
        subject: fleet.name,
        message: `fleet ${fleet.name} is priced at the ${fleet.market} price of ${fleet.instance} in ${fleet.region} dated ${stale.asOf}, ${count(stale.ageDays)} days before as_of ${stale.reference} (more than ${stale.maxAgeDays}): its cost may be far from today's; check the provider's price, refresh it (fleetsim catalog import) or give your own (--catalog)`,
      },
    ];
  });
}

/**
 * What makes a run's figures fail or mislead: a run cut short by a limit, a drain cut short, trace
 * rows skipped as bad, lost requests, a fleet near saturation on its binding resource, a queue
 * that never settled, an LLM fleet preempting over and over, a fleet that served nothing while
 * costing money, a time series coarser than asked, an autoscaler that flaps, a catalog price older than the threshold at the
 * scenario's `as_of`.
 */
export function runWarnings(result: VariantResult, scenario: Scenario): RunWarning[] {
  const warnings: RunWarning[] = [];
  const partial = partialRun(result);
  if (partial) warnings.push(partial);
  const drained = drainLimit(result, scenario);
  if (drained) warnings.push(drained);
  const skipped = skippedTraceRows(result);
  if (skipped) warnings.push(skipped);
  const lost = lostRequests(result);
  if (lost) warnings.push(lost);
  for (const fleet of Object.keys(result.utilization).sort()) {
    const llm = result.llm?.fleets[fleet];
    const saturated = saturation(fleet, result.utilization[fleet], llm);
    if (saturated) warnings.push(saturated);
    const preempting = llm === undefined ? null : repeatedPreemption(fleet, llm);
    if (preempting) warnings.push(preempting);
    const idle = servesNothing(fleet, result);
    if (idle) warnings.push(idle);
  }
  const growing = growingQueue(result, scenario);
  if (growing) warnings.push(growing);
  const widened = seriesWidened(result, scenario);
  if (widened) warnings.push(widened);
  warnings.push(...flapping(result));
  warnings.push(...stalePrices(scenario));
  return warnings;
}
