import seedrandom from 'seedrandom';
import { LineCounter } from 'yaml';
import { fileTree, type PathSegment, SourceMap } from '../../scenario/locate.js';
import {
  type EfficiencyOverrides,
  fleetModel,
  InvariantError,
  type LoadedScenario,
  RunInputError,
  type Scenario,
  type TraceSource,
  UserError,
} from '../../scenario/types.js';
import { type RooflineParameters, rooflineSettings } from '../../serving/llm-fleet.js';
import { parseAccepted } from '../../util/yaml-keys.js';
import { range, resample, spread, standardErrors } from './bootstrap.js';
import {
  differenceStep,
  type FixedParameter,
  FREE_CANDIDATES,
  type FreeParameter,
  fitLeastSquares,
  influentialParameters,
  isFraction,
  lnBounds,
  type Model,
  norm,
  PARAMETER_KEYS,
  pruneParameters,
  SELECTION_STEP,
} from './fit.js';
import type { MeasuredRun } from './measured.js';
import { pairing, type ReplayTrace, replayScenario, replayTimes } from './replay.js';
import {
  type RelativeErrors,
  type RequestTimes,
  relativeErrors,
  StatisticsDesign,
  type SummaryStatistics,
  summarize,
  worstError,
} from './statistics.js';

export interface CalibrateOptions {
  /** The scenario of the server: its model, hardware and batching (its baseline; variants are not run). */
  scenario: LoadedScenario;
  /** The fleet to calibrate; may be left out when the scenario has one. */
  fleet?: string;
  measured: MeasuredRun;
  replay: ReplayTrace;
  /** Bootstrap resamples of the requests for the parameters' uncertainty (default 20; 0 skips it). */
  resamples?: number;
  /** The share of requests, the latest by arrival, held out of a second fit to test its predictions (default 0.3). */
  holdOutShare?: number;
  /** Told what the calibration is doing, for progress lines. */
  onStage?: (message: string) => void;
}

/** A hold-out error above this on any compared statistic marks the fit as poor. */
export const POOR_FIT_ERROR = 0.2;
/** Fewer completed requests than this leave too little to fit. */
export const MIN_COMPLETED = 20;

const MAX_ITERATIONS = 20;
const BOOTSTRAP_ITERATIONS = 3;
/** A statistic the replay cannot produce (no completed request in it) counts as this far off, in ln units. */
const MISSING_PENALTY = Math.log(100);
/** Replays kept for reuse, by parameter vector (bootstrap refits revisit the points of the fit). */
const CACHE_SIZE = 64;
/** Fitted values are rounded to this many significant digits, and evaluated as rounded. */
const SIGNIFICANT_DIGITS = 4;

export type StartSource = 'scenario' | 'catalog' | 'serving stack';

export interface CalibratedParameter {
  key: keyof EfficiencyOverrides;
  /** Its scenario key under `hardware.accelerator.efficiency`. */
  name: string;
  /** The value the scenario runs with: its own, or the catalog's or serving stack's. */
  start: number;
  startSource: StartSource;
  /** The fitted value (rounded), or `start` for a fixed parameter. */
  value: number;
  fitted: boolean;
  /** Why a fixed parameter was not fitted. */
  reason: string | null;
  /** Bootstrap spread of the fitted value: standard deviation and 2.5 and 97.5 percentiles. */
  std: number | null;
  /** Bootstrap standard deviation of its natural logarithm: the relative spread scenario.yaml carries. */
  stdLn: number | null;
  ci95: [number, number] | null;
  /** The value fitted on the earlier requests alone (the hold-out fit). */
  holdOutValue: number | null;
  /**
   * Standard error from the Jacobian at the fit (ln units, so about a relative error): what the
   * compared statistics' standard errors allow, with the other fitted parameters free.
   */
  standardError: number | null;
}

export interface HoldOut {
  share: number;
  /** Requests of the fit (the earliest) and of the prediction. */
  fitRequests: number;
  predictedRequests: number;
  measured: SummaryStatistics;
  simulated: SummaryStatistics;
  errors: RelativeErrors;
}

export interface Calibration {
  fleet: { name: string; accelerator: string; tensorParallel: number; model: string; precision: string };
  requests: { total: number; completed: number };
  /** Compared statistics and strata of prompt lengths. */
  design: { statistics: number; strata: number };
  parameters: CalibratedParameter[];
  /** The values to write under the fleet's `hardware.accelerator.efficiency`: the fitted ones. */
  fitted: EfficiencyOverrides;
  measured: SummaryStatistics;
  before: { simulated: SummaryStatistics; errors: RelativeErrors; chi2: number };
  after: { simulated: SummaryStatistics; errors: RelativeErrors; chi2: number };
  holdOut: HoldOut | null;
  /** The worst hold-out error when it is beyond POOR_FIT_ERROR; null for a fit that predicted well (or no hold-out). */
  poorFit: { metric: string; statistic: string; error: number } | null;
  /** The worst error on the fitted run itself when it is beyond POOR_FIT_ERROR: the fit does not reproduce what it was fitted to. */
  misfit: { metric: string; statistic: string; error: number } | null;
  /** Fitted parameters that ended at an end of their range: the measurements ask for more than the roofline gives. */
  atBounds: string[];
  resamples: number;
  simulations: number;
  /** The replay's jitter, ln units: how much a statistic moves between nearly equal parameters. */
  replayJitter: number;
  /**
   * Per candidate parameter (scenario key), how far a change of ln 1 moves the compared statistics,
   * in standard errors (the norm of its Jacobian column), and the norm the replay's jitter alone gives.
   */
  identifiability: { sensitivity: Record<string, number>; noise: number };
  notes: string[];
}

/** The scenario's position of `at`, for an error about a key the user wrote. */
function located(scenario: LoadedScenario, at: readonly PathSegment[], message: string): Error {
  if (scenario.source === null || scenario.file === null) return new RunInputError(message);
  const lineCounter = new LineCounter();
  const document = parseAccepted(scenario.source, lineCounter);
  const position = SourceMap.of(fileTree(document, lineCounter, scenario.file)).locate(at);
  const path = at
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .slice(1);
  return new UserError({ code: 'INVALID_VALUE', ...position, message: `${path}: ${message}` });
}

function chooseFleet(scenario: LoadedScenario, base: Scenario, name: string | undefined): number {
  if (name === undefined) {
    if (base.fleets.length === 1) return 0;
    const llm = base.fleets.filter((f) => f.batching.policy === 'continuous');
    if (llm.length === 1) return base.fleets.indexOf(llm[0]);
    throw new RunInputError(
      `the scenario has ${base.fleets.length} fleets (${base.fleets.map((f) => f.name).join(', ')}): say which one the measured run served with --fleet NAME`,
    );
  }
  const index = base.fleets.findIndex((f) => f.name === name);
  if (index < 0) {
    throw new RunInputError(
      `--fleet: no fleet named "${name}" in ${scenario.file ?? 'the scenario'}; it has ${base.fleets.map((f) => f.name).join(', ')}`,
    );
  }
  return index;
}

function roundTo(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}

/**
 * Fits the step-time parameters of one fleet to a measured run. The measured arrivals and token
 * counts replay through the simulator (the fleet alone, every request measured, the scenario's
 * seed on every replay so that the comparison changes only with the parameters); statistics of
 * TTFT, TPOT and latency (see StatisticsDesign) are compared by weighted least squares on their
 * logarithms, each weighted by its standard error (the measured run's sampling error, from a
 * bootstrap, with the replay's jitter added). Which parameters the run identifies is decided
 * first (selectParameters); the others keep the scenario's values.
 */
export function calibrate(options: CalibrateOptions): Calibration {
  const { scenario: loaded, measured, replay } = options;
  const stage = options.onStage ?? (() => {});
  const resamples = options.resamples ?? 20;
  const holdOutShare = options.holdOutShare ?? 0.3;
  const base = loaded.variants[0].scenario;
  const fleetIndex = chooseFleet(loaded, base, options.fleet);
  const fleet = base.fleets[fleetIndex];
  if (fleet.batching.policy !== 'continuous') {
    throw located(
      loaded,
      ['fleets', fleetIndex, 'batching'],
      `calibrate fits the step times of an LLM fleet (batching: { policy: continuous }); fleet ${fleet.name} batches with policy ${fleet.batching.policy}`,
    );
  }
  if (fleet.stepTime?.kind === 'profile') {
    throw located(
      loaded,
      ['fleets', fleetIndex, 'step_time'],
      `fleet ${fleet.name} takes its step times from a measured profile: calibrate fits the roofline's parameters`,
    );
  }
  const settings = rooflineSettings(fleet, fleetModel(base, fleet));
  if (settings === null)
    throw new InvariantError(`fleet ${fleet.name} passed validation but has no roofline`);
  if (measured.completed < MIN_COMPLETED) {
    // The whole file is at fault, so its first line stands for it: the path prints as the user typed it.
    throw new UserError({
      code: 'BAD_TRACE_ROW',
      file: measured.path,
      line: 1,
      col: 1,
      message: `${measured.completed} completed request(s) with first-token and finish times; a calibration needs at least ${MIN_COMPLETED}`,
    });
  }
  const notes = [...measured.notes];
  const n = measured.count;
  const seed = loaded.seed;
  const trace: TraceSource = {
    path: replay.path,
    format: replay.format,
    timeColumn: replay.timeColumn,
    timeUnit: replay.timeUnit,
    columns: { input_tokens: replay.inputColumn, output_tokens: replay.outputColumn },
    speed: 1,
    limit: null,
    duration: null,
    bootstrap: null,
  };
  const scenarioFor = replayScenario(base, fleet, trace);
  const limitedFor = (limit: number) => replayScenario(base, fleet, { ...trace, limit });
  const own = fleet.hardware?.accelerators?.efficiency ?? {};
  const start = settings.effective;

  let simulations = 0;
  const cache = new Map<string, RequestTimes>();
  const pairings = new Map<number, Map<string, number[]>>();
  /** Replays of the first `count` requests with `values` (ln of the free parameters) over the scenario's own overrides. */
  const timesAt = (keys: readonly FreeParameter[], theta: readonly number[], count = n): RequestTimes => {
    const overrides: EfficiencyOverrides = { ...own };
    keys.forEach((key, k) => {
      overrides[key] = Math.exp(theta[k]);
    });
    const id = `${count}|${FREE_CANDIDATES.map((k) => overrides[k]?.toPrecision(12) ?? '-').join(',')}`;
    let times = cache.get(id);
    if (times === undefined) {
      const scenario = count === n ? scenarioFor(overrides) : limitedFor(count)(overrides);
      let byKey = pairings.get(count);
      if (byKey === undefined) {
        byKey = pairing(measured, count);
        pairings.set(count, byKey);
      }
      times = replayTimes(scenario, seed, byKey, count);
      simulations++;
      if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    } else cache.delete(id);
    cache.set(id, times);
    return times;
  };
  const measuredTimes: RequestTimes = {
    ttft: measured.ttftS,
    tpot: measured.tpotS,
    latency: measured.latencyS,
  };
  const lnStart = (keys: readonly FreeParameter[]) => keys.map((key) => Math.log(start[key]));

  /** The standardized statistics of a fit over `set`, replaying the first `count` requests. */
  const objective = (set: Int32Array, count: number, random: () => number, jitter: number) => {
    const design = new StatisticsDesign(measuredTimes, measured.inputTokens, set);
    const target = design.evaluate(measuredTimes, set);
    const sigma = standardErrors(design, measuredTimes, set, target, random, jitter);
    const standardize = (values: Float64Array, on: Float64Array = target) =>
      values.map((v, i) => (Number.isFinite(v) ? v : on[i] + MISSING_PENALTY) / sigma[i]);
    const model = (keys: readonly FreeParameter[], over: Int32Array = set, onTarget = target): Model => {
      return (theta) => standardize(design.evaluate(timesAt(keys, theta, count), over), onTarget);
    };
    return { design, target: target.map((v, i) => v / sigma[i]), sigma, model, rawTarget: target };
  };

  stage(`replaying ${n} requests with the scenario's step-time parameters`);
  const all = range(0, n);
  const startTimes = timesAt(FREE_CANDIDATES, lnStart(FREE_CANDIDATES));
  // The replay's jitter: statistics of two replays whose parameters differ by 0.1 %, far less
  // than any effect the fit could see, differ only by which requests happened to share a batch.
  const design0 = new StatisticsDesign(measuredTimes, measured.inputTokens, all);
  const nudged = timesAt(
    FREE_CANDIDATES,
    FREE_CANDIDATES.map((key) => Math.log(start[key]) + differenceStep(key) / 100),
  );
  const a = design0.evaluate(startTimes, all);
  const b = design0.evaluate(nudged, all);
  let squares = 0;
  let counted = 0;
  a.forEach((v, i) => {
    if (Number.isFinite(v) && Number.isFinite(b[i])) {
      squares += (v - b[i]) ** 2;
      counted++;
    }
  });
  const jitter = counted > 0 ? Math.sqrt(squares / counted / 2) : 0;

  const random = seedrandom(`${seed}/calibrate`);
  const main = objective(all, n, random, jitter);

  stage('finding which step-time parameters influence the measurements');
  /** Standardized Jacobian columns of `keys` at `theta`, by forward differences of `step`. */
  const jacobian = (keys: readonly FreeParameter[], theta: readonly number[], step: number) => {
    const model = main.model(keys);
    const at = model(theta);
    const columns = new Map<FreeParameter, Float64Array>();
    keys.forEach((key, k) => {
      const moved = [...theta];
      const h = differenceStep(key, step);
      moved[k] += h;
      columns.set(
        key,
        model(moved).map((v, i) => (v - at[i]) / h),
      );
    });
    return columns;
  };
  const noise = Math.sqrt(
    main.sigma.reduce((s, sigma) => s + (2 * jitter ** 2) / (SELECTION_STEP * sigma) ** 2, 0),
  );
  const names = (key: FreeParameter) => PARAMETER_KEYS[key];
  const influence = influentialParameters(
    jacobian(FREE_CANDIDATES, lnStart(FREE_CANDIDATES), SELECTION_STEP),
    noise,
  );
  const fixed: FixedParameter[] = [...influence.fixed];
  const chi2 = (model: Model, target: Float64Array, theta: readonly number[]) =>
    model(theta).reduce((s, v, i) => s + (v - target[i]) ** 2, 0);
  // Marquardt's start: a thousandth of the largest diagonal entry of J'J.
  let damping = 1e-3 * Math.max(1, ...influence.influential.map((key) => influence.sensitivity[key] ** 2));

  let free: FreeParameter[] = influence.influential;
  let fitErrors: number[] = [];
  let thetaFit = lnStart(free);
  if (free.length > 0) {
    stage(`fitting ${free.map(names).join(', ')} (weighted least squares, Levenberg-Marquardt)`);
    thetaFit = fitLeastSquares(main.model(free), main.target, free, thetaFit, MAX_ITERATIONS, damping).theta;
    // Collinearity is judged at the fit: far from it, which kernels bind may differ.
    const atFit = jacobian(free, thetaFit, SELECTION_STEP);
    damping = 1e-3 * Math.max(1, ...free.map((key) => norm(atFit.get(key) as Float64Array) ** 2));
    const pruned = pruneParameters(atFit, free, names);
    fitErrors = pruned.standardErrors;
    if (pruned.fixed.length > 0) {
      fixed.push(...pruned.fixed);
      const kept = pruned.kept;
      const warm = kept.map((key) => thetaFit[free.indexOf(key)]);
      free = kept;
      thetaFit = warm;
      if (free.length > 0) {
        stage(`fitting ${free.map(names).join(', ')} alone`);
        thetaFit = fitLeastSquares(main.model(free), main.target, free, warm, MAX_ITERATIONS, damping).theta;
      }
    }
  }
  if (free.length === 0) {
    notes.push(
      'no step-time parameter is identified by this run (none changes the compared statistics beyond the replay’s jitter, or none can be told apart): the scenario keeps its values',
    );
  }
  const chi2Before = chi2(main.model(free), main.target, lnStart(free));
  const fittedValues = free.map((_, k) => roundTo(Math.exp(thetaFit[k])));
  const thetaRounded = fittedValues.map(Math.log);
  const afterTimes = timesAt(free, thetaRounded);
  const chi2After = chi2(main.model(free), main.target, thetaRounded);

  const bootstrap: number[][] = free.map(() => []);
  if (free.length > 0 && resamples > 0) {
    stage(`bootstrap: refitting ${resamples} resamples of the requests`);
    const draw = seedrandom(`${seed}/calibrate-bootstrap`);
    for (let r = 0; r < resamples; r++) {
      const set = resample(all, draw);
      const target = main.design.evaluate(measuredTimes, set);
      const model = main.model(free, set, target);
      const standardized = target.map((v, i) => v / main.sigma[i]);
      const result = fitLeastSquares(model, standardized, free, thetaRounded, BOOTSTRAP_ITERATIONS, damping);
      result.theta.forEach((t, k) => {
        bootstrap[k].push(Math.exp(t));
      });
    }
  }

  let holdOut: HoldOut | null = null;
  let holdOutValues: number[] | null = null;
  const fitCount = Math.floor(n * (1 - holdOutShare));
  const predicted = range(fitCount, n);
  const predictedCompleted = predicted.reduce((s, i) => s + (measured.latencyS[i] > 0 ? 1 : 0), 0);
  const fitCompleted = range(0, fitCount).reduce((s, i) => s + (measured.latencyS[i] > 0 ? 1 : 0), 0);
  if (holdOutShare > 0 && predictedCompleted >= MIN_COMPLETED && fitCompleted >= MIN_COMPLETED) {
    stage(`hold-out: fitting the first ${fitCount} requests, predicting the last ${n - fitCount}`);
    const early = objective(range(0, fitCount), fitCount, seedrandom(`${seed}/calibrate-hold-out`), jitter);
    let theta = lnStart(free);
    if (free.length > 0) {
      theta = fitLeastSquares(
        early.model(free),
        early.target,
        free,
        lnStart(free),
        MAX_ITERATIONS,
        damping,
      ).theta;
    }
    holdOutValues = theta.map(Math.exp);
    const simulated = summarize(timesAt(free, theta), predicted);
    const measuredLate = summarize(measuredTimes, predicted);
    holdOut = {
      share: holdOutShare,
      fitRequests: fitCount,
      predictedRequests: n - fitCount,
      measured: measuredLate,
      simulated,
      errors: relativeErrors(simulated, measuredLate),
    };
  } else {
    notes.push(
      `no hold-out check, so nothing tells how well these step times predict other traffic: it needs at least ${MIN_COMPLETED} completed requests on each side of the split (${fitCompleted} before, ${predictedCompleted} after)`,
    );
  }

  const measuredSummary = summarize(measuredTimes, all);
  const before = summarize(startTimes, all);
  const after = summarize(afterTimes, all);
  const lost = all.reduce(
    (s, i) => s + (measured.latencyS[i] > 0 && !(afterTimes.latency[i] > 0) ? 1 : 0),
    0,
  );
  if (lost > 0.01 * measured.completed) {
    notes.push(
      `${lost} request(s) that completed in the measured run did not complete in the replay (dropped, rejected or timed out): the fleet's queue, KV cache or limits in the scenario differ from the server's, and the compared statistics leave them out`,
    );
  }
  const worst = holdOut === null ? null : worstError(holdOut.errors);
  const afterErrors = relativeErrors(after, measuredSummary);
  const worstAfter = worstError(afterErrors);
  const sourceOf = (key: keyof EfficiencyOverrides): StartSource =>
    own[key] !== undefined ? 'scenario' : isFraction(key) ? 'catalog' : 'serving stack';
  const fixedReason = new Map(fixed.map((f) => [f.key, f.reason]));
  const allKeys: (keyof RooflineParameters)[] = [...FREE_CANDIDATES, 'layerOverheadS', 'workerOverheadS'];
  const parameters: CalibratedParameter[] = allKeys.map((key) => {
    const k = (free as readonly string[]).indexOf(key);
    const fitted = k >= 0;
    const spreadOf = fitted && bootstrap[k].length > 1 ? spread(bootstrap[k]) : null;
    return {
      key,
      name: PARAMETER_KEYS[key],
      start: start[key],
      startSource: sourceOf(key),
      value: fitted ? fittedValues[k] : start[key],
      fitted,
      reason: fitted
        ? null
        : (fixedReason.get(key) ??
          (key === 'layerOverheadS'
            ? 'adds the same time to every iteration as iteration_overhead (the layer count is fixed): no measurement tells them apart, and a fitted iteration_overhead carries both'
            : 'adds the same time to every iteration as iteration_overhead (the tensor-parallel degree is fixed): no measurement tells them apart, and a fitted iteration_overhead carries both')),
      std: spreadOf?.std ?? null,
      stdLn: spreadOf?.stdLn ?? null,
      ci95: spreadOf?.ci95 ?? null,
      holdOutValue: fitted && holdOutValues !== null ? holdOutValues[k] : null,
      standardError: fitted ? (fitErrors[k] ?? null) : null,
    };
  });
  const model = fleetModel(base, fleet);
  return {
    fleet: {
      name: fleet.name,
      accelerator: settings.accelerator,
      tensorParallel: settings.tensorParallel,
      model: model?.llm.name ?? '',
      precision: model === null ? '' : model.llm.bytesPerWeight === 0.5 ? 'int4' : model.llm.computePrecision,
    },
    requests: { total: n, completed: measured.completed },
    design: { statistics: main.design.statistics.length, strata: main.design.strata },
    parameters,
    fitted: Object.fromEntries(
      FREE_CANDIDATES.filter((key) => free.includes(key)).map((key) => [
        key,
        fittedValues[free.indexOf(key)],
      ]),
    ) as EfficiencyOverrides,
    measured: measuredSummary,
    before: { simulated: before, errors: relativeErrors(before, measuredSummary), chi2: chi2Before },
    after: { simulated: after, errors: afterErrors, chi2: chi2After },
    holdOut,
    poorFit: worst !== null && Math.abs(worst.error) > POOR_FIT_ERROR ? worst : null,
    misfit: worstAfter !== null && Math.abs(worstAfter.error) > POOR_FIT_ERROR ? worstAfter : null,
    atBounds: free
      .filter((key, k) => lnBounds(key).some((bound) => Math.abs(thetaRounded[k] - bound) < 1e-3))
      .map(names),
    resamples: free.length > 0 ? resamples : 0,
    simulations,
    replayJitter: jitter,
    identifiability: {
      sensitivity: Object.fromEntries(
        FREE_CANDIDATES.map((key) => [PARAMETER_KEYS[key], influence.sensitivity[key]]),
      ),
      noise,
    },
    notes,
  };
}
