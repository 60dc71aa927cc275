import { defaultNoticeS, type InterruptionConfig } from '../fleet/interruption.js';
import { ACCELERATOR_IDS, type Catalog, resolveInstance, stalePrice } from '../hardware/index.js';
import { resolveRouting } from '../policies/routing/index.js';
import { applyOptimizations, buildLlmModel, presetModel } from '../serving/llm/index.js';
import { DEFAULT_KV_LINK, type FleetSpec, type ModelSpec, type ScenarioSpec } from './schema.js';
import {
  type Arrivals,
  type BillingConfig,
  type Distribution,
  type EnergySettings,
  type Fleet,
  type FleetHardware,
  InvariantError,
  type ModelConfig,
  type Scenario,
  type ServiceTime,
  type Workload,
} from './types.js';

/** AWS EC2 and GCP Compute bill per second with a 60 s minimum for most Linux instances (DOMAIN.md). */
const DEFAULT_BILLING: BillingConfig = { increment: 1, minimum: 60 };

export interface FinishContext {
  /** Scenario name when the YAML has none: the file name without its extension. */
  defaultName: string;
  /** The path to read for a data path as written (relative to the scenario's folder). */
  dataPath: DataPath;
  /** Where instances are priced (default: the shipped catalog). */
  catalog?: Catalog;
}

type DataPath = (value: string) => string;

function withAbsolutePath<T extends Distribution | ServiceTime>(distribution: T, dataPath: DataPath): T {
  return distribution.kind === 'empirical'
    ? { ...distribution, path: dataPath(distribution.path) }
    : distribution;
}

function finishWorkload(workload: Workload, dataPath: DataPath): Workload {
  return {
    arrivals: finishArrivals(workload.arrivals, dataPath),
    attributes: finishAttributes(workload.attributes, dataPath),
    ...(workload.sharedPrefix != null && { sharedPrefix: workload.sharedPrefix }),
  };
}

function finishAttributes(attributes: Workload['attributes'], dataPath: DataPath): Workload['attributes'] {
  const finished: Workload['attributes'] = {};
  for (const [attribute, distribution] of Object.entries(attributes)) {
    finished[attribute as keyof Workload['attributes']] = withAbsolutePath(distribution, dataPath);
  }
  return finished;
}

function finishArrivals(arrivals: Arrivals, dataPath: DataPath): Arrivals {
  switch (arrivals.kind) {
    case 'trace':
      return { kind: 'trace', trace: { ...arrivals.trace, path: dataPath(arrivals.trace.path) } };
    case 'sessions': {
      const { sessions } = arrivals;
      return {
        kind: 'sessions',
        sessions: {
          ...sessions,
          turns: withAbsolutePath(sessions.turns, dataPath),
          firstMessageTokens: withAbsolutePath(sessions.firstMessageTokens, dataPath),
          messageTokens: withAbsolutePath(sessions.messageTokens, dataPath),
          outputTokens: withAbsolutePath(sessions.outputTokens, dataPath),
          thinkTime: withAbsolutePath(sessions.thinkTime, dataPath),
        },
      };
    }
    case 'classes':
      return {
        kind: 'classes',
        classes: arrivals.classes.map((c) => ({
          ...c,
          arrivals: c.arrivals === null ? null : finishArrivals(c.arrivals, dataPath),
          attributes: finishAttributes(c.attributes, dataPath),
        })),
        trace: arrivals.trace === null ? null : { ...arrivals.trace, path: dataPath(arrivals.trace.path) },
      };
    default:
      return arrivals;
  }
}

/** Inline `hardware:` in the resolved form; an accelerator name that is a catalog id (any case) becomes the id. */
function inlineHardware(hardware: NonNullable<FleetSpec['hardware']>): FleetHardware {
  const accelerator = hardware.accelerator;
  // The schema requires a name on inline hardware (a fleet without instance).
  const name = accelerator?.name ?? '';
  const id = accelerator && ACCELERATOR_IDS.find((known) => known === name.toLowerCase());
  return {
    ...(hardware.vcpus !== undefined && { vcpus: hardware.vcpus }),
    ...(hardware.memory_gib !== undefined && { memoryGiB: hardware.memory_gib }),
    accelerators: accelerator
      ? {
          model: id ?? name,
          count: accelerator.count ?? 1,
          ...(accelerator.memory_gib !== undefined && { memoryGiB: accelerator.memory_gib }),
          ...(accelerator.bandwidth_gbps !== undefined && { bandwidthGBps: accelerator.bandwidth_gbps }),
          ...(accelerator.tflops !== undefined && { tflops: definedValues(accelerator.tflops) }),
          ...stepTimeKeys(accelerator),
        }
      : null,
  };
}

type AcceleratorSpec = NonNullable<NonNullable<FleetSpec['hardware']>['accelerator']>;

/** The step-time parameters of an accelerator, with their uncertainty and provenance, as given. */
function stepTimeKeys(
  accelerator: Pick<AcceleratorSpec, 'efficiency' | 'efficiency_uncertainty' | 'calibration'>,
): Pick<NonNullable<FleetHardware['accelerators']>, 'efficiency' | 'efficiencyUncertainty' | 'calibration'> {
  return {
    ...(accelerator.efficiency !== undefined && { efficiency: accelerator.efficiency }),
    ...(accelerator.efficiency_uncertainty !== undefined && {
      efficiencyUncertainty: accelerator.efficiency_uncertainty,
    }),
    ...(accelerator.calibration !== undefined && { calibration: accelerator.calibration }),
  };
}

function definedValues<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Launch-to-ready defaults (DOMAIN.md, cold starts): an unoptimized GPU model server takes about
 * 3-10 minutes (node, image pull, weights), so a lognormal around 3 minutes; a CPU VM about the
 * 60 s initialization period GCP's managed instance groups assume.
 */
const ACCELERATOR_STARTUP: Distribution = { kind: 'lognormal', mu: Math.log(180), sigma: 0.3 };
const CPU_STARTUP: Distribution = { kind: 'constant', value: 60 };

function finishInterruption(fleet: FleetSpec, dataPath: DataPath): InterruptionConfig {
  const spec = fleet.interruption as NonNullable<FleetSpec['interruption']>;
  const provider = fleet.instance?.split('/')[0] ?? '';
  const notice = spec.notice ?? defaultNoticeS(provider);
  // checks.ts requires `notice` where the provider has no default.
  if (notice === null) throw new InvariantError(`fleet ${fleet.name}: interruption without a notice`);
  if (spec.trace !== undefined) return { trace: dataPath(spec.trace), notice };
  if (spec.bucket !== undefined) return { bucket: spec.bucket, notice };
  if (spec.waves !== undefined) return { waves: spec.waves, notice };
  return { per_hour: spec.per_hour as number, notice };
}

function finishFleet(
  fleet: FleetSpec,
  dataPath: DataPath,
  catalog: Catalog | undefined,
  asOf: string | undefined,
  energy: EnergySettings,
): Fleet {
  let priceUsdPerHour = fleet.price_per_hour;
  let owned: Fleet['owned'];
  let billing = DEFAULT_BILLING;
  let fromCatalog: Pick<Fleet, 'region' | 'market' | 'hardware' | 'stalePrice'> = {};
  if (fleet.instance !== undefined) {
    const resolved = resolveInstance(fleet.instance, {
      ...(fleet.region !== undefined && { region: fleet.region }),
      ...(fleet.market !== undefined && { market: fleet.market }),
      ...(catalog !== undefined && { catalog }),
    });
    // checks.ts reported an unknown instance, region or market already, so a scenario that got here resolves.
    if (!resolved.ok)
      throw new InvariantError(`instance ${fleet.instance} passed validation: ${resolved.message}`);
    priceUsdPerHour = resolved.priceUsdPerHour;
    // The electricity inside an owned device's catalog price assumes it draws its full power all
    // the time; the energy estimate bills what it draws instead, as its own cost line.
    if (resolved.owned) {
      priceUsdPerHour = resolved.owned.amortizedUsdPerHour;
      owned = { powerWatts: resolved.owned.powerWatts, usdPerKwh: resolved.owned.usdPerKwh };
    }
    billing = resolved.billing;
    // With an instance, `hardware:` holds at most the step-time parameters of its accelerator.
    const stepTime = stepTimeKeys(fleet.hardware?.accelerator ?? {});
    // A spot price trace replaces the catalog's spot price, so the catalog's age does not matter then.
    const stale =
      asOf === undefined || fleet.spot_price !== undefined ? null : stalePrice(resolved.priceSource, asOf);
    fromCatalog = {
      ...(stale !== null && { stalePrice: stale }),
      region: resolved.region,
      market: resolved.market,
      hardware: {
        ...(resolved.vcpus !== undefined && { vcpus: resolved.vcpus }),
        ...(resolved.memoryGib !== undefined && { memoryGiB: resolved.memoryGib }),
        accelerators: resolved.accelerators && {
          model: resolved.accelerators.model,
          count: resolved.accelerators.count,
          ...stepTime,
        },
      },
    };
  }
  if (priceUsdPerHour === undefined)
    throw new InvariantError(`fleet ${fleet.name} has no price after validation`);
  const inlineSpec = fleet.instance === undefined ? fleet.hardware : undefined;
  const hardware = inlineSpec !== undefined ? inlineHardware(inlineSpec) : fromCatalog.hardware;
  return {
    name: fleet.name,
    ...(fleet.role !== undefined && fleet.role !== 'both' && { role: fleet.role }),
    replicas: fleet.replicas.initial,
    minReplicas: fleet.replicas.min,
    maxReplicas: fleet.replicas.max,
    startup:
      fleet.startup === undefined
        ? hardware?.accelerators
          ? ACCELERATOR_STARTUP
          : CPU_STARTUP
        : withAbsolutePath(fleet.startup, dataPath),
    autoscaling: fleet.autoscaling ?? null,
    interruption: fleet.interruption === undefined ? null : finishInterruption(fleet, dataPath),
    zones: fleet.zones ?? [],
    onInterrupt: fleet.on_interrupt,
    fallback: fleet.fallback ?? null,
    site: fleet.site ?? null,
    unavailable:
      fleet.unavailable === undefined
        ? null
        : fleet.unavailable.kind === 'trace'
          ? { kind: 'trace', path: dataPath(fleet.unavailable.path) }
          : fleet.unavailable,
    spotPriceTrace: fleet.spot_price === undefined ? null : dataPath(fleet.spot_price.trace),
    spotMaxPrice: fleet.spot_price?.max_price ?? null,
    modelLoadBytesPerS: fleet.model_load?.bandwidth ?? null,
    spotNoticeS: fleet.interruption?.notice ?? defaultNoticeS(fleet.instance?.split('/')[0] ?? '') ?? 0,
    concurrency: fleet.concurrency,
    priceUsdPerHour,
    instance: fleet.instance ?? null,
    ...fromCatalog,
    ...(inlineSpec !== undefined && { hardware }),
    serviceTime: fleet.service_time === undefined ? null : withAbsolutePath(fleet.service_time, dataPath),
    batching: fleet.batching,
    batchLatency: fleet.batch_latency ?? null,
    stepTime:
      fleet.batching.policy !== 'continuous'
        ? null
        : fleet.step_time === undefined
          ? { kind: 'roofline' }
          : fleet.step_time.kind === 'profile'
            ? { ...fleet.step_time, path: dataPath(fleet.step_time.path) }
            : fleet.step_time,
    ...(fleet.model !== undefined && { model: fleet.model }),
    ...(fleet.adapters !== undefined && {
      adapters: {
        maxResident: fleet.adapters.max_resident,
        maxRank: fleet.adapters.max_rank,
        loadTimeS: fleet.adapters.load_time,
      },
    }),
    queue: fleet.queue,
    billing: {
      increment: fleet.billing?.increment ?? billing.increment,
      minimum: fleet.billing?.minimum ?? billing.minimum,
    },
    energy: { ...energy, ...fleet.energy },
    ...(owned && { owned }),
  };
}

function finishModel(model: ModelSpec): ModelConfig {
  const base =
    'preset' in model.llm ? presetModel(model.llm.preset, model.llm.precision) : buildLlmModel(model.llm);
  const optimized = applyOptimizations(base, model.optimizations);
  return {
    llm: optimized.model,
    qualityDelta: model.quality_delta ?? optimized.qualityDelta ?? null,
    servingStack: model.serving_stack,
  };
}

/**
 * `model:`, or `models:` with the only one of them as `model` (so that what reads one model reads
 * it), and null there when there are several.
 */
function modelsOf(spec: ScenarioSpec): Pick<Scenario, 'model' | 'models'> {
  if (spec.models === undefined) return { model: spec.model === undefined ? null : finishModel(spec.model) };
  const models = Object.fromEntries(
    Object.entries(spec.models).map(([name, model]) => [name, finishModel(model)]),
  );
  const names = Object.keys(models);
  return { model: names.length === 1 ? models[names[0]] : null, models };
}

/**
 * The schema output -> `Scenario`: the defaults that need more than the YAML (file name, instance
 * catalog, fleet order) and absolute paths. Only called on a scenario without diagnostics.
 */
export function finishScenario(spec: ScenarioSpec, context: FinishContext): Scenario {
  const fleets = spec.fleets.map((fleet) =>
    finishFleet(fleet, context.dataPath, context.catalog, spec.as_of, spec.energy ?? {}),
  );
  const catalogFiles = context.catalog?.files ?? [];
  return {
    name: spec.name ?? context.defaultName,
    seed: spec.seed,
    duration: spec.duration ?? null,
    warmup: spec.warmup,
    maxDrain: spec.max_drain ?? Number.POSITIVE_INFINITY,
    limits: spec.limits,
    workload: finishWorkload(spec.workload, context.dataPath),
    ...modelsOf(spec),
    network: spec.network ?? null,
    dataTransfer: spec.data_transfer ?? null,
    ...(fleets.some((fleet) => fleet.role !== undefined) && {
      disaggregation: spec.disaggregation ?? { kvLink: DEFAULT_KV_LINK },
    }),
    fleets,
    routing: resolveRouting(
      spec.routing,
      fleets.map((fleet) => fleet.name),
    ),
    metrics: spec.metrics,
    ...(spec.as_of !== undefined && { asOf: spec.as_of }),
    ...(catalogFiles.length > 0 && { catalogFiles: [...catalogFiles] }),
    modelUncertainty: spec.model_uncertainty,
  };
}
