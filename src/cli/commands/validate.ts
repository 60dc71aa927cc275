import { resolve } from 'node:path';
import { checkSweepGrid } from '../../plan/check-grid.js';
import { ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import { type CliIo, formatForUser } from '../io.js';

/** Variant names the confirmation line lists: thousands of them would fill the terminal. */
const LISTED_NAMES = 20;

/**
 * Checks the scenario as `run` loads it and, with a `sweep:` section, every point of the sweep:
 * points that cannot run are reported one line each and the command still succeeds, as sweep and
 * plan skip them; it fails (exit 2, one line) when no point can run.
 */
export async function validateCommand(
  args: { scenario: string; set?: string[] },
  io: CliIo,
): Promise<number> {
  const file = resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, { set: args.set });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const grid = await checkSweepGrid(loaded.value, file, args.set ?? []);
  for (const { diagnostic } of grid?.infeasible ?? []) io.stderr(`${formatForUser(diagnostic, io.cwd)}\n`);
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
  io.stdout(`${args.scenario}: ok (${loaded.value.variants.length} variant(s): ${names})${sweepNote}\n`);
  return 0;
}
