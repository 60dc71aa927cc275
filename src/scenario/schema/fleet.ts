/** `fleets[]`: a pool of identical replicas, its size, price, service and what happens to it. */

import * as z from 'zod';
import { formatThousands } from '../../core/format.js';
import {
  Bandwidth,
  Duration,
  expected,
  NonNegativeInteger,
  NonNegativeNumber,
  NonNegativeReplicaCount,
  orList,
  PositiveDuration,
  PositiveInteger,
  PositiveNumber,
  ReplicaCount,
  SlotCount,
} from '../../core/schema-values.js';
import { SPOT_ADVISOR_BUCKETS } from '../../fleet/interruption.js';
import { MARKETS } from '../../hardware/index.js';
import type { AutoscalingConfig } from '../../policies/autoscaling/index.js';
import type { BatchLatency, CapacityUnavailable, QueueConfig, StepTime } from '../types.js';
import { FLEET_ROLES, MAX_PRICE_USD_PER_HOUR } from '../types.js';
import { exactlyOne, FLEET_NAME, notReservedName, RESERVED_NAME } from './common.js';
import { FleetEnergySchema } from './energy.js';
import { checkHardware, HardwareSchema } from './hardware.js';
import { BatchingUnion } from './policies.js';
import { DurationDistribution, ServiceTimeSchema } from './values.js';

// Schemas under z.lazy are built on first use: most fleets leave these keys out, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.

export const ON_INTERRUPT = ['requeue', 'retry-elsewhere', 'drop'] as const;

const QueueSchema = z
  .object({
    capacity: NonNegativeInteger.nullable()
      .prefault(null)
      .describe(
        'Requests waiting per replica beyond those in service; arrivals past it are dropped. null: unbounded.',
      ),
    timeout: PositiveDuration.nullable()
      .prefault(null)
      .describe('A request still waiting after this long gives up (timed out). null: never.'),
  })
  .strict()
  .transform(
    ({ capacity, timeout }): QueueConfig => ({ capacity: capacity ?? Number.POSITIVE_INFINITY, timeout }),
  )
  .describe('The wait queue in front of each replica.');

const BatchingSchema = BatchingUnion.describe(
  'How a replica groups waiting requests: `none` (default), `static`, `dynamic` or `continuous`. `static` and ' +
    '`dynamic` fleets give `batch_latency` instead of `service_time`; `concurrency` is then the number of batches ' +
    'one replica runs at once. `continuous` fleets serve the scenario `model` (or a measured `step_time` profile) ' +
    'and need neither.',
);

const BatchLatencySchema = z.lazy(() =>
  z
    .union(
      [
        z
          .string()
          .trim()
          .min(1, expected('an expression of b'))
          .transform((source): BatchLatency => ({ kind: 'expression', source })),
        z
          .object({
            table: z
              .array(
                z
                  .object({
                    batch: SlotCount.describe('Batch size.'),
                    latency: Duration.describe('Time to run a batch of that size.'),
                  })
                  .strict(),
                expected('a list of { batch, latency } points'),
              )
              .min(1, expected('at least one { batch, latency } point')),
          })
          .strict()
          .transform(
            ({ table }): BatchLatency => ({
              kind: 'table',
              points: table.map((point) => ({ batch: point.batch, seconds: point.latency })),
            }),
          ),
      ],
      {
        error: 'expected an expression of b like "8ms + 1.2ms * b", or { table: [{ batch, latency }, ...] }',
      },
    )
    .describe(
      'Time to run one batch of `b` requests: a mathjs expression of `b` (`"8ms + 1.2ms * b"`), or measured ' +
        'points `{ table: [{ batch: 1, latency: 9ms }, { batch: 8, latency: 18ms }] }` interpolated linearly ' +
        '(the last segment extends beyond the largest batch).',
    ),
);

const StepTimeSchema = z.lazy(() =>
  z
    .union(
      [
        z.literal('roofline').transform((): StepTime => ({ kind: 'roofline' })),
        z
          .object({
            profile: z
              .object({
                path: z
                  .string(expected('a file path'))
                  .min(1, expected('a file path'))
                  .describe('A splitwise-sim `perf_model.csv`, relative to the scenario file.'),
                model: z.string(expected('a model name')).min(1).describe('Value of its `model` column.'),
                hardware: z
                  .string(expected('a hardware name'))
                  .min(1)
                  .describe('Value of its `hardware` column.'),
              })
              .strict(),
          })
          .strict()
          .transform(({ profile }): StepTime => ({ kind: 'profile', ...profile })),
      ],
      { error: 'expected roofline or { profile: { path, model, hardware } }' },
    )
    .describe(
      'Iteration times of a `continuous` fleet: `roofline` (default: physics of the scenario `model` on the ' +
        "fleet's accelerators) or a measured profile interpolated (prefill time by prompt size, decode step by batch size).",
    ),
);

const ReplicasSchema = z
  .union(
    [
      ReplicaCount.transform((n) => ({ min: n, max: n, initial: n })),
      z
        .object({
          min: NonNegativeReplicaCount.prefault(0).describe('Fewest replicas the autoscaler keeps.'),
          max: ReplicaCount.describe('Most replicas the autoscaler launches.'),
          initial: NonNegativeReplicaCount.optional().describe('Replicas ready at time 0. Default: `min`.'),
        })
        .strict()
        .check((ctx) => {
          const { min, max, initial } = ctx.value;
          if (min > max)
            ctx.issues.push({
              code: 'custom',
              message: `expected min (${min}) <= max (${max})`,
              input: min,
              path: ['min'],
            });
          if (initial !== undefined && (initial < min || initial > max)) {
            ctx.issues.push({
              code: 'custom',
              message: `expected initial between min (${min}) and max (${max})`,
              input: initial,
              path: ['initial'],
            });
          }
        })
        .transform(({ min, max, initial }) => ({ min, max, initial: initial ?? min })),
    ],
    { error: 'expected a replica count or { min, max, initial }' },
  )
  .describe(
    'Number of replicas (servers): a number for a fixed fleet, or `{ min, max, initial }` for an autoscaled one. ' +
      'Initial replicas are ready at time 0.',
  );

const InterruptionSchema = z.lazy(() =>
  z
    .object({
      per_hour: NonNegativeNumber.optional().describe('Reclaims per replica-hour (a Poisson rate).'),
      bucket: z
        .enum(SPOT_ADVISOR_BUCKETS, expected(`one of ${SPOT_ADVISOR_BUCKETS.join(', ')}`))
        .optional()
        .describe('An AWS Spot Instance Advisor frequency-of-interruption bucket (per month).'),
      trace: z
        .string(expected('a file path'))
        .min(1)
        .optional()
        .describe(
          'CSV with a `time` column: seconds at which one replica is reclaimed; with a `zone` column naming one ' +
            'of `zones`, every replica in that zone.',
        ),
      waves: z
        .object({
          per_hour: NonNegativeNumber.describe('Waves per zone per hour (a Poisson rate).'),
          share: z
            .number(expected('a fraction in (0, 1]'))
            .gt(0)
            .lte(1)
            .prefault(1)
            .describe('Chance that a wave takes each replica of its zone.'),
        })
        .strict()
        .optional()
        .describe(
          'Reclaim waves: each zone (the fleet is one zone without `zones`) loses its replicas together. ' +
            'Fleets of the same instance and region share the wave times of a zone they have in common.',
        ),
      notice: Duration.optional().describe(
        "Warning before a reclaim. Default: the provider's (AWS 2m, GCP and Azure 30s).",
      ),
    })
    .strict()
    .check(exactlyOne(['per_hour', 'bucket', 'trace', 'waves']))
    .describe(
      'Spot reclaims: a rate per replica, an AWS Spot Advisor bucket, a trace of reclaim times, or waves that take a zone at once.',
    ),
);

const UnavailableSchema = z.lazy(() =>
  z
    .object({
      per_hour: PositiveNumber.optional().describe(
        'Periods starting per hour (a Poisson rate); give it with `mean_duration`.',
      ),
      mean_duration: PositiveDuration.optional().describe('Mean length of a period (exponential).'),
      trace: z
        .string(expected('a file path'))
        .min(1)
        .optional()
        .describe('CSV with `start` and `end` columns, seconds.'),
    })
    .strict()
    .check((ctx) => {
      const { per_hour, mean_duration, trace } = ctx.value;
      const byRate = per_hour !== undefined && mean_duration !== undefined && trace === undefined;
      const byTrace = trace !== undefined && per_hour === undefined && mean_duration === undefined;
      if (!byRate && !byTrace) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected either {per_hour, mean_duration} or {trace}',
          input: ctx.value,
        });
      }
    })
    .transform(
      (spec): CapacityUnavailable =>
        spec.trace !== undefined
          ? { kind: 'trace', path: spec.trace }
          : { kind: 'rate', perHour: spec.per_hour as number, meanDurationS: spec.mean_duration as number },
    )
    .describe(
      'Periods in which no replica of the fleet can be launched (spot capacity unavailable): a rate with a mean ' +
        'length, or a trace. Replacements wait for the period to end; routing falls back meanwhile.',
    ),
);

/** `autoscaling` is the union of the autoscaling policies registered now. */
export function fleetSchema(autoscaling: z.ZodType<AutoscalingConfig, unknown>) {
  return z
    .object({
      name: z
        .string(expected('a fleet name'))
        .regex(FLEET_NAME, expected('a fleet name of letters, digits, _ . -'))
        .refine(notReservedName, RESERVED_NAME)
        .describe('Unique name, used by `routing` and in reports: letters, digits, `_`, `.`, `-`.'),
      replicas: ReplicasSchema,
      role: z
        .enum(FLEET_ROLES, expected(orList(FLEET_ROLES)))
        .optional()
        .describe(
          'What this LLM fleet does with a request: all of it (`both`, default), its prompt and first token ' +
            '(`prefill`), or the rest of its output from the KV cache a prefill replica sends (`decode`). Requests ' +
            'are routed to prefill fleets, then to the least loaded decode replica (docs/llm-serving.md).',
        ),
      startup: DurationDistribution.optional().describe(
        'Time from launching a replica to ready (billed from launch). Default: lognormal around 3m (sigma 0.3) ' +
          'for accelerator replicas, 60s for CPU-only ones (see docs/autoscaling.md).',
      ),
      model_load: z
        .object({
          bandwidth: Bandwidth.describe(
            "Bytes per second a new replica reads the model's weights at, e.g. `2GB/s` from object storage " +
              'or `6GB/s` from a local NVMe disk.',
          ),
        })
        .strict()
        .optional()
        .describe(
          'A new replica of a continuous-batching fleet loads the weights of the scenario `model` after `startup`: ' +
            'weights / bandwidth more before it is ready (and billed meanwhile). Without it `startup` covers both.',
        ),
      autoscaling: autoscaling
        .optional()
        .describe(
          'How an autoscaled fleet decides its size (see docs/autoscaling.md); needs `replicas: { min, max }`.',
        ),
      zones: z
        .array(z.string(expected('a zone name')).min(1), expected('a list of zone names'))
        .min(1)
        .refine((names) => new Set(names).size === names.length, 'expected distinct zone names')
        .optional()
        .describe(
          'Availability zones the replicas spread over, in turn (replica i in zone i mod n): what reclaim ' +
            '`waves` and a trace `zone` column take together.',
        ),
      interruption: InterruptionSchema.optional(),
      on_interrupt: z
        .enum(ON_INTERRUPT, expected(orList(ON_INTERRUPT)))
        .prefault('requeue')
        .describe(
          'What happens to requests still on a replica when it is reclaimed: routed again (`requeue`), routed to ' +
            'another fleet (`retry-elsewhere`), or lost (`drop`, counted as dropped).',
        ),
      unavailable: UnavailableSchema.optional(),
      spot_price: z
        .object({
          trace: z
            .string(expected('a file path'))
            .min(1)
            .describe(
              'CSV with `time` (seconds) and `price` (USD per hour) columns; each price holds until the next.',
            ),
          max_price: PositiveNumber.optional().describe(
            "USD per hour at most, as an AWS spot request's maximum price: while the price is above it the fleet " +
              'launches nothing, and when it rises above it every replica gets a reclaim notice.',
          ),
        })
        .strict()
        .optional()
        .describe(
          "A spot price that changes over time, in place of the catalog's constant one (before the first row).",
        ),
      site: z
        .string(expected('a site name'))
        .min(1)
        .optional()
        .describe('Edge site of the fleet, a place in `network.rtt` (cloud fleets are at their `region`).'),
      fallback: z
        .string(expected('a fleet name'))
        .optional()
        .describe(
          'Fleet that takes requests while this spot fleet has no ready replica (e.g. an on-demand fleet).',
        ),
      model: z
        .string(expected('a model name'))
        .min(1, expected('a model name'))
        .optional()
        .describe(
          'The model the fleet serves, a name of `models:`; requests go only to fleets that serve their model. ' +
            'Required of a continuous-batching fleet when there are several models; default: the only one. On a ' +
            'fleet of another batching policy it only says which requests it takes (default: those of every model).',
        ),
      adapters: z
        .object({
          max_resident: PositiveInteger.describe(
            "LoRA adapters one replica holds at once (vLLM's `--max-loras`): each slot's GPU buffers come off the " +
              'KV cache.',
          ),
          max_rank: PositiveInteger.prefault(16).describe(
            "The largest LoRA rank a slot holds (vLLM's `--max-lora-rank`, default 16): every slot's buffers are " +
              'sized for it, rank x (input + output features) 16-bit values per linear layer, whatever the rank of ' +
              'the adapters loaded.',
          ),
          load_time: PositiveDuration.describe(
            'Time to load one adapter into a replica (from host memory); a replica loads one at a time.',
          ),
        })
        .strict()
        .optional()
        .describe(
          'LoRA adapters on the base model, continuous batching only (see docs/models.md): a request naming an ' +
            'adapter its replica does not hold waits for it to load; with every slot taken, the least recently used ' +
            'adapter that no request runs on or waits for is evicted, and with none such the request waits.',
        ),
      concurrency: SlotCount.prefault(1).describe('Requests one replica serves at once.'),
      price_per_hour: NonNegativeNumber.max(
        MAX_PRICE_USD_PER_HOUR,
        `expected a price of at most ${formatThousands(MAX_PRICE_USD_PER_HOUR)} USD per hour`,
      )
        .optional()
        .meta({
          description: 'Price of one replica, USD per hour. Give this or `instance`, not both.',
          unit: 'USD/hour',
        }),
      instance: z
        .string(expected('an instance key'))
        .min(1, expected('an instance key'))
        .optional()
        .describe(
          'Catalog instance type whose price (in `region`, for `market`), billing rules and hardware apply, ' +
            'e.g. `aws/g5.xlarge`, `gcp/tpu-v5e-4`; `fleetsim catalog list` shows them. Give this or ' +
            '`price_per_hour`, not both.',
        ),
      region: z
        .string(expected('a region'))
        .min(1, expected('a region'))
        .optional()
        .describe(
          "Region for the `instance` price, e.g. `us-east-1`. Default: the catalog's default region.",
        ),
      market: z
        .enum(MARKETS, expected(`one of ${MARKETS.join(', ')}`))
        .optional()
        .describe(
          'Which `instance` price applies: `on-demand`, `spot`, `reserved` (the 1-year commitment price) or ' +
            '`reserved-3y` (the 3-year one, where the catalog has it). A reserved fleet pays for its `max_replicas` every hour. ' +
            'Default: `on-demand`.',
        ),
      hardware: HardwareSchema.optional(),
      service_time: ServiceTimeSchema.optional().describe(
        'Time to serve one request on one replica. Required without batching; not allowed with it (see `batch_latency`).',
      ),
      batching: BatchingSchema.prefault({ policy: 'none' }),
      batch_latency: BatchLatencySchema.optional(),
      step_time: StepTimeSchema.optional(),
      queue: QueueSchema.prefault({}),
      billing: z
        .object({
          increment: PositiveDuration.optional().describe(
            "Billing granularity. Default: the instance's, else `1s` (per-second billing).",
          ),
          minimum: Duration.optional().describe(
            "Minimum billed time per replica. Default: the instance's, else `60s`.",
          ),
        })
        .strict()
        .optional()
        .describe('How replica time is billed.'),
      energy: FleetEnergySchema.optional(),
    })
    .strict()
    .check((ctx) => {
      const {
        price_per_hour,
        instance,
        region,
        market,
        hardware,
        batching,
        service_time,
        batch_latency,
        step_time,
        autoscaling,
      } = ctx.value;
      const metric = (autoscaling as { metric?: unknown } | undefined)?.metric;
      if (metric === 'kv_cache_utilization' && batching.policy !== 'continuous') {
        ctx.issues.push({
          code: 'custom',
          message:
            'kv_cache_utilization is the KV cache of an LLM replica: it needs batching policy continuous',
          input: metric,
          path: ['autoscaling', 'metric'],
        });
      }
      if (ctx.value.role !== undefined && ctx.value.role !== 'both' && batching.policy !== 'continuous') {
        ctx.issues.push({
          code: 'custom',
          message: `role ${ctx.value.role} applies only with batching policy continuous`,
          input: ctx.value.role,
          path: ['role'],
        });
      }
      if (ctx.value.adapters !== undefined && batching.policy !== 'continuous') {
        ctx.issues.push({
          code: 'custom',
          message: 'adapters apply only with batching policy continuous (LoRA adapters of an LLM)',
          input: ctx.value.adapters,
          path: ['adapters'],
        });
      }
      if (step_time !== undefined && batching.policy !== 'continuous') {
        ctx.issues.push({
          code: 'custom',
          message: 'step_time applies only with batching policy continuous',
          input: step_time,
          path: ['step_time'],
        });
      }
      if (batching.policy === 'continuous') {
        for (const [key, value] of [
          ['service_time', service_time],
          ['batch_latency', batch_latency],
        ] as const) {
          if (value !== undefined) {
            ctx.issues.push({
              code: 'custom',
              message: `a continuous-batching fleet takes its times from the model (or step_time), not ${key}`,
              input: value,
              path: [key],
            });
          }
        }
      } else if (batching.policy === 'none') {
        if (service_time === undefined) {
          ctx.issues.push({
            code: 'custom',
            message: 'expected service_time (or a batching policy with batch_latency)',
            input: ctx.value,
          });
        }
        if (batch_latency !== undefined) {
          ctx.issues.push({
            code: 'custom',
            message: 'batch_latency applies only with a batching policy (static or dynamic)',
            input: batch_latency,
            path: ['batch_latency'],
          });
        }
      } else {
        if (batch_latency === undefined) {
          ctx.issues.push({
            code: 'custom',
            message: `batching policy ${batching.policy} needs batch_latency`,
            input: batching,
            path: ['batching'],
          });
        }
        if (service_time !== undefined) {
          ctx.issues.push({
            code: 'custom',
            message: 'a batching fleet takes batch_latency, not service_time',
            input: service_time,
            path: ['service_time'],
          });
        }
      }
      if ((price_per_hour === undefined) === (instance === undefined)) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected exactly one of price_per_hour or instance',
          input: ctx.value,
        });
      }
      for (const [key, value] of [
        ['region', region],
        ['market', market],
      ] as const) {
        if (value !== undefined && instance === undefined) {
          ctx.issues.push({
            code: 'custom',
            message: `${key} applies only with instance`,
            input: value,
            path: [key],
          });
        }
      }
      if (hardware !== undefined) checkHardware(hardware, instance !== undefined, ctx.issues);
    })
    .describe('A pool of identical replicas.');
}

/** A fleet before the instance catalog fills in its price and billing (see `finishScenario`). */
export type FleetSpec = z.output<ReturnType<typeof fleetSchema>>;
