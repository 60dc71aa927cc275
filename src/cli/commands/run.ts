import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { ReplicatedVariant } from '../../plan/index.js';
import { energyLines } from '../../report/energy.js';
import { renderSummaryMarkdown } from '../../report/markdown.js';
import { performanceCaveats, performanceRuns } from '../../report/performance.js';
import { REQUESTS_FILE, RequestsFileWriter, removePartialRequestsFiles } from '../../report/requests-file.js';
import { describeSloMisses, verdictLines } from '../../report/slo.js';
import { renderSummaryJson } from '../../report/summary.js';
import { renderTextTable } from '../../report/table.js';
import { writeFileAtomic } from '../../report/write.js';
import { writeRunReport } from '../../report/write-report.js';
import { writeRunOutputs } from '../../report/write-run.js';
import { type RunOutput, runLoadedScenario, ScenarioError } from '../../run.js';
import { checkReplicatedRuns, loadScenarioFile } from '../../scenario/index.js';
import type { LoadedScenario } from '../../scenario/types.js';
import {
  type CatalogArgs,
  type ConfineArgs,
  catalogFiles,
  confineDataPaths,
  folderNameOf,
  outputFolder,
} from '../flags.js';
import { type CliIo, checkVerdicts, EXIT_USER_ERROR, missedObjective, UsageError } from '../io.js';
import { DEMO_SCENARIO } from '../paths.js';
import { startProgress } from '../progress.js';
import { largeRunWarnings, partialRunLine } from '../run-limits.js';

export interface RunArgs extends ConfineArgs, CatalogArgs {
  scenario?: string;
  out?: string;
  seed?: number;
  set?: string[];
  json: boolean;
  quiet: boolean;
  check?: boolean;
  force?: boolean;
  replications?: number;
  workers?: number;
  /** Absent: as the scenario's `model_uncertainty` says. */
  modelUncertainty?: boolean;
  /** Absent: as the scenario's `report.requests` says. */
  requests?: boolean;
  /** False (`--no-charts`): none; absent: the scenario's `report.charts`. */
  charts?: boolean;
  png?: boolean;
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
  const { seed, replications, workers } = args;
  if (workers !== undefined && replications === undefined) {
    throw new UsageError('--workers applies only with --replications (the plain run uses one thread)');
  }
  const confined = confineDataPaths(io.cwd, args);
  const file = args.scenario === undefined ? DEMO_SCENARIO : resolve(io.cwd, args.scenario);
  const loaded = await loadScenarioFile(file, {
    set: args.set,
    confineDataPaths: confined,
    catalogs: catalogFiles(io.cwd, args),
  });
  if (!loaded.ok) throw new ScenarioError(loaded.errors);
  const scenario = loaded.value;
  const drawing = args.modelUncertainty ?? scenario.variants.some((v) => v.scenario.modelUncertainty);
  if (drawing && (replications === undefined ? args.modelUncertainty === true : replications < 2)) {
    const { ONE_DRAW } = await import('../../plan/replications.js');
    throw new UsageError(`${ONE_DRAW}; the run itself keeps the scenario's values`);
  }
  if (replications !== undefined) {
    checkReplicatedRuns('--replications: ', scenario.variants.length, replications, 'lower --replications');
  }
  const outDir = outputFolder(io.cwd, args.out ?? join('out', folderNameOf(scenario.name)), args.force);
  if (!args.quiet) {
    const configurations = scenario.variants.map((v) => ({ label: v.name, scenario: v.scenario }));
    for (const warning of largeRunWarnings(configurations)) io.stderr(`${warning}\n`);
  }
  const started = performance.now();
  const progress = startProgress(io, scenario.variants.length, args.quiet);
  const requests = openRequestsFile(outDir, args.requests ?? scenario.report?.requests ?? false);
  let output: RunOutput;
  try {
    output = runLoadedScenario(
      scenario,
      seed,
      progress.forRun(scenario.variants.map((v) => v.name)),
      requests?.write,
    );
    requests?.commit();
  } catch (error) {
    requests?.abort();
    throw error;
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const written = writeRunOutputs(
    outDir,
    output.summary,
    output.results,
    scenarioYamlForReport(scenario.source, args.set),
  );
  if (requests !== null) written.push(requests.path);
  if (args.json) io.stdout(renderSummaryJson(output.summary));
  else if (!args.quiet) {
    io.stdout(renderTextTable(output.summary));
    io.stdout(`\n${verdictLines(output.summary.variants).join('\n')}\n`);
  }
  // One from an earlier run into the same folder would describe another run than summary.json,
  // also if replicating this one fails; the report draws the error bars of the new one.
  rmSync(join(outDir, 'replications.json'), { force: true });
  const cut = output.results.flatMap((result) => partialRunLine(scenario, result.name, result, io.cwd) ?? []);
  // Replications of a run that a limit cut short would each run into it again.
  const replicated =
    replications === undefined || cut.length > 0
      ? undefined
      : await runReplications(
          scenario,
          output,
          { replications, workers, modelUncertainty: args.modelUncertainty },
          outDir,
        );
  if (replicated !== undefined) {
    const { renderReplicationsMarkdown } = await import('../replications.js');
    // summary.md describes the run; its replications, and how often each variant met the SLO, go below it.
    const path = join(outDir, 'summary.md');
    writeFileAtomic(
      path,
      `${renderSummaryMarkdown(output.summary)}\n${renderReplicationsMarkdown(replicated.variants, replicated.note)}`,
    );
  }
  const drawn = await writeRunReport(outDir, {
    slo: scenario.slo,
    charts: args.charts === false ? [] : (scenario.report?.charts ?? undefined),
    png: args.png === true,
  });
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
  if (replicated !== undefined && !args.quiet) await reportReplications(replicated, args.json, io);
  else if (!args.quiet) {
    for (const result of output.results) {
      for (const warning of result.warnings) io.stderr(`fleetsim: warning: ${result.name}: ${warning}\n`);
    }
  }
  // Last on stdout, after a replications table: an estimate beside the measured figures.
  const energy = energyLines(output.summary.variants);
  if (!args.json && !args.quiet && energy.length > 0) io.stdout(`\n${energy.join('\n')}\n`);
  if (!args.quiet) {
    for (const caveat of performanceCaveats(performanceRuns(output.results)))
      io.stderr(`fleetsim: caveat: ${caveat}\n`);
  }
  // A cut run's figures are not the scenario's answer: a script must not go on as if they were.
  if (cut.length > 0) {
    for (const line of cut) io.stderr(`${line}\n`);
    return EXIT_USER_ERROR;
  }
  if (!args.check) return 0;
  // With replications the verdict that counts is the one on their means, as replications.json gives it.
  const baseline = output.summary.variants[0];
  const verdict = replicated?.variants[0].slo ?? baseline.slo;
  return checkVerdicts(
    io,
    verdict.met ? [] : [missedObjective(baseline.name, describeSloMisses(verdict, baseline.classes))],
  );
}

/**
 * requests.jsonl of the run about to start, or null when not asked for; then one left by an
 * earlier run into the same folder is removed, as it would describe another run than summary.json.
 * The partial file of a run that was killed (it is written while the run goes) is removed either way.
 */
export function openRequestsFile(outDir: string, wanted: boolean): RequestsFileWriter | null {
  removePartialRequestsFiles(outDir);
  const path = join(outDir, REQUESTS_FILE);
  if (wanted) return new RequestsFileWriter(path);
  rmSync(path, { force: true });
  return null;
}

interface Replications {
  count: number;
  variants: ReplicatedVariant[];
  /** Why some variants' replications are identical; null when none are. */
  note: string | null;
  path: string;
  seconds: number;
}

/**
 * `--replications N`: every variant with N seeds, the first the run's own (replication 0 is the
 * run just written, not run again), the others on a worker pool, into `replications.json`. The
 * worker pool and the statistics are imported here: a plain run does not load them.
 */
async function runReplications(
  scenario: LoadedScenario,
  run: RunOutput,
  options: { replications: number; workers: number | undefined; modelUncertainty: boolean | undefined },
  outDir: string,
): Promise<Replications> {
  const [{ identicalNote, replicateScenario }, { renderReplicationsJson }] = await Promise.all([
    import('../../plan/index.js'),
    import('../replications.js'),
  ]);
  const started = performance.now();
  const seed = run.summary.seed;
  const { replications, workers, modelUncertainty } = options;
  const variants = await replicateScenario(scenario, {
    replications,
    seed,
    workers,
    firstRuns: run.results,
    ...(modelUncertainty !== undefined && { modelUncertainty }),
  });
  const note = identicalNote(
    replications,
    variants.map((v, i) => ({
      label: v.name,
      scenario: scenario.variants[i].scenario,
      identical: v.identical,
    })),
  );
  const path = join(outDir, 'replications.json');
  writeFileAtomic(path, renderReplicationsJson(scenario.name, seed, variants, note));
  return { count: replications, variants, note, path, seconds: (performance.now() - started) / 1000 };
}

/**
 * After the run's own lines: the mean ± 95 % CI of the headline figures, and warnings about fleets
 * near saturation and queues that kept growing.
 */
async function reportReplications(
  { count, variants, note, path, seconds }: Replications,
  json: boolean,
  io: CliIo,
): Promise<void> {
  const { renderReplicationsTable } = await import('../replications.js');
  if (!json) io.stdout(`\n${renderReplicationsTable(variants, note)}`);
  if (note !== null) io.stderr(`fleetsim: warning: ${note}\n`);
  for (const variant of variants) {
    for (const warning of variant.warnings) io.stderr(`fleetsim: warning: ${variant.name}: ${warning}\n`);
  }
  io.stderr(
    `${count} replication(s) of ${variants.length} variant(s) in ${seconds.toFixed(2)} s; wrote ${relative(io.cwd, path)}\n`,
  );
}
