import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { isCalendarDate } from '../../hardware/price-age.js';
import { readYamlData } from '../../util/yaml-data.js';
import { PRECISIONS, type Precision } from './model.js';

/**
 * Per-accelerator physics from `pricing/accelerators.yaml`: datasheet peaks and the fraction of
 * them a serving stack sustains. The file ships inside the package, so a file that fails
 * validation is a packaging bug and throws.
 */

export interface Interconnect {
  kind: 'nvlink' | 'pcie' | 'neuronlink' | 'ici' | 'infinity-fabric' | 'ethernet' | 'none';
  /** NCCL-style bus bandwidth an all-reduce sustains, per accelerator. */
  allReduceBusGBps: number;
  /** Time of a small (latency-bound) all-reduce across the accelerators of one instance. */
  allReduceLatencyUs: number;
}

export interface AcceleratorSpec {
  id: string;
  name: string;
  memoryGib: number;
  memoryBandwidthGBps: number;
  /** Dense peak by precision, TFLOPS (TOPS for int8/int4). Missing = not supported natively. */
  denseTflops: Partial<Record<Precision, number>>;
  /** 2:4 structured sparsity doubles matmul throughput on this part. */
  sparse24: boolean;
  interconnect: Interconnect;
  efficiency: AcceleratorEfficiency;
  /** How far step times on this part have been checked; null for a part the catalog does not know. */
  validation: AcceleratorValidation | null;
  /** What one accelerator draws, or why the catalog has no figure; absent for a part it does not know. */
  power?: AcceleratorPower;
}

/** Datasheet maximum and idle draw of one accelerator, watts, with their sources. */
export type AcceleratorPower =
  | {
      busyWatts: number;
      idleWatts: number;
      idleBasis: 'measured' | 'assumption';
      sources: string[];
      asOf: string;
    }
  | { missing: string };

/**
 * `validated`: step times compared with measurements the efficiencies were not fitted to
 * (docs/validation.md), with the range of the median absolute errors of its row groups there.
 * `profiled`: efficiencies from measured operator profiles, no step time compared. `class-default`:
 * nothing measured.
 */
export type AcceleratorValidation =
  | { status: 'validated'; medianAbsErrorPct: { min: number; max: number }; groups: number; basis: string }
  | { status: 'profiled' | 'class-default'; basis: string };

/** Sustained fractions of the datasheet peaks, one per kind of kernel. */
export interface AcceleratorEfficiency {
  /** Large matmuls, of the dense peak for their precision. */
  compute: number;
  /** Weight and KV-cache streaming, of the memory bandwidth. */
  memory: number;
  /**
   * Attention kernels (FlashAttention-class), of the 16-bit dense peak. Unset: `compute`, which is
   * optimistic (where both are measured, attention sustains 40-70 % of a matmul's fraction).
   */
  attention?: number;
  /**
   * The element-wise kernels between the matmuls (norms, rotary, activation, residual adds), of the
   * memory bandwidth. Unset: `memory`, which is optimistic on HBM parts.
   */
  activation?: number;
  /**
   * Weight-only int4 matmuls (Marlin-class kernels, which dequantize in registers) stream their
   * weights at this share of the rate 16-bit matmuls do (`memory`). Unset: 1, as measured on cards
   * whose memory bandwidth per SM leaves the dequantization time to hide.
   */
  int4WeightOnly?: number;
}

const fraction = z.number().gt(0).lte(1);
const precisionKey = z.enum(PRECISIONS);

// Built on first use (z.lazy): a run without accelerators never reads the catalog, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.
const entrySchema = z.lazy(() =>
  z.strictObject({
    name: z.string().min(1),
    class: z.enum(['data-center', 'workstation', 'consumer', 'edge']),
    memory_gib: z.number().positive(),
    memory_bandwidth_gbps: z.number().positive(),
    dense_tflops: z.partialRecord(precisionKey, z.number().positive()),
    sparse_2_4: z.boolean(),
    interconnect: z.strictObject({
      kind: z.enum(['nvlink', 'pcie', 'neuronlink', 'ici', 'infinity-fabric', 'ethernet', 'none']),
      all_reduce_bus_gbps: z.number().positive(),
      all_reduce_latency_us: z.number().nonnegative(),
    }),
    efficiency: z.strictObject({
      compute: fraction,
      memory: fraction,
      attention: fraction,
      activation: fraction,
      int4_weight_only: fraction.optional(),
      provenance: z.string().min(1),
    }),
    validation: z.discriminatedUnion('status', [
      z.strictObject({
        status: z.literal('validated'),
        median_abs_error_pct: z
          .strictObject({ min: z.number().nonnegative(), max: z.number().nonnegative() })
          .refine((range) => range.min <= range.max, 'min above max'),
        groups: z.number().int().positive(),
        basis: z.string().min(1),
      }),
      z.strictObject({ status: z.enum(['profiled', 'class-default']), basis: z.string().min(1) }),
    ]),
    power: z.union([
      z
        .strictObject({
          busy_watts: z.number().positive(),
          idle_watts: z.number().nonnegative(),
          idle_basis: z.enum(['measured', 'assumption']),
          sources: z.array(z.string().min(1)).min(1),
          as_of: z
            .string()
            .regex(/^\d{4}-\d{2}-\d{2}$/)
            .refine(isCalendarDate, 'expected a date that exists'),
        })
        .refine((power) => power.idle_watts <= power.busy_watts, 'idle_watts above busy_watts'),
      z.strictObject({ missing: z.string().min(1) }),
    ]),
    sources: z.array(z.string().min(1)).min(1),
  }),
);

const fileSchema = z.lazy(() => z.strictObject({ accelerators: z.record(z.string(), entrySchema) }));

export const ACCELERATORS_FILE = fileURLToPath(
  new URL('../../../pricing/accelerators.yaml', import.meta.url),
);

let shipped: ReadonlyMap<string, AcceleratorSpec> | undefined;

/** The catalog shipped in pricing/accelerators.yaml, read once per thread (its parse is not cheap). */
export function shippedAccelerators(): ReadonlyMap<string, AcceleratorSpec> {
  shipped ??= loadAccelerators();
  return shipped;
}

export function loadAccelerators(path: string = ACCELERATORS_FILE): ReadonlyMap<string, AcceleratorSpec> {
  const parsed = fileSchema.safeParse(readYamlData(path));
  if (!parsed.success) throw new Error(`${path}: ${z.prettifyError(parsed.error)}`);
  const specs = new Map<string, AcceleratorSpec>();
  for (const [id, entry] of Object.entries(parsed.data.accelerators)) {
    specs.set(id, {
      id,
      name: entry.name,
      memoryGib: entry.memory_gib,
      memoryBandwidthGBps: entry.memory_bandwidth_gbps,
      denseTflops: entry.dense_tflops,
      sparse24: entry.sparse_2_4,
      interconnect: {
        kind: entry.interconnect.kind,
        allReduceBusGBps: entry.interconnect.all_reduce_bus_gbps,
        allReduceLatencyUs: entry.interconnect.all_reduce_latency_us,
      },
      efficiency: {
        compute: entry.efficiency.compute,
        memory: entry.efficiency.memory,
        attention: entry.efficiency.attention,
        activation: entry.efficiency.activation,
        ...(entry.efficiency.int4_weight_only !== undefined && {
          int4WeightOnly: entry.efficiency.int4_weight_only,
        }),
      },
      validation:
        entry.validation.status === 'validated'
          ? {
              status: 'validated',
              medianAbsErrorPct: entry.validation.median_abs_error_pct,
              groups: entry.validation.groups,
              basis: entry.validation.basis,
            }
          : { status: entry.validation.status, basis: entry.validation.basis },
      power:
        'missing' in entry.power
          ? { missing: entry.power.missing }
          : {
              busyWatts: entry.power.busy_watts,
              idleWatts: entry.power.idle_watts,
              idleBasis: entry.power.idle_basis,
              sources: entry.power.sources,
              asOf: entry.power.as_of,
            },
    });
  }
  return specs;
}

/**
 * Peak used for a compute precision. Hardware without native support runs the matmul in the
 * nearest wider type it has (fp8 weights on an A100 are dequantized into bf16 matmuls).
 */
export function peakTflops(spec: AcceleratorSpec, precision: Precision): number {
  const fallbacks: Readonly<Record<Precision, readonly Precision[]>> = {
    int4: ['int4', 'int8', 'fp8', 'bf16', 'fp16', 'fp32'],
    int8: ['int8', 'fp8', 'bf16', 'fp16', 'fp32'],
    fp8: ['fp8', 'bf16', 'fp16', 'fp32'],
    bf16: ['bf16', 'fp16', 'fp32'],
    fp16: ['fp16', 'bf16', 'fp32'],
    fp32: ['fp32'],
  };
  for (const candidate of fallbacks[precision]) {
    const tflops = spec.denseTflops[candidate];
    if (tflops !== undefined) return tflops;
  }
  throw new RangeError(`accelerator ${spec.id} lists no peak usable for ${precision}`);
}
