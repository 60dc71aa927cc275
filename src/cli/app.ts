import yargs from 'yargs';
import { ScenarioError } from '../run.js';
import { RunInputError, UserError } from '../scenario/types.js';
import { catalogListCommand, catalogShowCommand } from './commands/catalog.js';
import { runCommand } from './commands/run.js';
import { schemaCommand } from './commands/schema.js';
import { traceStatsCommand } from './commands/trace.js';
import { validateCommand } from './commands/validate.js';
import { type CliIo, EXIT_BUG, EXIT_USER_ERROR, formatForUser, UsageError } from './io.js';

/** Parses `argv` (without node and script), runs the command, and returns the exit code. Never exits the process. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const parser = yargs(argv)
    .scriptName('fleetsim')
    .usage('$0 <command> [options]\n\nDiscrete-event simulation of AI-inference fleets: latency and cost.')
    .command(
      'run [scenario]',
      'run a scenario (default: the built-in demo) and write summary.json, summary.md, timeseries.csv',
      (y) =>
        y
          .positional('scenario', { type: 'string', describe: 'scenario YAML file' })
          .option('out', { type: 'string', describe: 'output folder (default: out/<scenario name>)' })
          .option('seed', { type: 'string', describe: 'override the scenario seed (an integer)' })
          .option('set', {
            type: 'string',
            array: true,
            describe: 'override a key: --set fleets.0.replicas=6',
          })
          .option('json', { type: 'boolean', default: false, describe: 'print summary.json to stdout' })
          .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' }),
      async (args) => {
        exitCode = await runCommand(args, io);
      },
    )
    .command(
      'validate <scenario>',
      'check a scenario file without running it',
      (y) =>
        y.positional('scenario', { type: 'string', demandOption: true }).option('set', {
          type: 'string',
          array: true,
          describe: 'override a key: --set fleets.0.replicas=6',
        }),
      async (args) => {
        exitCode = await validateCommand(args, io);
      },
    )
    .command('schema', 'print the JSON Schema (draft-7) of scenario files', {}, () => {
      exitCode = schemaCommand(io);
    })
    .command('catalog', 'browse the instance catalog: prices, hardware, regions', (y) =>
      y
        .command(
          'list',
          'instance types with their hardware and price, cheapest first',
          (c) =>
            c
              .option('provider', { type: 'string', describe: 'aws, gcp, azure or edge' })
              .option('accelerator', {
                type: 'string',
                describe: 'accelerator id, e.g. h100-80gb, l4, tpu-v5e',
              })
              .option('max-price', { type: 'number', describe: 'USD per hour at most' })
              .option('region', {
                type: 'string',
                describe: "price region (default: each provider's default)",
              })
              .option('market', { type: 'string', describe: 'on-demand (default), spot or reserved' })
              .option('json', { type: 'boolean', default: false }),
          (args) => {
            if (args.maxPrice !== undefined && !(args.maxPrice >= 0)) {
              throw new UsageError('--max-price: expected a price in USD per hour');
            }
            exitCode = catalogListCommand(args, io);
          },
        )
        .command(
          'show <instance>',
          'every field, region and price of one instance type, with sources',
          (c) =>
            c
              .positional('instance', {
                type: 'string',
                demandOption: true,
                describe: 'e.g. aws/p5.48xlarge',
              })
              .option('json', { type: 'boolean', default: false }),
          (args) => {
            exitCode = catalogShowCommand(args, io);
          },
        )
        .demandCommand(1, 'say which catalog command: list, show'),
    )
    .command('trace', 'inspect request traces', (y) =>
      y
        .command(
          'stats <file>',
          'request count, span, mean/peak rate and token percentiles of a trace',
          (t) =>
            t
              .positional('file', { type: 'string', demandOption: true })
              .option('format', {
                choices: ['azure-llm', 'vidur', 'mooncake', 'csv', 'jsonl'] as const,
                describe: 'trace format (default: from the file name/extension)',
              })
              .option('time-column', {
                type: 'string',
                describe: 'csv/jsonl: column holding the arrival time',
              })
              .option('time-unit', {
                choices: ['s', 'ms', 'us', 'datetime'] as const,
                describe: 'unit of the time column',
              })
              .option('json', { type: 'boolean', default: false }),
          (args) => {
            exitCode = traceStatsCommand(args, io);
          },
        )
        .demandCommand(1, 'say which trace command: stats'),
    )
    .demandCommand(1, 'say which command to run: run, validate, schema, catalog, trace')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });

  try {
    await parser.parseAsync();
    return exitCode;
  } catch (error) {
    if (error instanceof ScenarioError) {
      for (const d of error.diagnostics) io.stderr(`${formatForUser(d, io.cwd)}\n`);
      return EXIT_USER_ERROR;
    }
    if (error instanceof UserError) {
      io.stderr(`${formatForUser(error.diagnostic, io.cwd)}\n`);
      return EXIT_USER_ERROR;
    }
    if (error instanceof UsageError || error instanceof RunInputError) {
      io.stderr(`fleetsim: ${error.message}\n`);
      return EXIT_USER_ERROR;
    }
    io.stderr(
      `fleetsim: internal error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT_BUG;
  }
}
