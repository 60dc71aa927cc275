/**
 * The oracle's rule for the figures of a run: every number is finite, and a null stands only
 * where the figure has nothing to describe. The places a null may stand, and when:
 *
 * - `latency_s`, `queue_wait_s`, `waited_fraction`, `cost_per_1k_requests_usd`: no measured
 *   request completed (`requests.completed` is 0).
 * - `ttft_s`: no completed request on a continuous-batching (LLM) fleet.
 * - `tpot_s`: always accepted: it is null also when no completed LLM request had two or more output
 *   tokens, which the summary does not count (a NaN is still caught in the results in memory).
 * - `cost_per_1m_tokens_usd.input` / `.output` / `.total`: no delivered input / output / any token.
 * - `slo.objectives[].value`: the statistic it judges is null (or, for `max_drop_rate`, no measured
 *   request arrived).
 * - `oracle`, `scaling`, `offload`, `llm`: the run has no autoscaled fleet (the first two) / offload
 *   routing / LLM model;
 *   `offload.edge_share` when offload routed nothing; `llm.quality_delta` when the scenario states
 *   none; `llm.fleets.<f>.mean_batch_seqs` when the fleet ran no iteration;
 *   `llm.fleets.<f>.prefix_cache.hit_rate` when the fleet admitted no prompt;
 *   `llm.fleets.<f>.adapters.load_wait_s` when no measured request named an adapter there.
 * - `batches.<f>.mean_size`: the fleet started no batch.
 * - `classes.<name>.*`: as the variant's figures of the same name, over the class's own requests.
 * - `performance.<f>.accelerator` and `.caveat`: text, null when there is none.
 * - `energy.by_fleet.<f>`: `kwh`, `mean_it_power_w` and `power` when its warnings say the fleet has
 *   no energy estimate; `co2e_kg` then too, or when they say it has no CO2e, and so
 *   `carbon_intensity_g_per_kwh`; `price_per_kwh_usd` and `cost_usd` always (a cloud fleet pays
 *   for energy inside its price). The totals and per-request and per-token figures of `energy`
 *   when a fleet's own figure is null.
 *
 * A distribution summary is null in all its fields or in none. Counts add up
 * (arrived = completed + dropped + timed_out + in_flight_at_end), and no count or cost is negative.
 */

type Json = unknown;

const DISTRIBUTIONS = ['latency_s', 'queue_wait_s', 'ttft_s', 'tpot_s'] as const;

function get(value: Json, path: readonly (string | number)[]): Json {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, Json>)[key];
  }
  return node;
}

function num(value: Json): number {
  return typeof value === 'number' ? value : Number.NaN;
}

/** Requests the LLM fleets completed, from the per-fleet counts. */
function llmCompleted(variant: Json): number {
  const fleets = get(variant, ['llm', 'fleets']);
  if (fleets === null || typeof fleets !== 'object') return 0;
  return Object.keys(fleets as object).reduce(
    (sum, fleet) => sum + num(get(variant, ['instances', fleet, 'completed'])),
    0,
  );
}

/** Whether a null at `path` (below one variant) is one of the documented empty figures. */
function nullAllowed(variant: Json, path: readonly (string | number)[]): boolean {
  const [top, second, third, fourth] = path;
  const completed = num(get(variant, ['requests', 'completed']));
  const noLlmCompletion = get(variant, ['llm']) === null || llmCompleted(variant) === 0;
  switch (top) {
    case 'latency_s':
    case 'queue_wait_s':
    case 'waited_fraction':
    case 'cost_per_1k_requests_usd':
      return completed === 0;
    case 'ttft_s':
      return noLlmCompletion;
    case 'tpot_s':
      return true;
    case 'cost_per_1m_tokens_usd': {
      const input = num(get(variant, ['tokens', 'input']));
      const output = num(get(variant, ['tokens', 'output']));
      if (second === 'input') return input === 0;
      if (second === 'output') return output === 0;
      return second === 'total' && input + output === 0;
    }
    case 'slo': {
      if (second !== 'objectives' || third === undefined || fourth !== 'value') return false;
      const objective = String(get(variant, ['slo', 'objectives', third, 'objective']));
      if (objective === 'max_drop_rate') return num(get(variant, ['requests', 'arrived'])) === 0;
      const match = /^(latency|ttft|tpot|queue_wait)_(\w+)$/.exec(objective);
      return match !== null && get(variant, [`${match[1]}_s`, match[2]]) === null;
    }
    case 'oracle':
    case 'scaling':
    case 'offload':
    case 'llm':
      if (path.length === 1) return true;
      if (top === 'offload' && second === 'edge_share') {
        const routed = ['edge', 'overflow', 'oversize'].reduce(
          (s, k) => s + num(get(variant, ['offload', k])),
          0,
        );
        return routed === 0;
      }
      if (top === 'llm' && second === 'quality_delta') return true;
      if (top === 'llm' && second === 'fleets' && fourth === 'mean_batch_seqs') {
        return num(get(variant, ['llm', 'fleets', third!, 'iterations'])) === 0;
      }
      if (top === 'llm' && second === 'fleets' && fourth === 'adapters' && path[4] === 'load_wait_s') {
        return num(get(variant, ['llm', 'fleets', third!, 'adapters', 'requests'])) === 0;
      }
      if (top === 'llm' && second === 'fleets' && fourth === 'prefix_cache' && path[4] === 'hit_rate') {
        return num(get(variant, ['llm', 'fleets', third!, 'prefix_cache', 'prompt_tokens'])) === 0;
      }
      return false;
    case 'batches':
      return third === 'mean_size' && num(get(variant, ['batches', second!, 'count'])) === 0;
    case 'performance':
      return third === 'accelerator' || third === 'caveat';
    case 'energy':
      return energyNullAllowed(variant, second, third, fourth);
    case 'classes':
      // A class's figures are the variant's, shaped alike, over its own requests.
      return path.length > 2 && nullAllowed(get(variant, ['classes', second!]), path.slice(2));
    default:
      return false;
  }
}

function energyNullAllowed(variant: Json, second: unknown, fleet: unknown, key: unknown): boolean {
  const warnings = get(variant, ['energy', 'warnings']);
  const says = (text: string) => Array.isArray(warnings) && warnings.some((w) => String(w).startsWith(text));
  const fleets = Object.values((get(variant, ['energy', 'by_fleet']) ?? {}) as Record<string, Json>);
  const anyNull = (field: string) => fleets.some((f) => get(f, [field]) === null);
  if (second === 'by_fleet') {
    const noEstimate = says(`fleet ${String(fleet)}: no energy estimate`);
    const noCo2e = says(`fleet ${String(fleet)}: no CO2e`);
    if (key === 'price_per_kwh_usd' || key === 'cost_usd') return true;
    if (key === 'kwh' || key === 'mean_it_power_w' || key === 'power') return noEstimate;
    if (key === 'co2e_kg') return noEstimate || noCo2e;
    return key === 'carbon_intensity_g_per_kwh' && noCo2e;
  }
  if (second === 'kwh' || second === 'kwh_per_1k_requests' || second === 'kwh_per_1m_tokens')
    return anyNull('kwh');
  if (second === 'co2e_kg' || second === 'co2e_kg_per_1k_requests' || second === 'co2e_kg_per_1m_tokens')
    return anyNull('co2e_kg');
  return false;
}

/** What is wrong with the figures of one variant (a `VariantResult` or its summary.json form). */
export function variantProblems(variant: Json): string[] {
  const problems: string[] = [];
  const name = String(get(variant, ['name']));
  const walk = (value: Json, path: (string | number)[]) => {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(`${name}: ${path.join('.')} is ${value}`);
    } else if (value === null) {
      if (!nullAllowed(variant, path)) problems.push(`${name}: ${path.join('.')} is null`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, [...path, i]);
      });
    } else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value as object)) walk(child, [...path, key]);
    }
  };
  walk(variant, []);
  for (const d of DISTRIBUTIONS) {
    const summary = get(variant, [d]);
    if (summary === null || typeof summary !== 'object') continue;
    const nulls = Object.values(summary).filter((v) => v === null).length;
    if (nulls > 0 && nulls < Object.keys(summary).length) problems.push(`${name}: ${d} is partly null`);
  }
  const r = get(variant, ['requests']) as Record<string, number> | undefined;
  if (r !== undefined && r !== null) {
    if (r.arrived !== r.completed + r.dropped + r.timed_out + r.in_flight_at_end) {
      problems.push(`${name}: requests do not add up: ${JSON.stringify(r)}`);
    }
    if (Object.values(r).some((v) => v < 0)) problems.push(`${name}: a negative request count`);
  }
  const cost = get(variant, ['cost_usd']) as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(cost ?? {})) {
    if (typeof value === 'number' && value < 0) problems.push(`${name}: cost_usd.${key} is ${value}`);
  }
  return problems;
}

/** Every variant of a run's summary (or of its results). */
export function runProblems(variants: readonly Json[]): string[] {
  return variants.flatMap(variantProblems);
}
