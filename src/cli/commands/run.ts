import { join, relative, resolve } from 'node:path';
import { renderSummaryJson, renderTextTable, writeRunOutputs, writeRunReport } from '../../report/index.js';
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

export function parseSeed(text: string | undefined): number | undefined {
  const seed = text === undefined ? undefined : Number(text);
  if (seed !== undefined && (!/^-?\d+$/.test(text ?? '') || !Number.isSafeInteger(seed))) {
    throw new UsageError(`--seed: expected an integer, got "${text}"`);
  }
  return seed;
}

/**
 * The scenario text as the report shows it. `--set` changed the base without changing the file,
 * so the overrides are listed on top, where a reader of the YAML cannot miss them.
 */
export function scenarioYamlForReport(source: string | null, set: readonly string[] = []): string | null {
  if (source === null || set.length === 0) return source;
  return `# Run with ${set.map((s) => `--set ${s}`).join(' ')} (applied to the base before the variants)\n${source}`;
}

export async function runCommand(args: RunArgs, io: CliIo): Promise<number> {
  const seed = parseSeed(args.seed);
  const file = args.scenario === undefined ? DEMO_SCENARIO : resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, { set: args.set });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const started = performance.now();
  const output = runLoadedScenario(loaded.value, seed);
  const seconds = (performance.now() - started) / 1000;
  const outDir =
    args.out === undefined ? join(io.cwd, 'out', output.summary.scenario) : resolve(io.cwd, args.out);
  const written = writeRunOutputs(
    outDir,
    output.summary,
    output.results,
    scenarioYamlForReport(loaded.value.source, args.set),
  );
  const drawn = await writeRunReport(outDir, { slo: loaded.value.slo ?? undefined });
  if (args.json) io.stdout(renderSummaryJson(output.summary));
  else if (!args.quiet) io.stdout(renderTextTable(output.summary));
  if (!args.quiet) {
    const events = output.results.reduce((sum, r) => sum + r.events, 0);
    const charts = drawn.filter((p) => p.endsWith('.vl.json')).length;
    io.stderr(
      `${output.results.length} variant(s), ${events} events in ${seconds.toFixed(2)} s; wrote ${[
        ...written,
        join(outDir, 'report.html'),
      ]
        .map((p) => relative(io.cwd, p))
        .join(', ')} and ${charts} chart(s) in ${relative(io.cwd, join(outDir, 'charts'))}/\n`,
    );
  }
  return 0;
}
