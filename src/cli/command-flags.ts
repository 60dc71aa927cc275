import type { Argv } from 'yargs';
import { parseFailOn } from './fail-on.js';
import {
  numericOption,
  parsePositiveInteger,
  parsePrice,
  parseSeed,
  parseShare,
  parseWorkers,
} from './flags.js';
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
  QUIET_OPTION,
  replicationsOption,
  studyFlags,
} from './options.js';

/**
 * Each command's positionals, flags and help, as yargs builders: yargs calls only the builder of
 * the command being run. `calibrate` and `catalog import` are in format-flags.ts.
 */

/** `fleetsim run`. */
export function runFlags(y: Argv) {
  return documented(
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
    });
}

/** `fleetsim report`. */
export function reportFlags(y: Argv) {
  return documented(
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
    .option('quiet', QUIET_OPTION);
}

/** `fleetsim compare`. */
export function compareFlags(y: Argv) {
  return documented(
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
    .option('seed', numericOption("the seed of every run, an integer (default: the first file's)", parseSeed))
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
    .option('quiet', QUIET_OPTION);
}

/** `fleetsim diff`. */
export function diffFlags(y: Argv) {
  return documented(
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
      describe: 'table (terminal), json, markdown, or github-comment (markdown for a pull-request comment)',
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
    .option('seed', numericOption("the seed of both sides, an integer (default: each file's)", parseSeed))
    .option('set', {
      type: 'string',
      array: true,
      describe: 'override a key of both sides, as a plan chose it: --set fleets.0.replicas=6',
    })
    .option('out', {
      type: 'string',
      describe: 'also write diff.json, diff.md and comment.md in this folder (default: nothing written)',
    })
    .option('force', FORCE_OPTION)
    .options(CONFINE_OPTIONS)
    .option('catalog', CATALOG_OPTION)
    .option('quiet', {
      type: 'boolean',
      default: false,
      describe: 'print nothing but the diff and errors',
    });
}

/** `fleetsim validate`. */
export function validateFlags(y: Argv) {
  return documented(
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
    });
}

/** `fleetsim sweep`. */
export function sweepFlags(y: Argv) {
  return studyFlags(
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
    .option('json', { type: 'boolean', default: false, describe: 'print sweep.json to stdout' });
}

/** `fleetsim plan`. */
export function planFlags(y: Argv) {
  return studyFlags(
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
    .option('json', { type: 'boolean', default: false, describe: 'print plan.json to stdout' });
}

/** `fleetsim manifest`. */
export function manifestFlags(y: Argv) {
  return documented(
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
    .option('catalog', CATALOG_OPTION);
}

/** `fleetsim merge`. */
export function mergeFlags(y: Argv) {
  return documented(
    y,
    'merge',
    'merge <dirs..>',
    'combine the sweep.json of every shard into one sweep.json, sweep.csv, summary.md and report.html',
  )
    .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'shard folders' })
    .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
    .option('force', FORCE_OPTION)
    .option('png', PNG_OPTION)
    .option('quiet', QUIET_OPTION);
}

/** `fleetsim schema`. */
export function schemaFlags(y: Argv) {
  return documented(y, 'schema', 'schema', 'print the JSON Schema (draft-7) of scenario files');
}

/** `fleetsim catalog list`. */
export function catalogListFlags(c: Argv) {
  return documented(
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
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}

/** `fleetsim catalog show`. */
export function catalogShowFlags(c: Argv) {
  return documented(
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
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}

/** `fleetsim trace stats`. */
export function traceStatsFlags(t: Argv) {
  return documented(
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
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}
