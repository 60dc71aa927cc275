import type { Argv } from 'yargs';
import { IMPORT_FORMATS } from '../hardware/import/formats.js';
import { MEASURED_FORMATS, MEASURED_TIME_UNITS } from '../plan/calibrate/measured.js';
import { numericOption, parsePositiveInteger } from './flags.js';
import { UsageError } from './io.js';
import {
  CATALOG_OPTION,
  CONFINE_OPTIONS,
  checkOption,
  documented,
  FORCE_OPTION,
  QUIET_OPTION,
} from './options.js';

/** Bootstrap resamples `calibrate` draws at most: a spread from a thousand is as good as it gets. */
const MAX_RESAMPLES = 1000;

/**
 * The flags of the commands that name the file formats they read. Those lists live beside their
 * readers, which bring yaml, zod and csv-parse: app.ts imports this module for these commands only.
 */

/** `fleetsim calibrate`. */
export function calibrateFlags(y: Argv) {
  return documented(
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
      numericOption('bootstrap resamples for the uncertainty (default 20)', (value) => {
        const resamples = parsePositiveInteger('--resamples', value);
        // Each refits every parameter (tenths of a second to seconds): 1e6 asked for days.
        if (resamples > MAX_RESAMPLES) {
          throw new UsageError(`--resamples: at most ${MAX_RESAMPLES}, got ${resamples}`);
        }
        return resamples;
      }),
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
    });
}

/** `fleetsim catalog import`. */
export function catalogImportFlags(c: Argv) {
  return documented(
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
    .option('quiet', QUIET_OPTION);
}
