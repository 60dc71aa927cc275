import { resolve } from 'node:path';
import { checkSweepGrid } from '../../plan/check-grid.js';
import { ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import { type ConfineArgs, confineDataPaths } from '../flags.js';
import { type CliIo, formatForUser } from '../io.js';

/**
 * Checks the scenario as `run` loads it and, with a `sweep:` section, every point of the sweep:
 * points that cannot run are reported one line each and the command still succeeds, as sweep and
 * plan skip them; it fails (exit 2, one line) when no point can run.
 */
export async function validateCommand(
  args: { scenario: string; set?: string[] } & ConfineArgs,
  io: CliIo,
): Promise<number> {
  const confined = confineDataPaths(io.cwd, args);
  const file = resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, { set: args.set, confineDataPaths: confined });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const grid = await checkSweepGrid(loaded.value, file, args.set ?? []);
  for (const { diagnostic } of grid?.infeasible ?? []) io.stderr(`${formatForUser(diagnostic, io.cwd)}\n`);
  const names = loaded.value.variants.map((v) => v.name).join(', ');
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
