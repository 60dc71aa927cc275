/** A fleet's `hardware:`: its replica's accelerators and the step-time parameters of them. */

import * as z from 'zod';
import { Duration, expected, PositiveInteger, PositiveNumber } from '../../core/schema-values.js';
import { findUnprintable } from '../../core/unprintable.js';
import { ACCELERATOR_IDS } from '../../hardware/index.js';
import { PRECISIONS } from '../../serving/llm/index.js';
import type { EfficiencyOverrides } from '../types.js';
import { displayName } from './common.js';

// Schemas under z.lazy are built on first use: most fleets give no `hardware`, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.

const Fraction = z
  .number(expected('a fraction in (0, 1]'))
  .gt(0, expected('a fraction in (0, 1]'))
  .lte(1, expected('a fraction in (0, 1]'));

const DEFAULT_FROM_CATALOG =
  "Default: the accelerator catalog's (pricing/accelerators.yaml; the median of its entries for an accelerator it lacks).";

const EfficiencySchema = z.lazy(() =>
  z
    .object({
      compute: Fraction.optional().describe(
        'Share of the dense peak (`tflops` for the model precision) that large matmuls sustain, in (0, 1]. ' +
          DEFAULT_FROM_CATALOG,
      ),
      memory: Fraction.optional().describe(
        'Share of `bandwidth_gbps` sustained while streaming weights and reading or writing the KV cache, ' +
          `in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
      ),
      attention: Fraction.optional().describe(
        'Share of the 16-bit dense peak that attention kernels sustain on their FLOPs (4 x heads x head_dim ' +
          `per query-key pair), in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
      ),
      activation: Fraction.optional().describe(
        'Share of `bandwidth_gbps` sustained by the element-wise kernels between the matmuls (norms, rotary, ' +
          `activation, residual adds), in (0, 1]. ${DEFAULT_FROM_CATALOG}`,
      ),
      iteration_overhead: Duration.optional().describe(
        "Time the serving engine adds to every iteration outside the kernels (scheduling, input preparation, sampling). Default: the `model.serving_stack`'s.",
      ),
      layer_overhead: Duration.optional().describe(
        "Latency floor of one layer's small kernels, added per layer to every iteration. Default: the `model.serving_stack`'s.",
      ),
      worker_overhead: Duration.optional().describe(
        "Time added to every iteration per tensor-parallel worker beyond the first, to drive it. Default: the `model.serving_stack`'s.",
      ),
    })
    .strict()
    .transform(parameterKeys)
    .describe(
      "Values for the free parameters of the `roofline` step time, each replacing the accelerator catalog's " +
        "(or, for the overheads, the serving stack's); for example fitted to measured step times. A fleet's " +
        '`performance` then names them as scenario overrides. See docs/llm-serving.md.',
    ),
);

/** The step-time parameters by their scenario keys -> `EfficiencyOverrides`, only those given. */
function parameterKeys(e: Partial<Record<(typeof PARAMETER_NAMES)[number], number>>): EfficiencyOverrides {
  return Object.fromEntries(
    [
      ['compute', e.compute],
      ['memory', e.memory],
      ['attention', e.attention],
      ['activation', e.activation],
      ['iterationOverheadS', e.iteration_overhead],
      ['layerOverheadS', e.layer_overhead],
      ['workerOverheadS', e.worker_overhead],
    ].filter(([, value]) => value !== undefined),
  ) as EfficiencyOverrides;
}

const PARAMETER_NAMES = [
  'compute',
  'memory',
  'attention',
  'activation',
  'iteration_overhead',
  'layer_overhead',
  'worker_overhead',
] as const;

/** Larger spreads are almost surely a percentage written as a number (10 for 10 %). */
const MAX_SPREAD = 2;

const Spread = z
  .number(expected('a relative spread in [0, 2]'))
  .min(0, expected('a relative spread in [0, 2]'))
  .max(MAX_SPREAD, expected('a relative spread in [0, 2] (0.1 is about +-10 %)'));

const EfficiencyUncertaintySchema = z.lazy(() =>
  z
    .object(
      Object.fromEntries(
        PARAMETER_NAMES.map((name) => [
          name,
          Spread.optional().describe(
            `Relative spread of \`${name}\`, as \`efficiency\` or the default sets it.`,
          ),
        ]),
      ) as Record<(typeof PARAMETER_NAMES)[number], z.ZodOptional<typeof Spread>>,
    )
    .strict()
    .transform(parameterKeys)
    .describe(
      'How uncertain each step-time parameter is, for replications that draw them (`model_uncertainty`): the ' +
        'standard deviation of the natural logarithm of its value (0.1 is about +-10 %), keyed as `efficiency`. ' +
        'Each replication multiplies the value by exp(spread x a standard normal draw); a fraction is capped at 1. ' +
        'Given, it replaces the default spreads of the accelerator (docs/calibration.md), and a parameter it leaves ' +
        'out is not drawn. `fleetsim calibrate` writes the bootstrap spread of each value it fitted.',
    ),
);

const CalibrationSchema = z.lazy(() =>
  z
    .object({
      measured: z
        .string(expected('the measured run'))
        .min(1, expected('the measured run'))
        .superRefine((text, ctx) => {
          // Every caveat line quotes it: no control characters in a terminal or a report.
          const found = findUnprintable(text);
          if (found !== null)
            ctx.addIssue({
              code: 'custom',
              message: `expected text without control characters; found ${found}`,
            });
        })
        .describe('The measured run the values were fitted to, as `fleetsim calibrate` names it.'),
      accelerator: z
        .string(expected('an accelerator id'))
        .min(1, expected('an accelerator id'))
        .describe(
          'The accelerator they were fitted on. On another accelerator the values are scenario overrides, not a calibration.',
        ),
      hold_out_error: z
        .number(expected('a relative error'))
        .nonnegative(expected('a relative error'))
        .nullable()
        .prefault(null)
        .describe(
          'The largest relative error of the compared statistics when values fitted on the earlier requests predicted the later ones; null: no hold-out check.',
        ),
    })
    .strict()
    .transform((spec) => ({
      measured: spec.measured,
      accelerator: spec.accelerator.toLowerCase(),
      holdOutError: spec.hold_out_error,
    }))
    .describe(
      "Marks `efficiency` as fitted by `fleetsim calibrate` (which writes it): the fleet's `performance` is then " +
        '`calibrated`, naming the measured run and the hold-out error.',
    ),
);

export const HardwareSchema = z.lazy(() =>
  z
    .object({
      vcpus: PositiveInteger.optional().describe('vCPUs of one replica.'),
      memory_gib: PositiveNumber.optional().meta({ description: 'Host memory of one replica.', unit: 'GiB' }),
      accelerator: z
        .object({
          name: displayName('an accelerator name')
            .optional()
            .describe(
              `Accelerator model, required with \`price_per_hour\`. A catalog id (${ACCELERATOR_IDS.join(', ')}; any case) ` +
                'takes its specs from the catalog where the keys below are left out; any other name needs ' +
                '`memory_gib`, `bandwidth_gbps` and `tflops`.',
            ),
          count: PositiveInteger.optional().describe('Accelerators in one replica. Default: 1.'),
          memory_gib: PositiveNumber.optional().meta({
            description: 'Memory of one accelerator.',
            unit: 'GiB',
          }),
          bandwidth_gbps: PositiveNumber.optional().meta({
            description: 'Memory bandwidth of one accelerator.',
            unit: 'GB/s',
          }),
          tflops: z
            .object(
              Object.fromEntries(
                PRECISIONS.map((precision) => [
                  precision,
                  PositiveNumber.optional().describe(`Peak dense ${precision} TFLOPS (TOPS for integers).`),
                ]),
              ) as Record<(typeof PRECISIONS)[number], z.ZodOptional<typeof PositiveNumber>>,
            )
            .strict()
            .optional()
            .describe('Peak dense throughput of one accelerator by precision.'),
          efficiency: EfficiencySchema.optional(),
          efficiency_uncertainty: EfficiencyUncertaintySchema.optional(),
          calibration: CalibrationSchema.optional(),
        })
        .strict()
        .optional()
        .describe('The accelerator of one replica; leave out for a CPU-only replica.'),
    })
    .strict()
    .describe(
      'Hardware of one replica when it is not a catalog `instance` (give `price_per_hour` with it). With `instance`, ' +
        'whose catalog entry brings the hardware, only `accelerator.efficiency`, `efficiency_uncertainty` and ' +
        '`calibration` may be given: `hardware: { accelerator: { efficiency: {...} } }` sets the step-time ' +
        'parameters of its accelerator.',
    ),
);

/** What `hardware.accelerator` of an instance fleet may hold: its step-time parameters. */
const STEP_TIME_KEYS = new Set(['efficiency', 'efficiency_uncertainty', 'calibration']);

/**
 * Inline hardware describes a replica priced with `price_per_hour`; an `instance` brings its
 * catalog hardware, and then only the step-time parameters of its accelerator may be given.
 */
function definedKeys(object: object): string[] {
  return Object.entries(object)
    .filter(([, value]) => value !== undefined)
    .map(([key]) => key);
}

export function checkHardware(
  hardware: z.output<typeof HardwareSchema>,
  withInstance: boolean,
  issues: z.core.$ZodRawIssue[],
): void {
  const accelerator = hardware.accelerator;
  if (!withInstance) {
    if (accelerator !== undefined && accelerator.name === undefined) {
      issues.push({
        code: 'custom',
        message: 'expected an accelerator name',
        input: accelerator,
        path: ['hardware', 'accelerator', 'name'],
      });
    }
    return;
  }
  const message =
    'the instance brings its own hardware; with instance, hardware takes only accelerator.efficiency, efficiency_uncertainty and calibration (the step-time parameters of its accelerator)';
  for (const key of definedKeys(hardware).filter((k) => k !== 'accelerator')) {
    issues.push({ code: 'custom', message, input: hardware, path: ['hardware', key] });
  }
  for (const key of definedKeys(accelerator ?? {}).filter((k) => !STEP_TIME_KEYS.has(k))) {
    issues.push({ code: 'custom', message, input: accelerator, path: ['hardware', 'accelerator', key] });
  }
}
