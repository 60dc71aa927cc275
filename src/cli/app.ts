import yargs from 'yargs';
import { RunInputError, UserError } from '../core/errors.js';
import { oneLine } from '../core/unprintable.js';
import { IMPORT_FORMATS } from '../hardware/import/formats.js';
import { MEASURED_FORMATS, MEASURED_TIME_UNITS } from '../plan/calibrate/measured.js';
import { fleetsimVersion } from '../plan/inputs.js';
import type { CommandName } from './examples.js';
import { parseFailOn } from './fail-on.js';
import {
  numericOption,
  parsePositiveInteger,
  parsePrice,
  parseSeed,
  parseShare,
  parseWorkers,
} from './flags.js';
import { type CliIo, EXIT_BUG, EXIT_USER_ERROR, formatForUser, UsageError } from './io.js';
import {
  CATALOG_OPTION,
  CHARTS_OPTION,
  CONFINE_OPTIONS,
  checkOption,
  DIFF_FORMATS,
  documented,
  FORCE_OPTION,
  MODEL_UNCERTAINTY_OPTION,
  PNG_OPTION,
  replicationsOption,
  studyFlags,
} from './options.js';
import { COMMANDS, optionNames, unknownArgumentMessage } from './unknown-arguments.js';

/**
 * A command's module, imported when the command runs: each pulls in what it needs (the
 * simulator, zod schemas, the report, worker pools) and no command should pay for the others'.
 */
function lazy<Args extends unknown[], Result>(
  load: () => Promise<(...args: Args) => Result>,
): (...args: Args) => Promise<Result> {
  return async (...args) => (await load())(...args);
}

/** What each command does once its flags are parsed and checked. */
export const COMMAND_HANDLERS = {
  run: lazy(async () => (await import('./commands/run.js')).runCommand),
  report: lazy(async () => (await import('./commands/report.js')).reportCommand),
  compare: lazy(async () => (await import('./commands/compare.js')).compareCommand),
  diff: lazy(async () => (await import('./commands/diff.js')).diffCommand),
  validate: lazy(async () => (await import('./commands/validate.js')).validateCommand),
  sweep: lazy(async () => (await import('./commands/sweep.js')).sweepCommand),
  plan: lazy(async () => (await import('./commands/plan.js')).planCommand),
  calibrate: lazy(async () => (await import('./commands/calibrate.js')).calibrateCommand),
  manifest: lazy(async () => (await import('./commands/manifest.js')).manifestCommand),
  merge: lazy(async () => (await import('./commands/merge.js')).mergeCommand),
  schema: lazy(async () => (await import('./commands/schema.js')).schemaCommand),
  'catalog list': lazy(async () => (await import('./commands/catalog.js')).catalogListCommand),
  'catalog show': lazy(async () => (await import('./commands/catalog.js')).catalogShowCommand),
  'catalog import': lazy(async () => (await import('./commands/catalog.js')).catalogImportCommand),
  'trace stats': lazy(async () => (await import('./commands/trace.js')).traceStatsCommand),
} satisfies Record<CommandName, unknown>;

export type CommandHandlers = typeof COMMAND_HANDLERS;

/**
 * Parses `argv` (without node and script), runs the command, and returns the exit code. Never
 * exits the process. `handlers` are what the commands do: tests parse command lines with their own.
 */
export async function runCli(
  argv: string[],
  io: CliIo,
  handlers: CommandHandlers = COMMAND_HANDLERS,
): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('fleetsim')
    .usage('$0 <command> [options]\n\nDiscrete-event simulation of AI-inference fleets: latency and cost.')
    .command(
      'run [scenario]',
      'run a scenario (default: the demo)',
      (y) =>
        documented(
          y,
          'run',
          'run [scenario]',
          'run a scenario (default: the built-in demo) and write its summary, time series, charts and report.html',
        )
          .positional('scenario', { type: 'string', describe: 'scenario YAML file' })
          .option('out', { type: 'string', describe: 'output folder (default: out/<scenario name>)' })
          .option('seed', numericOption('override the scenario seed (an integer)', parseSeed))
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key: --set fleets.0.replicas=6',
          })
          .option(
            'replications',
            replicationsOption(
              "run every variant again with N seeds (the first the run's own): mean and 95 % CI in replications.json",
            ),
          )
          .option(
            'workers',
            numericOption('worker threads for --replications (default: one per core)', parseWorkers),
          )
          .option('model-uncertainty', MODEL_UNCERTAINTY_OPTION)
          .option('force', FORCE_OPTION)
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION)
          .option('requests', {
            type: 'boolean',
            describe:
              "also write requests.jsonl: one line per measured request (default: the scenario's report.requests)",
          })
          .option(
            'check',
            checkOption(
              'exit 3 (after writing every output) unless the baseline meets its objective: a gate for CI',
            ),
          )
          .option('charts', CHARTS_OPTION)
          .option('png', PNG_OPTION)
          .option('json', { type: 'boolean', default: false, describe: 'print summary.json to stdout' })
          .option('quiet', {
            type: 'boolean',
            default: false,
            describe: 'print nothing but errors (no progress, tables or warnings)',
          }),
      async (args) => {
        exitCode = await handlers.run(args, io);
      },
    )
    .command(
      'report <dir>',
      'redraw the report of a finished run',
      (y) =>
        documented(
          y,
          'report',
          'report <dir>',
          'draw the charts and report.html of a finished run again, from its files in DIR',
        )
          .positional('dir', {
            type: 'string',
            demandOption: true,
            describe: 'output folder of fleetsim run',
          })
          .option('png', {
            ...PNG_OPTION,
            describe: `${PNG_OPTION.describe} (default: as the run was drawn; --no-png leaves them out)`,
          })
          .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' }),
      async (args) => {
        exitCode = await handlers.report(args, io);
      },
    )
    .command(
      'compare <scenarios..>',
      'compare scenario files on one seed',
      (y) =>
        documented(
          y,
          'compare',
          'compare <scenarios..>',
          'run scenario files (and their variants) with one seed and compare them against the first',
        )
          .positional('scenarios', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'scenario YAML files',
          })
          .option('out', { type: 'string', describe: 'output folder (default: out/compare-<names>)' })
          .option(
            'seed',
            numericOption("the seed of every run, an integer (default: the first file's)", parseSeed),
          )
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key of every file: --set fleets.0.replicas=6',
          })
          .option(
            'replications',
            replicationsOption(
              'run every configuration with N seeds: means, 95 % CIs, and which differences are noise',
            ),
          )
          .option('model-uncertainty', MODEL_UNCERTAINTY_OPTION)
          .option('force', FORCE_OPTION)
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION)
          .option('requests', {
            type: 'boolean',
            describe:
              "also write requests.jsonl: one line per measured request of every configuration (default: the first file's report.requests)",
          })
          .option(
            'check',
            checkOption('exit 3 (after writing every output) unless every configuration meets its objective'),
          )
          .option('charts', CHARTS_OPTION)
          .option('png', PNG_OPTION)
          .option('json', { type: 'boolean', default: false, describe: 'print comparison.json to stdout' })
          .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' }),
      async (args) => {
        exitCode = await handlers.compare(args, io);
      },
    )
    .command(
      'diff <old> <new>',
      'show what changed between two scenario files',
      (y) =>
        documented(
          y,
          'diff',
          'diff <old> <new>',
          'run two versions of a scenario and show, configuration by configuration (paired by name), what changed beyond noise: cost, latency, lost requests, the verdict; for review and CI',
        )
          .positional('old', {
            type: 'string',
            demandOption: true,
            describe: 'the scenario before the change',
          })
          .positional('new', {
            type: 'string',
            demandOption: true,
            describe: 'the scenario after the change',
          })
          .option('format', {
            choices: DIFF_FORMATS,
            default: 'table' as const,
            describe:
              'table (terminal), json, markdown, or github-comment (markdown for a pull-request comment)',
          })
          .option('fail-on', {
            type: 'string',
            array: true,
            requiresArg: true,
            coerce: parseFailOn,
            describe:
              'exit 3 when a threshold trips: slo (an objective newly missed), lost (more requests lost), or FIGURE:+N% with FIGURE one of cost, cost-per-1m-tokens, cost-per-1k-requests, p50, p99, ttft-p50, ttft-p99, tpot-p50, tpot-p99 (repeatable, or comma-separated)',
          })
          .option(
            'replications',
            replicationsOption(
              'run every configuration with N seeds on both sides: a change must leave 0 out of the 95 % CI of its paired differences',
            ),
          )
          .option(
            'seed',
            numericOption("the seed of both sides, an integer (default: each file's)", parseSeed),
          )
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key of both sides, as a plan chose it: --set fleets.0.replicas=6',
          })
          .option('out', {
            type: 'string',
            describe:
              'also write diff.json, diff.md and comment.md in this folder (default: nothing written)',
          })
          .option('force', FORCE_OPTION)
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION)
          .option('quiet', {
            type: 'boolean',
            default: false,
            describe: 'print nothing but the diff and errors',
          }),
      async (args) => {
        exitCode = await handlers.diff(args, io);
      },
    )
    .command(
      'validate <scenario>',
      'check a scenario without running it',
      (y) =>
        documented(
          y,
          'validate',
          'validate <scenario>',
          'check a scenario file, and every point of its sweep:, without running it',
        )
          .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key: --set fleets.0.replicas=6',
          })
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION)
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'print the verdict and every diagnostic as JSON on stdout (exit 2 still marks errors)',
          }),
      async (args) => {
        exitCode = await handlers.validate(args, io);
      },
    )
    .command(
      'sweep <scenario>',
      'run every point of a parameter sweep',
      (y) =>
        studyFlags(
          'sweep',
          documented(
            y,
            'sweep',
            'sweep <scenario>',
            'run every point of a parameter sweep and write sweep.json, sweep.csv, summary.md and report.html',
          ),
        )
          .option('grid', {
            type: 'string',
            array: true,
            describe: 'sweep a key: --grid fleets.0.replicas=2..24 or --grid "fleets.0.instance=[a, b]"',
          })
          .option('sampling', {
            choices: ['grid', 'random', 'latin-hypercube'] as const,
            describe: "override sweep.sampling (default: the scenario's, else grid)",
          })
          .option(
            'points',
            numericOption('points to draw for random and latin-hypercube', (value) =>
              parsePositiveInteger('--points', value),
            ),
          )
          .option('shard', { type: 'string', describe: 'run only slice K of N (0-based): --shard 0/4' })
          .option('json', { type: 'boolean', default: false, describe: 'print sweep.json to stdout' }),
      async (args) => {
        exitCode = await handlers.sweep(args, io);
      },
    )
    .command(
      'plan <scenario>',
      'find the cheapest configuration meeting slo:',
      (y) =>
        studyFlags(
          'plan',
          documented(
            y,
            'plan',
            'plan <scenario>',
            'find the cheapest configuration that meets the scenario slo: and write plan.json, plan.md and report.html',
          ),
        )
          .option('vary', {
            type: 'string',
            array: true,
            describe: 'a choice: --vary fleets.0.replicas=1..64 --vary "fleets.0.instance=[a, b]"',
          })
          .option('capacity', {
            type: 'boolean',
            default: true,
            describe: 'search the largest load each candidate sustains (--no-capacity skips it)',
          })
          .option('purchase-mix', {
            type: 'string',
            array: true,
            describe:
              'search purchase mixes of the one serving fleet instead (docs/purchase-mix.md): --purchase-mix reserved_3y=0..4 --purchase-mix spot_max=[0, 4]; keys reserved_3y, reserved_1y, on_demand_floor, on_demand_max, spot_max',
          })
          .option(
            'risk-tolerance',
            numericOption(
              'with --purchase-mix: the largest share of replications the pick may miss the objective in (default 0)',
              (value) => parseShare('--risk-tolerance', value),
            ),
          )
          .option(
            'check',
            checkOption(
              'exit 3 (after writing every output) unless the plan found a configuration that meets the objective',
            ),
          )
          .option('json', { type: 'boolean', default: false, describe: 'print plan.json to stdout' }),
      async (args) => {
        exitCode = await handlers.plan(args, io);
      },
    )
    .command(
      'calibrate <measured>',
      'fit step times to a measured run',
      (y) =>
        documented(
          y,
          'calibrate',
          'calibrate <measured>',
          "fit an LLM fleet's step-time parameters to a measured run and write calibration.json and a calibrated scenario.yaml",
        )
          .positional('measured', {
            type: 'string',
            demandOption: true,
            describe:
              'per-request results of a real serving run: requests.jsonl columns (JSONL or CSV), a GuideLLM report or a vLLM benchmark result (--save-detailed)',
          })
          .option('scenario', {
            type: 'string',
            demandOption: true,
            describe: 'scenario YAML describing the server: model, hardware, batching',
          })
          .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
          .option('fleet', {
            type: 'string',
            describe: 'the fleet to calibrate, when the scenario has several',
          })
          .option('format', {
            choices: MEASURED_FORMATS,
            describe:
              'layout of the measured file (default: csv for .csv, guidellm or vllm by the keys of a .json, else jsonl)',
          })
          .option('columns', {
            type: 'string',
            describe:
              'columns of a jsonl/csv file that differ from requests.jsonl: --columns arrival=ts,input_tokens=prompt_len',
          })
          .option('time-unit', {
            choices: MEASURED_TIME_UNITS,
            describe: 'jsonl/csv: unit of arrival, first_token and finish (default s)',
          })
          .option(
            'resamples',
            numericOption('bootstrap resamples for the uncertainty (default 20)', (value) =>
              parsePositiveInteger('--resamples', value),
            ),
          )
          .option('force', FORCE_OPTION)
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION)
          .option(
            'check',
            checkOption('exit 3 (after writing every output) when the hold-out error marks the fit as poor'),
          )
          .option('json', { type: 'boolean', default: false, describe: 'print calibration.json to stdout' })
          .option('quiet', {
            type: 'boolean',
            default: false,
            describe: 'print nothing but errors and warnings',
          }),
      async (args) => {
        exitCode = await handlers.calibrate(args, io);
      },
    )
    .command(
      'manifest <scenario>',
      'an autoscaler as HPA, Knative or AWS settings',
      (y) =>
        documented(
          y,
          'manifest',
          'manifest <scenario>',
          'print each autoscaled fleet of a variant as the configuration of the autoscaler it simulates: a Kubernetes HPA (target-tracking), Knative annotations (concurrency) or AWS step scaling (queue-depth)',
        )
          .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
          .option('variant', { type: 'string', describe: 'which variant (default: the baseline)' })
          .option('fleet', { type: 'string', describe: 'one fleet (default: every autoscaled fleet)' })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key, e.g. the setting a plan chose: --set fleets.0.autoscaling.target=12',
          })
          .options(CONFINE_OPTIONS)
          .option('catalog', CATALOG_OPTION),
      async (args) => {
        exitCode = await handlers.manifest(args, io);
      },
    )
    .command(
      'merge <dirs..>',
      'combine the shards of a sweep',
      (y) =>
        documented(
          y,
          'merge',
          'merge <dirs..>',
          'combine the sweep.json of every shard into one sweep.json, sweep.csv, summary.md and report.html',
        )
          .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard folders' })
          .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
          .option('force', FORCE_OPTION)
          .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' }),
      async (args) => {
        exitCode = await handlers.merge(args, io);
      },
    )
    .command(
      'schema',
      'print the JSON Schema of scenario files',
      (y) => documented(y, 'schema', 'schema', 'print the JSON Schema (draft-7) of scenario files'),
      async () => {
        exitCode = await handlers.schema(io);
      },
    )
    .command('catalog', 'browse and refresh the instance catalog', (y) =>
      y
        .command(
          'list',
          'instance types, cheapest first',
          (c) =>
            documented(
              c,
              'catalog list',
              'catalog list',
              'instance types with their hardware, price and its age, cheapest first',
            )
              .option('provider', { type: 'string', describe: 'aws, gcp, azure or edge (any case)' })
              .option('accelerator', {
                type: 'string',
                describe: 'accelerator id, e.g. h100-80gb, l4, tpu-v5e (any case)',
              })
              .option('max-price', numericOption('USD per hour at most', parsePrice))
              .option('region', {
                type: 'string',
                describe: "price region (default: each provider's default)",
              })
              .option('market', {
                type: 'string',
                describe: 'on-demand (default), spot, reserved (1 year) or reserved-3y',
              })
              .option('catalog', CATALOG_OPTION)
              .option('as-of', {
                type: 'string',
                describe: 'count price ages to this date, YYYY-MM-DD (default: today)',
              })
              .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
          async (args) => {
            exitCode = await handlers['catalog list'](args, io);
          },
        )
        .command(
          'show <instance>',
          'one instance type in full',
          (c) =>
            documented(
              c,
              'catalog show',
              'catalog show <instance>',
              'every field, region and price of one instance type, with sources and dates',
            )
              .positional('instance', {
                type: 'string',
                demandOption: true,
                describe: 'e.g. aws/p5.48xlarge',
              })
              .option('catalog', CATALOG_OPTION)
              .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
          async (args) => {
            exitCode = await handlers['catalog show'](args, io);
          },
        )
        .command(
          'import',
          'refresh a pricing file from price lists',
          (c) =>
            documented(
              c,
              'catalog import',
              'catalog import',
              'rebuild or extend a pricing file from price lists you downloaded (offline)',
            )
              .option('from', {
                type: 'string',
                array: true,
                describe: `a price list, FORMAT=FILE[@YYYY-MM-DD]; FORMAT one of ${IMPORT_FORMATS.join(', ')}; the first list with a price wins`,
              })
              .option('base', {
                type: 'string',
                describe: 'the pricing or user catalog file to refresh: its types, hardware and regions',
              })
              .option('provider', {
                type: 'string',
                describe: 'whose prices these are (default: from the formats)',
              })
              .option('types', { type: 'string', describe: 'types to add, comma-separated' })
              .option('regions', {
                type: 'string',
                describe: "regions of every entry, comma-separated (default: each base entry's own)",
              })
              .option('out', { type: 'string', demandOption: true, describe: 'the file to write' })
              .option('force', { type: 'boolean', default: false, describe: 'replace --out if it exists' })
              .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' }),
          async (args) => {
            exitCode = await handlers['catalog import'](args, io);
          },
        )
        .demandCommand(1, 'say which catalog command: list, show, import'),
    )
    .command('trace', 'inspect request traces', (y) =>
      y
        .command(
          'stats <file>',
          'rate, span and token percentiles of a trace',
          (t) =>
            documented(
              t,
              'trace stats',
              'trace stats <file>',
              'request count, span, mean/peak rate and token percentiles of a trace',
            )
              .positional('file', {
                type: 'string',
                demandOption: true,
                describe: 'trace file (CSV or JSONL)',
              })
              .option('format', {
                choices: ['azure-llm', 'vidur', 'mooncake', 'csv', 'jsonl'] as const,
                describe:
                  'trace format (default: the preset whose columns the header names, else csv, or jsonl for .jsonl)',
              })
              .option('time-column', {
                type: 'string',
                describe: 'csv/jsonl: column holding the arrival time',
              })
              .option('time-unit', {
                choices: ['s', 'ms', 'us', 'datetime'] as const,
                describe: 'unit of the time column',
              })
              .option('column', {
                type: 'string',
                array: true,
                describe:
                  'where a request attribute is, checked and summarised as a run reads it: --column input_tokens=prompt_len',
              })
              .option('on-bad-row', {
                choices: ['error', 'skip'] as const,
                default: 'error' as const,
                describe: 'skip: pass over bad rows and count them, as a run with on_bad_row: skip does',
              })
              .option('columns', {
                type: 'boolean',
                default: false,
                describe:
                  "list the trace's columns (CSV header, keys of the first JSONL records) and what each is read as, instead of the statistics",
              })
              .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' }),
          async (args) => {
            exitCode = await handlers['trace stats'](args, io);
          },
        )
        .demandCommand(1, 'say which trace command: stats'),
    )
    .demandCommand(1, `say which command to run: ${COMMANDS.join(', ')} (fleetsim --help describes them)`)
    .strict()
    // Numeric flags carry no yargs type and keep their text for their own checks (see numericOption).
    .parserConfiguration({ 'parse-numbers': false })
    .help()
    .alias('h', 'help')
    .version(fleetsimVersion())
    .exitProcess(false)
    .fail((message, error, usage) => {
      // yargs wraps what a flag's coerce throws (a UsageError of flags.ts) in its own error type.
      if (error?.name === 'YError') throw new UsageError(error.message);
      throw error ?? new UsageError(unknownArgumentMessage(message, argv, optionNames(usage)));
    });

  skipHelpCache(parser);
  try {
    // With a callback, yargs hands over the text of --help and --version instead of printing it.
    let shown = '';
    await parser.parseAsync(argv, {}, (_error, _args, output) => {
      shown = output;
    });
    if (shown !== '') io.stdout(`${shown}\n`);
    return exitCode;
  } catch (error) {
    // Imported here, not on top: run.js brings the simulator, which --help or a catalog lookup does not need.
    const { ScenarioError } = await import('../run.js');
    if (error instanceof ScenarioError) {
      for (const d of error.diagnostics) io.stderr(`${formatForUser(d, io.cwd)}\n`);
      return EXIT_USER_ERROR;
    }
    if (error instanceof UserError) {
      io.stderr(`${formatForUser(error.diagnostic, io.cwd)}\n`);
      return EXIT_USER_ERROR;
    }
    if (error instanceof UsageError || error instanceof RunInputError) {
      io.stderr(`fleetsim: ${oneLine(error.message)}\n`);
      return EXIT_USER_ERROR;
    }
    if (isUnwritable(error)) {
      io.stderr(`fleetsim: cannot write the outputs: ${error.message}\n`);
      return EXIT_USER_ERROR;
    }
    io.stderr(
      `fleetsim: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_BUG;
  }
}

/**
 * As a command starts, yargs renders its whole help (usage, examples, every option wrapped to the
 * terminal) and keeps it for a help screen shown after the command, which fleetsim never asks
 * for: `--help` is answered before any command runs, and `fail` above prints no help. That text
 * was a tenth of a short run's time. The hook is yargs' own, not in its typings; a yargs without
 * it keeps its default.
 */
function skipHelpCache(parser: unknown): void {
  const internals = (parser as { getInternalMethods?: () => { getUsageInstance?: () => unknown } })
    .getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** The system refused to create or write an output (a folder the user may not write, a full disk): not a bug. */
function isUnwritable(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(code);
}
