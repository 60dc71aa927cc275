import type {
  ClassCost,
  ClassResult,
  CostAllocation,
  CostAttribution,
  PartialRun,
  TokenCosts,
} from '../metrics/index.js';
import { evaluateSlo } from '../metrics/slo.js';
import type { RequestClass, Slo } from '../scenario/types.js';
import type { ClassMeter, ClassWork } from './class-meters.js';

/** What a fleet cost over the run, as the variant's `cost_usd` counts it. */
export interface FleetCost {
  /** Its replicas as billed, and the part of that paid for time no request used. */
  compute: number;
  idle: number;
  transfer: number;
  /** Whether it serves an LLM: its busy time then splits into prompt chunks and decode steps. */
  llm: boolean;
  /** Whether its replicas have accelerators (OpenCost's GPU cost rather than CPU). */
  accelerated: boolean;
}

/**
 * Each class's figures and the attribution of every dollar of the run to a class or to idle
 * capacity (the rule is `CostAttribution`'s).
 */
export function classResults(
  classes: readonly RequestClass[],
  meters: readonly ClassMeter[],
  work: ClassWork,
  fleets: readonly FleetCost[],
  scenarioSlo: Slo,
  partial: { partial?: PartialRun },
  endS: number,
): { classes: Record<string, ClassResult>; attribution: CostAttribution; allocation: CostAllocation[] } {
  const count = classes.length;
  const costs: ClassCost[] = classes.map(() => ({
    total: 0,
    compute: 0,
    transfer: 0,
    idle_share: 0,
    loaded: 0,
  }));
  /** Per class: the part of its loaded cost its input tokens carry. */
  const inputCost = new Float64Array(count);
  let idle = 0;
  const idleRow = allocationRow('__idle__', {}, endS);
  const rows = classes.map((c) => allocationRow(c.name, { class: c.name, tenant: c.tenant ?? c.name }, endS));
  for (const [f, fleet] of fleets.entries()) {
    let busyUs = 0;
    let bytes = 0;
    for (let c = 0; c < count; c++) {
      busyUs += work.busyUs[f * count + c];
      bytes += work.egressBytes[f * count + c];
    }
    const busyCost = fleet.compute - fleet.idle;
    // A fleet no request kept busy: all it cost was idle.
    const idleCompute = busyUs > 0 ? fleet.idle : fleet.compute;
    const idleTransfer = bytes > 0 ? 0 : fleet.transfer;
    idle += idleCompute + idleTransfer;
    addAllocation(idleRow, fleet.accelerated, idleCompute, idleTransfer);
    for (let c = 0; c < count; c++) {
      const cost = costs[c];
      const meter = meters[c];
      const classUs = work.busyUs[f * count + c];
      const compute = busyUs > 0 ? (busyCost * classUs) / busyUs : 0;
      const idleShare = busyUs > 0 ? (fleet.idle * classUs) / busyUs : 0;
      const transfer = bytes > 0 ? (fleet.transfer * work.egressBytes[f * count + c]) / bytes : 0;
      cost.compute += compute;
      cost.transfer += transfer;
      addAllocation(rows[c], fleet.accelerated, compute, transfer);
      cost.idle_share += idleShare;
      // Input carries the prompt-chunk part of an LLM fleet's time, else its tokens' share; transfer goes to output.
      const tokens = meter.inputTokensAll + meter.outputTokensAll;
      const inputShare = fleet.llm
        ? classUs > 0
          ? work.prefillUs[f * count + c] / classUs
          : 0
        : tokens > 0
          ? meter.inputTokensAll / tokens
          : 0;
      inputCost[c] += (compute + idleShare) * inputShare;
    }
  }
  const byClass: Record<string, number> = {};
  const byTenant: Record<string, number> = {};
  const results: Record<string, ClassResult> = {};
  for (const [c, requestClass] of classes.entries()) {
    const cost = costs[c];
    const meter = meters[c];
    cost.total = cost.compute + cost.transfer;
    cost.loaded = cost.total + cost.idle_share;
    const tenant = requestClass.tenant ?? requestClass.name;
    byClass[requestClass.name] = cost.total;
    byTenant[tenant] = (byTenant[tenant] ?? 0) + cost.total;
    const judged = {
      requests: {
        arrived: meter.arrived,
        completed: meter.completed,
        dropped: meter.dropped,
        timed_out: meter.timedOut,
        in_flight_at_end: meter.inFlight,
      },
      latency_s: meter.latency.summary(),
      queue_wait_s: meter.wait.summary(),
      ttft_s: meter.ttft.summary(),
      tpot_s: meter.tpot.summary(),
    };
    results[requestClass.name] = {
      tenant,
      priority: requestClass.priority,
      slo: evaluateSlo(requestClass.slo ?? scenarioSlo, { ...judged, ...partial }),
      ...judged,
      tokens: { input: meter.inputTokens, output: meter.outputTokens },
      cost_usd: cost,
      cost_per_1k_requests_usd: meter.completedAll > 0 ? (cost.loaded / meter.completedAll) * 1000 : null,
      cost_per_1m_tokens_usd: tokenCosts(cost.loaded, inputCost[c], meter),
    };
  }
  return {
    classes: results,
    attribution: { by_class: byClass, by_tenant: byTenant, idle },
    allocation: [...rows, idleRow],
  };
}

function allocationRow(name: string, labels: CostAllocation['labels'], endS: number): CostAllocation {
  return { name, labels, cpu_usd: 0, gpu_usd: 0, network_usd: 0, total_usd: 0, end_s: endS };
}

function addAllocation(row: CostAllocation, accelerated: boolean, compute: number, transfer: number): void {
  if (accelerated) row.gpu_usd += compute;
  else row.cpu_usd += compute;
  row.network_usd += transfer;
  row.total_usd += compute + transfer;
}

function tokenCosts(loaded: number, input: number, meter: ClassMeter): TokenCosts {
  const tokens = meter.inputTokensAll + meter.outputTokensAll;
  return {
    input: meter.inputTokensAll > 0 ? (input / meter.inputTokensAll) * 1e6 : null,
    output: meter.outputTokensAll > 0 ? ((loaded - input) / meter.outputTokensAll) * 1e6 : null,
    total: tokens > 0 ? (loaded / tokens) * 1e6 : null,
  };
}
