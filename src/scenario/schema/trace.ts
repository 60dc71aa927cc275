/** `workload.arrivals.trace`: a file of requests to replay, its format, columns and window. */

import * as z from 'zod';
import { expected, PositiveDuration, PositiveInteger, PositiveNumber } from '../../core/schema-values.js';
import { TRACE_PRESETS } from '../trace-presets.js';
import type { RequestAttribute, TraceSource } from '../types.js';

// Schemas under z.lazy are built on first use: only trace arrivals read it, and building zod
// schemas is a noticeable part of what a short `fleetsim run` waits for.

export const TRACE_FORMATS = ['azure-llm', 'vidur', 'mooncake', 'csv', 'jsonl'] as const;

export const TIME_UNITS = ['s', 'ms', 'us', 'datetime'] as const;

export const ON_BAD_ROW = ['error', 'skip'] as const;

const column = (attribute: string) =>
  z
    .string(expected('a column name'))
    .min(1, expected('a column name'))
    .optional()
    .describe(`Column (CSV header) or JSON key holding ${attribute}.`);

export const traceSchema = z.lazy(() =>
  z
    .object({
      path: z
        .string(expected('a file path'))
        .min(1, expected('a file path'))
        .describe('Trace file, relative to the scenario file.'),
      format: z
        .enum(TRACE_FORMATS, expected(`one of ${TRACE_FORMATS.join(', ')}`))
        .optional()
        .describe(
          'File layout. `azure-llm` (Azure LLM inference trace CSV), `vidur` (Vidur request CSV) and `mooncake` ' +
            '(Mooncake JSONL) preset the time column, time unit and token columns; `csv` and `jsonl` need ' +
            '`time_column`. Default: with no `time_column` either, the preset whose columns the first line ' +
            'names (the CSV header, or the keys of the first JSONL record); else `jsonl` for a `.jsonl` file, ' +
            'otherwise `csv`.',
        ),
      speed: PositiveNumber.prefault(1).describe('Replay speed-up: 2 halves every gap between arrivals.'),
      limit: PositiveInteger.nullable()
        .prefault(null)
        .describe('Stop after this many requests; null reads the whole trace.'),
      duration: PositiveDuration.nullable()
        .prefault(null)
        .describe('Stop at this trace time (after the first request, after `speed`); null reads to the end.'),
      time_column: z
        .string(expected('a column name'))
        .min(1, expected('a column name'))
        .optional()
        .describe(
          'Column or key holding the arrival time. Default: the preset of `format`; required for csv/jsonl.',
        ),
      time_unit: z
        .enum(TIME_UNITS, expected(`one of ${TIME_UNITS.join(', ')}`))
        .optional()
        .describe(
          'Unit of the time column: `s`, `ms`, `us` (numbers) or `datetime` (ISO-8601 text). Default: the preset of ' +
            '`format`, else `s`.',
        ),
      columns: z
        .object({
          input_tokens: column('the prompt length in tokens'),
          output_tokens: column('the generated length in tokens'),
          request_bytes: column('the request size in bytes'),
          response_bytes: column('the response size in bytes'),
          prefix_blocks: z
            .string(expected('a column name'))
            .min(1, expected('a column name'))
            .optional()
            .describe(
              'Column or key listing the blocks each prompt starts with, for prefix caching, by chained hash ids: ' +
                'block `i` covers prompt tokens up to (i + 1) x `prefix_block_tokens` (the last may be partial, ending ' +
                'with the prompt), and two prompts with the same id at block `i` are the same up to its end ' +
                "(Mooncake's `hash_ids`). A JSON array of non-negative integers in a JSONL trace; in a CSV trace, the " +
                'integers separated by spaces or semicolons. An empty list, or (JSONL) a missing key or null: the ' +
                'prompt shares nothing. Default: `hash_ids` for the mooncake format, else none.',
            ),
          class: column('the request class').describe(
            "Column or key naming each row's request class, one of the names of `workload.classes`: rows go to " +
              'the class they name, which takes its token distributions, priority and objective (a value that ' +
              'names no class is an error, located in the trace file). Only for the trace in `workload.arrivals` ' +
              'beside `workload.classes`.',
          ),
          model: column('the model').describe(
            "Column or key naming each row's model, a name of `models:` (or the one `model:`'s name); an empty " +
              "value leaves the row its class's model. A row whose model no fleet serves is rejected (counted as " +
              'dropped), with a warning (docs/models.md).',
          ),
          adapter: column('the LoRA adapter').describe(
            "Column or key naming each row's LoRA adapter; an empty value: the base model (or the class's " +
              'adapter). Every continuous-batching fleet then needs `adapters` (docs/models.md).',
          ),
        })
        .strict()
        .optional()
        .describe('Where the trace keeps request attributes; each key overrides the preset of `format`.'),
      prefix_block_tokens: PositiveInteger.prefault(512).describe(
        'Prompt tokens per block of `columns.prefix_blocks` (512 in the Mooncake traces).',
      ),
      bootstrap: z
        .object({
          block: PositiveDuration.describe(
            'Block length in trace time (before `speed`, so every `workload.scale` draws the same blocks), e.g. ' +
              '`5m`: long enough to keep bursts and their queues together, short enough that the window holds ' +
              'many blocks. The window holds at most 1,000,000 blocks (a week of trace in `1s` blocks is 604,800): ' +
              'a longer window is an error, located in the trace file, that asks for longer blocks or a shorter ' +
              'window (`limit`, `duration`).',
          ),
        })
        .strict()
        .nullable()
        .prefault(null)
        .describe(
          'Replay a block bootstrap of the trace instead of the trace itself, so replications see different ' +
            'workloads: the window `limit` and `duration` select is cut into consecutive blocks of `block`, and a ' +
            'replay of the same length is built from blocks drawn uniformly with replacement with the seed of the run. ' +
            'Requests keep their offsets within their block and their sizes; the replay is cut at the end of the window, ' +
            'so it holds about as many requests as the window, more or fewer as busier or quieter blocks are ' +
            'drawn. null: replay the trace as it is, the same on every seed.',
        ),
      on_bad_row: z
        .enum(ON_BAD_ROW, expected(`one of ${ON_BAD_ROW.join(', ')}`))
        .prefault('error')
        .describe(
          'What a bad row does: a malformed CSV record or JSON line, a line over 1 MiB (1,048,576 bytes), a time ' +
            'or token count that is not a number. `error` stops the run at the first, with its location. `skip` ' +
            'passes over it and reads on: the run counts what it skipped (`skipped_trace_rows` in summary.json) ' +
            'and warns, with the first few locations, wherever its warnings go (terminal, summary.json, summary.md, ' +
            'report), as it replays fewer requests than the file holds. `fleetsim validate` reads the trace and ' +
            'lists its bad rows either way. Arrival times that decrease are an error either way: the error names ' +
            'a command that sorts the file.',
        ),
    })
    .strict()
    .transform((trace, ctx): TraceSource | typeof z.NEVER => {
      const format = trace.format ?? (/\.jsonl$/i.test(trace.path) ? 'jsonl' : 'csv');
      const preset = format === 'csv' || format === 'jsonl' ? null : TRACE_PRESETS[format];
      const timeColumn = trace.time_column ?? preset?.timeColumn;
      if (timeColumn === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: `required for format ${format} (only azure-llm, vidur and mooncake have presets)`,
          input: trace,
          path: ['time_column'],
        });
        return z.NEVER;
      }
      const columns: TraceSource['columns'] = { ...preset?.columns };
      const {
        prefix_blocks: prefixColumn,
        class: classColumn,
        model: modelColumn,
        adapter: adapterColumn,
        ...attributeColumns
      } = trace.columns ?? {};
      for (const [attribute, name] of Object.entries(attributeColumns)) {
        if (name !== undefined) columns[attribute as RequestAttribute] = name;
      }
      const prefixBlocks = prefixColumn ?? preset?.prefixBlocks;
      return {
        path: trace.path,
        format,
        timeColumn,
        timeUnit: trace.time_unit ?? preset?.timeUnit ?? 's',
        columns,
        speed: trace.speed,
        limit: trace.limit,
        duration: trace.duration,
        bootstrap: trace.bootstrap === null ? null : { blockS: trace.bootstrap.block },
        onBadRow: trace.on_bad_row,
        ...(prefixBlocks !== undefined && {
          prefixBlocks: { column: prefixBlocks, blockTokens: trace.prefix_block_tokens },
        }),
        // The names are the classes': the workload fills them in.
        ...(classColumn !== undefined && { classColumn: { column: classColumn, names: [] } }),
        ...(modelColumn !== undefined && { modelColumn }),
        ...(adapterColumn !== undefined && { adapterColumn }),
      };
    })
    .describe('Replay arrivals (and request attributes) from a file.'),
);
