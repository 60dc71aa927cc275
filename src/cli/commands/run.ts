import { join, relative, resolve } from 'node:path';
import { renderSummaryJson, renderTextTable, writeRunOutputs } from '../../report/index.js';
import { runLoadedScenario, ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import { type CliIo, UsageError } from '../io.js';
import { DEMO_SCENARIO } from '../paths.js';

export interface RunArgs {
  scenario?: string;
  out?: string;
  seed?: string;
  set?: string[];
  json: boolean;
  quiet: boolean;
}

export async function runCommand(args: RunArgs, io: CliIo): Promise<number> {
  const seed = args.seed === undefined ? undefined : Number(args.seed);
  if (seed !== undefined && (!/^-?\d+$/.test(args.seed ?? '') || !Number.isSafeInteger(seed))) {
    throw new UsageError(`--seed: expected an integer, got "${args.seed}"`);
  }
  const file = args.scenario === undefined ? DEMO_SCENARIO : resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, { set: args.set });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const started = performance.now();
  const output = runLoadedScenario(loaded.value, seed);
  const seconds = (performance.now() - started) / 1000;
  const outDir =
    args.out === undefined ? join(io.cwd, 'out', output.summary.scenario) : resolve(io.cwd, args.out);
  const written = writeRunOutputs(outDir, output.summary, output.results);
  if (args.json) io.stdout(renderSummaryJson(output.summary));
  else if (!args.quiet) io.stdout(renderTextTable(output.summary));
  if (!args.quiet) {
    const events = output.results.reduce((sum, r) => sum + r.events, 0);
    io.stderr(
      `${output.results.length} variant(s), ${events} events in ${seconds.toFixed(2)} s; wrote ${written
        .map((p) => relative(io.cwd, p))
        .join(', ')}\n`,
    );
  }
  return 0;
}
