/** `workload:`: when requests arrive (a process or a trace) and what they carry. */

import * as z from 'zod';
import {
  AdapterCount,
  Duration,
  expected,
  NonNegativeInteger,
  PositiveDuration,
  PositiveInteger,
  PositiveNumber,
} from '../../core/schema-values.js';
import type {
  AdapterChoice,
  Arrivals,
  Rate,
  RequestAttribute,
  RequestClass,
  Sessions,
  TraceSource,
  Workload,
} from '../types.js';
import { exactlyOne, FLEET_NAME, notReservedName, RESERVED_NAME, tooLong } from './common.js';
import { SloSchema } from './run.js';
import { traceSchema } from './trace.js';
import {
  DurationDistribution,
  RateSchema,
  SizeDistribution,
  TokenDistribution,
  TurnDistribution,
} from './values.js';

// Schemas under z.lazy are built on first use: most workloads have no sessions or classes, and
// building zod schemas is a noticeable part of what a short `fleetsim run` waits for.

const sessionsSchema = z.lazy(() =>
  z
    .object({
      rate: RateSchema.meta({
        description:
          'Sessions started per second (number or expression of t): a Poisson process, as for `poisson`.',
        unit: 'sessions/s',
      }),
      turns: TurnDistribution.describe(
        'Turns (requests) per session, drawn when the session starts: a number or a distribution, each draw ' +
          'rounded to a whole number, at least 1.',
      ),
      first_message_tokens: TokenDistribution.describe(
        "Tokens of a session's first message (after the system prompt).",
      ),
      message_tokens: TokenDistribution.optional().describe(
        "Tokens of each later message: a user's reply, or in an agent loop a tool's output. Default: as " +
          '`first_message_tokens`.',
      ),
      output_tokens: TokenDistribution.describe('Tokens of each answer.'),
      think_time: DurationDistribution.describe(
        "Time from one turn's arrival to the next turn's arrival. The workload does not wait for answers " +
          "(open loop), so this includes the time the answer takes: the client's wait for it plus the user's " +
          "(or the tool's) time before the next message. See `answer_time_per_token` for the part that grows " +
          'with the answer.',
      ),
      answer_time_per_token: Duration.prefault(0).describe(
        "Added to each gap between turns per token of the previous turn's answer: the assumed time to " +
          'stream one token (e.g. `20ms`), so a long answer delays the next turn. 0: `think_time` alone.',
      ),
      system_prompt_tokens: NonNegativeInteger.prefault(0).describe(
        'Tokens of a system prompt every session starts with, the same in all of them (a prefix cache can ' +
          'share it). 0: none.',
      ),
    })
    .strict()
    .transform(
      (spec): Sessions => ({
        rate: spec.rate,
        turns: spec.turns,
        firstMessageTokens: spec.first_message_tokens,
        messageTokens: spec.message_tokens ?? spec.first_message_tokens,
        outputTokens: spec.output_tokens,
        thinkTime: spec.think_time,
        answerTimePerToken: spec.answer_time_per_token,
        systemPromptTokens: spec.system_prompt_tokens,
      }),
    )
    .describe(
      "Multi-turn conversations (chat, agent loops). Each turn's prompt is the previous turn's prompt, its " +
        'answer and a new message, so prompts grow through a session, and arrivals carry the shared part ' +
        'as prefix segments for prefix caching. Sessions start only before `duration`, and no turn arrives ' +
        'at or after it: sessions still running then are cut.',
    ),
);

const ARRIVAL_KINDS = ['poisson', 'gamma', 'constant', 'trace', 'sessions'] as const;

const ArrivalsSchema = z
  .object({
    poisson: z
      .object({
        rate: RateSchema.describe('Mean arrival rate, requests/second (number or expression of t).'),
      })
      .strict()
      .optional()
      .describe('Poisson process: independent exponential gaps.'),
    gamma: z
      .object({
        rate: PositiveNumber.meta({ description: 'Mean arrival rate, requests/second.', unit: 'requests/s' }),
        cv: PositiveNumber.describe(
          'Coefficient of variation of the gaps; above 1 is burstier than Poisson.',
        ),
      })
      .strict()
      .optional()
      .describe('Renewal process with gamma-distributed gaps.'),
    constant: z
      .object({
        rate: PositiveNumber.meta({ description: 'Arrivals per second, evenly spaced.', unit: 'requests/s' }),
      })
      .strict()
      .optional()
      .describe('Deterministic arrivals every 1/rate seconds.'),
    trace: traceSchema.optional(),
    sessions: sessionsSchema.optional(),
  })
  .strict()
  .meta({ minProperties: 1, maxProperties: 1 })
  .check(exactlyOne(ARRIVAL_KINDS))
  .transform((spec): Arrivals => {
    if (spec.poisson) return { kind: 'poisson', rate: spec.poisson.rate };
    if (spec.gamma) return { kind: 'gamma', rate: spec.gamma.rate, cv: spec.gamma.cv };
    if (spec.constant) return { kind: 'constant', rate: spec.constant.rate };
    if (spec.sessions) return { kind: 'sessions', sessions: spec.sessions };
    return { kind: 'trace', trace: spec.trace! };
  })
  .describe('When requests arrive: exactly one of `poisson`, `gamma`, `constant`, `trace`, `sessions`.');

/** What a workload and each of its classes give requests: their sizes and shared system prompts. */
const requestFields = {
  input_tokens: TokenDistribution.optional().describe(
    'Prompt length, tokens. Default: 0 (or the trace column).',
  ),
  output_tokens: TokenDistribution.optional().describe(
    'Generated length, tokens. Default: 0 (or the trace column).',
  ),
  request_bytes: SizeDistribution.optional().describe('Request body size. Default: 0 (or the trace column).'),
  response_bytes: SizeDistribution.optional().describe(
    'Response body size. Default: 0 (or the trace column).',
  ),
  shared_prefix: z
    .object({
      tokens: PositiveInteger.meta({
        description:
          'Tokens of each system prompt: every prompt starts with one (a shorter prompt is all system prompt).',
        unit: 'tokens',
      }),
      prompts: PositiveInteger.prefault(1).describe(
        'How many different system prompts there are; each request draws one uniformly.',
      ),
    })
    .strict()
    .optional()
    .describe(
      'Every prompt starts with one of `prompts` system prompts of `tokens` tokens, which continuous-batching ' +
        "fleets with `prefix_caching` compute once per replica and then reuse from the KV cache. Drawn from a stream of its own, so variants keep common random numbers. Replaces what a trace's `prefix_blocks` say. " +
        'Default: prompts share nothing (unless the trace says they do).',
    ),
};

type RequestFields = {
  [K in keyof typeof requestFields]?: z.output<(typeof requestFields)[K]>;
};

const REQUEST_FIELD_KEYS = Object.keys(requestFields) as (keyof typeof requestFields)[];

type Issues = z.core.$ZodRawIssue[];

/** A session's turns carry their own token counts; a workload distribution would be ignored. */
function checkSessionTokens(value: RequestFields & { arrivals?: Arrivals }, issues: Issues): void {
  if (value.arrivals?.kind !== 'sessions') return;
  for (const key of ['input_tokens', 'output_tokens'] as const) {
    if (value[key] === undefined) continue;
    issues.push({
      code: 'custom',
      message:
        key === 'input_tokens'
          ? 'sessions arrivals give each turn its input tokens (system_prompt_tokens, first_message_tokens, message_tokens and the answers so far); remove this key'
          : 'sessions arrivals give each turn its output tokens (arrivals.sessions.output_tokens); remove this key',
      input: value[key],
      path: [key],
    });
  }
}

function attributesOf(fields: RequestFields): Workload['attributes'] {
  const drawn: Workload['attributes'] = {};
  for (const key of REQUEST_FIELD_KEYS) {
    const distribution = fields[key];
    if (key !== 'shared_prefix' && distribution !== undefined)
      drawn[key as RequestAttribute] = distribution as NonNullable<Workload['attributes'][RequestAttribute]>;
  }
  return drawn;
}

/** Requests keep their priority in a 32-bit column; a billion levels either way is room enough. */
const MAX_PRIORITY = 1_000_000_000;
const PRIORITY_RANGE = 'an integer from -1000000000 to 1000000000';

const CLASS_NAME = 'a class name: letters, digits, _ . -';
const MAX_CLASS_NAME = 64;

const className = (what: string) =>
  z
    .string(expected(what))
    .min(1, expected(what))
    .max(MAX_CLASS_NAME, tooLong(what, MAX_CLASS_NAME))
    .regex(FLEET_NAME, expected(what))
    .refine(notReservedName, RESERVED_NAME);

const ClassSchema = z.lazy(() =>
  z
    .object({
      name: className(CLASS_NAME).describe(
        `The class's name in every output (\`variants[].classes.<name>\` in summary.json), and the value a trace's ` +
          `class column gives its rows: letters, digits, \`_\`, \`.\`, \`-\`, at most ${MAX_CLASS_NAME} characters, ` +
          'unique among the classes.',
      ),
      arrivals: ArrivalsSchema.optional().describe(
        "The class's own arrivals, as `workload.arrivals`, drawn from random streams of its own: adding or " +
          "changing another class leaves this class's arrivals and sizes as they were. Absent: the rows of the " +
          "workload's trace (`workload.arrivals.trace` with `columns.class`) that name this class.",
      ),
      ...requestFields,
      priority: z
        .number(expected(PRIORITY_RANGE))
        .int(expected(PRIORITY_RANGE))
        .min(-MAX_PRIORITY, expected(PRIORITY_RANGE))
        .max(MAX_PRIORITY, expected(PRIORITY_RANGE))
        .prefault(0)
        .describe(
          "Priority of every request of the class, higher first: every queue (a replica's, the continuous " +
            "scheduler's admissions, requests held while no replica is ready) serves a higher priority before " +
            'a lower one, and arrival order within one (docs/workload.md#priorities-and-deadlines). Summary and ' +
            'requests carry it.',
        ),
      deadline: PositiveDuration.optional().describe(
        'Makes the class deferrable batch work: its requests rank below every class without a deadline ' +
          '(among deadline classes, by `priority`), so they run only in capacity no other request waits ' +
          'for, and each must finish within this long of its arrival. It waits at most that long instead ' +
          "of its fleet's `queue.timeout`, and one that finishes later is counted as timed out (lost), its " +
          'work spent all the same. Absent: an interactive class, served by `priority`.',
      ),
      slo: SloSchema.optional().describe(
        "The class's own objective, with the keys of `slo:`, judged on the class's requests alone. Absent: the " +
          "scenario's `slo:` (or the default objective), judged on the class's requests. A run meets its " +
          'objective only if every class meets its own.',
      ),
      tenant: className('a tenant name: letters, digits, _ . -')
        .optional()
        .describe(
          'Who the class is served for, as a label of its cost (`cost-allocation.json`); several classes may ' +
            "share one. Default: the class's name.",
        ),
      model: z
        .string(expected('a model name'))
        .min(1, expected('a model name'))
        .optional()
        .describe(
          "The model its requests ask for: a name of `models:` (or the one `model:`'s name, as summary.json's " +
            '`llm.model` shows it). Required when there are several models; default: the only one. Its requests go ' +
            'only to fleets that serve it.',
        ),
      adapter: z
        .union(
          [
            className('an adapter name: letters, digits, _ . -'),
            z
              .object({
                count: AdapterCount.describe(
                  'How many adapters the class spreads over, named `<class>/0` .. `<class>/<count - 1>`; ' +
                    'the classes together draw from at most 100,000.',
                ),
                zipf: z
                  .number(expected('a non-negative number'))
                  .min(0, expected('a non-negative number'))
                  .prefault(0)
                  .describe(
                    'Popularity skew: adapter i is drawn with weight 1 / (i + 1)^zipf; 0 draws them uniformly.',
                  ),
              })
              .strict(),
          ],
          { error: 'expected an adapter name or { count, zipf }' },
        )
        .optional()
        .transform((a): AdapterChoice | undefined =>
          a === undefined
            ? undefined
            : typeof a === 'string'
              ? { kind: 'named', name: a }
              : { kind: 'drawn', count: a.count, zipf: a.zipf },
        )
        .describe(
          'The LoRA adapter its requests name (on fleets with `adapters`, see docs/models.md): one name, or ' +
            "`{ count, zipf }`, one of `count` adapters drawn per request from a stream of the class's own. Default: " +
            'the base model.',
        ),
    })
    .strict()
    .check((ctx) => checkSessionTokens(ctx.value, ctx.issues))
    .describe('One class of requests: a workload of its own, with its priority, objective and tenant.'),
);

export const WorkloadSchema = z
  .object({
    arrivals: ArrivalsSchema.optional().describe(
      'When requests arrive: exactly one of `poisson`, `gamma`, `constant`, `trace`, `sessions`. Required ' +
        'without `classes`; beside `classes`, only a trace whose `columns.class` names the class of each row.',
    ),
    ...requestFields,
    scale: PositiveNumber.prefault(1).describe(
      "Load multiplier: every arrival rate (a trace's `speed`) is multiplied by it. Sweeps and plans vary it " +
        "for growth, e.g. `workload.scale: [1, 1.5, 2]`. With `classes`, every class's.",
    ),
    classes: z
      .array(ClassSchema, expected('a list of classes'))
      .min(1, expected('at least one class'))
      .optional()
      .describe(
        'Request classes (see docs/classes.md): each with its own arrivals (or the rows of the workload trace ' +
          'that name it), sizes, priority, objective and tenant; each is reported apart, and every dollar of ' +
          'a run is attributed to one of them or to idle capacity. Without `classes`, the workload is one ' +
          'class, `default`.',
      ),
  })
  .strict()
  .check((ctx) => checkWorkload(ctx.value, ctx.issues))
  .transform(({ arrivals, scale, shared_prefix, classes, ...attributes }): Workload => {
    if (classes === undefined) {
      return {
        arrivals: scaleArrivals(arrivals as Arrivals, scale),
        attributes: attributesOf(attributes),
        ...(shared_prefix !== undefined && { sharedPrefix: shared_prefix }),
      };
    }
    const names = classes.map((c) => c.name);
    const trace =
      arrivals?.kind === 'trace' && arrivals.trace.classColumn != null
        ? scaleTrace({ ...arrivals.trace, classColumn: { ...arrivals.trace.classColumn, names } }, scale)
        : null;
    return {
      arrivals: {
        kind: 'classes',
        classes: classes.map(
          (c): RequestClass => ({
            name: c.name,
            arrivals: c.arrivals === undefined ? null : scaleArrivals(c.arrivals, scale),
            attributes: attributesOf(c),
            ...(c.shared_prefix !== undefined && { sharedPrefix: c.shared_prefix }),
            priority: c.priority,
            deadline: c.deadline ?? null,
            slo: c.slo ?? null,
            tenant: c.tenant ?? null,
            ...(c.model !== undefined && { model: c.model }),
            ...(c.adapter !== undefined && { adapter: c.adapter }),
          }),
        ),
        trace,
      },
      attributes: {},
    };
  })
  .describe('The requests: when they arrive and what they carry.');

type WorkloadFields = RequestFields & {
  arrivals?: Arrivals;
  classes?: (RequestFields & { name: string; arrivals?: Arrivals })[];
};

/** What `workload:` needs beyond its keys' own checks: arrivals somewhere, classes named once, class columns where they can be read. */
function checkWorkload(value: WorkloadFields, issues: Issues): void {
  const issue = (path: (string | number)[], message: string) =>
    issues.push({ code: 'custom', message, input: value, path });
  const classColumn = (arrivals: Arrivals | undefined) =>
    arrivals?.kind === 'trace' && arrivals.trace.classColumn != null;
  checkSessionTokens(value, issues);
  const { classes } = value;
  if (classes === undefined) {
    if (value.arrivals === undefined) issue(['arrivals'], 'required (or `classes`, each with its arrivals)');
    else if (classColumn(value.arrivals))
      issue(
        ['arrivals', 'trace', 'columns', 'class'],
        'a class column needs `workload.classes` to name the classes',
      );
    return;
  }
  for (const key of REQUEST_FIELD_KEYS) {
    if (value[key] !== undefined)
      issue([key], 'with `classes`, give it in each class that needs it (each class draws its own)');
  }
  const shared = value.arrivals !== undefined && classColumn(value.arrivals);
  if (value.arrivals !== undefined && !shared) {
    issue(
      ['arrivals'],
      "beside `classes`, arrivals can only be a trace whose `columns.class` names each row's class; give other arrivals to each class",
    );
  }
  const first = new Map<string, number>();
  classes.forEach((c, i) => {
    const seen = first.get(c.name);
    if (seen !== undefined)
      issue(['classes', i, 'name'], `duplicate class name "${c.name}" (also workload.classes[${seen}])`);
    else first.set(c.name, i);
    if (c.arrivals === undefined && !shared) {
      issue(
        ['classes', i],
        "needs `arrivals` (or the workload's `arrivals.trace` with `columns.class` naming its rows)",
      );
    }
    if (classColumn(c.arrivals))
      issue(
        ['classes', i, 'arrivals', 'trace', 'columns', 'class'],
        "only the workload's trace (`workload.arrivals.trace`) hands rows to classes",
      );
  });
}
/**
 * Scaling rates (not thinning or copying requests) keeps common random numbers across loads: the
 * same uniform draws give inter-arrival gaps divided by `scale`, so a higher load is the same
 * arrival sequence compressed in time.
 */
function scaleArrivals(arrivals: Arrivals, scale: number): Arrivals {
  if (scale === 1) return arrivals;
  switch (arrivals.kind) {
    case 'poisson':
      return { kind: 'poisson', rate: scaleRate(arrivals.rate, scale) };
    case 'gamma':
    case 'constant':
      return { ...arrivals, rate: arrivals.rate * scale };
    case 'trace':
      return { kind: 'trace', trace: scaleTrace(arrivals.trace, scale) };
    case 'sessions':
      // Only sessions start faster: each session keeps its turns and their pace.
      return {
        kind: 'sessions',
        sessions: { ...arrivals.sessions, rate: scaleRate(arrivals.sessions.rate, scale) },
      };
    case 'classes':
      // Classes are scaled one by one as the workload is read.
      return arrivals;
  }
}

function scaleTrace(trace: TraceSource, scale: number): TraceSource {
  return scale === 1 ? trace : { ...trace, speed: trace.speed * scale };
}

function scaleRate(rate: Rate, scale: number): Rate {
  return rate.kind === 'constant'
    ? { kind: 'constant', value: rate.value * scale }
    : { kind: 'expression', source: `(${rate.source}) * ${scale}` };
}
