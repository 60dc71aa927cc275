import type { Argv } from 'yargs';
import { formatThousands } from '../core/format.js';
import { MAX_RUNS } from '../scenario/index.js';
import { type CommandName, EXAMPLES } from './examples.js';
import { numericOption, parseNonNegativeSeed, parsePositiveInteger, parseWorkers } from './flags.js';
import { UsageError } from './io.js';

/** The options several commands share, and the help every command gets. */

/**
 * A command's help: its usage line with the full description (the command list shows a short
 * one, one line each) and its examples.
 */
export function documented<T>(y: Argv<T>, name: CommandName, usage: string, description: string): Argv<T> {
  let documented = y.usage(`$0 ${usage}\n\n${description}`);
  // A comment line above each command: beside it, yargs would wrap both into narrow columns.
  for (const [command, what] of EXAMPLES[name]) {
    documented = documented.example(`# ${what}`, '').example(command, '');
  }
  return documented;
}

/** What `diff --format` prints. */
export const DIFF_FORMATS = ['table', 'json', 'markdown', 'github-comment'] as const;

/** `--replications N` of every command that repeats runs: each is a run whose results are kept. */
export function replicationsOption(describe: string) {
  return numericOption(describe, (value) => {
    const replications = parsePositiveInteger('--replications', value);
    if (replications > MAX_RUNS) {
      throw new UsageError(
        `--replications: at most ${formatThousands(MAX_RUNS)} (the most runs one command keeps the results of), got ${formatThousands(replications)}`,
      );
    }
    return replications;
  });
}

/** Flags of `sweep` and `plan`: what to run, where to write, how many workers and replications. */
export const QUIET_OPTION = {
  type: 'boolean',
  default: false,
  describe: 'print nothing but errors',
} as const;

export const FORCE_OPTION = {
  type: 'boolean',
  default: false,
  describe: 'write into an --out folder that holds files fleetsim did not write',
} as const;

/** `--model-uncertainty`, on every command with replications; absent: the scenario's `model_uncertainty`. */
export const MODEL_UNCERTAINTY_OPTION = {
  type: 'boolean',
  describe:
    "draw the LLM step-time parameters from their uncertainty in every replication (the scenario's model_uncertainty; --no-model-uncertainty turns it off)",
} as const;

/** `--png`: charts as PNG too, on every command that draws charts. */
export const PNG_OPTION = {
  type: 'boolean',
  describe: 'also write each chart as a PNG (twice the SVG size) beside its .vl.json and .svg',
} as const;

/** `--no-charts` of `run` and `compare`: the same as the scenario's `report: { charts: [] }`. */
export const CHARTS_OPTION = {
  type: 'boolean',
  describe:
    "--no-charts draws none: report.html without charts, nothing in charts/ (the scenario's report.charts: [])",
} as const;

/** `--confine` and `--data-root`, on every command that loads a scenario. */
export const CONFINE_OPTIONS = {
  confine: {
    type: 'boolean',
    default: false,
    describe:
      "refuse data files (traces, profiles, CSVs) outside the scenario's folder, links followed: for scenarios someone else wrote",
  },
  'data-root': {
    type: 'string',
    requiresArg: true,
    describe: 'like --confine, with DIR as the folder data files must be inside',
  },
} as const;

/** `--catalog FILE`, on every command that prices instances. */
export const CATALOG_OPTION = {
  type: 'string',
  array: true,
  requiresArg: true,
  describe: 'a user catalog file: private or negotiated prices on top of the shipped catalog (repeatable)',
} as const;

/** `--check`, with what it judges for its command. */
export function checkOption(describe: string) {
  return { type: 'boolean', default: false, describe } as const;
}

export function studyFlags<T>(command: 'sweep' | 'plan', y: Argv<T>) {
  return y
    .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario YAML file' })
    .option('out', {
      type: 'string',
      describe: `output folder (default: out/<scenario name>-${command}; finished points are kept in DIR/points)`,
    })
    .option('set', {
      type: 'string',
      array: true,
      describe: 'override a key of the base: --set fleets.0.concurrency=4',
    })
    .option(
      'seed',
      numericOption('override the scenario seed (a non-negative integer)', parseNonNegativeSeed),
    )
    .option('replications', replicationsOption('independent runs per point, reported as mean and 95 % CI'))
    .option('workers', numericOption('worker threads (default: one per core)', parseWorkers))
    .option('model-uncertainty', MODEL_UNCERTAINTY_OPTION)
    .option('force', FORCE_OPTION)
    .options(CONFINE_OPTIONS)
    .option('catalog', CATALOG_OPTION)
    .option('png', PNG_OPTION)
    .option('quiet', QUIET_OPTION);
}
