import { readFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { formatThousands } from '../../core/format.js';
import {
  Interrupted,
  parseShard,
  performanceCaveatsOf,
  renderSweepJson,
  renderSweepTable,
  runSweep,
  sweepAnswerLines,
} from '../../plan/index.js';
import { type StudySource, writeSweepReport } from '../../plan/study-report.js';
import { ScenarioError } from '../../run.js';
import { loadScenarioFile, MAX_RUNS } from '../../scenario/index.js';
import type { SweepSampling } from '../../scenario/types.js';
import {
  type CatalogArgs,
  type ConfineArgs,
  catalogFiles,
  confineDataPaths,
  folderNameOf,
  outputFolder,
} from '../flags.js';
import { type CliIo, UsageError } from '../io.js';
import { startStudyProgress } from '../progress.js';

/** Flags `sweep` and `plan` share. */
export interface StudyArgs extends ConfineArgs, CatalogArgs {
  scenario: string;
  /** Absent: `out/<scenario name>-sweep` (or `-plan`). */
  out?: string;
  set?: string[];
  seed?: number;
  workers?: number;
  replications?: number;
  /** Absent: as the scenario's `model_uncertainty` says. */
  modelUncertainty?: boolean;
  quiet: boolean;
  force?: boolean;
  /** `--png`: each chart as a PNG too. */
  png?: boolean;
}

export interface SweepArgs extends StudyArgs {
  grid?: string[];
  sampling?: SweepSampling;
  points?: number;
  shard?: string;
  json: boolean;
}

/** The library options both commands take, from their flags. */
export async function studyOptions(args: StudyArgs, io: CliIo, command: 'sweep' | 'plan') {
  const confined = confineDataPaths(io.cwd, args);
  const scenario = resolve(io.cwd, args.scenario);
  const catalogs = catalogFiles(io.cwd, args);
  let out = args.out;
  if (out === undefined) {
    // The name as `run` finds it: the base scenario's, after --set.
    const loaded = await loadScenarioFile(scenario, { set: args.set, confineDataPaths: confined, catalogs });
    if (!loaded.ok) throw new ScenarioError(loaded.errors);
    out = join('out', `${folderNameOf(loaded.value.name)}-${command}`);
  }
  return {
    scenario,
    outDir: outputFolder(io.cwd, out, args.force),
    set: args.set,
    confineDataPaths: confined,
    catalogs,
    seed: args.seed,
    workers: args.workers,
    replications: args.replications,
    ...(args.modelUncertainty !== undefined && { modelUncertainty: args.modelUncertainty }),
  };
}

/** The scenario file as written, for the last section of report.html. */
export function scenarioSource(file: string): StudySource {
  return { name: basename(file), yaml: readFileSync(file, 'utf8') };
}

/** Exit codes of a run stopped by a signal, as a shell reports them (128 + signal number). */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `work` with an AbortSignal that SIGINT and SIGTERM trigger: the study then stops
 * starting runs, keeps every finished point, and the command exits 130 or 143.
 */
export async function withSignals(
  io: CliIo,
  work: (signal: AbortSignal) => Promise<number>,
): Promise<number> {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' = 'SIGINT';
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const handler = () => {
      received = name;
      controller.abort();
    };
    process.on(name, handler);
    return () => process.off(name, handler);
  });
  try {
    return await work(controller.signal);
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error;
    io.stderr(`fleetsim: ${error.message}\n`);
    return SIGNAL_EXIT[received];
  } finally {
    for (const remove of handlers) remove();
  }
}

/** ` and 2 chart(s): DIR/a, DIR/b (.vl.json, .svg)` for the summary line; empty when none was drawn. */
export function chartNote(written: readonly string[], io: CliIo): string {
  const specs = written.filter((path) => path.endsWith('.vl.json'));
  if (specs.length === 0) return '';
  const names = specs.map((path) => relative(io.cwd, path).slice(0, -'.vl.json'.length));
  const kinds = written.some((path) => path.endsWith('.png')) ? '.vl.json, .svg, .png' : '.vl.json, .svg';
  return ` and ${specs.length} chart(s): ${names.join(', ')} (${kinds})`;
}

export async function sweepCommand(args: SweepArgs, io: CliIo): Promise<number> {
  const shard = args.shard === undefined ? null : parseShard(args.shard);
  if (shard === null && args.shard !== undefined) {
    throw new UsageError(
      `--shard: expected K/N with 0 <= K < N <= ${formatThousands(MAX_RUNS)} (e.g. 0/4), got "${args.shard}"`,
    );
  }
  const options = {
    ...(await studyOptions(args, io, 'sweep')),
    grid: args.grid,
    sampling: args.sampling,
    points: args.points,
    shard,
  };
  return withSignals(io, async (signal) => {
    const started = performance.now();
    const progress = startStudyProgress(io, 'sweep', { quiet: args.quiet, bounded: false });
    let outcome: Awaited<ReturnType<typeof runSweep>>;
    try {
      outcome = await runSweep({ ...options, signal, onProgress: progress.update });
    } finally {
      progress.stop();
    }
    // A shard holds a slice of the points: `fleetsim merge` draws the report of the whole sweep.
    const report =
      shard === null
        ? await writeSweepReport(options.outDir, outcome.result, scenarioSource(options.scenario), {
            png: args.png === true,
          })
        : { charts: [], files: [] };
    if (outcome.identicalNote !== null) io.stderr(`fleetsim: warning: ${outcome.identicalNote}\n`);
    if (args.json) io.stdout(renderSweepJson(outcome.result));
    else if (!args.quiet) {
      io.stdout(renderSweepTable(outcome.result));
      if (shard === null) io.stdout(`\n${sweepAnswerLines(outcome.result).join('\n')}\n`);
    }
    if (!args.quiet) {
      const seconds = ((performance.now() - started) / 1000).toFixed(2);
      const shardNote = shard ? ` (shard ${shard.index}/${shard.count})` : '';
      const infeasible = outcome.result.rows.filter((row) => row.status === 'infeasible').length;
      const infeasibleNote = infeasible > 0 ? ` (${infeasible} infeasible, skipped)` : '';
      io.stderr(
        `${outcome.result.rows.length} row(s)${shardNote}${infeasibleNote}: ${outcome.computed} run now, ${outcome.reused} reused from earlier runs, in ${seconds} s; wrote ${[
          ...outcome.files,
          ...report.files,
        ]
          .map((path) => relative(io.cwd, path))
          .join(', ')}${chartNote(report.charts, io)}\n`,
      );
      const caveats = new Set(outcome.result.rows.flatMap((row) => performanceCaveatsOf(row.performance)));
      for (const caveat of caveats) io.stderr(`fleetsim: caveat: ${caveat}\n`);
    }
    return 0;
  });
}
