import { type Stats, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration } from '../core/format.js';
import { parseDuration } from '../core/units.js';
import { defaultNoticeS } from '../fleet/interruption.js';
import { checkPlaces } from '../fleet/places.js';
import {
  ACCELERATOR_IDS,
  type Catalog,
  closestAccelerators,
  isCloudInstance,
  MARKETS,
  resolveInstance,
} from '../hardware/index.js';
import { fleetRoutingPolicies } from '../policies/routing/index.js';
import { resolveLlmFleet } from '../serving/llm-fleet.js';
import { checkClassBounds } from './class-bounds.js';
import { suggest } from './diagnostics.js';
import { compileExpression } from './expression.js';
import { formatPath, type PathSegment } from './locate.js';
import { checkModels } from './model-checks.js';
import { checkPriceDates, type PricedFleet } from './price-dates.js';
import { asObject } from './raw-shape.js';
import { checkRunSize } from './run-size.js';
import {
  BATCH_LATENCY_VARIABLES,
  displayNameProblem,
  RATE_VARIABLES,
  SERVICE_TIME_VARIABLES,
  serviceTimeFromString,
} from './schema.js';
import { type Diagnostic, fleetModel, modelNames, type Scenario } from './types.js';

/**
 * Checks that span keys, files or the catalog. They read the raw merged object (not zod's output)
 * so they run even when the schema found errors elsewhere: the user gets every mistake at once.
 * Each looks only at values of the right type and leaves wrong types to the schema.
 */

export interface Finding {
  code: Diagnostic['code'];
  path: PathSegment[];
  /** Set when the finding is about a mapping key rather than its value (point at the key). */
  key?: string;
  message: string;
  /** See `Diagnostic.infeasible`. */
  infeasible?: true;
}

type Raw = Record<string, unknown>;

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export interface Expression {
  path: PathSegment[];
  source: string;
  variables: readonly string[];
}

/** The expression strings of a scenario: mathjs is loaded only when this is not empty. */
export function findExpressions(raw: unknown): Expression[] {
  const root = asObject(raw);
  const found: Expression[] = [];
  asArray(root?.fleets).forEach((fleet, i) => {
    const batchLatency = asObject(fleet)?.batch_latency;
    if (typeof batchLatency === 'string' && batchLatency.trim() !== '') {
      found.push({
        path: ['fleets', i, 'batch_latency'],
        source: batchLatency,
        variables: BATCH_LATENCY_VARIABLES,
      });
    }
    const serviceTime = asObject(fleet)?.service_time;
    if (typeof serviceTime === 'string' && serviceTime.trim() !== '') {
      if (serviceTimeFromString(serviceTime).kind === 'expression') {
        found.push({
          path: ['fleets', i, 'service_time'],
          source: serviceTime,
          variables: SERVICE_TIME_VARIABLES,
        });
      }
    }
  });
  for (const { path, body } of workloadBodies(root)) {
    for (const kind of ['poisson', 'sessions']) {
      const rate = asObject(asObject(asObject(body.arrivals)?.[kind]))?.rate;
      if (typeof rate === 'string' && rate.trim() !== '') {
        found.push({
          path: [...path, 'arrivals', kind, 'rate'],
          source: rate,
          variables: RATE_VARIABLES,
        });
      }
    }
  }
  return found;
}

/** `workload:` and each of its `classes`, with their paths: each has the keys of a workload (`arrivals`, sizes). */
export function workloadBodies(root: Raw | undefined): { path: PathSegment[]; body: Raw }[] {
  const workload = asObject(root?.workload);
  if (workload === undefined) return [];
  const bodies: { path: PathSegment[]; body: Raw }[] = [{ path: ['workload'], body: workload }];
  asArray(workload.classes).forEach((value, i) => {
    const body = asObject(value);
    if (body !== undefined) bodies.push({ path: ['workload', 'classes', i], body });
  });
  return bodies;
}

const ATTRIBUTES = ['input_tokens', 'output_tokens', 'request_bytes', 'response_bytes'] as const;
const SESSION_DISTRIBUTIONS = [
  'turns',
  'first_message_tokens',
  'message_tokens',
  'output_tokens',
  'think_time',
] as const;

/** Why `path` cannot be read as an input file, or null when it can be opened as one. */
export function fileProblem(path: string): 'file not found' | 'not a file' | 'cannot read the file' | null {
  let found: Stats | undefined;
  try {
    found = statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    // `a.csv/b.csv` below a file, or a folder on the way that may not be searched.
    return (error as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'file not found' : 'cannot read the file';
  }
  if (found === undefined) return 'file not found';
  return found.isFile() ? null : 'not a file';
}

/** Paths (in the YAML) of the user catalog files of `catalog:`, one file or a list. */
export function catalogPaths(raw: unknown): { path: PathSegment[]; value: string }[] {
  const catalog = asObject(raw)?.catalog;
  if (typeof catalog === 'string') return catalog === '' ? [] : [{ path: ['catalog'], value: catalog }];
  return asArray(catalog).flatMap((value, i) =>
    typeof value === 'string' && value !== '' ? [{ path: ['catalog', i], value }] : [],
  );
}

/** Paths (in the YAML) of every file a scenario reads. */
export function filePaths(root: Raw): { path: PathSegment[]; value: string }[] {
  const files: { path: PathSegment[]; value: string }[] = [...catalogPaths(root)];
  const empirical = (distribution: unknown, path: PathSegment[]) => {
    const file = asObject(asObject(distribution)?.empirical)?.path;
    if (typeof file === 'string' && file !== '')
      files.push({ path: [...path, 'empirical', 'path'], value: file });
  };
  for (const { path, body } of workloadBodies(root)) {
    const trace = asObject(asObject(body.arrivals)?.trace)?.path;
    if (typeof trace === 'string' && trace !== '') {
      files.push({ path: [...path, 'arrivals', 'trace', 'path'], value: trace });
    }
    for (const attribute of ATTRIBUTES) empirical(body[attribute], [...path, attribute]);
    const sessions = asObject(asObject(body.arrivals)?.sessions);
    for (const key of SESSION_DISTRIBUTIONS) {
      empirical(sessions?.[key], [...path, 'arrivals', 'sessions', key]);
    }
  }
  asArray(root.fleets).forEach((fleet, i) => {
    empirical(asObject(fleet)?.service_time, ['fleets', i, 'service_time']);
    empirical(asObject(fleet)?.startup, ['fleets', i, 'startup']);
    for (const key of ['interruption', 'unavailable', 'spot_price']) {
      const trace = asObject(asObject(fleet)?.[key])?.trace;
      if (typeof trace === 'string' && trace !== '')
        files.push({ path: ['fleets', i, key, 'trace'], value: trace });
    }
  });
  return files;
}

function fleetNames(root: Raw): string[] {
  return asArray(root.fleets)
    .map((fleet) => asObject(fleet)?.name)
    .filter((name): name is string => typeof name === 'string');
}

/** The key the user should change: the region or market when the instance itself exists. */
function catalogKeyAtFault(message: string, fleet: Raw): 'instance' | 'region' | 'market' {
  if (message.includes(' has no price in region ')) return fleet.region === undefined ? 'instance' : 'region';
  if (/ has no \S+ price in region /.test(message)) return 'market';
  return 'instance';
}

const SPEC_KEYS = ['memory_gib', 'bandwidth_gbps', 'tflops'] as const;

/** A name that is no catalog accelerator must bring the specs a model would otherwise look up. */
function checkAccelerator(accelerator: Raw | undefined, i: number, findings: Finding[]): void {
  const name = accelerator?.name;
  // A name the schema refuses is reported there, and not repeated here with its characters.
  if (typeof name !== 'string' || name === '' || displayNameProblem('', name) !== null) return;
  if ((ACCELERATOR_IDS as readonly string[]).includes(name.toLowerCase())) return;
  const missing = SPEC_KEYS.filter((key) => accelerator?.[key] === undefined);
  if (missing.length === 0) return;
  const closest = closestAccelerators(name).join(', ');
  findings.push({
    code: 'UNKNOWN_REFERENCE',
    path: ['fleets', i, 'hardware', 'accelerator', 'name'],
    message: `unknown accelerator "${name}"; closest: ${closest} (or give ${missing.join(', ')} for it)`,
  });
}

/** The first step-time key under `hardware.accelerator` (efficiency, its uncertainty, its calibration), if any. */
function stepTimeKey(fleet: Raw): string | undefined {
  const accelerator = asObject(asObject(fleet.hardware)?.accelerator);
  return ['efficiency', 'efficiency_uncertainty', 'calibration'].find(
    (key) => asObject(accelerator?.[key]) !== undefined,
  );
}

function checkFleets(root: Raw, findings: Finding[], catalog: Catalog | undefined): void {
  const names = fleetNames(root);
  const firstIndex = new Map<string, number>();
  const priced: PricedFleet[] = [];
  asArray(root.fleets).forEach((value, i) => {
    const fleet = asObject(value);
    if (typeof fleet?.name === 'string') {
      const first = firstIndex.get(fleet.name);
      if (first === undefined) firstIndex.set(fleet.name, i);
      else {
        findings.push({
          code: 'INVALID_VALUE',
          path: ['fleets', i, 'name'],
          message: `duplicate fleet name "${fleet.name}" (also ${formatPath(['fleets', first])})`,
        });
      }
    }
    if (typeof fleet?.instance === 'string' && fleet.instance !== '') {
      const region = typeof fleet.region === 'string' ? fleet.region : undefined;
      // A market the schema rejects is reported there; resolve on-demand meanwhile to check the rest.
      const market = MARKETS.find((known) => known === fleet.market);
      const resolved = resolveInstance(fleet.instance, {
        ...(region !== undefined && { region }),
        ...(market !== undefined && { market }),
        ...(catalog !== undefined && { catalog }),
      });
      if (!resolved.ok) {
        findings.push({
          code: 'UNKNOWN_REFERENCE',
          path: ['fleets', i, catalogKeyAtFault(resolved.message, fleet)],
          message: resolved.message,
          ...(resolved.unavailable && { infeasible: true }),
        });
      } else if (isCloudInstance(fleet.instance) && asObject(fleet.energy)?.price_per_kwh !== undefined) {
        findings.push({
          code: 'INVALID_VALUE',
          path: ['fleets', i, 'energy', 'price_per_kwh'],
          message: `instance "${fleet.instance}" is rented from a cloud provider, whose price includes its energy: price_per_kwh applies to owned or on-prem fleets`,
        });
      } else if (resolved.accelerators === null && stepTimeKey(fleet) !== undefined) {
        findings.push({
          code: 'INVALID_VALUE',
          path: ['fleets', i, 'hardware', 'accelerator', stepTimeKey(fleet) as string],
          message: `instance "${fleet.instance}" has no accelerator whose step-time parameters these could be`,
        });
      }
      // A spot price trace replaces the catalog's price, whose date then does not matter.
      if (resolved.ok && fleet.spot_price === undefined)
        priced.push({
          fleet: typeof fleet.name === 'string' ? fleet.name : `#${i + 1}`,
          instance: fleet.instance,
          market: resolved.market,
          region: resolved.region,
          date: resolved.priceSource.asOf,
        });
    }
    checkAccelerator(asObject(asObject(fleet?.hardware)?.accelerator), i, findings);
    if (fleet) checkElastic(fleet, i, names, findings);
  });
  findings.push(...checkPriceDates(root.as_of, priced));
}

/** Autoscaling needs bounds and bounds need autoscaling; reclaims need a notice; a fallback must exist. */
function checkElastic(fleet: Raw, i: number, names: string[], findings: Finding[]): void {
  const bounded = asObject(fleet.replicas) !== undefined;
  if (fleet.autoscaling !== undefined && typeof fleet.replicas === 'number') {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'autoscaling'],
      message: 'an autoscaled fleet needs replicas: { min, max }',
    });
  }
  if (bounded && fleet.autoscaling === undefined) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'replicas'],
      message: 'replicas: { min, max } needs an autoscaling policy (or give a number for a fixed fleet)',
    });
  }
  if (fleet.spot_price !== undefined && fleet.market !== 'spot') {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'spot_price'],
      message: 'spot_price applies with market: spot',
    });
  }
  if (fleet.model_load !== undefined && asObject(fleet.batching)?.policy !== 'continuous') {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'model_load'],
      message:
        "model_load times loading the scenario model's weights: it needs batching: { policy: continuous }",
    });
  }
  const spotPrice = asObject(fleet.spot_price);
  if (spotPrice?.max_price !== undefined && fleet.unavailable !== undefined) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'spot_price', 'max_price'],
      message:
        'max_price makes the fleet unavailable while the price is above it: give it without `unavailable`',
    });
  }
  const interruption = asObject(fleet.interruption);
  const provider = typeof fleet.instance === 'string' ? fleet.instance.split('/')[0] : '';
  if (interruption && interruption.notice === undefined && defaultNoticeS(provider) === null) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', i, 'interruption'],
      message: 'give notice: the time between a reclaim notice and the reclaim (AWS 2m, GCP and Azure 30s)',
    });
  }
  if (typeof fleet.fallback === 'string') {
    const message =
      fleet.fallback === fleet.name
        ? 'a fleet cannot fall back to itself'
        : names.includes(fleet.fallback)
          ? null
          : `unknown fleet "${fleet.fallback}"${suggest(fleet.fallback, names)}`;
    if (message !== null) {
      findings.push({ code: 'UNKNOWN_REFERENCE', path: ['fleets', i, 'fallback'], message });
    }
  }
}

/** The fleets a cross-fleet routing block names must exist; its policy checks what else spans its keys. */
function checkRouting(root: Raw, findings: Finding[]): void {
  const routing = asObject(root.routing);
  const policy = routing?.policy;
  const definition = typeof policy === 'string' ? fleetRoutingPolicies.find(policy) : undefined;
  if (routing === undefined || definition === undefined) return;
  const names = fleetNames(root);
  for (const { path, key, name } of definition.fleetReferences(routing)) {
    if (!names.includes(name)) {
      findings.push({
        code: 'UNKNOWN_REFERENCE',
        path: ['routing', ...path],
        ...(key !== undefined && { key }),
        message: `unknown fleet "${name}"${suggest(name, names)}`,
      });
    }
  }
  for (const { path, message } of definition.problems?.(routing) ?? []) {
    findings.push({ code: 'INVALID_VALUE', path: ['routing', ...path], message });
  }
}

/**
 * Disaggregated serving needs both halves, and the KV bytes per token of a model to time the
 * transfer between them; new requests reach a decode fleet only through a prefill fleet.
 */
function checkDisaggregation(root: Raw, findings: Finding[]): void {
  const fleets = asArray(root.fleets).map(asObject);
  const roles = fleets.map((fleet) => (typeof fleet?.role === 'string' ? fleet.role : 'both'));
  const decodeNames = new Set(
    fleets.flatMap((fleet, i) =>
      roles[i] === 'decode' && typeof fleet?.name === 'string' ? [fleet.name] : [],
    ),
  );
  for (const [role, other] of [
    ['prefill', 'decode'],
    ['decode', 'prefill'],
  ] as const) {
    const at = roles.indexOf(role);
    if (at >= 0 && !roles.includes(other)) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', at, 'role'],
        message: `a ${role} fleet needs a fleet with role: ${other} ${role === 'prefill' ? 'to hand its requests to' : 'to take requests from'}`,
      });
    }
  }
  const disaggregated = roles.some((role) => role === 'prefill' || role === 'decode');
  if (disaggregated && root.model === undefined && root.models === undefined) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['fleets', roles.findIndex((role) => role !== 'both'), 'role'],
      message: 'disaggregated fleets need model: (its KV bytes per token time the transfer between them)',
    });
  }
  fleets.forEach((fleet, i) => {
    const replicas = asObject(fleet?.replicas);
    if (roles[i] === 'decode' && replicas?.min === 0) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', i, 'replicas', 'min'],
        message:
          'a decode fleet needs min >= 1: prefill replicas hand requests only to ready decode replicas, so its autoscaler would never see the load that should wake it',
      });
    }
    if (typeof fleet?.fallback !== 'string') return;
    if (roles[i] === 'decode' || decodeNames.has(fleet.fallback)) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', i, 'fallback'],
        message:
          'a decode fleet neither has a fallback nor is one: it takes requests only from prefill fleets',
      });
    }
  });
  const routing = asObject(root.routing);
  const definition =
    typeof routing?.policy === 'string' ? fleetRoutingPolicies.find(routing.policy) : undefined;
  if (routing === undefined || definition === undefined) return;
  for (const { path, key, name } of definition.fleetReferences(routing)) {
    if (decodeNames.has(name)) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['routing', ...path],
        ...(key !== undefined && { key }),
        message: `"${name}" is a decode fleet: new requests go to prefill fleets, which hand them to decode fleets`,
      });
    }
  }
}

function checkTimes(root: Raw, findings: Finding[]): void {
  // Every arrival process must end: a trace ends with its file, any other at `duration`.
  // No bodies where `workload` is not a mapping: the schema reports that.
  const bodies = workloadBodies(root);
  const classes = bodies.slice(1);
  const processes = bodies
    .map(({ body }) => asObject(body.arrivals))
    .filter((arrivals) => arrivals !== undefined);
  const endless = processes.some((arrivals) => arrivals.trace === undefined);
  if (endless && (root.duration === undefined || root.duration === null)) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['duration'],
      message:
        classes.length > 0
          ? 'required unless every class replays a trace'
          : 'required unless arrivals is a trace',
    });
  }
  const duration = parseDuration(root.duration);
  const warmup = parseDuration(root.warmup);
  if (duration.ok && warmup.ok && duration.value > 0 && warmup.value >= duration.value) {
    findings.push({
      code: 'INVALID_VALUE',
      path: ['warmup'],
      message: `expected less than duration (${formatDuration(duration.value)}); got ${formatDuration(warmup.value)}`,
    });
  }
}

function checkVariants(root: Raw, findings: Finding[]): void {
  const seen = new Set<string>(['baseline']);
  asArray(root.variants).forEach((variant, i) => {
    const name = asObject(variant)?.name;
    if (typeof name !== 'string') return;
    if (seen.has(name)) {
      const why = name === 'baseline' ? 'is the scenario as written' : 'is taken by another variant';
      findings.push({ code: 'INVALID_VALUE', path: ['variants', i, 'name'], message: `"${name}" ${why}` });
    }
    seen.add(name);
  });
}

/** The model's and each distilled student's name (see `displayNameProblem`); the schema checks the other names. */
function checkModelNames(root: Raw, findings: Finding[]): void {
  const models: { at: PathSegment[]; model: Raw | undefined }[] = [
    { at: ['model'], model: asObject(root.model) },
  ];
  for (const [name, model] of Object.entries(asObject(root.models) ?? {}))
    models.push({ at: ['models', name], model: asObject(model) });
  const shapes: { path: PathSegment[]; shape: unknown }[] = [];
  for (const { at, model } of models) {
    shapes.push({ path: [...at, 'llm'], shape: model?.llm });
    asArray(model?.optimizations).forEach((optimization, i) => {
      const into = asObject(asObject(optimization)?.distill)?.into;
      shapes.push({ path: [...at, 'optimizations', i, 'distill', 'into'], shape: into });
    });
  }
  for (const { path, shape } of shapes) {
    const name = asObject(shape)?.name;
    const problem = typeof name === 'string' ? displayNameProblem('a model name', name) : null;
    if (problem !== null) findings.push({ code: 'INVALID_VALUE', path: [...path, 'name'], message: problem });
  }
}

/**
 * Expressions must already be loadable: call `loadMath()` first when `findExpressions` found any.
 * Instances are looked up in `catalog` (default: the shipped one).
 */
export function checkScenario(raw: unknown, baseDir: string, catalog?: Catalog): Finding[] {
  const root = asObject(raw);
  if (!root) return [];
  const findings: Finding[] = [];
  checkFleets(root, findings, catalog);
  findings.push(...checkClassBounds(root));
  checkRouting(root, findings);
  checkDisaggregation(root, findings);
  checkTimes(root, findings);
  checkVariants(root, findings);
  checkModelNames(root, findings);
  if (root.model !== undefined && root.models !== undefined) {
    findings.push({ code: 'INVALID_VALUE', path: ['models'], message: 'give model or models, not both' });
  }
  for (const file of filePaths(root)) {
    const absolute = resolve(baseDir, file.value);
    const problem = fileProblem(absolute);
    if (problem !== null)
      findings.push({ code: 'MISSING_FILE', path: file.path, message: `${problem}: ${absolute}` });
  }
  for (const expression of findExpressions(raw)) {
    const compiled = compileExpression(expression.source, expression.variables);
    if (!compiled.ok)
      findings.push({ code: 'BAD_EXPRESSION', path: expression.path, message: compiled.message });
  }
  return findings;
}

/**
 * Checks of the resolved scenario. Whether each continuous-batching fleet can serve the model: an accelerator with the specs the
 * physics needs, weights that leave room for a KV cache, a readable profile. Whether the run can
 * end: a static batcher without `max_wait` needs a timeout or a drain limit. These need the
 * resolved scenario (the optimized model, the catalog's hardware, defaults), so they run after the others pass.
 * And whether the run could finish within `limits.max_events` (at this load a sweep point or
 * plan candidate cannot run, as one whose model does not fit).
 */
export function checkResolved(scenario: Scenario): Finding[] {
  const findings: Finding[] = checkModels(scenario);
  const names = modelNames(scenario);
  scenario.fleets.forEach((fleet, i) => {
    const { batching } = fleet;
    if (
      batching.policy === 'static' &&
      batching.maxWait === null &&
      fleet.queue.timeout === null &&
      scenario.maxDrain === Number.POSITIVE_INFINITY
    ) {
      // Nothing would end the run: the requests of the last partial batch wait for ever.
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', i, 'batching'],
        message:
          'a static batch that is not full when arrivals stop would wait forever: give max_wait, queue.timeout or a max_drain',
      });
    }
    // A fleet naming no model there is, or none of several, has its finding already.
    const unnamed = fleet.model === undefined ? names.length > 1 : !names.includes(fleet.model);
    if (batching.policy !== 'continuous' || unnamed) return;
    const resolved = resolveLlmFleet(fleet, fleetModel(scenario, fleet));
    if (!resolved.ok) {
      findings.push({
        code: 'INVALID_VALUE',
        path: ['fleets', i, ...resolved.at.split('.')],
        message: resolved.message,
        ...(resolved.infeasible && { infeasible: true }),
      });
    }
  });
  for (const issue of checkPlaces(scenario)) {
    findings.push({ code: 'UNKNOWN_REFERENCE', path: issue.path, message: issue.message });
  }
  const size = checkRunSize(scenario);
  if (size?.refused) {
    findings.push({ code: 'INVALID_VALUE', path: size.path, message: size.message, infeasible: true });
  }
  return findings;
}
