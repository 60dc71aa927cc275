export {
  type CalibratedParameter,
  type CalibrateOptions,
  type Calibration,
  calibrate,
  type HoldOut,
  MIN_COMPLETED,
  POOR_FIT_ERROR,
} from './calibrate.js';
export { MAX_STANDARD_ERROR, PARAMETER_KEYS } from './fit.js';
export {
  detectMeasuredFormat,
  MEASURED_COLUMNS,
  MEASURED_FORMATS,
  MEASURED_TIME_UNITS,
  type MeasuredColumn,
  type MeasuredFormat,
  type MeasuredOptions,
  type MeasuredRun,
  type MeasuredTimeUnit,
  readMeasuredRun,
} from './measured.js';
export {
  CALIBRATED_SCENARIO_FILE,
  CALIBRATION_FILE,
  calibratedScenarioYaml,
  calibrationWarnings,
  fittedSpreads,
  holdOutError,
  isPoor,
  type Provenance,
  REPLAY_COPY_FILE,
  renderCalibrationJson,
  renderCalibrationText,
} from './output.js';
export { type ReplayTrace, replayTrace } from './replay.js';
export { METRICS, type Metric, SUMMARY_STATISTICS } from './statistics.js';
