import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { isMap, isScalar, type Scalar, type YAMLMap } from 'yaml';
import { filePaths } from '../../scenario/checks.js';
import type { CalibrationProvenance, EfficiencyOverrides } from '../../scenario/types.js';
import { parseAccepted } from '../../util/yaml-keys.js';
import { type Calibration, POOR_FIT_ERROR } from './calibrate.js';
import { isFraction, MAX_STANDARD_ERROR, PARAMETER_KEYS } from './fit.js';
import type { MeasuredRun } from './measured.js';
import type { ReplayTrace } from './replay.js';
import { METRICS, type Metric, type RelativeErrors, SUMMARY_STATISTICS, worstError } from './statistics.js';

export const CALIBRATION_FILE = 'calibration.json';
export const CALIBRATED_SCENARIO_FILE = 'scenario.yaml';
/** The replay copy of a measured run that is no trace in arrival order (see replayTrace). */
export const REPLAY_COPY_FILE = 'measured-requests.csv';

/** Where the inputs came from; paths as written into the outputs (relative to the output folder). */
export interface Provenance {
  fleetsimVersion: string;
  measured: { path: string; sha256: string; run: MeasuredRun };
  scenario: { path: string; sha256: string };
  /** The trace scenario.yaml replays, relative to the output folder, and whether it is a copy. */
  replay: { path: string; copied: boolean };
  seed: number;
  holdOutShare: number;
}

const METRIC_KEYS: Record<Metric, string> = { ttft: 'ttft_s', tpot: 'tpot_s', latency: 'latency_s' };

/** Six significant digits: the output is the same text wherever the floating point ran. */
function rounded(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(6)) : value;
}

function byMetric<T extends Record<string, number> | null>(values: Record<Metric, T>): Record<string, T> {
  return Object.fromEntries(METRICS.map((m) => [METRIC_KEYS[m], values[m]]));
}

/** calibration.json: deterministic for the same inputs (no dates, rounded numbers). */
export function renderCalibrationJson(calibration: Calibration, provenance: Provenance): string {
  const c = calibration;
  const document = {
    fleetsim_version: provenance.fleetsimVersion,
    measured: {
      file: provenance.measured.path,
      sha256: provenance.measured.sha256,
      format: provenance.measured.run.format,
      requests: c.requests.total,
      completed: c.requests.completed,
    },
    scenario: {
      file: provenance.scenario.path,
      sha256: provenance.scenario.sha256,
      fleet: c.fleet.name,
      accelerator: c.fleet.accelerator,
      tensor_parallel: c.fleet.tensorParallel,
      model: c.fleet.model,
      precision: c.fleet.precision,
      seed: provenance.seed,
    },
    replay: { trace: provenance.replay.path, copied: provenance.replay.copied },
    method: {
      compared:
        'per metric (TTFT, TPOT, latency): the mean of its logarithm within each stratum of prompt lengths, and the logarithms of its median, 90th percentile and mean',
      compared_statistics: c.design.statistics,
      prompt_strata: c.design.strata,
      objective:
        'weighted least squares on the logarithms of the statistics, each weighted by its standard error (bootstrap of the measured requests, plus the replay jitter)',
      optimizer: 'Levenberg-Marquardt (ml-levenberg-marquardt), parameters as logarithms',
      identifiability: `a parameter is fitted when it moves the statistics beyond the replay jitter and its standard error stays below ${MAX_STANDARD_ERROR} (ln units) with the others fitted`,
      replay_jitter_ln: c.replayJitter,
      sensitivity: c.identifiability.sensitivity,
      jitter_sensitivity: c.identifiability.noise,
      bootstrap_resamples: c.resamples,
      hold_out_share: provenance.holdOutShare,
      simulations: c.simulations,
    },
    parameters: Object.fromEntries(
      c.parameters.map((p) => [
        p.name,
        {
          fitted: p.fitted,
          value: p.value,
          unit: isFraction(p.key) ? 'fraction' : 's',
          start: p.start,
          start_source: p.startSource,
          ...(p.fitted
            ? {
                std: p.std,
                std_ln: p.stdLn,
                ci95: p.ci95,
                standard_error_ln: p.standardError,
                hold_out_value: p.holdOutValue,
              }
            : { reason: p.reason }),
        },
      ]),
    ),
    errors: {
      before: byMetric(c.before.errors),
      after: byMetric(c.after.errors),
      hold_out: c.holdOut === null ? null : byMetric(c.holdOut.errors),
    },
    statistics: {
      measured: byMetric(c.measured),
      before: byMetric(c.before.simulated),
      after: byMetric(c.after.simulated),
      hold_out:
        c.holdOut === null
          ? null
          : {
              fit_requests: c.holdOut.fitRequests,
              predicted_requests: c.holdOut.predictedRequests,
              measured: byMetric(c.holdOut.measured),
              simulated: byMetric(c.holdOut.simulated),
            },
    },
    fit: {
      chi2_before: c.before.chi2,
      chi2_after: c.after.chi2,
      poor: isPoor(c),
      poor_fit_threshold: POOR_FIT_ERROR,
      worst_hold_out: c.poorFit,
      worst_after: c.misfit,
      at_bounds: c.atBounds,
    },
    notes: c.notes,
  };
  return `${JSON.stringify(document, (_, value) => (typeof value === 'number' ? rounded(value) : value), 2)}\n`;
}

/** A duration as scenario text, four significant digits in the largest unit it is at least one of. */
export function durationText(seconds: number): string {
  const [scale, unit] = seconds >= 1 ? [1, 's'] : seconds >= 1e-3 ? [1e3, 'ms'] : [1e6, 'us'];
  return `${Number((seconds * scale).toPrecision(4))}${unit}`;
}

function keyName(key: unknown): unknown {
  return isScalar(key) ? key.value : key;
}

/** Three significant digits: a spread is not known more precisely than that from a few dozen resamples. */
function spreadValue(value: number): number {
  return Number(value.toPrecision(3));
}

/** The relative bootstrap spread (standard deviation of ln) of each fitted value that has one. */
export function fittedSpreads(calibration: Calibration): EfficiencyOverrides {
  return Object.fromEntries(
    calibration.parameters.flatMap((p) =>
      p.fitted && p.stdLn !== null ? [[p.key, spreadValue(p.stdLn)]] : [],
    ),
  );
}

/** The largest relative error of the hold-out prediction over the compared statistics; null without a hold-out. */
export function holdOutError(calibration: Calibration): number | null {
  const worst = calibration.holdOut === null ? null : worstError(calibration.holdOut.errors);
  return worst === null ? null : spreadValue(Math.abs(worst.error));
}

/**
 * scenario.yaml: the scenario's text with the fitted parameters under the fleet's
 * `hardware.accelerator.efficiency`, their bootstrap spreads under `efficiency_uncertainty` and
 * where they come from under `calibration` (when any was fitted), its arrivals replaced by a
 * replay of the measured run, and relative data paths rewritten for the output folder. Comments
 * and layout stay (yaml's Document API edits the parsed text).
 */
export function calibratedScenarioYaml(options: {
  source: string;
  scenarioPath: string;
  outDir: string;
  fleetIndex: number;
  fitted: EfficiencyOverrides;
  /** Relative spreads of the fitted values (see fittedSpreads). */
  uncertainty?: EfficiencyOverrides;
  calibration?: CalibrationProvenance;
  replay: ReplayTrace;
  /** Path of the replayed trace as the output scenario names it. */
  replayPath: string;
  header: string[];
}): string {
  const document = parseAccepted(options.source);
  const from = dirname(options.scenarioPath);
  const root = document.toJS() as Record<string, unknown>;
  for (const file of filePaths(root)) {
    if (file.path[0] === 'workload' && file.path[1] === 'arrivals') continue;
    if (isAbsolute(file.value)) continue;
    document.setIn(file.path, relative(options.outDir, resolve(from, file.value)));
  }
  const fleet = ['fleets', options.fleetIndex];
  const efficiency = [...fleet, 'hardware', 'accelerator', 'efficiency'];
  for (const [key, value] of Object.entries(options.fitted) as [keyof EfficiencyOverrides, number][]) {
    document.setIn([...efficiency, PARAMETER_KEYS[key]], isFraction(key) ? value : durationText(value));
  }
  const calibrated = Object.keys(options.fitted).length > 0;
  const uncertainty = options.uncertainty ?? {};
  if (calibrated && Object.keys(uncertainty).length > 0) {
    // Replaced whole: spreads of an earlier calibration of other parameters would describe another fit.
    document.setIn(
      [...fleet, 'hardware', 'accelerator', 'efficiency_uncertainty'],
      document.createNode(
        Object.fromEntries(
          (Object.entries(uncertainty) as [keyof EfficiencyOverrides, number][]).map(([key, value]) => [
            PARAMETER_KEYS[key],
            value,
          ]),
        ),
      ),
    );
  }
  if (calibrated && options.calibration !== undefined) {
    const { measured, accelerator, holdOutError: error } = options.calibration;
    document.setIn(
      [...fleet, 'hardware', 'accelerator', 'calibration'],
      document.createNode({ measured, accelerator, hold_out_error: error }),
    );
  }
  const accelerator = document.getIn([...fleet, 'hardware', 'accelerator'], true);
  if (calibrated && isMap(accelerator)) {
    const comments: Record<string, string> = {
      efficiency: ' fitted by fleetsim calibrate (see calibration.json)',
      efficiency_uncertainty:
        ' relative spread (standard deviation of ln) of each fitted value over bootstrap resamples of the requests: --model-uncertainty draws from it',
      calibration: ' marks these values as calibrated: the fleet reports its step times as `calibrated`',
    };
    for (const item of (accelerator as YAMLMap).items) {
      const comment = comments[String(keyName(item.key))];
      if (comment === undefined) continue;
      // Keys setIn added are plain strings, which hold no comment.
      if (!isScalar(item.key)) item.key = document.createNode(item.key);
      (item.key as Scalar).commentBefore = comment;
    }
  }
  const { replay } = options;
  const trace = document.createNode({
    trace: {
      path: options.replayPath,
      format: replay.format,
      time_column: replay.timeColumn,
      ...(replay.timeUnit !== 's' && { time_unit: replay.timeUnit }),
      columns: { input_tokens: replay.inputColumn, output_tokens: replay.outputColumn },
    },
  });
  trace.commentBefore = ' the measured run, replayed as it arrived';
  document.setIn(['workload', 'arrivals'], trace);
  // A replay runs to the end of the measured run, as the calibration did; a scale would speed it up.
  if (document.hasIn(['workload', 'scale'])) document.deleteIn(['workload', 'scale']);
  const removedDuration = document.has('duration');
  if (removedDuration) document.delete('duration');
  const header = [
    ...options.header,
    ...(removedDuration
      ? ['duration: removed, so that the replay runs to the end of the measured run.']
      : []),
  ]
    .map((line) => ` ${line}`)
    .join('\n');
  document.commentBefore = document.commentBefore ? `${header}\n\n${document.commentBefore}` : header;
  return document.toString({ lineWidth: 0 });
}

function percent(error: number | undefined): string {
  if (error === undefined || !Number.isFinite(error)) return '-';
  const value = 100 * error;
  const text = Math.abs(value) >= 10 ? value.toFixed(0) : value.toFixed(1);
  return `${value >= 0 ? '+' : ''}${text} %`;
}

function time(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds >= 1) return `${Number(seconds.toPrecision(3))} s`;
  if (seconds >= 1e-3) return `${Number((seconds * 1e3).toPrecision(3))} ms`;
  return `${Number((seconds * 1e6).toPrecision(3))} us`;
}

function parameterText(key: keyof EfficiencyOverrides, value: number): string {
  return isFraction(key) ? String(Number(value.toPrecision(4))) : durationText(value);
}

const METRIC_LABELS: Record<Metric, string> = { ttft: 'TTFT', tpot: 'TPOT', latency: 'latency' };

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((row) =>
      row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
    )
    .join('\n');
}

/** The terminal's view: fitted parameters, errors before and after, the hold-out error, and a loud verdict. */
export function renderCalibrationText(calibration: Calibration, measuredName: string): string {
  const c = calibration;
  const lines: string[] = [];
  lines.push(
    `fleet ${c.fleet.name}: ${c.fleet.model} ${c.fleet.precision} on ${c.fleet.tensorParallel} x ${c.fleet.accelerator}, ${c.requests.total} requests of ${measuredName} (${c.requests.completed} completed)`,
  );
  const rows = [['parameter', 'scenario', 'fitted', '95 % interval', 'hold-out fit']];
  for (const p of c.parameters.filter((q) => q.fitted)) {
    rows.push([
      p.name,
      parameterText(p.key, p.start),
      parameterText(p.key, p.value),
      p.ci95 === null ? '-' : `${parameterText(p.key, p.ci95[0])} - ${parameterText(p.key, p.ci95[1])}`,
      p.holdOutValue === null ? '-' : parameterText(p.key, p.holdOutValue),
    ]);
  }
  if (rows.length > 1) lines.push('', table(rows));
  const fixed = c.parameters.filter((p) => !p.fitted);
  if (fixed.length > 0) {
    lines.push('', 'kept at the scenario value:');
    for (const p of fixed) lines.push(`  ${p.name} ${parameterText(p.key, p.value)}: ${p.reason}`);
  }
  const errorRows = [['', 'measured', 'before', 'after', ...(c.holdOut ? ['hold-out'] : [])]];
  for (const metric of METRICS) {
    const measured = c.measured[metric];
    if (measured === null) continue;
    for (const stat of SUMMARY_STATISTICS) {
      errorRows.push([
        `${METRIC_LABELS[metric]} ${stat}`,
        time(measured[stat]),
        percent(c.before.errors[metric]?.[stat]),
        percent(c.after.errors[metric]?.[stat]),
        ...(c.holdOut ? [percent(c.holdOut.errors[metric]?.[stat])] : []),
      ]);
    }
  }
  lines.push(
    '',
    c.holdOut === null
      ? 'simulated against measured (before: the scenario as given; after: fitted):'
      : 'simulated against measured (before: the scenario as given; after: fitted; hold-out: fitted on the\n' +
          `first ${c.holdOut.fitRequests} requests, predicting the last ${c.holdOut.predictedRequests}):`,
    '',
    table(errorRows),
  );
  return `${lines.join('\n')}\n`;
}

/** Whether the calibration is not to be trusted: it mispredicts held-out requests, misses its own run, or ran into a bound. */
export function isPoor(calibration: Calibration): boolean {
  return calibration.poorFit !== null || calibration.misfit !== null || calibration.atBounds.length > 0;
}

/** The statistics whose error is beyond POOR_FIT_ERROR, as `TTFT mean +25 %`. */
function offenders(errors: RelativeErrors): string {
  const found: string[] = [];
  for (const metric of METRICS) {
    for (const stat of SUMMARY_STATISTICS) {
      const error = errors[metric]?.[stat];
      if (error !== undefined && Math.abs(error) > POOR_FIT_ERROR) {
        found.push(`${METRIC_LABELS[metric]} ${stat} ${percent(error)}`);
      }
    }
  }
  return found.join(', ');
}

/** Warnings to print loudly on stderr: a poor fit above all. */
export function calibrationWarnings(calibration: Calibration): string[] {
  const warnings: string[] = [];
  const limit = `${100 * POOR_FIT_ERROR} %`;
  if (calibration.misfit !== null) {
    warnings.push(
      `POOR FIT: the calibrated fleet does not even reproduce the run it was fitted to, off by more than ${limit} (${offenders(calibration.after.errors)}): the scenario's model, hardware or batching differ from the server's, or the measured times hold time the simulator does not model; do not plan on these step times`,
    );
  }
  if (calibration.atBounds.length > 0) {
    warnings.push(
      `POOR FIT: ${calibration.atBounds.join(', ')} ended at the end of its range: the measurements ask for more than the roofline can give with it; do not plan on these step times without finding out why`,
    );
  }
  if (calibration.poorFit !== null) {
    warnings.push(
      `POOR FIT: fitted on the earlier requests, the calibrated fleet mispredicts the later ones by more than ${limit} (${offenders(calibration.holdOut?.errors as RelativeErrors)}): do not plan on these step times without finding out why (another load pattern, a different server configuration, queueing outside the server)`,
    );
  }
  warnings.push(...calibration.notes);
  return warnings;
}
