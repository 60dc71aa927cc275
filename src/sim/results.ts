import { basename } from 'node:path';
import { US_PER_S } from '../core/time.js';
import type { CapacityOutages } from '../fleet/capacity-outages.js';
import { type PriceSeries, type ReplicaTable, reservedCostUsd, summarizeReplicas } from '../fleet/index.js';
import { isReservedMarket } from '../hardware/index.js';
import type {
  BatchStats,
  CapacityEvent,
  CostBreakdown,
  EnergyResult,
  FleetInstances,
  LatencyStats,
  LlmFleetStats,
  LlmResult,
  PartialRun,
  TimeSeries,
  VariantResult,
} from '../metrics/index.js';
import { scalingStats } from '../metrics/scaling.js';
import { evaluateSlo, withClassVerdicts } from '../metrics/slo.js';
import { runWarnings } from '../metrics/warnings.js';
import type { OffloadCounts } from '../policies/routing/offload.js';
import {
  type Fleet,
  formatDiagnostic,
  modelNames,
  type RequestClass,
  type Scenario,
  type Slo,
} from '../scenario/types.js';
import type { LlmModel } from '../serving/llm/index.js';
import { type FleetPerformance, scenarioPerformance } from '../serving/performance-source.js';
import type { SkippedRows } from '../workload/arrival-source.js';
import type { AdapterResidency } from './adapters.js';
import type { ClassMeter, ClassWork } from './class-meters.js';
import { classResults, type FleetCost } from './class-results.js';
import type { Disaggregation } from './disaggregation.js';
import { type FleetEnergyEstimate, fleetEnergy } from './energy.js';
import { iterationUs, type LlmFleetState } from './llm-fleet-state.js';
import type { NetworkModel } from './network-model.js';
import type { OracleComparison } from './oracle-comparison.js';

/**
 * What a run leaves when its events are over and its in-flight requests are accounted for:
 * counts, meters and per-fleet records, in simulated microseconds. Per-fleet arrays are indexed
 * like `scenario.fleets`.
 */
export interface FinishedRun {
  scenario: Scenario;
  /** The variant's name. */
  name: string;
  events: number;
  /** When arrivals stopped, and when the run ended (the last departure, or the drain limit). */
  arrivalsEndUs: number;
  endUs: number;
  warmupUs: number;
  /** Requests arriving after warmup, by outcome. */
  arrived: number;
  completed: number;
  /** Measured completions within the SLO's per-request limits. */
  good: number;
  slo: Slo;
  dropped: number;
  timedOut: number;
  inFlight: number;
  inputTokens: number;
  outputTokens: number;
  latency: LatencyStats;
  wait: LatencyStats;
  ttft: LatencyStats;
  tpot: LatencyStats;
  /** Per fleet: busy slot-time, requests completed (warmup included), and measured requests completed. */
  busyUsByFleet: Float64Array;
  completedByFleet: Float64Array;
  measuredByFleet: Float64Array;
  replicaTables: readonly ReplicaTable[];
  spotPrices: readonly (PriceSeries | null)[];
  outages: CapacityOutages;
  interrupted: readonly { requeued: number; retried: number; dropped: number }[];
  network: NetworkModel;
  oracle: OracleComparison;
  /** Set when a run limit ended the run early. */
  partial: PartialRun | null;
  /** Per fleet: batches (or iterations) by size. */
  batchSizes: readonly Map<number, number>[];
  llmFleets: readonly (LlmFleetState | null)[];
  disaggregation: Disaggregation | null;
  offloadCounts: OffloadCounts | null;
  capacityEvents: CapacityEvent[];
  timeseries: TimeSeries;
  /** A trace read with `on_bad_row: skip`: the bad rows it passed over; null otherwise. */
  skippedTraceRows: SkippedRows | null;
  /** LoRA adapter residency of the fleets with adapters; null when none has. */
  adapters: AdapterResidency | null;
  /** Requests (warmup included) rejected because no fleet serves the model they ask for. */
  unservedModel: number;
  /** With `workload.classes`: the classes, what each measured and the work each had done; null without. */
  classes: { declared: readonly RequestClass[]; meters: readonly ClassMeter[]; work: ClassWork } | null;
}

/** The variant's results: costs and utilization from the replica records, and every metric. */
export function resultOf(run: FinishedRun): VariantResult {
  const { endUs, arrivalsEndUs } = run;
  const { fleets } = run.scenario;
  const cost: CostBreakdown = {
    total: 0,
    compute: 0,
    idle: 0,
    recompute: 0,
    transfer: 0,
    by_fleet: {},
    by_market: { 'on-demand': 0, spot: 0, reserved: 0, 'reserved-3y': 0 },
  };
  const utilization: Record<string, number> = {};
  const instances: Record<string, FleetInstances> = {};
  const llmStats: Record<string, LlmFleetStats> = {};
  let measuredWindowCost = 0;
  let inputCost = 0;
  const windowUs = Math.max(0, endUs - run.warmupUs);
  const tokens = run.inputTokens + run.outputTokens;
  const tokenInputShare = tokens > 0 ? run.inputTokens / tokens : 0;
  const fleetCosts: FleetCost[] = [];
  const energies: FleetEnergyEstimate[] = [];
  const fleetInputShares: number[] = [];
  for (const [f, fleet] of fleets.entries()) {
    const slots = slotsPerReplica(fleet);
    const reserved = isReservedMarket(fleet.market) ? fleet.maxReplicas : null;
    const table = run.replicaTables[f];
    const llm = run.llmFleets[f];
    // An LLM replica works while an iteration runs, whatever the size of its batch.
    const busyReplicaSeconds =
      llm !== null ? iterationUs(llm.total) / US_PER_S : run.busyUsByFleet[f] / slots / US_PER_S;
    const summary = summarizeReplicas(table, {
      endUs,
      billing: fleet.billing,
      priceUsdPerHour: fleet.priceUsdPerHour,
      busyReplicaSeconds,
      ...(llm !== null && { recomputeReplicaSeconds: llm.total.recomputeUs / US_PER_S }),
      reservedReplicas: reserved,
      ...(run.spotPrices[f] !== null && {
        meanPriceUsdPerHour: (fromUs: number, toUs: number) =>
          (run.spotPrices[f] as PriceSeries).meanUsdPerHour(fromUs, toUs),
      }),
    });
    cost.by_fleet[fleet.name] = summary.costUsd;
    fleetCosts.push({
      compute: summary.costUsd,
      idle: summary.idleCostUsd,
      transfer: 0,
      llm: llm !== null,
      accelerated: llm !== null || fleet.hardware?.accelerators != null,
    });
    cost.compute += summary.costUsd;
    cost.idle += summary.idleCostUsd;
    cost.recompute += summary.recomputeCostUsd;
    cost.by_market[fleet.market ?? 'on-demand'] += summary.costUsd;
    const replicaUs = summary.replicaHours * 3600 * US_PER_S;
    const prices = run.spotPrices[f];
    const windowCost =
      reserved !== null
        ? (reservedCostUsd(reserved, endUs, fleet.priceUsdPerHour) * windowUs) / Math.max(1, endUs)
        : prices !== null
          ? windowReplicaCost(table, run.warmupUs, endUs, prices)
          : (windowReplicaUs(table, run.warmupUs, endUs) * fleet.priceUsdPerHour) / US_PER_S / 3600;
    measuredWindowCost += windowCost;
    const inputShare = llm !== null ? inputShareOf(llm, tokenInputShare) : tokenInputShare;
    fleetInputShares.push(inputShare);
    inputCost += windowCost * inputShare;
    energies.push(
      fleetEnergy({ fleet, replicaSeconds: summary.replicaHours * 3600, busySeconds: busyReplicaSeconds }),
    );
    if (llm !== null) {
      const stats = llm.stats(replicaUs, run.busyUsByFleet[f], summary.recomputeCostUsd);
      if (run.scenario.models !== undefined) stats.model = fleet.model ?? modelNames(run.scenario)[0];
      const adapters = run.adapters?.stats(f) ?? null;
      if (adapters !== null) stats.adapters = adapters;
      llmStats[fleet.name] = fleet.role === undefined ? stats : { role: fleet.role, ...stats };
      utilization[fleet.name] = Math.max(
        stats.kv_utilization.mean,
        stats.batch_slot_occupancy,
        stats.token_budget_use,
      );
    } else {
      const slotUs = slots * replicaUs;
      utilization[fleet.name] = slotUs > 0 ? run.busyUsByFleet[f] / slotUs : 0;
    }
    instances[fleet.name] = {
      market: fleet.market ?? 'on-demand',
      launched: summary.launched,
      preempted: summary.preempted,
      peak: summary.peak,
      mean: summary.mean,
      replica_hours: summary.replicaHours,
      unavailable_hours: run.outages.outUs(f, endUs) / 3600e6,
      interrupted_requests: {
        requeued: run.interrupted[f].requeued,
        retried: run.interrupted[f].retried,
        dropped: run.interrupted[f].dropped,
      },
      completed: run.measuredByFleet[f],
    };
  }
  const computeByFleet = { ...cost.by_fleet };
  const transfer = run.network.transferCostUsd(endUs / US_PER_S);
  for (const [f, fleet] of fleets.entries()) {
    cost.transfer += transfer[f];
    fleetCosts[f].transfer = transfer[f];
    cost.by_fleet[fleet.name] += transfer[f];
    measuredWindowCost += (transfer[f] * windowUs) / Math.max(1, endUs);
    // Electricity billed apart is split between input and output like the fleet's own cost.
    const energyCost = energies[f].result.cost_usd;
    if (energyCost !== null) {
      cost.energy = (cost.energy ?? 0) + energyCost;
      cost.by_fleet[fleet.name] += energyCost;
      const windowEnergyCost = (energyCost * windowUs) / Math.max(1, endUs);
      measuredWindowCost += windowEnergyCost;
      inputCost += windowEnergyCost * fleetInputShares[f];
    }
  }
  cost.total = cost.compute + cost.transfer + (cost.energy ?? 0);
  const partial = run.partial === null ? {} : { partial: run.partial };
  const judged = {
    requests: {
      arrived: run.arrived,
      completed: run.completed,
      dropped: run.dropped,
      timed_out: run.timedOut,
      in_flight_at_end: run.inFlight,
    },
    latency_s: run.latency.summary(),
    queue_wait_s: run.wait.summary(),
    ttft_s: run.ttft.summary(),
    tpot_s: run.tpot.summary(),
  };
  const result: VariantResult = {
    name: run.name,
    ...partial,
    slo: evaluateSlo(run.slo, { ...judged, ...partial }),
    warnings: [],
    ...judged,
    waited_fraction: run.wait.count > 0 ? run.wait.positive / run.wait.count : null,
    throughput_rps: windowUs > 0 ? run.completed / (windowUs / US_PER_S) : 0,
    goodput_rps: windowUs > 0 ? run.good / (windowUs / US_PER_S) : 0,
    utilization,
    cost_usd: cost,
    instances,
    oracle: run.oracle.gaps({
      endUs,
      policyCostUsd: computeByFleet,
      completed: run.completedByFleet,
      busyUs: run.busyUsByFleet,
      achievedWaitP99S: run.wait.summary().p99,
    }),
    scaling: scalingStats(
      run.capacityEvents,
      fleets.filter((f) => f.autoscaling !== null).map((f) => f.name),
      run.scenario.metrics.flapWindow,
    ),
    cost_per_1k_requests_usd: run.completed > 0 ? (measuredWindowCost / run.completed) * 1000 : null,
    cost_per_1m_tokens_usd: {
      input: run.inputTokens > 0 ? (inputCost / run.inputTokens) * 1e6 : null,
      output: run.outputTokens > 0 ? ((measuredWindowCost - inputCost) / run.outputTokens) * 1e6 : null,
      total: tokens > 0 ? (measuredWindowCost / tokens) * 1e6 : null,
    },
    tokens: { input: run.inputTokens, output: run.outputTokens },
    simulated_s: {
      warmup: run.scenario.warmup,
      arrivals_end: arrivalsEndUs / US_PER_S,
      end: endUs / US_PER_S,
    },
    events: run.events,
    batches: batchStats(run),
    offload: offloadResult(run.offloadCounts),
    llm: llmResult(run, llmStats),
    ...(run.disaggregation !== null && { disaggregation: run.disaggregation.result(fleets) }),
    performance: performanceOf(run),
    energy: energyResult(
      fleets,
      energies,
      windowUs / Math.max(1, endUs),
      run.completed,
      run.inputTokens + run.outputTokens,
    ),
    capacity_events: run.capacityEvents,
    distributions: {
      latency_s: run.latency.cdf(),
      queue_wait_s: run.wait.cdf(),
      ttft_s: run.ttft.cdf(),
      tpot_s: run.tpot.cdf(),
    },
    timeseries: run.timeseries.rows(
      endUs,
      fleets.map((f) => ({
        name: f.name,
        slotsPerReplica: slotsPerReplica(f),
        priceUsdPerHour: f.priceUsdPerHour,
      })),
    ),
  };
  if (run.skippedTraceRows !== null) result.skipped_trace_rows = skippedTraceRows(run.skippedTraceRows);
  if (run.classes !== null) {
    const { declared, meters, work } = run.classes;
    const perClass = classResults(declared, meters, work, fleetCosts, run.slo, partial, endUs / US_PER_S);
    result.classes = perClass.classes;
    result.cost_attribution = perClass.attribution;
    result.cost_allocation = perClass.allocation;
    result.slo = withClassVerdicts(result.slo, perClass.classes);
  }
  result.warnings = runWarnings(result, run.scenario).map((warning) => warning.message);
  if (run.unservedModel > 0) {
    result.warnings.push(
      `${run.unservedModel} request${run.unservedModel === 1 ? '' : 's'} asked for a model no fleet serves (their trace rows name one that is not ` +
        `among ${modelNames(run.scenario).join(', ') || 'the models'}, or that no fleet serves): they were rejected, counted as dropped`,
    );
  }
  return result;
}

function energyResult(
  fleets: readonly Fleet[],
  estimates: readonly FleetEnergyEstimate[],
  windowShare: number,
  completed: number,
  tokens: number,
): EnergyResult {
  const sum = (values: (number | null)[]) =>
    values.some((value) => value === null) ? null : values.reduce((a: number, b) => a + (b as number), 0);
  const kwh = sum(estimates.map((e) => e.result.kwh));
  const co2eKg = sum(estimates.map((e) => e.result.co2e_kg));
  const per = (value: number | null, count: number, unit: number) =>
    value === null ? null : ((value * windowShare) / count) * unit;
  return {
    kwh,
    co2e_kg: co2eKg,
    ...(completed > 0 && {
      kwh_per_1k_requests: per(kwh, completed, 1e3),
      co2e_kg_per_1k_requests: per(co2eKg, completed, 1e3),
    }),
    ...(tokens > 0 && {
      kwh_per_1m_tokens: per(kwh, tokens, 1e6),
      co2e_kg_per_1m_tokens: per(co2eKg, tokens, 1e6),
    }),
    cost_usd: estimates.reduce((total, e) => total + (e.result.cost_usd ?? 0), 0),
    by_fleet: Object.fromEntries(fleets.map((fleet, f) => [fleet.name, estimates[f].result])),
    assumptions: [...new Set(estimates.flatMap((e) => e.assumptions))],
    warnings: estimates.flatMap((e) => e.warnings),
  };
}

/** Located by the trace's file name alone: summary.json reads the same wherever the trace lies. */
function skippedTraceRows({ count, first }: SkippedRows): NonNullable<VariantResult['skipped_trace_rows']> {
  return {
    count,
    first: first.map((d) => formatDiagnostic({ ...d, file: basename(d.file) })),
  };
}

/**
 * The share of an LLM fleet's measured-window cost that its input tokens carry. Its cost splits
 * by time into fresh prefill, decode, recompute and idle; input carries the prefill part plus the
 * overhead (recompute and idle) in proportion prefill : decode, in all prefill / (prefill +
 * decode). A fleet that did no useful work in the window (a standby that served only during
 * warmup) splits like its work over the whole run, and one that never worked like the tokens.
 */
function inputShareOf(llm: LlmFleetState, tokenInputShare: number): number {
  for (const { prefillUs, decodeUs } of [llm.measured, llm.total]) {
    if (prefillUs + decodeUs > 0) return prefillUs / (prefillUs + decodeUs);
  }
  return tokenInputShare;
}

/** Batching fleets: sizes of their batches; continuous-batching fleets: sequences per iteration. */
function batchStats(run: FinishedRun): Record<string, BatchStats> {
  const stats: Record<string, BatchStats> = {};
  for (const [f, fleet] of run.scenario.fleets.entries()) {
    if (fleet.batching.policy !== 'none') {
      stats[fleet.name] = batchStatsOf(run.batchSizes[f]);
    }
  }
  return stats;
}

function llmResult(run: FinishedRun, fleets: Record<string, LlmFleetStats>): LlmResult | null {
  const { models } = run.scenario;
  if (models !== undefined && Object.keys(models).length > 1) {
    // Several models: each fleet names its own (`fleets.<name>.model`); here, all of them.
    const all = Object.values(models);
    return {
      model: Object.keys(models).join(', '),
      precision: [...new Set(all.map((m) => precisionOf(m.llm)))].join(', '),
      quality_delta: null,
      fleets,
    };
  }
  const model = run.scenario.model;
  if (model === null && Object.keys(fleets).length === 0) return null;
  const profiles = run.scenario.fleets.flatMap((f) =>
    f.stepTime?.kind === 'profile' ? [f.stepTime.model] : [],
  );
  return {
    model: model?.llm.name ?? [...new Set(profiles)].join(', '),
    precision: model === null ? 'as profiled' : precisionOf(model.llm),
    quality_delta: model?.qualityDelta ?? null,
    fleets,
  };
}

/** Per fleet: what its LLM model was resolved from, or the scenario's service time or batch latency. */
function performanceOf(run: FinishedRun): Record<string, FleetPerformance> {
  return Object.fromEntries(
    run.scenario.fleets.map((fleet, f) => [
      fleet.name,
      run.llmFleets[f]?.model.performance ?? scenarioPerformance(fleet),
    ]),
  );
}

function batchStatsOf(sizes: Map<number, number>): BatchStats {
  const ordered = [...sizes.entries()].sort((a, b) => a[0] - b[0]);
  const count = ordered.reduce((sum, [, n]) => sum + n, 0);
  const requests = ordered.reduce((sum, [size, n]) => sum + size * n, 0);
  return {
    count,
    mean_size: count > 0 ? requests / count : null,
    sizes: Object.fromEntries(ordered.map(([size, n]) => [String(size), n])),
  };
}

function offloadResult(counts: OffloadCounts | null): VariantResult['offload'] {
  if (counts === null) return null;
  const routed = counts.edge + counts.overflow + counts.oversize;
  return { ...counts, edge_share: routed > 0 ? counts.edge / routed : null };
}

/** Replica time of `table`'s replicas inside [fromUs, toUs] (replicas still live at `toUs` run to it). */
function windowReplicaUs(table: ReplicaTable, fromUs: number, toUs: number): number {
  let total = 0;
  for (let id = 0; id < table.size; id++) {
    const gone = table.state(id) === 'gone' ? table.goneUs(id) : toUs;
    total += Math.max(0, Math.min(gone, toUs) - Math.max(table.requestedUs(id), fromUs));
  }
  return total;
}

/** The cost of `table`'s replicas inside [fromUs, toUs] at a price that changes over time. */
function windowReplicaCost(table: ReplicaTable, fromUs: number, toUs: number, prices: PriceSeries): number {
  let total = 0;
  for (let id = 0; id < table.size; id++) {
    const gone = table.state(id) === 'gone' ? table.goneUs(id) : toUs;
    total += prices.costUsd(Math.max(table.requestedUs(id), fromUs), Math.min(gone, toUs));
  }
  return total;
}

/**
 * Busy time is measured per slot: a request's (or a batch's) execution slot, or on a
 * continuous-batching replica one of its `max_num_seqs` sequence slots for each iteration a
 * sequence is in (its batch-slot occupancy, one of the resources its utilization weighs; the
 * share of time the engine loop runs says little, as it runs under any load).
 */
export function slotsPerReplica(fleet: Fleet): number {
  return fleet.batching.policy === 'continuous' ? fleet.batching.maxNumSeqs : fleet.concurrency;
}

/** int4 is weight-only (16-bit matmuls), so the weight width names it; otherwise the matmul precision does. */
function precisionOf(model: LlmModel): string {
  return model.bytesPerWeight === 0.5 ? 'int4' : model.computePrecision;
}
