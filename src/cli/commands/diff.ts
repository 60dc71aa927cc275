import { join, relative, resolve } from 'node:path';
import { estimateMean, replicationSeeds } from '../../plan/index.js';
import {
  buildDiff,
  type DiffSideInput,
  type FailOnRule,
  renderDiffJson,
  renderDiffMarkdown,
  renderDiffTable,
  type VariantSummary,
  writeFileAtomic,
} from '../../report/index.js';
import { runLoadedScenario, ScenarioError } from '../../run.js';
import { checkReplicatedRuns, loadScenarioFile } from '../../scenario/index.js';
import type { LoadedScenario } from '../../scenario/types.js';
import {
  type CatalogArgs,
  type ConfineArgs,
  catalogFiles,
  confineDataPaths,
  outputFolder,
} from '../flags.js';
import { type CliIo, EXIT_OBJECTIVE_MISSED, EXIT_USER_ERROR, shownPath } from '../io.js';
import type { DIFF_FORMATS } from '../options.js';
import { type ProgressDisplay, startProgress } from '../progress.js';
import { largeRunWarnings, partialRunLine } from '../run-limits.js';
import { drawnFor } from './compare.js';

export interface DiffArgs extends ConfineArgs, CatalogArgs {
  old: string;
  new: string;
  format: (typeof DIFF_FORMATS)[number];
  failOn?: FailOnRule[];
  replications?: number;
  seed?: number;
  /** Overrides applied to both sides, as `run --set` applies them. */
  set?: string[];
  out?: string;
  force?: boolean;
  quiet: boolean;
}

/** What the files in `--out` are called. */
const OUTPUT_FILES = { json: 'diff.json', markdown: 'diff.md', comment: 'comment.md' } as const;

/**
 * How the outputs call the two sides: their scenario names, or where both files have the same
 * `name:`, the files as given (and `old` and `new` for one file given twice).
 */
export function sideLabels(
  old: { file: string; name: string },
  now: { file: string; name: string },
): [string, string] {
  if (old.name !== now.name) return [old.name, now.name];
  if (old.file !== now.file) return [old.file, now.file];
  return ['old', 'new'];
}

/**
 * `fleetsim diff OLD NEW`: both scenarios (every configuration, each with its file's seed or
 * `--seed`, and with `--replications N` the same N seeds on both sides) and what changed
 * between them beyond noise, paired by configuration name. Exit 3 when a `--fail-on` threshold
 * trips, as `--check` does when an objective is missed: the runs succeeded, a gate did not.
 */
export async function diffCommand(args: DiffArgs, io: CliIo): Promise<number> {
  const replications = args.replications ?? 1;
  const confined = confineDataPaths(io.cwd, args);
  const catalogs = catalogFiles(io.cwd, args);
  const given = [args.old, args.new];
  const loaded = await Promise.all(
    given.map((file) =>
      loadScenarioFile(resolve(io.cwd, file), { set: args.set, confineDataPaths: confined, catalogs }),
    ),
  );
  // A bad --set fails both sides alike: said once.
  const seen = new Set<string>();
  const errors = loaded
    .flatMap((l) => (l.ok ? [] : l.errors))
    .filter((e) => {
      const key = `${e.file}:${e.line}:${e.col}: ${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  if (errors.length > 0) throw new ScenarioError(errors);
  const [old, now] = loaded.map((l) => (l.ok ? l.value : (undefined as never)));
  checkReplicatedRuns(
    args.replications === undefined ? 'diff: ' : '--replications: ',
    old.variants.length + now.variants.length,
    replications,
    args.replications === undefined ? 'diff scenarios of fewer variants' : 'lower --replications',
  );
  const outDir = args.out === undefined ? null : outputFolder(io.cwd, args.out, args.force);
  const shown = given.map((file) => shownPath(resolve(io.cwd, file), io.cwd));
  const labels = sideLabels({ file: shown[0], name: old.name }, { file: shown[1], name: now.name });
  const roles = ['old', 'new'] as const;
  if (!args.quiet) {
    const configurations = [old, now].flatMap((s, i) =>
      s.variants.map((v) => ({ label: `${roles[i]}/${v.name}`, scenario: v.scenario })),
    );
    for (const warning of largeRunWarnings(configurations)) io.stderr(`${warning}\n`);
    const drawing = [old, now].some((s) => s.variants.some((v) => v.scenario.modelUncertainty));
    if (drawing && replications < 2) {
      io.stderr(
        "fleetsim: warning: model_uncertainty draws the step-time parameters only across replications (--replications N, N of at least 2): each configuration ran once with the scenario's values\n",
      );
    }
  }
  const total = (old.variants.length + now.variants.length) * replications;
  const progress = startProgress(io, total, args.quiet);
  /** A line for each configuration and replication a run limit cut short. */
  const cut: string[] = [];
  const sides: DiffSideInput[] = [];
  try {
    for (const [i, scenario] of [old, now].entries()) {
      const side = { role: roles[i], label: labels[i], file: shown[i] };
      sides.push(runSide(scenario, side, { seed: args.seed, replications, progress, cut, cwd: io.cwd }));
    }
  } finally {
    progress.stop();
  }

  const diff = buildDiff(sides[0], sides[1], {
    replications,
    estimate: estimateMean,
    failOn: args.failOn ?? [],
  });
  const rendered = {
    table: () => renderDiffTable(diff),
    json: () => renderDiffJson(diff),
    markdown: () => renderDiffMarkdown(diff),
    'github-comment': () => renderDiffMarkdown(diff, true),
  };
  io.stdout(rendered[args.format]());
  if (outDir !== null) {
    const files = [
      [OUTPUT_FILES.json, renderDiffJson(diff)],
      [OUTPUT_FILES.markdown, renderDiffMarkdown(diff)],
      [OUTPUT_FILES.comment, renderDiffMarkdown(diff, true)],
    ] as const;
    for (const [name, text] of files) writeFileAtomic(join(outDir, name), text);
    if (!args.quiet) {
      io.stderr(`wrote ${files.map(([name]) => relative(io.cwd, join(outDir, name))).join(', ')}\n`);
    }
  }
  // A cut run's figures are not the scenario's answer: no gate may pass on them.
  if (cut.length > 0) {
    for (const line of cut) io.stderr(`${line}\n`);
    return EXIT_USER_ERROR;
  }
  const tripped = diff.fail_on.filter((r) => r.tripped);
  for (const rule of tripped) io.stderr(`fleetsim: --fail-on ${rule.rule} tripped: ${rule.by.join('; ')}\n`);
  return tripped.length > 0 ? EXIT_OBJECTIVE_MISSED : 0;
}

/**
 * Every configuration of one side with each replication's seed (the file's own seed first, or
 * `--seed`), drawing the step-time parameters per replication as `compare` does.
 */
function runSide(
  scenario: LoadedScenario,
  side: { role: string; label: string; file: string },
  context: {
    seed: number | undefined;
    replications: number;
    progress: ProgressDisplay;
    /** Receives a line for each configuration and replication a run limit cut short. */
    cut: string[];
    cwd: string;
  },
): DiffSideInput {
  const { replications, progress, cut } = context;
  const seed = context.seed ?? scenario.seed;
  const names = scenario.variants.map((v) => v.name);
  const replicates: VariantSummary[][] = names.map(() => []);
  for (const [r, replicationSeed] of replicationSeeds(seed, replications).entries()) {
    const suffix = replications > 1 ? ` (replication ${r + 1}/${replications})` : '';
    const shownNames = names.map((name) => `${side.role}/${name}${suffix}`);
    const drawn = replications > 1 ? drawnFor(scenario, replicationSeed).scenario : scenario;
    const { results } = runLoadedScenario(drawn, replicationSeed, progress.forRun(names, shownNames));
    for (const [
      v,
      { timeseries: _t, distributions: _d, capacity_events: _c, ...summary },
    ] of results.entries()) {
      const line = partialRunLine(scenario, shownNames[v], summary, context.cwd);
      if (line !== null) cut.push(line);
      replicates[v].push(summary);
    }
  }
  return {
    label: side.label,
    file: side.file,
    scenario: scenario.name,
    seed,
    slo: scenario.slo,
    configurations: names.map((name, v) => ({ name, replicates: replicates[v] })),
  };
}
