import { renameSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fleetsimVersion } from '../../core/version.js';
import {
  CALIBRATED_SCENARIO_FILE,
  CALIBRATION_FILE,
  calibrate,
  calibratedScenarioYaml,
  calibrationWarnings,
  fittedSpreads,
  holdOutError,
  isPoor,
  MEASURED_COLUMNS,
  type MeasuredColumn,
  type MeasuredFormat,
  type MeasuredTimeUnit,
  REPLAY_COPY_FILE,
  readMeasuredRun,
  renderCalibrationJson,
  renderCalibrationText,
  replayTrace,
} from '../../plan/calibrate/index.js';
import { fileHash } from '../../plan/inputs.js';
import { writeFileAtomic } from '../../report/index.js';
import { ScenarioError } from '../../run.js';
import { fileProblem, loadScenarioFile } from '../../scenario/index.js';
import {
  type CatalogArgs,
  type ConfineArgs,
  catalogFiles,
  confineDataPaths,
  outputFolder,
} from '../flags.js';
import { type CliIo, checkVerdicts, UsageError } from '../io.js';

export interface CalibrateArgs extends ConfineArgs, CatalogArgs {
  measured: string;
  scenario: string;
  out: string;
  fleet?: string;
  columns?: string;
  timeUnit?: MeasuredTimeUnit;
  format?: MeasuredFormat;
  resamples?: number;
  force?: boolean;
  check?: boolean;
  json: boolean;
  quiet: boolean;
}

/** The share of requests, the latest, that the hold-out fit leaves out and predicts. */
const HOLD_OUT_SHARE = 0.3;

/** `--columns arrival=ts,input_tokens=prompt_len`: which column holds each value. */
export function parseColumns(text: string | undefined): Partial<Record<MeasuredColumn, string>> | undefined {
  if (text === undefined) return undefined;
  const columns: Partial<Record<MeasuredColumn, string>> = {};
  for (const item of text.split(',')) {
    const equals = item.indexOf('=');
    const name = item.slice(0, equals).trim();
    const column = item.slice(equals + 1).trim();
    if (equals < 0 || column === '') {
      throw new UsageError(`--columns: expected name=column pairs separated by commas, got "${item}"`);
    }
    if (!(MEASURED_COLUMNS as readonly string[]).includes(name)) {
      throw new UsageError(`--columns: unknown name "${name}"; the names are ${MEASURED_COLUMNS.join(', ')}`);
    }
    columns[name as MeasuredColumn] = column;
  }
  return columns;
}

export async function calibrateCommand(args: CalibrateArgs, io: CliIo): Promise<number> {
  const resamples = args.resamples ?? 20;
  const columns = parseColumns(args.columns);
  const confined = confineDataPaths(io.cwd, args);
  const measuredPath = resolve(io.cwd, args.measured);
  const problem = fileProblem(measuredPath);
  if (problem !== null) throw new UsageError(`${args.measured}: ${problem}`);
  const scenarioPath = resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(scenarioPath, {
    confineDataPaths: confined,
    catalogs: catalogFiles(io.cwd, args),
  });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const scenario = loaded.value;
  const measured = readMeasuredRun(measuredPath, {
    ...(args.format !== undefined && { format: args.format }),
    ...(columns !== undefined && { columns }),
    ...(args.timeUnit !== undefined && { timeUnit: args.timeUnit }),
  });
  const outDir = outputFolder(io.cwd, args.out, args.force);
  const copyPath = join(outDir, REPLAY_COPY_FILE);
  const temporaryCopy = `${copyPath}.${process.pid}.tmp`;
  const stage = (message: string) => {
    if (!args.quiet) io.stderr(`fleetsim: calibrate: ${message}\n`);
  };
  try {
    const { trace, copied } = replayTrace(measured, temporaryCopy);
    const started = performance.now();
    const calibration = calibrate({
      scenario,
      ...(args.fleet !== undefined && { fleet: args.fleet }),
      measured,
      replay: trace,
      resamples,
      holdOutShare: HOLD_OUT_SHARE,
      onStage: stage,
    });
    const seconds = (performance.now() - started) / 1000;
    const measuredName = relative(outDir, measuredPath);
    const replayPath = copied ? REPLAY_COPY_FILE : measuredName;
    const json = renderCalibrationJson(calibration, {
      fleetsimVersion: fleetsimVersion(),
      measured: { path: measuredName, sha256: await fileHash(measuredPath), run: measured },
      scenario: { path: relative(outDir, scenarioPath), sha256: await fileHash(scenarioPath) },
      replay: { path: replayPath, copied },
      seed: scenario.seed,
      holdOutShare: HOLD_OUT_SHARE,
    });
    const yaml = calibratedScenarioYaml({
      source: scenario.source ?? '',
      scenarioPath,
      outDir,
      fleetIndex: scenario.variants[0].scenario.fleets.findIndex((f) => f.name === calibration.fleet.name),
      fitted: calibration.fitted,
      uncertainty: fittedSpreads(calibration),
      calibration: {
        measured: measuredName,
        accelerator: calibration.fleet.accelerator,
        holdOutError: holdOutError(calibration),
      },
      replay: trace,
      replayPath,
      header: [
        `Calibrated by fleetsim calibrate: the step-time parameters of fleet ${calibration.fleet.name} fitted to`,
        `${measuredName} (calibration.json holds the fit, its uncertainty and its errors), and`,
        'workload.arrivals replaying that run. Everything else is the scenario it was made from.',
        'Replications with --model-uncertainty draw the fitted values from their spread (efficiency_uncertainty).',
      ],
    });
    if (copied) renameSync(temporaryCopy, copyPath);
    // A copy left by an earlier calibration into this folder would be no input of this one.
    else rmSync(copyPath, { force: true });
    writeFileAtomic(join(outDir, CALIBRATION_FILE), json);
    writeFileAtomic(join(outDir, CALIBRATED_SCENARIO_FILE), yaml);
    if (args.json) io.stdout(json);
    else if (!args.quiet) io.stdout(renderCalibrationText(calibration, relative(io.cwd, measuredPath)));
    const warnings = calibrationWarnings(calibration);
    for (const warning of warnings) io.stderr(`fleetsim: warning: ${warning}\n`);
    if (!args.quiet) {
      const written = [CALIBRATION_FILE, CALIBRATED_SCENARIO_FILE, ...(copied ? [REPLAY_COPY_FILE] : [])];
      io.stderr(
        `${calibration.simulations} replays in ${seconds.toFixed(1)} s; wrote ${written
          .map((file) => relative(io.cwd, join(outDir, file)))
          .join(', ')}\n`,
      );
    }
    if (!args.check) return 0;
    return checkVerdicts(
      io,
      isPoor(calibration)
        ? [
            'the calibration is poor (see the POOR FIT warnings above): its step times are not to be planned on',
          ]
        : [],
    );
  } finally {
    rmSync(temporaryCopy, { force: true });
  }
}
