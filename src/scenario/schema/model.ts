/** `model:`: the LLM that continuous-batching fleets serve, and the optimizations applied to it. */

import * as z from 'zod';
import { expected, PositiveInteger, PositiveNumber } from '../../core/schema-values.js';
import {
  LLM_PRESETS,
  type LlmSpec,
  type Optimization,
  PRECISIONS,
  SERVING_STACKS,
} from '../../serving/llm/index.js';
import { MAX_NAME } from './common.js';

// Schemas under z.lazy are built on first use: only LLM scenarios give a `model`, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.

const PRESET_NAMES = Object.keys(LLM_PRESETS);

const PrecisionSchema = z.enum(PRECISIONS, expected(`one of ${PRECISIONS.join(', ')}`));

const LlmShapeSchema = z.lazy(() =>
  z
    .object({
      // Checked by checkScenario: a problem found here, in a union with a preset, would be
      // reported as the preset's unknown keys.
      name: z
        .string(expected('a model name'))
        .min(1)
        .optional()
        .describe(`Name in reports: at most ${MAX_NAME} characters, no control characters.`),
      params: PositiveNumber.describe('All parameters, embeddings included (e.g. `8.03e9`).'),
      layers: PositiveInteger.describe('Transformer layers.'),
      hidden: PositiveInteger.describe('Hidden size.'),
      heads: PositiveInteger.describe('Attention heads.'),
      kv_heads: PositiveInteger.optional().describe(
        'Key/value heads (grouped-query attention). Default: `heads`.',
      ),
      head_dim: PositiveInteger.optional().describe('Dimension of one head. Default: `hidden / heads`.'),
      vocab: PositiveInteger.optional().describe('Vocabulary size. Default: 32000.'),
      tied_embeddings: z
        .boolean(expected('true or false'))
        .optional()
        .describe('The output projection shares the input embedding matrix.'),
      precision: PrecisionSchema.optional().describe('Weight and compute precision. Default: `bf16`.'),
    })
    .strict()
    .check((ctx) => {
      const { heads, kv_heads } = ctx.value;
      if (kv_heads !== undefined && heads % kv_heads !== 0) {
        ctx.issues.push({
          code: 'custom',
          message: `expected heads (${heads}) to be a multiple of kv_heads (${kv_heads})`,
          input: kv_heads,
          path: ['kv_heads'],
        });
      }
    })
    .transform(
      (shape): LlmSpec => ({
        ...(shape.name !== undefined && { name: shape.name }),
        params: shape.params,
        layers: shape.layers,
        hidden: shape.hidden,
        heads: shape.heads,
        ...(shape.kv_heads !== undefined && { kvHeads: shape.kv_heads }),
        ...(shape.head_dim !== undefined && { headDim: shape.head_dim }),
        ...(shape.vocab !== undefined && { vocab: shape.vocab }),
        ...(shape.tied_embeddings !== undefined && { tiedEmbeddings: shape.tied_embeddings }),
        ...(shape.precision !== undefined && { precision: shape.precision }),
      }),
    ),
);

const PresetSchema = z.enum(PRESET_NAMES, expected(`a preset: ${PRESET_NAMES.join(', ')}`));

const LlmSchema = z.lazy(() =>
  z
    .union(
      [
        z
          .object({
            preset: PresetSchema.describe(`A known open model: ${PRESET_NAMES.join(', ')}.`),
            precision: PrecisionSchema.prefault('bf16').describe('Weight and compute precision.'),
          })
          .strict()
          .transform(({ preset, precision }): { preset: string; precision: (typeof PRECISIONS)[number] } => ({
            preset,
            precision,
          })),
        LlmShapeSchema,
      ],
      { error: 'expected { preset, precision } or a shape { params, layers, hidden, heads, ... }' },
    )
    .describe(
      'The model: a named preset (`{ preset: Llama-3.1-8B, precision: bf16 }`) or its shape (`params`, `layers`, ' +
        '`hidden`, `heads`, `kv_heads`, `head_dim`, `vocab`, `precision`).',
    ),
);

const QualityDelta = z.lazy(() =>
  z
    .number(expected('a number'))
    .optional()
    .describe('Stated quality change of this step (e.g. accuracy points), added up into the summary.'),
);

const OptimizationSchema = z.lazy(() =>
  z
    .union(
      [
        z
          .object({
            quantize: z
              .enum(['int8', 'fp8', 'int4'], expected('int8, fp8 or int4'))
              .describe(
                'Weight precision: `int8` (W8A8 matmuls), `fp8`, or `int4` (weight-only; matmuls stay 16-bit).',
              ),
            kv_cache: z
              .enum(['fp8', 'int8'], expected('fp8 or int8'))
              .optional()
              .describe('Also store the KV cache in 8 bits.'),
            quality_delta: QualityDelta,
          })
          .strict(),
        z
          .object({
            prune: z
              .object({
                sparsity: z
                  .number(expected('a fraction in [0, 1)'))
                  .min(0, expected('a fraction in [0, 1)'))
                  .lt(1, expected('a fraction in [0, 1)'))
                  .describe(
                    'Share of parameters removed (structured pruning: whole heads, channels or layers).',
                  ),
                structured: z
                  .literal('2:4', expected('"2:4"'))
                  .optional()
                  .describe(
                    '2:4 semi-structured sparsity (sparsity must be 0.5): halves matmul work on parts with sparse tensor cores.',
                  ),
              })
              .strict()
              .check((ctx) => {
                if (ctx.value.structured === '2:4' && ctx.value.sparsity !== 0.5) {
                  ctx.issues.push({
                    code: 'custom',
                    message: `2:4 sparsity is 0.5 by definition; got ${ctx.value.sparsity}`,
                    input: ctx.value.sparsity,
                    path: ['sparsity'],
                  });
                }
              }),
            quality_delta: QualityDelta,
          })
          .strict(),
        z
          .object({
            distill: z
              .object({
                into: z
                  .union([PresetSchema, LlmShapeSchema], expected('a preset name or a model shape'))
                  .describe('The student model: a preset name or a shape.'),
              })
              .strict(),
            quality_delta: QualityDelta,
          })
          .strict(),
      ],
      { error: 'expected { quantize }, { prune } or { distill }' },
    )
    .transform((step): Optimization => {
      const qualityDelta = step.quality_delta === undefined ? {} : { qualityDelta: step.quality_delta };
      if ('quantize' in step) {
        return {
          quantize: step.quantize,
          ...(step.kv_cache !== undefined && { kvCache: step.kv_cache }),
          ...qualityDelta,
        };
      }
      if ('prune' in step) {
        return {
          prune: {
            sparsity: step.prune.sparsity,
            ...(step.prune.structured !== undefined && { structured: '2:4' }),
          },
          ...qualityDelta,
        };
      }
      return { distill: { into: step.distill.into }, ...qualityDelta };
    }),
);

const SERVING_STACK_NAMES = Object.keys(SERVING_STACKS) as (keyof typeof SERVING_STACKS)[];

export const ModelSchema = z.lazy(() =>
  z
    .object({
      llm: LlmSchema,
      optimizations: z
        .array(OptimizationSchema, expected('a list of optimizations'))
        .prefault([])
        .describe(
          'Transforms applied in order before simulation: `{ quantize: int8 | fp8 | int4 }`, ' +
            '`{ prune: { sparsity: 0.5, structured: "2:4" } }`, `{ distill: { into: Llama-3.1-8B } }`; each may state a `quality_delta`.',
        ),
      quality_delta: z
        .number(expected('a number'))
        .optional()
        .describe(
          "Quality change of the served model against the reference, carried into the summary. Default: the sum of the optimizations' `quality_delta`.",
        ),
      serving_stack: z
        .enum(SERVING_STACK_NAMES, expected(`one of ${SERVING_STACK_NAMES.join(', ')}`))
        .prefault('vllm')
        .describe('Serving software whose per-iteration overheads apply (see docs/validation.md).'),
    })
    .strict()
    .describe(
      'The LLM that `continuous` fleets serve. Its step times follow from its shape and the fleet hardware.',
    ),
);

export type ModelSpec = z.output<typeof ModelSchema>;
