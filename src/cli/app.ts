import yargs from 'yargs';
import { RunInputError, UserError } from '../core/errors.js';
import { oneLine } from '../core/unprintable.js';
import { fleetsimVersion } from '../core/version.js';
import {
  catalogListFlags,
  catalogShowFlags,
  compareFlags,
  diffFlags,
  manifestFlags,
  mergeFlags,
  planFlags,
  reportFlags,
  runFlags,
  schemaFlags,
  sweepFlags,
  traceStatsFlags,
  validateFlags,
} from './command-flags.js';
import type { CommandName } from './examples.js';
import { type CliIo, EXIT_BUG, EXIT_USER_ERROR, formatForUser, UsageError } from './io.js';
import { COMMANDS, optionNames, unknownArgumentMessage } from './unknown-arguments.js';

/**
 * Errors a command prints before it says how many more there are, as compilers stop after a
 * screenful (clang after 20): a generated scenario gone wrong can hold thousands of the same
 * mistake, and the first ones say what to fix.
 */
const MAX_DIAGNOSTICS_SHOWN = 50;

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
  // The flags of calibrate and catalog import name the formats they read, from modules that bring
  // yaml, zod and csv-parse: loaded for those commands only (yargs calls the given command's builder).
  const formatFlags = argv.some((word) => word === 'calibrate' || word === 'catalog')
    ? await import('./format-flags.js')
    : undefined;
  const withFormats = () => {
    if (formatFlags === undefined) throw new Error('format-flags.js was not loaded for this command line');
    return formatFlags;
  };
  // The parser itself, for its middleware to read which flags it declared as lists (`getOptions`
  // is yargs' own view of them, public but missing from its type declarations).
  let built: { getOptions(): { array: string[] } } | null = null;
  const parser = yargs(argv)
    .scriptName('fleetsim')
    .usage('$0 <command> [options]\n\nDiscrete-event simulation of AI-inference fleets: latency and cost.')
    .command('run [scenario]', 'run a scenario (default: the demo)', runFlags, async (args) => {
      exitCode = await handlers.run(args, io);
    })
    .command('report <dir>', 'redraw the report of a finished run', reportFlags, async (args) => {
      exitCode = await handlers.report(args, io);
    })
    .command('compare <scenarios..>', 'compare scenario files on one seed', compareFlags, async (args) => {
      exitCode = await handlers.compare(args, io);
    })
    .command('diff <old> <new>', 'show what changed between two scenario files', diffFlags, async (args) => {
      exitCode = await handlers.diff(args, io);
    })
    .command('validate <scenario>', 'check a scenario without running it', validateFlags, async (args) => {
      exitCode = await handlers.validate(args, io);
    })
    .command('sweep <scenario>', 'run every point of a parameter sweep', sweepFlags, async (args) => {
      exitCode = await handlers.sweep(args, io);
    })
    .command('plan <scenario>', 'find the cheapest configuration meeting slo:', planFlags, async (args) => {
      exitCode = await handlers.plan(args, io);
    })
    .command(
      'calibrate <measured>',
      'fit step times to a measured run',
      (y) => withFormats().calibrateFlags(y),
      async (args) => {
        exitCode = await handlers.calibrate(args, io);
      },
    )
    .command(
      'manifest <scenario>',
      'an autoscaler as HPA, Knative or AWS settings',
      manifestFlags,
      async (args) => {
        exitCode = await handlers.manifest(args, io);
      },
    )
    .command('merge <dirs..>', 'combine the shards of a sweep', mergeFlags, async (args) => {
      exitCode = await handlers.merge(args, io);
    })
    .command('schema', 'print the JSON Schema of scenario files', schemaFlags, async () => {
      exitCode = await handlers.schema(io);
    })
    .command('catalog', 'browse and refresh the instance catalog', (y) =>
      y
        .command('list', 'instance types, cheapest first', catalogListFlags, async (args) => {
          exitCode = await handlers['catalog list'](args, io);
        })
        .command('show <instance>', 'one instance type in full', catalogShowFlags, async (args) => {
          exitCode = await handlers['catalog show'](args, io);
        })
        .command(
          'import',
          'refresh a pricing file from price lists',
          (c) => withFormats().catalogImportFlags(c),
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
          traceStatsFlags,
          async (args) => {
            exitCode = await handlers['trace stats'](args, io);
          },
        )
        .demandCommand(1, 'say which trace command: stats'),
    )
    .demandCommand(1, `say which command to run: ${COMMANDS.join(', ')} (fleetsim --help describes them)`)
    .strict()
    .middleware((args) => singleValues(args, built?.getOptions().array ?? []))
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

  built = parser as unknown as { getOptions(): { array: string[] } };
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
      const { diagnostics } = error;
      for (const d of diagnostics.slice(0, MAX_DIAGNOSTICS_SHOWN)) io.stderr(`${formatForUser(d, io.cwd)}\n`);
      if (diagnostics.length > MAX_DIAGNOSTICS_SHOWN) {
        const more = diagnostics.length - MAX_DIAGNOSTICS_SHOWN;
        io.stderr(
          `fleetsim: ${more.toLocaleString('en-US')} more error(s) not shown; fleetsim validate --json lists them all\n`,
        );
      }
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
 * A flag that takes one value, given twice, is refused: yargs hands the command both values as a
 * list, which no command expects (`--columns a=x --columns b=y` failed inside, `--time-unit s
 * --time-unit ms` ran with no unit at all). Flags declared as lists (`--set`, `--grid`) and
 * positional lists are left as they are.
 */
function singleValues(argv: Record<string, unknown>, listFlags: readonly string[]): void {
  const lists = new Set(listFlags);
  for (const [key, value] of Object.entries(argv)) {
    // yargs keeps each flag under its camel-case name too (`failOn` beside `fail-on`).
    const flag = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (key === '_' || key === '$0' || !Array.isArray(value) || lists.has(flag)) continue;
    throw new UsageError(`--${flag}: given more than once`);
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
  const internals = (
    parser as { getInternalMethods?: () => { getUsageInstance?: () => unknown } }
  ).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.() as { cacheHelpMessage?: () => void } | undefined;
  if (typeof usage?.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** The system refused to create or write an output (a folder the user may not write, a full disk): not a bug. */
function isUnwritable(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(code);
}
