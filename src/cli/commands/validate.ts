import { resolve } from 'node:path';
import { checkSweepGrid } from '../../plan/check-grid.js';
import { ScenarioError } from '../../run.js';
import {
  arrivalProcesses,
  type Diagnostic,
  loadScenarioFile,
  oneLine,
  type Scenario,
  UserError,
} from '../../scenario/index.js';
import { findBadRows } from '../../workload/index.js';
import { type CatalogArgs, type ConfineArgs, catalogFiles, confineDataPaths } from '../flags.js';
import { type CliIo, EXIT_USER_ERROR, formatForUser, shownPath } from '../io.js';

/** Bad trace rows `validate` lists one line each; the rest are counted on one more line. */
const BAD_ROWS_SHOWN = 10;

/** Variant names the confirmation line lists: thousands of them would fill the terminal. */
const LISTED_NAMES = 20;

/** One problem `validate --json` reports, its file shown as in the one-line form. */
export interface ValidateDiagnostic {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  col: number;
  code: Diagnostic['code'];
  message: string;
}

/**
 * What `validate --json` prints: `ok` and every diagnostic, errors and warnings (sweep points that
 * cannot run, trace rows a run skips) alike; on success also the variants, the requests read from
 * each trace and the sweep's size. Tools read it instead of parsing the one-line form.
 */
export interface ValidateReport {
  ok: boolean;
  file: string;
  diagnostics: ValidateDiagnostic[];
  variants?: string[];
  trace_requests?: number[];
  sweep?: { points: number; configurations: number; infeasible: number } | null;
}

export interface ValidateArgs extends ConfineArgs, CatalogArgs {
  scenario: string;
  set?: string[];
  json?: boolean;
}

/**
 * Checks the scenario as `run` loads it and, with a `sweep:` section, every point of the sweep:
 * points that cannot run are reported one line each and the command still succeeds, as sweep and
 * plan skip them; it fails (exit 2, one line) when no point can run. A trace is read through, as
 * each variant would replay it: its bad rows are errors (the first ten listed, the rest counted),
 * or warnings under `on_bad_row: skip`.
 */
export async function validateCommand(args: ValidateArgs, io: CliIo): Promise<number> {
  if (!args.json) return validate(args, io);
  // Diagnostics go to the report instead of stderr; flag mistakes stay one line on stderr.
  const diagnostics: ValidateDiagnostic[] = [];
  const warn = (severity: ValidateDiagnostic['severity']) => (d: Diagnostic) =>
    diagnostics.push({
      severity,
      file: shownPath(d.file, io.cwd),
      line: d.line,
      col: d.col,
      code: d.code,
      message: oneLine(d.message),
    });
  const report = (ok: boolean, rest: Partial<ValidateReport> = {}) =>
    io.stdout(`${JSON.stringify({ ok, file: args.scenario, diagnostics, ...rest }, null, 2)}\n`);
  try {
    // The rows a run would skip are in the report; the line introducing them is for a reader.
    const checked = await check(args, { ...io, stderr: () => {} }, warn('warning'));
    report(true, checked);
    return 0;
  } catch (error) {
    if (error instanceof ScenarioError) error.diagnostics.forEach(warn('error'));
    else if (error instanceof UserError) warn('error')(error.diagnostic);
    else throw error;
    report(false);
    return EXIT_USER_ERROR;
  }
}

/** The one-line form: warnings on stderr, an `ok` line on stdout, errors thrown. */
async function validate(args: ValidateArgs, io: CliIo): Promise<number> {
  const checked = await check(args, io, (d) => io.stderr(`${formatForUser(d, io.cwd)}\n`));
  const all = checked.variants;
  const names =
    all.length > LISTED_NAMES
      ? `${all.slice(0, LISTED_NAMES).join(', ')} and ${all.length - LISTED_NAMES} more`
      : all.join(', ');
  const traceNote =
    checked.trace_requests.length === 0
      ? ''
      : `; trace: ${checked.trace_requests.join(', ')} request(s) read`;
  let sweepNote = '';
  if (checked.sweep !== null) {
    const { points, configurations, infeasible } = checked.sweep;
    sweepNote = `; sweep: ${points} point(s), ${configurations} configuration(s)${
      infeasible > 0 ? `, ${infeasible} infeasible (sweep and plan skip them)` : ''
    }`;
  }
  io.stdout(`${args.scenario}: ok (${all.length} variant(s): ${names})${traceNote}${sweepNote}\n`);
  return 0;
}

/** Loads and checks everything; `warn` receives what does not stop a run, errors are thrown. */
async function check(args: ValidateArgs, io: CliIo, warn: (d: Diagnostic) => void) {
  const confined = confineDataPaths(io.cwd, args);
  const file = resolve(io.cwd, args.scenario);
  const catalogs = catalogFiles(io.cwd, args);
  const loaded = await loadScenarioFile(file, { set: args.set, confineDataPaths: confined, catalogs });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const grid = await checkSweepGrid(loaded.value, file, args.set ?? [], catalogs);
  for (const { diagnostic } of grid?.infeasible ?? []) warn(diagnostic);
  const traceRequests = checkTraces(
    loaded.value.variants.map((v) => v.scenario),
    io,
    warn,
  );
  return {
    variants: loaded.value.variants.map((v) => v.name),
    trace_requests: traceRequests,
    sweep:
      grid === null
        ? null
        : {
            points: grid.points,
            configurations: grid.configurations,
            infeasible: grid.infeasible.reduce((sum, entry) => sum + entry.configurations, 0),
          },
  };
}

/**
 * Reads each trace the variants replay (once per distinct window), streamed. Throws a
 * ScenarioError with every error found; prints the rows `on_bad_row: skip` would pass over as
 * warnings. Returns a note for the `ok` line.
 */
function checkTraces(scenarios: readonly Scenario[], io: CliIo, warn: (d: Diagnostic) => void): number[] {
  const errors: Diagnostic[] = [];
  const requests: number[] = [];
  const seen = new Set<string>();
  for (const scenario of scenarios) {
    for (const arrivals of arrivalProcesses(scenario.workload)) {
      if (arrivals.kind !== 'trace') continue;
      const trace = arrivals.trace;
      const key = JSON.stringify({ ...trace, bootstrap: null, durationS: scenario.duration });
      if (seen.has(key)) continue;
      seen.add(key);
      let found: ReturnType<typeof findBadRows>;
      try {
        found = findBadRows(trace, scenario.duration, BAD_ROWS_SHOWN + 1);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        errors.push(error.diagnostic);
        continue;
      }
      requests.push(found.requests);
      const { count, first } = found.badRows;
      if (count === 0) continue;
      const listed = first.slice(0, BAD_ROWS_SHOWN);
      const next = first[BAD_ROWS_SHOWN];
      if (next !== undefined) {
        listed.push({
          ...next,
          col: 1,
          message: `and ${count - BAD_ROWS_SHOWN} more bad rows from this one on (${count} in all)`,
        });
      }
      if (trace.onBadRow === 'skip') {
        io.stderr(
          `fleetsim: warning: ${shownPath(trace.path, io.cwd)}: ${count} bad ${count === 1 ? 'row' : 'rows'}, ` +
            'which a run skips (on_bad_row: skip), so it replays fewer requests than the file holds:\n',
        );
        listed.forEach(warn);
      } else {
        errors.push(...listed);
      }
    }
  }
  if (errors.length > 0) throw new ScenarioError(errors);
  return requests;
}
