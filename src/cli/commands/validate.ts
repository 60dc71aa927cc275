import { resolve } from 'node:path';
import { checkSweepGrid } from '../../plan/check-grid.js';
import { ScenarioError } from '../../run.js';
import { type Diagnostic, loadScenarioFile, type Scenario, UserError } from '../../scenario/index.js';
import { findBadRows } from '../../workload/index.js';
import { type CatalogArgs, type ConfineArgs, catalogFiles, confineDataPaths } from '../flags.js';
import { type CliIo, formatForUser, shownPath } from '../io.js';

/** Bad trace rows `validate` lists one line each; the rest are counted on one more line. */
const BAD_ROWS_SHOWN = 10;

/** Variant names the confirmation line lists: thousands of them would fill the terminal. */
const LISTED_NAMES = 20;

/**
 * Checks the scenario as `run` loads it and, with a `sweep:` section, every point of the sweep:
 * points that cannot run are reported one line each and the command still succeeds, as sweep and
 * plan skip them; it fails (exit 2, one line) when no point can run. A trace is read through, as
 * each variant would replay it: its bad rows are errors (the first ten listed, the rest counted),
 * or warnings under `on_bad_row: skip`.
 */
export async function validateCommand(
  args: { scenario: string; set?: string[] } & ConfineArgs & CatalogArgs,
  io: CliIo,
): Promise<number> {
  const confined = confineDataPaths(io.cwd, args);
  const file = resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, {
    set: args.set,
    confineDataPaths: confined,
    catalogs: catalogFiles(io.cwd, args),
  });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const grid = await checkSweepGrid(loaded.value, file, args.set ?? []);
  for (const { diagnostic } of grid?.infeasible ?? []) io.stderr(`${formatForUser(diagnostic, io.cwd)}\n`);
  const traceNote = checkTraces(
    loaded.value.variants.map((v) => v.scenario),
    io,
  );
  const all = loaded.value.variants.map((v) => v.name);
  const names =
    all.length > LISTED_NAMES
      ? `${all.slice(0, LISTED_NAMES).join(', ')} and ${all.length - LISTED_NAMES} more`
      : all.join(', ');
  let sweepNote = '';
  if (grid !== null) {
    const infeasible = grid.infeasible.reduce((sum, entry) => sum + entry.configurations, 0);
    sweepNote = `; sweep: ${grid.points} point(s), ${grid.configurations} configuration(s)${
      infeasible > 0 ? `, ${infeasible} infeasible (sweep and plan skip them)` : ''
    }`;
  }
  io.stdout(
    `${args.scenario}: ok (${loaded.value.variants.length} variant(s): ${names})${traceNote}${sweepNote}\n`,
  );
  return 0;
}

/**
 * Reads each trace the variants replay (once per distinct window), streamed. Throws a
 * ScenarioError with every error found; prints the rows `on_bad_row: skip` would pass over as
 * warnings. Returns a note for the `ok` line.
 */
function checkTraces(scenarios: readonly Scenario[], io: CliIo): string {
  const errors: Diagnostic[] = [];
  const requests: number[] = [];
  const seen = new Set<string>();
  for (const scenario of scenarios) {
    const arrivals = scenario.workload.arrivals;
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
      for (const diagnostic of listed) io.stderr(`${formatForUser(diagnostic, io.cwd)}\n`);
    } else {
      errors.push(...listed);
    }
  }
  if (errors.length > 0) throw new ScenarioError(errors);
  return requests.length === 0 ? '' : `; trace: ${requests.join(', ')} request(s) read`;
}
