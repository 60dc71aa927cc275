import * as z from 'zod';
import { Duration, expected, PositiveDuration } from '../core/schema-values.js';
import { isoDate } from '../hardware/index.js';
import { autoscalerDefinitions, autoscalerRegistryVersion } from '../policies/autoscaling/index.js';
import { routingRegistryVersion } from '../policies/routing/index.js';
import { displayName, FLEET_NAME, MAX_NAME, notReservedName, RESERVED_NAME } from './schema/common.js';
import { EnergySchema } from './schema/energy.js';
import { fleetSchema } from './schema/fleet.js';
import { ModelSchema } from './schema/model.js';
import { DataTransferSchema, DisaggregationSchema, NetworkSchema } from './schema/network.js';
import { autoscalingUnion, routingSchema } from './schema/policies.js';
import {
  LimitsSchema,
  MetricsSchema,
  ReportSchema,
  SloSchema,
  SweepSchema,
  VariantSchema,
} from './schema/run.js';
import { WorkloadSchema } from './schema/workload.js';
import { DEFAULT_MAX_DRAIN_S, MAX_VARIANTS } from './types.js';

const MODEL_NAME = 'a model name: letters, digits, _ . -';
const MAX_MODEL_NAME = 64;

export { displayNameProblem } from './schema/common.js';
export type { FleetSpec } from './schema/fleet.js';
export type { ModelSpec } from './schema/model.js';
export { DEFAULT_KV_LINK } from './schema/network.js';
export { parseSweepValues } from './schema/run.js';
export { traceSchema } from './schema/trace.js';
export {
  BATCH_LATENCY_VARIABLES,
  RATE_VARIABLES,
  SERVICE_TIME_VARIABLES,
  serviceTimeFromString,
} from './schema/values.js';

/**
 * The scenario YAML as a zod schema. Every object is `.strict()` so a typo is an error, every key
 * carries the text `docs/scenario-reference.md` is generated from, and defaults are `prefault`s in
 * YAML form: they go through the same transforms as user values and show up in the JSON Schema.
 * Defaults that need more than the YAML (the file name, the instance catalog, the fleet list) are
 * applied by `finishScenario` in load.ts. Checks that span keys or files live in checks.ts.
 */

function buildScenarioSchema() {
  return z
    .object({
      name: displayName('a scenario name')
        .optional()
        .describe(
          `Scenario name, used in reports and for the default output folder: at most ${MAX_NAME} characters, ` +
            'no control characters. Default: the file name without its extension.',
        ),
      seed: z
        .number(expected('a non-negative integer'))
        .int(expected('a non-negative integer'))
        .nonnegative(expected('a non-negative integer'))
        .prefault(1)
        .describe('Seed of every random stream; the same seed gives the same results.'),
      duration: PositiveDuration.nullable()
        .optional()
        .describe(
          'Arrivals stop at this simulated time; requests in flight then drain. Required unless arrivals are a ' +
            'trace (then null or absent: the end of the trace).',
        ),
      warmup: Duration.prefault(0).describe(
        'Requests arriving before this time are left out of the metrics.',
      ),
      max_drain: Duration.nullable()
        .prefault(DEFAULT_MAX_DRAIN_S)
        .describe(
          'Draining stops this long after arrivals stop; the requests still in flight then count as lost ' +
            '(against `max_drop_rate`), with a warning. null: drain until the last request leaves.',
        ),
      workload: WorkloadSchema,
      model: ModelSchema.optional(),
      models: z
        .record(
          z
            .string(expected(MODEL_NAME))
            .min(1, expected(MODEL_NAME))
            .max(MAX_MODEL_NAME, expected(MODEL_NAME))
            .regex(FLEET_NAME, expected(MODEL_NAME))
            .refine(notReservedName, RESERVED_NAME),
          ModelSchema,
          expected('a mapping of model names to models'),
        )
        .check((ctx) => {
          if (Object.keys(ctx.value).length === 0)
            ctx.issues.push({ code: 'custom', message: 'expected at least one model', input: ctx.value });
        })
        .optional()
        .describe(
          'Several models, by name, each shaped as `model:` (see docs/models.md). Each continuous-batching fleet ' +
            'names the one it serves (`fleets[].model`), each class the one its requests ask for ' +
            '(`workload.classes[].model`), and requests go only to fleets that serve their model. Give `model` or ' +
            '`models`, not both.',
        ),
      network: NetworkSchema.optional(),
      data_transfer: DataTransferSchema.optional(),
      energy: EnergySchema.optional(),
      disaggregation: DisaggregationSchema.optional(),
      catalog: z
        .union([
          z.string(expected('a file path')).min(1, expected('a file path')),
          z.array(
            z.string(expected('a file path')).min(1, expected('a file path')),
            expected('a list of file paths'),
          ),
        ])
        .optional()
        .describe(
          'User catalog files, relative to the scenario file: private or negotiated prices and instances on top of ' +
            "the shipped catalog (format in pricing/README.md), applied after `--catalog`'s, later files winning.",
        ),
      as_of: isoDate
        .optional()
        .describe(
          'The date the plan is for. A catalog price older than 180 days at this date draws a STALE_PRICE warning; ' +
            'one dated after it is refused (give a day on or after the newest price the fleets use). ' +
            'Default: none, and prices are not aged (a run never reads the clock, so its results repeat).',
        ),
      fleets: z
        .array(fleetSchema(autoscalingUnion(autoscalerDefinitions())), expected('a list of fleets'))
        .min(1, expected('at least one fleet'))
        .describe('The fleets that serve requests.'),
      routing: routingSchema().prefault({ policy: 'least-outstanding' }),
      metrics: MetricsSchema.prefault({}),
      limits: LimitsSchema.prefault({}),
      slo: SloSchema.optional(),
      model_uncertainty: z
        .boolean(expected('true or false'))
        .prefault(false)
        .describe(
          'Replications (`--replications`) draw the step-time parameters of roofline LLM fleets from their ' +
            'uncertainty (`efficiency_uncertainty`, or the default spread of the accelerator), a draw per ' +
            'replication, so confidence intervals and SLO verdicts include it; the run itself keeps the values as ' +
            'written. `--model-uncertainty` sets it. See docs/calibration.md.',
        ),
      sweep: SweepSchema.optional(),
      report: ReportSchema.optional(),
      variants: z
        .array(VariantSchema, expected('a list of variants'))
        .max(
          MAX_VARIANTS,
          expected(`at most ${MAX_VARIANTS} variants (fleetsim sweep runs more configurations)`),
        )
        .optional()
        .describe('Alternatives to compare with the baseline (the scenario as written).'),
    })
    .strict()
    .meta({
      $id: 'https://github.com/fleetsim/fleetsim/schema/scenario.schema.json',
      title: 'fleetsim scenario',
      description:
        'A fleetsim scenario: the workload, the fleets that serve it, and how requests are routed.',
    });
}

export type ScenarioSpec = z.output<ReturnType<typeof buildScenarioSchema>>;

let built: { version: number; schema: ReturnType<typeof buildScenarioSchema> } | undefined;

/** Changes when a policy is registered, and the scenario schema with it. */
export function scenarioSchemaVersion(): number {
  return autoscalerRegistryVersion() + routingRegistryVersion();
}

/** The scenario schema with the policies registered now: rebuilt after a registration. */
export function scenarioSchema(): ReturnType<typeof buildScenarioSchema> {
  const version = scenarioSchemaVersion();
  if (built?.version !== version) built = { version, schema: buildScenarioSchema() };
  return built.schema;
}
