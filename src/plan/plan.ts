import { join } from 'node:path';
import { parse } from 'yaml';
import type { FleetPerformance } from '../metrics/index.js';
import { writeFileAtomic } from '../report/index.js';
import { ScenarioError } from '../run.js';
import { checkRunCount } from '../scenario/index.js';
import { InvariantError, RunInputError, type SweepParameter } from '../scenario/types.js';
import { parseAccepted } from '../util/yaml-keys.js';
import { type Evaluator, studyEvaluator, withRunner } from './evaluator.js';
import { describeConfiguration, type RowStatus, sloKeys } from './output.js';
import {
  type Infeasibility,
  loadPoints,
  type Parameter,
  type PointVariant,
  type ScenarioSource,
} from './parameters.js';
import { renderPlanMarkdown } from './plan-output.js';
import { gridSize, sweepPoints } from './points.js';
import {
  checkSlo,
  type ModelUncertainty,
  type ReplicatedMetrics,
  type ReplicatedSloCheck,
} from './replications.js';
import type { RunMetrics } from './run-metrics.js';
import { Interrupted, type JobRunner } from './runner.js';
import { loadStudy, nothingFeasible, type StudyOptions } from './sweep.js';

export interface PlanOptions extends StudyOptions {
  /** `path=values` arguments (`--vary`), replacing or adding to the scenario's `sweep.grid`. */
  vary?: string[];
  /** Search each feasible candidate's largest load under the SLO (default true). */
  capacity?: boolean;
}

/** The most load a configuration carries within the SLO, found by doubling then bisection of `workload.scale`. */
export interface SustainableLoad {
  /** The largest `workload.scale` that met the SLO. */
  scale: number;
  /** That scale over the scenario's own: 1.8 means 80 % growth fits. */
  growth: number;
  /** Arrival rate measured at that scale, requests/s. */
  rate_rps: number | null;
  cost_per_1k_requests_usd: number | null;
  /** False when even the largest growth tried (`MAX_GROWTH`) met the SLO: the true limit is higher. */
  bounded: boolean;
}

export interface PlanCandidate {
  /** The swept keys' values, the searched one at the fewest that met the SLO (or the most tried). */
  params: Record<string, unknown>;
  variant: string;
  /** `infeasible`: this configuration cannot run at all (`reason` says why); it has no metrics and is never a pick. */
  status: RowStatus;
  reason: string | null;
  meets_slo: boolean;
  /** List price of the fleets (replicas x price per hour): what candidates are ranked by. */
  cost_usd_per_hour: number | null;
  /** Cost of the simulated run, and per 1k completed requests. */
  cost_usd: number | null;
  cost_per_1k_requests_usd: number | null;
  /** null when infeasible. */
  slo: ReplicatedSloCheck | null;
  metrics: RunMetrics;
  ci95: RunMetrics | null;
  warnings: string[];
  /**
   * Per fleet, where its step or service times come from, as in summary.json: a candidate on an
   * unvalidated accelerator carries the caveat.
   */
  performance: Record<string, FleetPerformance>;
  /** With `model_uncertainty`: the spreads of the step-time parameters and each replication's draw. */
  model_uncertainty: ModelUncertainty | null;
  /** Only for candidates that meet the SLO at the scenario's load; null when not searched. */
  max_sustainable: SustainableLoad | null;
}

export interface PlanAtLoad {
  scale: number;
  best: PlanCandidate | null;
  candidates: PlanCandidate[];
}

/** `plan.json`: its field names are a public contract. */
export interface PlanResult {
  scenario: string;
  seed: number;
  replications: number;
  /** Whether every replication drew the step-time parameters from their uncertainty. */
  model_uncertainty: boolean;
  slo: Record<string, number>;
  search: {
    /** The key searched by bisection, and the values it could take. */
    key: string;
    values: number[];
    /** Keys tried in every combination (with the scenario's variants). */
    choices: SweepParameter[];
    variants: string[];
  };
  /** The cheapest candidate that meets the SLO at the scenario's load; null when none does. */
  best: PlanCandidate | null;
  /** One per combination of choices and variant: those meeting the SLO first, cheapest first; infeasible ones last. */
  candidates: PlanCandidate[];
  /** The same search at each `workload.scale` that was varied: capacity needed for growth. */
  growth: PlanAtLoad[];
  /** Distinct configurations simulated (each with every replication). */
  configurations: number;
}

export interface PlanOutcome {
  result: PlanResult;
  files: string[];
  computed: number;
  reused: number;
  /** Why the replications of some configurations are identical (their `ci95` is null); null when none are. */
  identicalNote: string | null;
}

/** One configuration's results and SLO verdict, or why it cannot run. */
type Outcome =
  | { ok: true; replicated: ReplicatedMetrics; slo: ReplicatedSloCheck }
  | { ok: false; infeasible: Infeasibility };

function met(outcome: Outcome): boolean {
  return outcome.ok && outcome.slo.met;
}

const SCALE = 'workload.scale';
/** Keys that only add capacity: more never makes latency worse, so the fewest that meet the SLO can be bisected. */
const CAPACITY_KEY = /^fleets\.\d+\.(replicas|concurrency)$/;
/** Growth probed for the sustainable load: doubling up to 64x, then bisection to within 2 %. */
const MAX_GROWTH = 64;
const GROWTH_TOLERANCE = 1.02;

/**
 * The most evaluations one load search may take: doubling up to `MAX_GROWTH`, then bisection of
 * the last doubling (its ratio 2 square-rooted until within `GROWTH_TOLERANCE`), then the
 * candidate at the scenario's load when no growth met the objective.
 */
const LOAD_SEARCH_STEPS =
  Math.log2(MAX_GROWTH) + Math.ceil(Math.log2(Math.log(2) / Math.log(GROWTH_TOLERANCE))) + 1;

/**
 * What a plan has left to run, for its progress: each search holds the most evaluations it may
 * still take and gives back what it did not need, so the total only shrinks.
 */
class PlanBudget {
  private left = 0;

  constructor(
    private readonly evaluator: Evaluator,
    private readonly report: StudyOptions['onProgress'],
  ) {}

  reserve(steps: number): { left: number } {
    this.left += steps;
    return { left: steps };
  }

  /** One evaluation of `held` is over: reported once the evaluator has counted it. */
  spend(held: { left: number }): void {
    if (held.left > 0) {
      held.left--;
      this.left--;
    }
    this.emit();
  }

  /** Gives back what `held` holds beyond `steps`. */
  keep(held: { left: number }, steps: number): void {
    const back = Math.max(0, held.left - steps);
    this.left -= back;
    held.left -= back;
    if (back > 0) this.emit();
  }

  emit(): void {
    const done = this.evaluator.computed + this.evaluator.reused;
    this.report?.(done, done + this.left, this.evaluator.computed);
  }
}

/** Four significant digits: scales stay readable and repeatable as keys. */
function roundScale(scale: number): number {
  return Number(scale.toPrecision(4));
}

/** The scenario's own `workload.scale`, after `--set`: what growth factors are relative to. */
function baseScale(source: ScenarioSource): number {
  let scale: unknown = parseAccepted(source.text).getIn(['workload', 'scale']);
  for (const argument of source.set) {
    const equals = argument.indexOf('=');
    if (argument.slice(0, equals).trim() === SCALE) scale = parse(argument.slice(equals + 1));
  }
  return typeof scale === 'number' ? scale : 1;
}

function positiveIntegers(parameter: Parameter): number[] {
  if (!parameter.values.every((value) => Number.isInteger(value) && (value as number) > 0)) {
    throw new RunInputError(
      `plan: ${parameter.path} takes positive integers, got ${JSON.stringify(parameter.values)}`,
    );
  }
  return [...new Set(parameter.values as number[])].sort((a, b) => a - b);
}

interface Family {
  /** Values of the choice keys. */
  values: unknown[];
  variant: number;
  variantName: string;
}

/**
 * Finds the cheapest configuration that meets the scenario's `slo:`. Keys that add capacity
 * (`fleets.N.replicas` or `fleets.N.concurrency`; the last one varied) are bisected for the fewest
 * that meet the SLO, since more capacity never hurts latency; every combination of the other
 * varied keys and of the scenario's variants is a candidate. Varied `workload.scale` values repeat
 * the search at those loads. Writes `plan.json` into `outDir`.
 */
export function runPlan(options: PlanOptions): Promise<PlanOutcome> {
  return withRunner(options, (runner) => plan(options, runner));
}

async function plan(options: PlanOptions, runner: JobRunner): Promise<PlanOutcome> {
  const { loaded, source, parameters } = await loadStudy(options, '--vary', options.vary ?? []);
  if (loaded.slo.isDefault) {
    throw new RunInputError('plan needs an slo: section in the scenario (or --set slo.latency_p99=2s)');
  }
  const slo = loaded.slo;
  const scaleParameter = parameters.find((parameter) => parameter.path === SCALE);
  const capacityIndex = parameters.findLastIndex((parameter) => CAPACITY_KEY.test(parameter.path));
  if (capacityIndex < 0) {
    throw new RunInputError(
      'plan: vary the replicas of a fleet (e.g. --vary fleets.0.replicas=1..64), or its concurrency: the plan bisects it for the fewest that meet the SLO',
    );
  }
  const searched = parameters[capacityIndex];
  const searchValues = positiveIntegers(searched);
  const choices = parameters.filter((parameter) => parameter !== searched && parameter !== scaleParameter);
  const growthScales =
    scaleParameter === undefined
      ? []
      : scaleParameter.values.map((value) => {
          if (typeof value !== 'number' || !(value > 0)) {
            throw new RunInputError(`plan: ${SCALE} takes positive numbers, got ${JSON.stringify(value)}`);
          }
          return value;
        });
  const base = baseScale(source);

  /** The most evaluations the bisection of the searched key takes: the largest value, then halving. */
  const searchSteps = 1 + Math.ceil(Math.log2(searchValues.length));
  const capacity = options.capacity ?? true;
  // What the progress counts down from: every search and load search taking all its steps.
  const mostPerFamily = searchSteps + (capacity ? LOAD_SEARCH_STEPS : 0) + growthScales.length * searchSteps;
  checkRunCount(
    'plan: ',
    [
      [
        Math.ceil(gridSize(choices) * loaded.variants.length * mostPerFamily),
        'configuration its searches may take',
        'configurations its searches may take',
      ],
      [options.replications ?? 1, 'replication', 'replications'],
    ],
    'vary fewer values of the keys it does not search, or fewer load scales',
  );
  const choicePoints = sweepPoints(choices, { sampling: 'grid', points: null, seed: loaded.seed });
  if ('error' in choicePoints) throw new RunInputError(`plan: ${choicePoints.error}`);
  const families: Family[] = choicePoints.points.flatMap((point) =>
    loaded.variants.map((variant, v) => ({ values: point.values, variant: v, variantName: variant.name })),
  );

  // One replication's verdict is its own: a run that has missed the objective for certain can
  // stop. Several are judged on their means, which no single run decides.
  const { replications, seed, evaluator } = studyEvaluator(
    options,
    loaded,
    runner,
    (options.replications ?? 1) === 1 ? slo : null,
  );
  const searchedParameter: Parameter = { ...searched, values: searchValues };
  const scaleOrigin: Parameter['origin'] = scaleParameter?.origin ?? { kind: 'scenario' };

  /** The scenario of `family` with `capacity` of the searched key, at `scale` (null: as written). */
  const resolve = async (family: Family, capacity: number, scale: number | null): Promise<PointVariant> => {
    const keys: Parameter[] = [...choices, searchedParameter];
    const values: unknown[] = [...family.values, capacity];
    if (scale !== null) {
      keys.push({ path: SCALE, values: [scale], origin: scaleOrigin });
      values.push(scale);
    }
    const loadedPoint = await loadPoints(source, keys, [{ index: 0, values }], { variant: family.variant });
    if (!loadedPoint.ok) throw new ScenarioError(loadedPoint.errors);
    return loadedPoint.value[0].variants[0];
  };

  const budget = new PlanBudget(evaluator, options.onProgress);

  const evaluate = async (
    family: Family,
    capacity: number,
    scale: number | null,
    held: { left: number },
  ): Promise<Outcome> => {
    try {
      return await evaluateOnce(family, capacity, scale);
    } finally {
      budget.spend(held);
    }
  };

  const evaluateOnce = async (family: Family, capacity: number, scale: number | null): Promise<Outcome> => {
    const variant = await resolve(family, capacity, scale);
    if (variant.scenario === null) return { ok: false, infeasible: variant.infeasible! };
    const evaluation = await evaluator.evaluate(variant.scenario);
    if (!evaluation.ok) return evaluation;
    return {
      ok: true,
      replicated: evaluation.replicated,
      slo: checkSlo(slo, evaluation.replicated, evaluation.runs),
    };
  };

  /** Why each infeasible candidate cannot run, with where: for the error when none can. */
  const infeasibility = new Map<PlanCandidate, Infeasibility>();

  const candidate = (family: Family, capacity: number, outcome: Outcome): PlanCandidate => {
    const params = Object.fromEntries([
      ...choices.map((choice, d) => [choice.path, family.values[d]]),
      [searched.path, capacity],
    ]);
    if (!outcome.ok) {
      const entry: PlanCandidate = {
        params,
        variant: family.variantName,
        status: 'infeasible',
        reason: outcome.infeasible.reason,
        meets_slo: false,
        cost_usd_per_hour: null,
        cost_usd: null,
        cost_per_1k_requests_usd: null,
        slo: null,
        metrics: {},
        ci95: null,
        warnings: [],
        performance: {},
        model_uncertainty: null,
        max_sustainable: null,
      };
      infeasibility.set(entry, outcome.infeasible);
      return entry;
    }
    const { metrics, ci95, warnings, performance } = outcome.replicated;
    return {
      params,
      variant: family.variantName,
      status: 'ok',
      reason: null,
      meets_slo: outcome.slo.met,
      cost_usd_per_hour: metrics.cost_usd_per_hour ?? null,
      cost_usd: metrics['cost_usd.total'] ?? null,
      cost_per_1k_requests_usd: metrics.cost_per_1k_requests_usd ?? null,
      slo: outcome.slo,
      metrics,
      ci95,
      warnings,
      performance,
      model_uncertainty: outcome.replicated.model_uncertainty,
      max_sustainable: null,
    };
  };

  /**
   * Bisection over the searched key: the largest value first (missing the SLO there means missing
   * it everywhere). A value that cannot run counts as missing the SLO.
   */
  const search = async (
    family: Family,
    scale: number | null,
    held: { left: number },
  ): Promise<PlanCandidate> => {
    let high = searchValues.length - 1;
    let atHigh = await evaluate(family, searchValues[high], scale, held);
    if (!met(atHigh)) return candidate(family, searchValues[high], atHigh);
    let low = -1;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const atMiddle = await evaluate(family, searchValues[middle], scale, held);
      if (met(atMiddle)) {
        high = middle;
        atHigh = atMiddle;
      } else {
        low = middle;
      }
    }
    return candidate(family, searchValues[high], atHigh);
  };

  const sustainable = async (
    family: Family,
    capacity: number,
    held: { left: number },
  ): Promise<SustainableLoad> => {
    const at = (growth: number) => evaluate(family, capacity, roundScale(base * growth), held);
    let low = 1;
    let atLow: Outcome | null = null;
    let high = 2;
    for (; high <= MAX_GROWTH; high *= 2) {
      const attempt = await at(high);
      if (!met(attempt)) break;
      low = high;
      atLow = attempt;
    }
    const bounded = high <= MAX_GROWTH;
    while (bounded && high / low > GROWTH_TOLERANCE) {
      const middle = roundScale(Math.sqrt(low * high));
      if (middle === low || middle === high) break;
      const attempt = await at(middle);
      if (met(attempt)) {
        low = middle;
        atLow = attempt;
      } else {
        high = middle;
      }
    }
    atLow ??= await evaluate(family, capacity, null, held);
    // Only candidates that met the SLO at this capacity and the scenario's load are searched.
    if (!atLow.ok) throw new InvariantError('a candidate that met the SLO cannot be infeasible');
    const metrics = atLow.replicated.metrics;
    const arrived = metrics['requests.arrived'];
    const windowS = (metrics['simulated_s.arrivals_end'] ?? 0) - (metrics['simulated_s.warmup'] ?? 0);
    return {
      scale: roundScale(base * low),
      growth: low,
      rate_rps:
        arrived !== null && arrived !== undefined && windowS > 0
          ? Number((arrived / windowS).toPrecision(10))
          : null,
      cost_per_1k_requests_usd: metrics.cost_per_1k_requests_usd ?? null,
      bounded,
    };
  };

  const planAt = async (scale: number | null, capacity: boolean): Promise<PlanAtLoad> => {
    // Held from the start, load searches included, so that the total never grows.
    const holds = families.map(() => budget.reserve(searchSteps + (capacity ? LOAD_SEARCH_STEPS : 0)));
    const found = await Promise.all(
      families.map(async (family, i) => {
        const entry = await search(family, scale, holds[i]);
        budget.keep(holds[i], capacity && entry.meets_slo ? LOAD_SEARCH_STEPS : 0);
        return entry;
      }),
    );
    if (capacity) {
      await Promise.all(
        found.map(async (entry, i) => {
          if (entry.meets_slo) {
            const capacityFound = entry.params[searched.path] as number;
            entry.max_sustainable = await sustainable(families[i], capacityFound, holds[i]);
          }
          budget.keep(holds[i], 0);
        }),
      );
    }
    const candidates = rank(found);
    return { scale: scale ?? base, best: candidates[0]?.meets_slo ? candidates[0] : null, candidates };
  };

  let atBase: PlanAtLoad;
  let growth: PlanAtLoad[];
  try {
    const searches = [planAt(null, capacity), ...growthScales.map((scale) => planAt(scale, false))];
    // Each search holds its budget from its start: the first total, before anything has run.
    budget.emit();
    [atBase, ...growth] = await Promise.all(searches);
    if (atBase.candidates.every((entry) => entry.status === 'infeasible')) {
      const variants = loaded.variants.length > 1;
      throw nothingFeasible(
        'plan',
        atBase.candidates.length,
        atBase.candidates.map((entry) => ({
          configuration: describeConfiguration(entry.params, variants ? entry.variant : null, 'candidate'),
          infeasible: infeasibility.get(entry)!,
        })),
      );
    }
  } catch (error) {
    if (error instanceof Interrupted) {
      throw evaluator.interrupted(options.outDir);
    }
    throw error;
  } finally {
    await runner.close();
  }

  const result: PlanResult = {
    scenario: loaded.name,
    seed,
    replications,
    model_uncertainty: loaded.variants.some((variant) => variant.scenario.modelUncertainty),
    slo: sloKeys(slo),
    search: {
      key: searched.path,
      values: searchValues,
      choices: choices.map(({ path, values }) => ({ path, values })),
      variants: loaded.variants.map((variant) => variant.name),
    },
    best: atBase.best,
    candidates: atBase.candidates,
    growth,
    configurations: evaluator.computed + evaluator.reused,
  };
  const path = join(options.outDir, 'plan.json');
  writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
  const markdown = join(options.outDir, 'plan.md');
  writeFileAtomic(markdown, renderPlanMarkdown(result));
  return {
    result,
    files: [path, markdown],
    computed: evaluator.computed,
    reused: evaluator.reused,
    identicalNote: evaluator.identicalNote(),
  };
}

/**
 * Those meeting the SLO first, by list price then run cost; those that ran and missed it after,
 * then those that cannot run, both in search order.
 */
function rank(candidates: PlanCandidate[]): PlanCandidate[] {
  const order = new Map(candidates.map((entry, i) => [entry, i]));
  const price = (entry: PlanCandidate) => entry.cost_usd_per_hour ?? Number.POSITIVE_INFINITY;
  const cost = (entry: PlanCandidate) => entry.cost_usd ?? Number.POSITIVE_INFINITY;
  const tier = (entry: PlanCandidate) => (entry.meets_slo ? 0 : entry.status === 'ok' ? 1 : 2);
  return [...candidates].sort((a, b) => {
    if (tier(a) !== tier(b)) return tier(a) - tier(b);
    if (!a.meets_slo) return order.get(a)! - order.get(b)!;
    return price(a) - price(b) || cost(a) - cost(b) || order.get(a)! - order.get(b)!;
  });
}
