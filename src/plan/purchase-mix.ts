import { join } from 'node:path';
import { isReservedMarket } from '../hardware/catalog.js';
import { writeFileAtomic } from '../report/index.js';
import { ScenarioError } from '../run.js';
import { checkRunCount } from '../scenario/index.js';
import { InvariantError, RunInputError, type Scenario } from '../scenario/types.js';
import { parseAccepted } from '../util/yaml-keys.js';
import { HOURS_PER_MONTH } from './answer.js';
import { studyEvaluator, withRunner } from './evaluator.js';
import { sloKeys } from './output.js';
import { loadPoints, type Parameter, parseParameterArguments } from './parameters.js';
import { sweepPoints } from './points.js';
import { writePurchaseMixCharts } from './purchase-mix-charts.js';
import { renderPurchaseMixMarkdown } from './purchase-mix-output.js';
import { checkSlo, type ReplicatedSloCheck, roundMetric } from './replications.js';
import type { RunMetrics } from './run-metrics.js';
import { Interrupted, type JobRunner } from './runner.js';
import { estimateMean } from './statistics.js';
import { loadStudy, type StudyOptions } from './sweep.js';

/**
 * What a purchase mix buys, in replicas of the scenario's serving fleet: committed replicas at
 * the 3-year and 1-year prices, on-demand replicas that always run (`on_demand_floor`) and the
 * most the on-demand fleet may scale to, and the most spot replicas.
 */
export const MIX_KEYS = [
  'reserved_3y',
  'reserved_1y',
  'on_demand_floor',
  'on_demand_max',
  'spot_max',
] as const;
export type MixKey = (typeof MIX_KEYS)[number];
export type Mix = Record<MixKey, number>;

/** The fleets a mix builds, in the order requests spill over them. */
export const MIX_FLEETS = {
  reserved_3y: 'reserved-3y',
  reserved_1y: 'reserved-1y',
  spot: 'spot',
  on_demand: 'on-demand',
} as const;

/** Keys of the serving fleet that the mix sets for each fleet it builds. */
const SET_BY_MIX = ['name', 'replicas', 'market'];
/** Only fleets that launch replicas when they need them scale and can find no capacity. */
const ELASTIC_KEYS = ['autoscaling', 'unavailable'];
/** Reclaims and spot prices are the spot fleet's alone; its fallback is always the on-demand fleet. */
const SPOT_KEYS = ['interruption', 'on_interrupt', 'spot_price', 'fallback'];

const FLAG = '--purchase-mix';

type Raw = Record<string, unknown>;

function pick(object: Raw, keys: readonly string[]): Raw {
  return Object.fromEntries(keys.filter((key) => object[key] !== undefined).map((key) => [key, object[key]]));
}

function omit(object: Raw, keys: readonly string[]): Raw {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
}

/** The serving fleet's autoscaled bounds, as written. */
interface Bounds {
  min: number;
  max: number;
  initial: number;
}

function boundsOf(template: Raw): Bounds | null {
  const replicas = template.replicas;
  if (replicas === null || typeof replicas !== 'object') return null;
  const { min, max, initial } = replicas as Raw;
  if (typeof max !== 'number') return null;
  const low = typeof min === 'number' ? min : 0;
  return { min: low, max, initial: typeof initial === 'number' ? initial : low };
}

/**
 * The fleets of one mix, built from the serving fleet as written (`template`): each keeps its
 * hardware, service and queue; the reserved ones are fixed at their count, the spot fleet scales
 * between the serving fleet's `min` (at most its own max) and `spot_max` and falls back to the
 * on-demand one, which scales between the floor and `on_demand_max`. A count of 0 leaves that
 * fleet out. Why not, when the mix cannot be built.
 */
export function mixFleets(template: Raw, mix: Mix): { fleets: Raw[] } | { reason: string } {
  const bounds = boundsOf(template);
  if (bounds === null) return { reason: 'the serving fleet needs replicas: { min, max } and autoscaling' };
  if (mix.on_demand_floor > mix.on_demand_max) {
    return {
      reason: `on_demand_floor ${mix.on_demand_floor} is above on_demand_max ${mix.on_demand_max}`,
    };
  }
  const hardware = omit(template, [...SET_BY_MIX, ...ELASTIC_KEYS, ...SPOT_KEYS]);
  const elastic = pick(template, ELASTIC_KEYS);
  const fleets: Raw[] = [];
  if (mix.reserved_3y > 0) {
    fleets.push({
      name: MIX_FLEETS.reserved_3y,
      ...hardware,
      market: 'reserved-3y',
      replicas: mix.reserved_3y,
    });
  }
  if (mix.reserved_1y > 0) {
    fleets.push({ name: MIX_FLEETS.reserved_1y, ...hardware, market: 'reserved', replicas: mix.reserved_1y });
  }
  if (mix.spot_max > 0) {
    const min = Math.min(bounds.min, mix.spot_max);
    fleets.push({
      name: MIX_FLEETS.spot,
      ...hardware,
      ...elastic,
      ...omit(pick(template, SPOT_KEYS), ['fallback']),
      market: 'spot',
      replicas: { min, max: mix.spot_max, initial: Math.min(Math.max(bounds.initial, min), mix.spot_max) },
      ...(mix.on_demand_max > 0 && { fallback: MIX_FLEETS.on_demand }),
    });
  }
  if (mix.on_demand_max > 0) {
    fleets.push({
      name: MIX_FLEETS.on_demand,
      ...hardware,
      ...elastic,
      market: 'on-demand',
      replicas: { min: mix.on_demand_floor, max: mix.on_demand_max, initial: mix.on_demand_floor },
    });
  }
  if (fleets.length === 0) return { reason: 'the mix buys no capacity' };
  return { fleets };
}

/**
 * Spillover in the order of `fleets`: committed capacity first (it is paid whether it serves or
 * not), then spot, then on demand. Keeps the scenario's `within` and `max_queue_per_replica`.
 */
export function mixRouting(routing: Raw | undefined, fleets: readonly Raw[]): Raw {
  return { ...(routing ?? { policy: 'spillover' }), order: fleets.map((fleet) => fleet.name) };
}

/** A run's cost scaled to a month, and its two parts. */
export interface MonthlyCost {
  total: number;
  /** Every committed replica at its commitment price for every hour of the month, used or not. */
  commitment: number;
  /** Spend that follows use (on-demand and spot replica time, transfer) per simulated hour, times the month's hours. */
  usage: number;
}

/** The commitment of a loaded mix: per reserved fleet, its replicas at its price for `HOURS_PER_MONTH` hours. */
export function monthlyCommitmentUsd(scenario: Pick<Scenario, 'fleets'>): number {
  return scenario.fleets.reduce(
    (sum, fleet) =>
      sum +
      (isReservedMarket(fleet.market) ? fleet.maxReplicas * fleet.priceUsdPerHour * HOURS_PER_MONTH : 0),
    0,
  );
}

/**
 * One replication's cost for a month of `HOURS_PER_MONTH` hours: the commitment as a whole,
 * and the rest of the run's cost (its total less what it billed its reserved fleets) at the rate
 * it was spent over the simulated time, run end included.
 */
export function monthlyCost(run: RunMetrics, commitmentUsd: number): MonthlyCost {
  const endS = run['simulated_s.end'];
  const total = run['cost_usd.total'];
  if (typeof endS !== 'number' || !(endS > 0) || typeof total !== 'number') {
    throw new InvariantError('every run reports its cost and a simulated time above 0');
  }
  const billedReserved =
    (run['cost_usd.by_market.reserved'] ?? 0) + (run['cost_usd.by_market.reserved-3y'] ?? 0);
  const usage = ((total - billedReserved) * HOURS_PER_MONTH * 3600) / endS;
  return {
    total: roundMetric(commitmentUsd + usage),
    commitment: roundMetric(commitmentUsd),
    usage: roundMetric(usage),
  };
}

export interface MixCandidate {
  mix: Mix;
  /** The fleets built, in routing order. */
  fleets: string[];
  status: 'ok' | 'infeasible';
  reason: string | null;
  /** Mean over the replications of the cost scaled to a month, with its 95 % half-width (null with one replication or identical ones). */
  monthly_cost_usd: number | null;
  monthly_cost_ci95: number | null;
  monthly_commitment_usd: number | null;
  monthly_usage_usd: number | null;
  /** Per replication, in seed order. */
  monthly_cost_by_replication: number[];
  /** The objective judged on the means of the replications. */
  meets_slo: boolean;
  /** The share of replications that missed the objective (one minus `slo.met_share`), with its 95 % Wilson interval. */
  risk: number | null;
  risk_ci95: [number, number] | null;
  /** Met on the means, with a risk within the tolerance: only these can be picked. */
  eligible: boolean;
  /** No other candidate costs as little or less with as little risk or less, and is better in one. */
  frontier: boolean;
  slo: ReplicatedSloCheck | null;
  metrics: RunMetrics;
  ci95: RunMetrics | null;
  warnings: string[];
}

/** `purchase-mix.json`: its field names are a public contract. */
export interface PurchaseMixResult {
  scenario: string;
  seed: number;
  replications: number;
  slo: Record<string, number>;
  /** The largest risk the pick may have. */
  risk_tolerance: number;
  hours_per_month: number;
  /** The rule that turns a run's cost into a month's, in words. */
  monthly_cost_rule: string;
  /** Values tried of each mix key; every combination is a candidate. */
  search: Record<MixKey, number[]>;
  /** The cheapest eligible candidate; null when none is. */
  pick: MixCandidate | null;
  /** The candidates on the cost-risk frontier, cheapest first. */
  frontier: MixCandidate[];
  /** Eligible ones cheapest first, then the others that ran cheapest first, then those that cannot run. */
  candidates: MixCandidate[];
  configurations: number;
}

export interface PurchaseMixOptions extends StudyOptions {
  /** `key=values` arguments (`--purchase-mix`). */
  mix: string[];
  /** Largest share of replications the pick may miss the objective in (default 0). */
  riskTolerance?: number;
  /** Draw the frontier chart as a PNG too (default: `.vl.json` and `.svg` only). */
  png?: boolean;
}

export interface PurchaseMixOutcome {
  result: PurchaseMixResult;
  files: string[];
  computed: number;
  reused: number;
}

export const MONTHLY_COST_RULE =
  `committed (reserved) replicas x their hourly commitment price x ${HOURS_PER_MONTH} h, paid whether used or not; ` +
  `plus the rest of the simulated cost (on-demand and spot replica time, transfer) / simulated hours x ${HOURS_PER_MONTH} h`;

/** Marks the candidates that ran and that no other one dominates in (monthly cost, risk). */
export function markFrontier(candidates: readonly MixCandidate[]): void {
  const ran = candidates.filter((c) => c.status === 'ok' && c.monthly_cost_usd !== null && c.risk !== null);
  for (const candidate of candidates) candidate.frontier = false;
  for (const a of ran) {
    a.frontier = !ran.some(
      (b) =>
        b !== a &&
        b.monthly_cost_usd! <= a.monthly_cost_usd! &&
        b.risk! <= a.risk! &&
        (b.monthly_cost_usd! < a.monthly_cost_usd! || b.risk! < a.risk!),
    );
  }
}

/** Eligible first, cheapest first (less risk first at equal cost); then the rest that ran, cheapest first; then those that cannot run, in search order. */
export function rankMixes(candidates: readonly MixCandidate[]): MixCandidate[] {
  const order = new Map(candidates.map((c, i) => [c, i]));
  const tier = (c: MixCandidate) => (c.eligible ? 0 : c.status === 'ok' ? 1 : 2);
  return [...candidates].sort(
    (a, b) =>
      tier(a) - tier(b) ||
      (tier(a) === 2 ? 0 : a.monthly_cost_usd! - b.monthly_cost_usd! || a.risk! - b.risk!) ||
      order.get(a)! - order.get(b)!,
  );
}

/** Whether a candidate may be picked at `tolerance`: it ran, met the objective on the means, and missed it in no more than that share of replications. */
export function isEligible(
  candidate: Pick<MixCandidate, 'status' | 'meets_slo' | 'risk'>,
  tolerance: number,
): boolean {
  return (
    candidate.status === 'ok' && candidate.meets_slo && candidate.risk !== null && candidate.risk <= tolerance
  );
}

function parseMixArguments(args: readonly string[]): Record<MixKey, number[]> {
  const parsed = parseParameterArguments(args, FLAG);
  if (!parsed.ok) throw new ScenarioError(parsed.errors);
  const search: Partial<Record<MixKey, number[]>> = {};
  for (const parameter of parsed.value) {
    const key = parameter.path as MixKey;
    if (!MIX_KEYS.includes(key)) {
      throw new RunInputError(`${FLAG}: unknown key "${parameter.path}"; keys are ${MIX_KEYS.join(', ')}`);
    }
    if (!parameter.values.every((value) => Number.isInteger(value) && (value as number) >= 0)) {
      throw new RunInputError(
        `${FLAG}: ${key} takes replica counts (integers from 0), got ${JSON.stringify(parameter.values)}`,
      );
    }
    search[key] = [...new Set(parameter.values as number[])].sort((a, b) => a - b);
  }
  return search as Record<MixKey, number[]>;
}

/**
 * Searches purchase mixes of the scenario's one serving fleet: every combination of the
 * `--purchase-mix` values, each run with every replication seed (reclaims and arrivals differ by
 * seed). Each gets its monthly cost (`MONTHLY_COST_RULE`) and its risk, the share of replications
 * that missed the objective; writes purchase-mix.json, purchase-mix.md and the frontier chart.
 */
export function runPurchaseMix(options: PurchaseMixOptions): Promise<PurchaseMixOutcome> {
  return withRunner(options, (runner) => purchaseMix(options, runner));
}

async function purchaseMix(options: PurchaseMixOptions, runner: JobRunner): Promise<PurchaseMixOutcome> {
  const tolerance = options.riskTolerance ?? 0;
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new RunInputError(`--risk-tolerance: expected a share from 0 to below 1, got ${tolerance}`);
  }
  const given = parseMixArguments(options.mix);
  for (const argument of options.set ?? []) {
    const path = argument.slice(0, argument.indexOf('=')).trim();
    if (/^(fleets|routing)(\.|$)/.test(path)) {
      throw new RunInputError(
        `${FLAG} builds the fleets and routing from the scenario's serving fleet: write ${path} in the scenario instead of --set`,
      );
    }
  }
  const { loaded, source } = await loadStudy(options, FLAG, []);
  if (loaded.slo.isDefault) {
    throw new RunInputError(
      `${FLAG} needs an slo: in the scenario (or --set slo.queue_wait_p99=10s): risk is the share of replications that miss it`,
    );
  }
  if (loaded.variants.length > 1) {
    throw new RunInputError(`${FLAG} builds its own configurations: give a scenario without variants`);
  }
  const document = parseAccepted(source.text).toJS() as Raw;
  const fleets = document.fleets as Raw[];
  const written = loaded.variants[0].scenario;
  if (fleets.length !== 1 || written.fleets[0].autoscaling === null) {
    throw new RunInputError(
      `${FLAG}: the scenario describes one serving fleet, autoscaled (replicas: { min, max } and autoscaling:), which the mix divides between markets; it has ${fleets.length} fleet(s)${fleets.length === 1 ? ' without autoscaling' : ''}`,
    );
  }
  const template = fleets[0];
  const routing = document.routing as Raw | undefined;
  if (routing !== undefined && routing.policy !== 'spillover') {
    throw new RunInputError(
      `${FLAG} routes by spillover (reserved first, then spot, then on demand): leave routing out or give routing: { policy: spillover, max_queue_per_replica: N }`,
    );
  }
  const templateBounds = boundsOf(template)!;
  const search: Record<MixKey, number[]> = {
    reserved_3y: given.reserved_3y ?? [0],
    reserved_1y: given.reserved_1y ?? [0],
    on_demand_floor: given.on_demand_floor ?? [templateBounds.min],
    on_demand_max: given.on_demand_max ?? [templateBounds.max],
    spot_max: given.spot_max ?? [0],
  };
  const grid = sweepPoints(
    MIX_KEYS.map((key) => ({ path: key, values: search[key] })),
    { sampling: 'grid', points: null, seed: loaded.seed },
  );
  if ('error' in grid) throw new RunInputError(`${FLAG}: ${grid.error}`);
  // Without an on-demand fleet its floor means nothing: such mixes differ in no replica.
  const distinct = new Map<string, Mix>();
  for (const point of grid.points) {
    const mix = Object.fromEntries(MIX_KEYS.map((key, d) => [key, point.values[d] as number])) as Mix;
    if (mix.on_demand_max === 0) mix.on_demand_floor = 0;
    distinct.set(JSON.stringify(mix), mix);
  }
  const mixes = [...distinct.values()];

  const { replications, seed, evaluator } = studyEvaluator(options, loaded, runner);
  checkRunCount(
    `${FLAG}: `,
    [
      [mixes.length, 'mix', 'mixes'],
      [replications, 'replication', 'replications'],
    ],
    'search fewer values',
  );
  const origin: Parameter['origin'] = { kind: 'flag', flag: FLAG, ordinal: 1, valueCol: 1 };
  let done = 0;
  const progress = () => {
    options.onProgress?.(done, mixes.length, evaluator.computed);
  };

  const infeasible = (mix: Mix, names: string[], reason: string): MixCandidate => ({
    mix,
    fleets: names,
    status: 'infeasible',
    reason,
    monthly_cost_usd: null,
    monthly_cost_ci95: null,
    monthly_commitment_usd: null,
    monthly_usage_usd: null,
    monthly_cost_by_replication: [],
    meets_slo: false,
    risk: null,
    risk_ci95: null,
    eligible: false,
    frontier: false,
    slo: null,
    metrics: {},
    ci95: null,
    warnings: [],
  });

  const evaluateMix = async (mix: Mix): Promise<MixCandidate> => {
    const built = mixFleets(template, mix);
    if ('reason' in built) return infeasible(mix, [], built.reason);
    const names = built.fleets.map((fleet) => fleet.name as string);
    const routed = mixRouting(routing, built.fleets);
    const keys: Parameter[] = [
      { path: 'fleets', values: [built.fleets], origin },
      { path: 'routing', values: [routed], origin },
    ];
    const point = await loadPoints(source, keys, [{ index: 0, values: [built.fleets, routed] }]);
    if (!point.ok) throw new ScenarioError(point.errors);
    const variant = point.value[0].variants[0];
    if (variant.scenario === null) return infeasible(mix, names, variant.infeasible!.reason);
    const evaluation = await evaluator.evaluate(variant.scenario);
    if (!evaluation.ok) return infeasible(mix, names, evaluation.infeasible.reason);
    const slo = checkSlo(loaded.slo, evaluation.replicated, evaluation.runs);
    const commitment = monthlyCommitmentUsd(variant.scenario);
    const months = evaluation.runs.map((run) => monthlyCost(run, commitment));
    const cost = estimateMean(months.map((month) => month.total));
    const usage = estimateMean(months.map((month) => month.usage));
    const risk: [number, number] = [
      roundMetric(1 - slo.met_share_ci95[1]),
      roundMetric(1 - slo.met_share_ci95[0]),
    ];
    const candidate: MixCandidate = {
      mix,
      fleets: names,
      status: 'ok',
      reason: null,
      monthly_cost_usd: roundMetric(cost.mean),
      monthly_cost_ci95: cost.halfWidth === null || cost.halfWidth === 0 ? null : roundMetric(cost.halfWidth),
      monthly_commitment_usd: roundMetric(commitment),
      monthly_usage_usd: roundMetric(usage.mean),
      monthly_cost_by_replication: months.map((month) => month.total),
      meets_slo: slo.met,
      risk: roundMetric(1 - slo.met_share),
      risk_ci95: risk,
      eligible: false,
      frontier: false,
      slo,
      metrics: evaluation.replicated.metrics,
      ci95: evaluation.replicated.ci95,
      warnings: evaluation.replicated.warnings,
    };
    candidate.eligible = isEligible(candidate, tolerance);
    return candidate;
  };

  let found: MixCandidate[];
  try {
    progress();
    found = await Promise.all(
      mixes.map(async (mix) => {
        try {
          return await evaluateMix(mix);
        } finally {
          done++;
          progress();
        }
      }),
    );
  } catch (error) {
    if (error instanceof Interrupted) {
      throw evaluator.interrupted(options.outDir);
    }
    throw error;
  } finally {
    await runner.close();
  }
  if (found.every((candidate) => candidate.status === 'infeasible')) {
    throw new RunInputError(
      `${FLAG}: no candidate can run; the first: ${found[0]?.reason ?? 'none was given'}`,
    );
  }
  markFrontier(found);
  const candidates = rankMixes(found);
  const result: PurchaseMixResult = {
    scenario: loaded.name,
    seed,
    replications,
    slo: sloKeys(loaded.slo),
    risk_tolerance: tolerance,
    hours_per_month: HOURS_PER_MONTH,
    monthly_cost_rule: MONTHLY_COST_RULE,
    search,
    pick: candidates[0]?.eligible ? candidates[0] : null,
    frontier: candidates
      .filter((c) => c.frontier)
      .sort((a, b) => a.monthly_cost_usd! - b.monthly_cost_usd! || a.risk! - b.risk!),
    candidates,
    configurations: evaluator.computed + evaluator.reused,
  };
  const json = join(options.outDir, 'purchase-mix.json');
  writeFileAtomic(json, `${JSON.stringify(result, null, 2)}\n`);
  const markdown = join(options.outDir, 'purchase-mix.md');
  writeFileAtomic(markdown, renderPurchaseMixMarkdown(result));
  const charts = await writePurchaseMixCharts(options.outDir, result, { png: options.png === true });
  return {
    result,
    files: [json, markdown, ...charts],
    computed: evaluator.computed,
    reused: evaluator.reused,
  };
}
