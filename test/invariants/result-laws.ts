import type { DistributionSummary, VariantResult } from '../../src/metrics/index.js';
import { dropRate, requestLimits } from '../../src/metrics/slo.js';
import type { OffloadRouting } from '../../src/policies/routing/index.js';
import type { Fleet, Scenario, Slo } from '../../src/scenario/types.js';

/**
 * Laws every result obeys, whatever the scenario: each is derived from the definitions in
 * src/metrics/result.ts (what each figure counts), not from the simulator's code, so a broken one
 * is a bug in the simulator or in those definitions. Returns every broken law, each as a sentence
 * with the numbers that break it; an empty list when all hold.
 */
export function brokenLaws(scenario: Scenario, slo: Slo, result: VariantResult): string[] {
  const broken: string[] = [];
  const law = (holds: boolean, what: string) => {
    if (!holds) broken.push(what);
  };
  const { fleets } = scenario;
  const r = result.requests;
  const endS = result.simulated_s.end;
  const noWarmup = scenario.warmup === 0;
  const drainsFully = scenario.maxDrain === Number.POSITIVE_INFINITY;
  const reclaims = fleets.some((f) => f.interruption !== null);
  const fixedEverywhere = fleets.every((f) => f.autoscaling === null && f.interruption === null);

  // Requests: every measured request ends in exactly one bucket.
  for (const [name, count] of Object.entries(r)) {
    law(Number.isInteger(count) && count >= 0, `requests.${name} is ${count}`);
  }
  law(
    r.arrived === r.completed + r.dropped + r.timed_out + r.in_flight_at_end,
    `arrived ${r.arrived} != completed ${r.completed} + dropped ${r.dropped} + timed out ${r.timed_out} + in flight ${r.in_flight_at_end}`,
  );
  if (drainsFully) law(r.in_flight_at_end === 0, `${r.in_flight_at_end} in flight after an unlimited drain`);
  const completedByFleet = sum(fleets.map((f) => result.instances[f.name].completed));
  law(
    completedByFleet === r.completed,
    `fleets completed ${completedByFleet}, requests.completed ${r.completed}`,
  );

  // The time series counts every request, warmup included: the measured ones are part of it.
  const series = (column: 'arrivals' | 'completed' | 'dropped' | 'timed_out') =>
    sum(result.timeseries.map((row) => row[column]));
  const all = {
    arrivals: series('arrivals'),
    completed: series('completed'),
    dropped: series('dropped'),
    timed_out: series('timed_out'),
  };
  const pairs = [
    ['arrivals', r.arrived],
    ['completed', r.completed],
    ['dropped', r.dropped],
    ['timed_out', r.timed_out],
  ] as const;
  for (const [column, measured] of pairs) {
    if (noWarmup) law(all[column] === measured, `time series ${column} ${all[column]}, requests ${measured}`);
    else law(all[column] >= measured, `time series ${column} ${all[column]} < measured ${measured}`);
  }
  const stillIn = all.arrivals - all.completed - all.dropped - all.timed_out;
  law(
    stillIn >= r.in_flight_at_end,
    `time series leaves ${stillIn} in flight, requests ${r.in_flight_at_end}`,
  );

  // Per fleet: its batches, iterations and replicas.
  let rejected = 0;
  let interruptedDrops = 0;
  let handedOff = 0;
  for (const fleet of fleets) {
    const name = fleet.name;
    const completed = result.instances[name].completed;
    const batching = fleet.batching;
    const batches = result.batches[name];
    law(
      (batches === undefined) === (batching.policy === 'none'),
      `${name}: batch stats for batching ${batching.policy}`,
    );
    if (batches !== undefined) {
      const sizes = Object.entries(batches.sizes).map(([size, count]) => [Number(size), count]);
      const count = sum(sizes.map(([, n]) => n));
      const requests = sum(sizes.map(([size, n]) => size * n));
      law(count === batches.count, `${name}: ${count} batches by size, count ${batches.count}`);
      law(
        batches.mean_size === (count > 0 ? requests / count : null),
        `${name}: mean batch ${batches.mean_size}, ${requests} requests in ${count}`,
      );
      const largest = Math.max(0, ...sizes.map(([size]) => size));
      const limit =
        batching.policy === 'continuous'
          ? batching.maxNumSeqs
          : batching.policy === 'none'
            ? 1
            : batching.maxBatch;
      law(largest <= limit, `${name}: a batch of ${largest} over the limit ${limit}`);
      if (batching.policy === 'static' && batching.maxWait === null) {
        law(
          largest === 0 || sizes.every(([size]) => size === batching.maxBatch),
          `${name}: partial static batch`,
        );
      }
      // Without reclaims every batch that starts completes, each request once; with warmup 0 all are measured.
      if (batching.policy !== 'continuous' && noWarmup && drainsFully && !reclaims) {
        law(requests === completed, `${name}: ${requests} requests in batches, ${completed} completed`);
      }
    }
    const llm = result.llm?.fleets[name];
    law(
      (llm !== undefined) === (batching.policy === 'continuous'),
      `${name}: LLM stats for batching ${batching.policy}`,
    );
    if (llm !== undefined && batching.policy === 'continuous') {
      rejected += llm.rejected;
      law(
        llm.iterations === (batches?.count ?? 0),
        `${name}: ${llm.iterations} iterations, ${batches?.count} batches`,
      );
      law(llm.mean_batch_seqs === (batches?.mean_size ?? null), `${name}: mean batch ${llm.mean_batch_seqs}`);
      for (const [key, share] of [
        ['busy_share', llm.busy_share],
        ['kv_utilization.mean', llm.kv_utilization.mean],
        ['kv_utilization.peak', llm.kv_utilization.peak],
        ['batch_slot_occupancy', llm.batch_slot_occupancy],
        ['token_budget_use', llm.token_budget_use],
        ['recompute_share', llm.recompute_share],
      ] as const) {
        law(share >= 0 && share <= 1 + 1e-9, `${name}: ${key} ${share} outside [0, 1]`);
      }
      law(llm.kv_utilization.mean <= llm.kv_utilization.peak + 1e-9, `${name}: KV mean above its peak`);
      const binding = Math.max(llm.kv_utilization.mean, llm.batch_slot_occupancy, llm.token_budget_use);
      law(
        result.utilization[name] === binding,
        `${name}: utilization ${result.utilization[name]}, binding ${binding}`,
      );
      law(llm.recompute_cost_usd >= 0, `${name}: recompute cost ${llm.recompute_cost_usd}`);
      if (batching.kvCacheTokens !== null)
        law(
          llm.kv_cache_tokens === batching.kvCacheTokens,
          `${name}: KV cache ${llm.kv_cache_tokens} tokens`,
        );
      // A prefill fleet completes only what it decodes itself; the rest it hands on (below).
      if (noWarmup && drainsFully && !reclaims && fleet.role !== 'prefill') {
        law(llm.admitted === completed, `${name}: admitted ${llm.admitted}, completed ${completed}`);
      }
      if (fleet.role === 'prefill') handedOff += llm.admitted - completed;
    }
    interruptedDrops += result.instances[name].interrupted_requests.dropped;
    broken.push(...instanceLaws(fleet, result, endS));
  }
  // Disaggregation: every request a prefill fleet started and did not complete crossed the link
  // exactly once or was lost for want of a decode replica, and the link's figures are its bytes and times.
  const disaggregation = result.disaggregation;
  law(
    (disaggregation !== undefined) === fleets.some((fleet) => fleet.role !== undefined),
    'disaggregation figures without prefill and decode fleets',
  );
  if (disaggregation !== undefined) {
    if (noWarmup && drainsFully && !reclaims) {
      const lost = Object.values(disaggregation.dropped_without_decode).reduce((a, b) => a + b, 0);
      law(
        disaggregation.transfers + lost === handedOff,
        `${disaggregation.transfers} KV transfers + ${lost} lost without a decode replica, ${handedOff} requests handed on by prefill fleets`,
      );
    }
    law(
      disaggregation.transfer_bytes % disaggregation.kv_bytes_per_token === 0,
      `transfer bytes ${disaggregation.transfer_bytes} not whole tokens of ${disaggregation.kv_bytes_per_token}`,
    );
    const { bandwidth_bytes_per_s: bandwidth, latency_s: latency } = disaggregation.kv_link;
    const linkS = disaggregation.transfer_bytes / bandwidth + disaggregation.transfers * latency;
    law(
      Math.abs(disaggregation.transfer_s.total - linkS) <= disaggregation.transfers * 1e-6 + 1e-9,
      `transfer time ${disaggregation.transfer_s.total} s, bytes over bandwidth plus latency ${linkS} s`,
    );
  }
  law(rejected <= r.dropped, `${rejected} rejected but ${r.dropped} dropped`);
  if (noWarmup)
    law(
      rejected + interruptedDrops <= r.dropped,
      `${rejected} rejected + ${interruptedDrops} interrupted > dropped ${r.dropped}`,
    );

  // Routing: offload counts every pick, so each arrival at least once; exactly once without holds and requeues.
  const offload = result.offload;
  law(
    (offload !== null) === (scenario.routing.policy === 'offload'),
    'offload counts without offload routing',
  );
  if (offload !== null && scenario.routing.policy === 'offload') {
    const routed = offload.edge + offload.overflow + offload.oversize;
    if (noWarmup) law(routed >= r.arrived, `offload routed ${routed} of ${r.arrived} arrivals`);
    if (noWarmup && fixedEverywhere)
      law(routed === r.arrived, `offload routed ${routed}, arrived ${r.arrived}`);
    law(
      offload.edge_share === (routed > 0 ? offload.edge / routed : null),
      `edge share ${offload.edge_share} of ${offload.edge} / ${routed}`,
    );
    const routing = scenario.routing as OffloadRouting;
    if (routing.maxInputTokens === null && routing.maxRequestBytes === null) {
      law(offload.oversize === 0, `${offload.oversize} oversize without size limits`);
    }
  }

  broken.push(...costLaws(scenario, slo, result));
  broken.push(...seriesLaws(scenario, result));
  broken.push(...latencyLaws(scenario, slo, result));

  const t = result.simulated_s;
  law(Number.isFinite(t.end), `the run ends at ${t.end}`);
  law(
    t.warmup <= t.arrivals_end + 1e-9 || scenario.duration === null,
    `warmup ${t.warmup} after arrivals end ${t.arrivals_end}`,
  );
  law(t.end >= t.arrivals_end, `end ${t.end} before arrivals end ${t.arrivals_end}`);
  if (!drainsFully) {
    law(t.end <= t.arrivals_end + scenario.maxDrain + 1e-6, `end ${t.end} after the drain limit`);
    // Requests still in flight mean the drain limit, not a departure, ended the run.
    if (r.in_flight_at_end > 0) {
      law(
        Math.abs(t.end - t.arrivals_end - scenario.maxDrain) <= 1e-6,
        `end ${t.end} with requests in flight before the drain limit`,
      );
    }
  }
  for (const event of result.capacity_events) {
    if (event.kind !== 'scale') continue;
    const fleet = fleets.find((f) => f.name === event.fleet) as Fleet;
    law(
      event.from !== event.to && (event.to as number) >= 0 && (event.to as number) <= fleet.maxReplicas,
      `${event.fleet}: scaled from ${event.from} to ${event.to} at ${event.time_s} s (max ${fleet.maxReplicas})`,
    );
  }
  const times = result.capacity_events.map((e) => e.time_s);
  law(
    times.every((time, i) => time >= 0 && time <= t.end + 1e-9 && (i === 0 || time >= times[i - 1])),
    'capacity events out of time order',
  );
  return broken;
}

function instanceLaws(fleet: Fleet, result: VariantResult, endS: number): string[] {
  const broken: string[] = [];
  const law = (holds: boolean, what: string) => {
    if (!holds) broken.push(`${fleet.name}: ${what}`);
  };
  const i = result.instances[fleet.name];
  const elastic = fleet.autoscaling !== null || fleet.interruption !== null;
  law(i.launched >= fleet.replicas, `launched ${i.launched} < initial ${fleet.replicas}`);
  law(i.peak <= (elastic ? 2 : 1) * fleet.maxReplicas, `peak ${i.peak} over its slots`);
  law(i.mean <= i.peak + 1e-9, `mean ${i.mean} replicas above the peak ${i.peak}`);
  law(
    close(i.replica_hours, (i.mean * endS) / 3600),
    `replica-hours ${i.replica_hours}, mean ${i.mean} over ${endS} s`,
  );
  law(i.preempted <= i.launched, `${i.preempted} preempted of ${i.launched}`);
  law(
    i.unavailable_hours >= 0 && i.unavailable_hours <= endS / 3600 + 1e-12,
    `unavailable ${i.unavailable_hours} h`,
  );
  if (fleet.unavailable === null) law(i.unavailable_hours === 0, 'unavailable without outages');
  const interrupted = i.interrupted_requests;
  if (fleet.interruption === null) {
    law(i.preempted === 0, `${i.preempted} preempted without reclaims`);
    law(
      interrupted.requeued + interrupted.retried + interrupted.dropped === 0,
      'requests interrupted without reclaims',
    );
  }
  const others = {
    requeue: ['retried', 'dropped'],
    'retry-elsewhere': ['requeued', 'dropped'],
    drop: ['requeued', 'retried'],
  } as const;
  for (const key of others[fleet.onInterrupt])
    law(interrupted[key] === 0, `${interrupted[key]} ${key} under ${fleet.onInterrupt}`);
  if (!elastic) {
    law(
      i.launched === fleet.replicas && i.peak === fleet.replicas,
      `a fixed fleet launched ${i.launched}, peak ${i.peak}`,
    );
    law(
      close(i.replica_hours, (fleet.replicas * endS) / 3600),
      `a fixed fleet ran ${i.replica_hours} replica-hours`,
    );
  }
  const utilization = result.utilization[fleet.name];
  law(utilization >= 0 && utilization <= 1 + 1e-9, `utilization ${utilization}`);
  return broken;
}

/** Every cost is finite and non-negative, the parts add up, and unit costs divide the same window cost. */
function costLaws(scenario: Scenario, slo: Slo, result: VariantResult): string[] {
  const broken: string[] = [];
  const law = (holds: boolean, what: string) => {
    if (!holds) broken.push(what);
  };
  const c = result.cost_usd;
  const parts: [string, number][] = [
    ['total', c.total],
    ['compute', c.compute],
    ['idle', c.idle],
    ['recompute', c.recompute],
    ['transfer', c.transfer],
    ['energy', c.energy ?? 0],
    ...Object.entries(c.by_fleet).map(([f, v]): [string, number] => [`by_fleet.${f}`, v]),
    ...Object.entries(c.by_market).map(([m, v]): [string, number] => [`by_market.${m}`, v]),
  ];
  for (const [name, value] of parts)
    law(Number.isFinite(value) && value >= 0, `cost_usd.${name} is ${value}`);
  law(
    close(c.total, c.compute + c.transfer + (c.energy ?? 0)),
    `total ${c.total} != compute ${c.compute} + transfer ${c.transfer} + energy ${c.energy ?? 0}`,
  );
  // Electricity billed apart is the energy estimate's own cost line, fleet by fleet.
  const energy = result.energy;
  law(energy !== undefined, 'no energy estimate');
  if (energy !== undefined) {
    law(
      close(c.energy ?? 0, energy.cost_usd),
      `cost_usd.energy ${c.energy}, energy.cost_usd ${energy.cost_usd}`,
    );
    law(
      close(energy.cost_usd, sum(Object.values(energy.by_fleet).map((f) => f.cost_usd ?? 0))),
      `energy.cost_usd ${energy.cost_usd} is not the sum of its fleets`,
    );
    for (const [name, f] of Object.entries(energy.by_fleet)) {
      for (const [key, value] of [
        ['kwh', f.kwh],
        ['co2e_kg', f.co2e_kg],
        ['mean_it_power_w', f.mean_it_power_w],
        ['cost_usd', f.cost_usd],
      ] as const)
        law(
          value === null || (Number.isFinite(value) && value >= 0),
          `energy.by_fleet.${name}.${key} is ${value}`,
        );
      law(f.busy_share >= 0 && f.busy_share <= 1, `energy.by_fleet.${name}.busy_share is ${f.busy_share}`);
    }
    const fleetKwh = Object.values(energy.by_fleet).map((f) => f.kwh);
    law(
      fleetKwh.some((kwh) => kwh === null)
        ? energy.kwh === null
        : close(energy.kwh ?? Number.NaN, sum(fleetKwh as number[])),
      `energy.kwh ${energy.kwh} against its fleets ${fleetKwh.join(', ')}`,
    );
  }
  law(
    close(sum(Object.values(c.by_fleet)), c.total),
    `fleets cost ${sum(Object.values(c.by_fleet))}, total ${c.total}`,
  );
  law(
    close(sum(Object.values(c.by_market)), c.compute),
    `markets cost ${sum(Object.values(c.by_market))}, compute ${c.compute}`,
  );
  law(
    c.idle + c.recompute <= c.compute * (1 + 1e-9) + 1e-12,
    `idle ${c.idle} + recompute ${c.recompute} > compute ${c.compute}`,
  );
  const llmRecompute = sum(Object.values(result.llm?.fleets ?? {}).map((s) => s.recompute_cost_usd));
  law(
    close(llmRecompute, c.recompute),
    `LLM fleets recompute ${llmRecompute}, cost_usd.recompute ${c.recompute}`,
  );
  if (scenario.dataTransfer === null) law(c.transfer === 0, `transfer ${c.transfer} without data transfer`);

  // What each fleet's replicas cost, from their replica-hours: billing rounds each life up to the
  // increment and the minimum, so it lies between the hours at the price and that plus one of each
  // per replica launched. Reserved capacity is paid for every started hour of the run.
  const endS = result.simulated_s.end;
  let windowLowerBound = c.transfer;
  let windowKnown = scenario.warmup === 0;
  for (const fleet of scenario.fleets) {
    const i = result.instances[fleet.name];
    const compute = c.transfer === 0 ? c.by_fleet[fleet.name] : null;
    const atPrice = i.replica_hours * fleet.priceUsdPerHour;
    if (fleet.market === 'reserved' || fleet.market === 'reserved-3y') {
      const reserved = fleet.maxReplicas * Math.ceil(endS / 3600) * fleet.priceUsdPerHour;
      if (compute !== null)
        law(close(compute, reserved), `${fleet.name}: reserved cost ${compute}, expected ${reserved}`);
      windowLowerBound += reserved;
    } else if (fleet.spotPriceTrace !== null) {
      windowKnown = false;
    } else {
      windowLowerBound += atPrice;
      if (compute !== null) {
        const slackS = i.launched * (fleet.billing.increment + fleet.billing.minimum);
        const most = ((i.replica_hours * 3600 + slackS) * fleet.priceUsdPerHour) / 3600;
        law(
          compute >= atPrice * (1 - 1e-9) && compute <= most * (1 + 1e-9) + 1e-12,
          `${fleet.name}: cost ${compute} outside [${atPrice}, ${most}] for ${i.replica_hours} replica-hours`,
        );
      }
    }
  }

  const r = result.requests;
  const perK = result.cost_per_1k_requests_usd;
  law((perK === null) === (r.completed === 0), `cost per 1k requests ${perK} for ${r.completed} completed`);
  if (perK !== null) {
    // The cost of the measured window, which unit costs spread over delivered work.
    const window = (perK * r.completed) / 1000;
    law(Number.isFinite(window) && window >= 0, `cost per 1k requests ${perK}`);
    law(window <= c.total * (1 + 1e-9) + 1e-12, `window cost ${window} above the total ${c.total}`);
    // From time 0 the window is the whole run, at the price of the replica time itself.
    if (windowKnown)
      law(
        close(window, windowLowerBound),
        `window cost ${window}, replica time at its price ${windowLowerBound}`,
      );
    const tokens = result.tokens.input + result.tokens.output;
    const perM = result.cost_per_1m_tokens_usd;
    law((perM.total === null) === (tokens === 0), `cost per 1M tokens ${perM.total} for ${tokens} tokens`);
    if (perM.total !== null)
      law(
        close((perM.total * tokens) / 1e6, window),
        `per-token total ${perM.total} x ${tokens} != ${window}`,
      );
    law(
      (perM.input === null) === (result.tokens.input === 0),
      `input cost ${perM.input} for ${result.tokens.input} tokens`,
    );
    law(
      (perM.output === null) === (result.tokens.output === 0),
      `output cost ${perM.output} for ${result.tokens.output} tokens`,
    );
    if (perM.input !== null && perM.output !== null) {
      law(
        perM.input >= 0 && perM.output >= -1e-9,
        `input ${perM.input}, output ${perM.output} per 1M tokens`,
      );
      const split = (perM.input * result.tokens.input + perM.output * result.tokens.output) / 1e6;
      law(close(split, window), `input and output costs add to ${split}, not ${window}`);
    }
  }

  // The oracle: for each autoscaled fleet serving one request per slot, within the fleet's bounds.
  const autoscaled = scenario.fleets.filter((f) => f.autoscaling !== null);
  law(
    (result.oracle === null) === (autoscaled.length === 0),
    `oracle ${result.oracle === null ? 'missing' : 'present'}`,
  );
  const judgesWaits = slo.limits.some((l) => l.metric === 'queue_wait' || l.metric === 'latency');
  for (const fleet of autoscaled) {
    // With warmup 0 every completion is measured; the oracle models fleets of one request per slot.
    if (fleet.batching.policy !== 'none' || scenario.warmup > 0 || judgesWaits) continue;
    const completed = result.instances[fleet.name].completed;
    law(
      completed === 0 || result.oracle?.[fleet.name] !== undefined,
      `${fleet.name}: no oracle after ${completed} completed`,
    );
  }
  for (const [name, gap] of Object.entries(result.oracle ?? {})) {
    const fleet = scenario.fleets.find((f) => f.name === name) as Fleet;
    law(
      fleet.autoscaling !== null && fleet.batching.policy === 'none',
      `${name}: oracle of a fleet it does not model`,
    );
    if (c.transfer === 0 && (c.energy ?? 0) === 0)
      law(gap.policy_cost_usd === c.by_fleet[name], `${name}: oracle policy cost ${gap.policy_cost_usd}`);
    law(close(gap.gap_usd, gap.policy_cost_usd - gap.oracle_cost_usd), `${name}: gap ${gap.gap_usd}`);
    law(
      Number.isFinite(gap.oracle_cost_usd) && gap.oracle_cost_usd >= 0,
      `${name}: oracle cost ${gap.oracle_cost_usd}`,
    );
    law(
      close(gap.oracle_cost_usd, gap.oracle_replica_hours * fleet.priceUsdPerHour),
      `${name}: oracle cost not its hours at the price`,
    );
    const hours = endS / 3600;
    law(
      gap.oracle_replica_hours >= fleet.minReplicas * hours * (1 - 1e-9) &&
        gap.oracle_replica_hours <= fleet.maxReplicas * hours * (1 + 1e-9) + 1e-12,
      `${name}: oracle ${gap.oracle_replica_hours} replica-hours outside the bounds over ${endS} s`,
    );
    law(
      Number.isInteger(gap.infeasible_intervals) && gap.infeasible_intervals >= 0,
      `${name}: infeasible ${gap.infeasible_intervals}`,
    );
  }
  return broken;
}

/**
 * The time series integrates the same replica time and busy time as the totals: its rows, weighted
 * by their widths, give back each fleet's replica-hours (at the fleet's price for the cost column)
 * and busy slot-time (utilization x slots x replica time, or for an LLM fleet its batch-slot occupancy).
 */
function seriesLaws(scenario: Scenario, result: VariantResult): string[] {
  const broken: string[] = [];
  const law = (holds: boolean, what: string) => {
    if (!holds) broken.push(`time series: ${what}`);
  };
  const rows = result.timeseries;
  const endS = result.simulated_s.end;
  const widthS = rows.map((row, i) => (i + 1 < rows.length ? rows[i + 1].time_s : endS) - row.time_s);
  law(
    rows.length > 0 && rows[0].time_s === 0 && widthS.every((w) => w > 0),
    `rows of widths ${widthS.slice(0, 5)}...`,
  );
  for (const row of rows) {
    const figures = [row.queue_length, row.busy_slots, row.replicas, row.cost_usd_per_hour, row.utilization];
    law(
      figures.every((v) => Number.isFinite(v) && v >= -1e-9),
      `a row at ${row.time_s} s has ${JSON.stringify(row)}`,
    );
    law(row.utilization <= 1 + 1e-9, `utilization ${row.utilization} at ${row.time_s} s`);
  }
  const integral = (value: (row: (typeof rows)[number]) => number) =>
    sum(rows.map((row, i) => value(row) * widthS[i]));
  const replicaS = sum(scenario.fleets.map((f) => result.instances[f.name].replica_hours * 3600));
  law(
    close(
      integral((row) => row.replicas),
      replicaS,
    ),
    `${integral((row) => row.replicas)} replica-seconds, instances ${replicaS}`,
  );
  const costRate = sum(
    scenario.fleets.map((f) => result.instances[f.name].replica_hours * f.priceUsdPerHour),
  );
  law(
    close(integral((row) => row.cost_usd_per_hour) / 3600, costRate),
    `cost ${integral((row) => row.cost_usd_per_hour) / 3600}, replica-hours at the price ${costRate}`,
  );
  for (const fleet of scenario.fleets) {
    const busyS = integral((row) => row.busy_slots_by_fleet[fleet.name]);
    const liveS = result.instances[fleet.name].replica_hours * 3600;
    const llm = result.llm?.fleets[fleet.name];
    const expected =
      fleet.batching.policy === 'continuous'
        ? (llm?.batch_slot_occupancy ?? 0) * fleet.batching.maxNumSeqs * liveS
        : result.utilization[fleet.name] * fleet.concurrency * liveS;
    law(
      Math.abs(busyS - expected) <= 1e-9 * Math.max(busyS, expected) + 1e-6,
      `${fleet.name}: busy ${busyS} slot-seconds, utilization says ${expected}`,
    );
  }
  return broken;
}

const DISTRIBUTIONS = ['latency_s', 'queue_wait_s', 'ttft_s', 'tpot_s'] as const;

/** Latencies are non-negative, percentiles ascend to the max, goodput is part of throughput, the verdict reads the figures. */
function latencyLaws(scenario: Scenario, slo: Slo, result: VariantResult): string[] {
  const broken: string[] = [];
  const law = (holds: boolean, what: string) => {
    if (!holds) broken.push(what);
  };
  for (const name of DISTRIBUTIONS) {
    const d = result[name];
    const values = [d.mean, d.p50, d.p90, d.p95, d.p99, d.p999, d.max];
    law(
      values.every((v) => v === null) || values.every((v) => v !== null),
      `${name}: some figures null: ${show(d)}`,
    );
    if (d.max === null) continue;
    const ladder = [0, d.p50, d.p90, d.p95, d.p99, d.p999, d.max] as number[];
    law(
      ladder.every((v, i) => Number.isFinite(v) && (i === 0 || v >= ladder[i - 1])),
      `${name}: percentiles not ascending from 0 to the max: ${show(d)}`,
    );
    law(
      (d.mean as number) >= 0 && (d.mean as number) <= d.max * (1 + 1e-12),
      `${name}: mean outside [0, max]: ${show(d)}`,
    );
    const cdf = result.distributions[name];
    law(
      cdf.every(([q, v], i) => i === 0 || (q > cdf[i - 1][0] && v >= cdf[i - 1][1])) &&
        cdf.at(-1)?.[1] === d.max,
      `${name}: CDF not ascending to the max`,
    );
  }
  const r = result.requests;
  const llm = scenario.fleets.some((f) => f.batching.policy === 'continuous');
  law((result.latency_s.max === null) === (r.completed === 0), `latency null with ${r.completed} completed`);
  law(
    (result.queue_wait_s.max === null) === (r.completed === 0),
    `queue wait null with ${r.completed} completed`,
  );
  if (!llm)
    law(result.ttft_s.max === null && result.tpot_s.max === null, 'TTFT or TPOT without an LLM fleet');
  const { latency_s: latency, queue_wait_s: wait, ttft_s: ttft } = result;
  if (latency.max !== null && wait.max !== null) {
    // Each request waits, then is served: its wait is part of its latency, and so is its first token.
    law(wait.max <= latency.max, `queue wait max ${wait.max} above latency max ${latency.max}`);
    law(
      (wait.mean as number) <= (latency.mean as number) * (1 + 1e-12),
      'queue wait mean above latency mean',
    );
    if (ttft.max !== null)
      law(ttft.max <= latency.max, `TTFT max ${ttft.max} above latency max ${latency.max}`);
  }
  const waited = result.waited_fraction;
  law(
    r.completed === 0 ? waited === null : waited !== null && waited >= 0 && waited <= 1,
    `waited fraction ${waited}`,
  );
  if (wait.max !== null)
    law((waited === 0) === (wait.max === 0), `waited fraction ${waited} with the longest wait ${wait.max}`);

  const windowS = result.simulated_s.end - result.simulated_s.warmup;
  law(
    windowS > 0 ? close(result.throughput_rps, r.completed / windowS) : result.throughput_rps === 0,
    `throughput ${result.throughput_rps} for ${r.completed} in ${windowS} s`,
  );
  law(
    result.goodput_rps >= 0 && result.goodput_rps <= result.throughput_rps,
    `goodput ${result.goodput_rps} above throughput ${result.throughput_rps}`,
  );
  if (Object.values(requestLimits(slo)).every((limit) => limit === Number.POSITIVE_INFINITY)) {
    law(
      result.goodput_rps === result.throughput_rps,
      `goodput ${result.goodput_rps} without per-request limits`,
    );
  }

  // The verdict reads the figures of the result, and passes only when every objective does.
  const verdict = result.slo;
  law(verdict.met === verdict.objectives.every((o) => o.met), 'SLO verdict disagrees with its objectives');
  for (const objective of verdict.objectives) {
    const value =
      objective.objective === 'max_drop_rate'
        ? dropRate(r)
        : (result[`${objective.objective.replace(/_(mean|p\d+)$/, '')}_s` as (typeof DISTRIBUTIONS)[number]][
            objective.objective.match(/(mean|p\d+)$/)?.[1] as keyof DistributionSummary
          ] ?? null);
    law(
      objective.value === value,
      `SLO ${objective.objective} reads ${objective.value}, the result has ${value}`,
    );
    law(
      objective.met === (value !== null && value <= objective.limit),
      `SLO ${objective.objective} judged wrongly`,
    );
  }
  return broken;
}

function sum(values: number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

/** Equal within float rounding of sums of many terms. */
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-12;
}

function show(d: DistributionSummary): string {
  return JSON.stringify(d);
}
