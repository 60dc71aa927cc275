import { readFileSync } from 'node:fs';
import {
  type AdaptersConfig,
  type ContinuousBatching,
  type EfficiencyOverrides,
  type Fleet,
  type ModelConfig,
  type Precision,
  UserError,
} from '../scenario/types.js';
import {
  type AcceleratorSpec,
  type AcceleratorValidation,
  buildProfileTable,
  decodeStepSeconds,
  type IterationBatch,
  iterationTime,
  type KvCacheSettings,
  kvBytesPerToken,
  kvCacheBudget,
  kvShards,
  type LlmHardware,
  type LlmModel,
  type ProfileTable,
  readSplitwiseProfile,
  SERVING_STACKS,
  type ServingStack,
  shippedAccelerators,
  weightBytes,
} from './llm/index.js';
import { type FleetPerformance, profilePerformance, rooflinePerformance } from './performance-source.js';

/** What the simulator needs of one continuous-batching fleet: capacity and iteration times. */
export interface LlmFleetModel {
  tensorParallel: number;
  /** KV-cache capacity of one replica, tokens. */
  kvCacheTokens: number;
  /** Bytes of the model's weights a replica loads (all its accelerators); null for a measured step-time profile. */
  weightBytes: number | null;
  /** The host tier under the prefix cache (`batching.kv_offload`) in blocks and bytes; null without one. */
  hostTier: HostTier | null;
  /** Seconds one iteration takes, and the share of them its prefill work caused (for cost attribution). */
  step(batch: IterationBatch, into: StepTiming): void;
  /** Where the iteration times come from, for every output that shows a figure resting on them. */
  performance: FleetPerformance;
}

/** A replica's host tier, resolved against the model's KV size. */
export interface HostTier {
  /** Whole KV-cache blocks its capacity holds. */
  blocks: number;
  /** KV bytes of one token, all the replica's accelerators together (a shard on each). */
  bytesPerToken: number;
  /** All the accelerators' host links together, each loading its own shard at the same time. */
  bytesPerS: number;
  latencyS: number;
}

export interface StepTiming {
  seconds: number;
  prefillShare: number;
}

/**
 * Interconnect assumed for an accelerator the catalog does not know: PCIe, like the catalog's
 * PCIe cards (NCCL all-reduce bus bandwidth about 20 GB/s, 30 µs latency).
 */
const UNKNOWN_INTERCONNECT = { kind: 'pcie', allReduceBusGBps: 20, allReduceLatencyUs: 30 } as const;

/**
 * Sustained fractions for an accelerator the catalog does not know: the median of the catalog's,
 * which are derived from measured profiles (pricing/accelerators.yaml), rather than a guess.
 */
function medianEfficiency(): AcceleratorSpec['efficiency'] {
  const specs = [...shippedAccelerators().values()];
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const known = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  return {
    compute: median(specs.map((s) => s.efficiency.compute)),
    memory: median(specs.map((s) => s.efficiency.memory)),
    attention: median(known(specs.map((s) => s.efficiency.attention))),
    activation: median(known(specs.map((s) => s.efficiency.activation))),
  };
}

/**
 * A failure names the fleet key the user should change. `infeasible` marks a well-formed fleet
 * whose hardware cannot serve the model (too little memory, too few accelerators): a grid across
 * instance types holds such points legitimately, and sweeps skip them.
 */
type Resolved<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      message: string;
      at: 'batching' | 'batching.kv_offload' | 'hardware' | 'instance' | 'step_time';
      infeasible?: true;
    };

/**
 * The fleet's accelerator with inline specs applied over the catalog's, and which of the catalog's
 * peaks the inline specs changed.
 */
function acceleratorOf(
  fleet: Fleet,
): Resolved<{ spec: AcceleratorSpec; count: number; overridden: string[] }> {
  const inline = fleet.hardware?.accelerators;
  const at = fleet.instance === null ? 'hardware' : 'instance';
  if (!inline) return { ok: false, message: 'no accelerator to run an LLM on', at, infeasible: true };
  const known = shippedAccelerators().get(inline.model);
  const memoryGib = inline.memoryGiB ?? known?.memoryGib;
  const bandwidth = inline.bandwidthGBps ?? known?.memoryBandwidthGBps;
  const tflops = { ...known?.denseTflops, ...inline.tflops };
  if (memoryGib === undefined || bandwidth === undefined || Object.keys(tflops).length === 0) {
    return {
      ok: false,
      message: `accelerator ${inline.model} needs memory_gib, bandwidth_gbps and tflops`,
      at,
    };
  }
  const overridden: string[] = [];
  if (known && inline.bandwidthGBps !== undefined && inline.bandwidthGBps !== known.memoryBandwidthGBps) {
    overridden.push('bandwidth_gbps');
  }
  const tflopsChanged = Object.entries(inline.tflops ?? {}).some(
    ([precision, value]) => known?.denseTflops[precision as Precision] !== value,
  );
  if (known && tflopsChanged) overridden.push('tflops');
  return {
    ok: true,
    value: {
      count: inline.count,
      overridden,
      spec: {
        id: inline.model,
        name: known?.name ?? inline.model,
        memoryGib,
        memoryBandwidthGBps: bandwidth,
        denseTflops: tflops as Partial<Record<Precision, number>>,
        sparse24: known?.sparse24 ?? false,
        interconnect: known?.interconnect ?? UNKNOWN_INTERCONNECT,
        efficiency: known?.efficiency ?? medianEfficiency(),
        validation: known?.validation ?? null,
      },
    },
  };
}

function batchingOf(fleet: Fleet): ContinuousBatching {
  if (fleet.batching.policy !== 'continuous') throw new TypeError(`fleet ${fleet.name} is not continuous`);
  return fleet.batching;
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** The scenario keys of `hardware.accelerator.efficiency`, as a fleet's `performance` names them. */
export const EFFICIENCY_KEYS: Readonly<Record<keyof EfficiencyOverrides, string>> = {
  compute: 'compute',
  memory: 'memory',
  attention: 'attention',
  activation: 'activation',
  iterationOverheadS: 'iteration_overhead',
  layerOverheadS: 'layer_overhead',
  workerOverheadS: 'worker_overhead',
};

function efficiencyOverrides(fleet: Fleet): EfficiencyOverrides {
  return fleet.hardware?.accelerators?.efficiency ?? {};
}

/** The serving stack's overheads with the scenario's overrides applied. */
function stackWith(base: ServingStack, overrides: EfficiencyOverrides): ServingStack {
  return {
    ...base,
    stepS: overrides.iterationOverheadS ?? base.stepS,
    perLayerS: overrides.layerOverheadS ?? base.perLayerS,
    perRemoteWorkerS: overrides.workerOverheadS ?? base.perRemoteWorkerS,
  };
}

/**
 * KV-cache capacity of one replica the way vLLM sizes it (kv-cache.ts), or why there is none: the
 * message names what took the memory.
 */
function kvCacheTokensOf(
  llm: LlmModel,
  hardware: LlmHardware,
  batching: ContinuousBatching,
  adapters: AdaptersConfig | null,
): { ok: true; tokens: number } | { ok: false; message: string } {
  const settings: KvCacheSettings = {
    gpuMemoryUtilization: batching.gpuMemoryUtilization,
    maxNumBatchedTokens: batching.maxNumBatchedTokens,
    maxNumSeqs: batching.maxNumSeqs,
    blockSize: batching.blockSize,
    engine: batching.vllmEngine,
    samplerKernel: batching.samplerKernel,
    ...(adapters !== null && { lora: { maxLoras: adapters.maxResident, maxLoraRank: adapters.maxRank } }),
  };
  const budget = kvCacheBudget(llm, hardware, settings);
  if (budget.tokens > 0) return { ok: true, tokens: budget.tokens };
  const { count, accelerator } = hardware;
  // V1 counts only what loads after its start, not the CUDA context, and its sampler scales with max_num_seqs.
  const pass =
    batching.vllmEngine === 'v1'
      ? `vLLM V1's profiling pass (max_num_batched_tokens ${batching.maxNumBatchedTokens}, ` +
        `max_num_seqs ${batching.maxNumSeqs}) and memory outside PyTorch`
      : `vLLM's profiling pass (max_num_batched_tokens ${batching.maxNumBatchedTokens}) and CUDA contexts`;
  const slots =
    adapters === null
      ? ''
      : `, ${gib(count * budget.loraBytes)} for its ${adapters.maxResident} LoRA adapter slots ` +
        `(max_resident ${adapters.maxResident}, max_rank ${adapters.maxRank})`;
  // Name the slots as the cause when the model alone would have left room.
  const cause =
    adapters !== null && budget.kvBytes + budget.loraBytes > 0
      ? '; the adapter slots are what leave none: lower max_resident or max_rank'
      : '';
  return {
    ok: false,
    message:
      `${llm.name} needs ${gib(weightBytes(llm))} for its weights${slots} and ` +
      `${gib(count * (budget.activationBytes + budget.nonTorchBytes))} for the activations of ${pass}; ${count} x ${accelerator.name} ` +
      `leave ${gib(count * budget.usableBytes)} at gpu_memory_utilization ${batching.gpuMemoryUtilization}: ` +
      `no room for a KV cache${cause}`,
  };
}

function roofline(fleet: Fleet, model: ModelConfig): Resolved<LlmFleetModel> {
  const batching = batchingOf(fleet);
  const accelerator = acceleratorOf(fleet);
  if (!accelerator.ok) return accelerator;
  const { spec, count, overridden } = accelerator.value;
  const tensorParallel = batching.tensorParallel ?? count;
  if (tensorParallel > count) {
    return {
      ok: false,
      message: `tensor_parallel ${tensorParallel} exceeds the ${count} accelerators of one replica`,
      at: 'batching',
      infeasible: true,
    };
  }
  if (tensorParallel > 1 && spec.interconnect.kind === 'none') {
    return {
      ok: false,
      message: `${spec.name} has no interconnect for tensor parallelism over ${tensorParallel} devices`,
      at: 'batching',
      infeasible: true,
    };
  }
  const overrides = efficiencyOverrides(fleet);
  // A replication's draw replaces every parameter; what the fleet's performance names stays the
  // scenario's own values.
  const values = fleet.hardware?.accelerators?.sampled ?? overrides;
  const hardware: LlmHardware = {
    accelerator: spec,
    count: tensorParallel,
    efficiency: {
      ...(values.compute !== undefined && { compute: values.compute }),
      ...(values.memory !== undefined && { memory: values.memory }),
      ...(values.attention !== undefined && { attention: values.attention }),
      ...(values.activation !== undefined && { activation: values.activation }),
    },
  };
  const llm = model.llm;
  let kvCacheTokens = batching.kvCacheTokens;
  if (kvCacheTokens === null) {
    const capacity = kvCacheTokensOf(llm, hardware, batching, fleet.adapters ?? null);
    if (!capacity.ok) {
      return {
        ok: false,
        message: capacity.message,
        at: fleet.instance === null ? 'hardware' : 'instance',
        infeasible: true,
      };
    }
    kvCacheTokens = capacity.tokens;
  }
  const stack = stackWith(SERVING_STACKS[model.servingStack], values);
  const overriddenEfficiency = (Object.keys(overrides) as (keyof EfficiencyOverrides)[]).map(
    (key) => EFFICIENCY_KEYS[key],
  );
  const prefillOnly: IterationBatch = { prefill: [], decodeSequences: 0, decodeContextTokens: 0 };
  const decodeSeconds = decodeStepSeconds(llm, hardware, stack);
  return {
    ok: true,
    value: {
      tensorParallel,
      kvCacheTokens,
      weightBytes: weightBytes(model.llm),
      hostTier: null,
      performance: rooflinePerformance(
        fleet.name,
        spec.id,
        shippedAccelerators(),
        overridden,
        overriddenEfficiency,
        fleet.hardware?.accelerators?.calibration,
      ),
      step(batch, into) {
        if (batch.prefill.length === 0) {
          into.seconds = decodeSeconds(batch.decodeSequences, batch.decodeContextTokens);
          into.prefillShare = 0;
          return;
        }
        into.seconds = iterationTime(llm, hardware, batch, stack).totalS;
        if (batch.decodeSequences === 0) into.prefillShare = 1;
        else {
          // A mixed iteration's time is split by what each part would have cost alone.
          prefillOnly.prefill = batch.prefill;
          const prefillS = iterationTime(llm, hardware, prefillOnly, stack).totalS;
          const decodeS = decodeSeconds(batch.decodeSequences, batch.decodeContextTokens);
          into.prefillShare = prefillS / (prefillS + decodeS);
        }
      },
    },
  };
}

function readProfile(path: string, model: string, hardware: string): Resolved<ProfileTable> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { ok: false, message: `cannot read ${path}`, at: 'step_time' };
  }
  try {
    return { ok: true, value: buildProfileTable(readSplitwiseProfile(text, model, hardware, path)) };
  } catch (error) {
    // A bad row is reported where it is, in the profile's own file.
    if (error instanceof UserError) throw error;
    return { ok: false, message: `${path}: ${(error as Error).message}`, at: 'step_time' };
  }
}

/**
 * A measured profile has no mixed iterations: a prefill of the iteration's prompt chunks (as one
 * batch of their mean length) and a decode step of its decoding sequences add up. That is an upper
 * bound, since a real mixed iteration reads the weights once.
 */
function profiled(
  fleet: Fleet,
  path: string,
  modelName: string,
  hardwareName: string,
  model: ModelConfig | null,
): Resolved<LlmFleetModel> {
  const batching = batchingOf(fleet);
  const inline = fleet.hardware?.accelerators;
  const rooflineKey =
    Object.keys(efficiencyOverrides(fleet)).length > 0
      ? 'efficiency'
      : inline?.efficiencyUncertainty !== undefined
        ? 'efficiency_uncertainty'
        : inline?.calibration !== undefined
          ? 'calibration'
          : null;
  if (rooflineKey !== null) {
    return {
      ok: false,
      message: `accelerator.${rooflineKey} applies to roofline step times; this fleet takes them from a profile`,
      at: 'hardware',
    };
  }
  const table = readProfile(path, modelName, hardwareName);
  if (!table.ok) return table;
  const tps = [...new Set(table.value.rows.map((r) => r.tensorParallel))].sort((a, b) => a - b);
  const count = fleet.hardware?.accelerators?.count;
  const tensorParallel = batching.tensorParallel ?? count ?? tps[0];
  if (!tps.includes(tensorParallel)) {
    return {
      ok: false,
      message: `profile has no rows for tensor parallelism ${tensorParallel}; it has ${tps.join(', ')} (set batching.tensor_parallel)`,
      at: 'batching',
      infeasible: true,
    };
  }
  let kvCacheTokens = batching.kvCacheTokens;
  if (kvCacheTokens === null) {
    const accelerator = acceleratorOf(fleet);
    if (!accelerator.ok || model === null) {
      return {
        ok: false,
        message:
          'a profiled fleet needs batching.kv_cache_tokens, or a scenario model and accelerator to compute it',
        at: 'batching',
      };
    }
    const capacity = kvCacheTokensOf(
      model.llm,
      { accelerator: accelerator.value.spec, count: tensorParallel },
      batching,
      fleet.adapters ?? null,
    );
    if (!capacity.ok) return { ok: false, message: capacity.message, at: 'batching', infeasible: true };
    kvCacheTokens = capacity.tokens;
  }
  const profile = table.value;
  return {
    ok: true,
    value: {
      tensorParallel,
      kvCacheTokens,
      weightBytes: null,
      hostTier: null,
      performance: profilePerformance(path, modelName, hardwareName),
      step(batch, into) {
        let prefillS = 0;
        if (batch.prefill.length > 0) {
          let tokens = 0;
          for (const chunk of batch.prefill) tokens += chunk.tokens;
          prefillS = profile.prefillS(tensorParallel, batch.prefill.length, tokens / batch.prefill.length);
        }
        const decodeS =
          batch.decodeSequences > 0
            ? profile.decodeStepS(
                tensorParallel,
                batch.decodeSequences,
                batch.decodeContextTokens / batch.decodeSequences,
              )
            : 0;
        into.seconds = prefillS + decodeS;
        into.prefillShare = prefillS / (prefillS + decodeS);
      },
    },
  };
}

/** Every free parameter of the roofline, resolved: fractions of the peaks and overheads in seconds. */
export type RooflineParameters = Required<EfficiencyOverrides>;

export interface RooflineSettings {
  /** What the catalog (fractions) and the serving stack (overheads) give, without the scenario's values. */
  defaults: RooflineParameters;
  /** What the fleet's iterations run with: the defaults with the scenario's values applied. */
  effective: RooflineParameters;
  /** The keys the scenario sets (`hardware.accelerator.efficiency`). */
  overridden: (keyof EfficiencyOverrides)[];
  tensorParallel: number;
  accelerator: string;
  /** The catalog's validation of the part; null for one it does not know. */
  validation: AcceleratorValidation | null;
  /** Where the step times come from, as the fleet's `performance` says. */
  performance: FleetPerformance;
}

/**
 * The roofline's free parameters for a continuous-batching fleet with roofline step times, as its
 * iterations use them; null for a fleet that takes its step times elsewhere (a profile) or cannot
 * serve the model.
 */
export function rooflineSettings(fleet: Fleet, model: ModelConfig | null): RooflineSettings | null {
  if (model === null || fleet.batching.policy !== 'continuous' || fleet.stepTime?.kind === 'profile')
    return null;
  const accelerator = acceleratorOf(fleet);
  if (!accelerator.ok) return null;
  const { spec, count, overridden: peaks } = accelerator.value;
  const stack = SERVING_STACKS[model.servingStack];
  const defaults: RooflineParameters = {
    compute: spec.efficiency.compute,
    memory: spec.efficiency.memory,
    // As roofline.ts falls back when the catalog measured no fraction of its own.
    attention: spec.efficiency.attention ?? spec.efficiency.compute,
    activation: spec.efficiency.activation ?? spec.efficiency.memory,
    iterationOverheadS: stack.stepS,
    layerOverheadS: stack.perLayerS,
    workerOverheadS: stack.perRemoteWorkerS,
  };
  const overrides = efficiencyOverrides(fleet);
  const effective = { ...defaults };
  for (const key of Object.keys(overrides) as (keyof EfficiencyOverrides)[]) {
    const value = overrides[key];
    if (value !== undefined) effective[key] = value;
  }
  // An override of attention or activation alone leaves the other's fallback on the catalog
  // fraction, as iterationTime reads it.
  if (overrides.attention === undefined && spec.efficiency.attention === undefined) {
    effective.attention = effective.compute;
  }
  if (overrides.activation === undefined && spec.efficiency.activation === undefined) {
    effective.activation = effective.memory;
  }
  const overridden = Object.keys(overrides) as (keyof EfficiencyOverrides)[];
  return {
    defaults,
    effective,
    overridden,
    tensorParallel: fleet.batching.tensorParallel ?? count,
    accelerator: spec.id,
    validation: spec.validation,
    performance: rooflinePerformance(
      fleet.name,
      spec.id,
      shippedAccelerators(),
      peaks,
      overridden.map((key) => EFFICIENCY_KEYS[key]),
      fleet.hardware?.accelerators?.calibration,
    ),
  };
}

/** The fleet's LLM model, or why it cannot serve (a message for the user, about the fleet's settings). */
export function resolveLlmFleet(fleet: Fleet, model: ModelConfig | null): Resolved<LlmFleetModel> {
  const stepTime = fleet.stepTime ?? { kind: 'roofline' };
  if (stepTime.kind === 'profile') {
    return withHostTier(
      fleet,
      model,
      profiled(fleet, stepTime.path, stepTime.model, stepTime.hardware, model),
    );
  }
  if (model === null) {
    return {
      ok: false,
      message: 'a continuous-batching fleet needs a scenario model (or step_time: { profile })',
      at: 'batching',
    };
  }
  return withHostTier(fleet, model, roofline(fleet, model));
}

/**
 * The fleet's host tier in blocks of the model's KV size. Each accelerator keeps its shard of a
 * block's KV heads (replicated beyond the KV heads, as in accelerator memory) and loads it over
 * its own host link, so a load takes one shard's bytes over one link's bandwidth.
 */
function withHostTier(
  fleet: Fleet,
  model: ModelConfig | null,
  resolved: Resolved<LlmFleetModel>,
): Resolved<LlmFleetModel> {
  const batching = batchingOf(fleet);
  const offload = batching.kvOffload;
  if (!resolved.ok || offload === null) return resolved;
  if (model === null) {
    return {
      ok: false,
      message: "kv_offload needs a scenario model: a block's bytes follow from its KV size",
      at: 'batching.kv_offload',
    };
  }
  const hostGib = fleet.hardware?.memoryGiB;
  if (hostGib !== undefined && offload.capacityBytes > hostGib * 2 ** 30) {
    return {
      ok: false,
      message: `kv_offload capacity ${gib(offload.capacityBytes)} exceeds the ${hostGib} GiB of host memory of one replica`,
      at: 'batching.kv_offload',
      infeasible: true,
    };
  }
  const tp = resolved.value.tensorParallel;
  const shardBytes = kvBytesPerToken(model.llm) / kvShards(model.llm, tp);
  const blockBytes = shardBytes * tp * batching.blockSize;
  const blocks = Math.floor(offload.capacityBytes / blockBytes);
  if (blocks === 0) {
    return {
      ok: false,
      message:
        `kv_offload capacity ${offload.capacityBytes} bytes holds no KV-cache block of ${model.llm.name} ` +
        `(${blockBytes} bytes at block_size ${batching.blockSize})`,
      at: 'batching.kv_offload',
    };
  }
  const hostTier: HostTier = {
    blocks,
    bytesPerToken: shardBytes * tp,
    bytesPerS: offload.bytesPerS * tp,
    latencyS: offload.latencyS,
  };
  return { ok: true, value: { ...resolved.value, hostTier } };
}
