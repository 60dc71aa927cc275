import { basename, extname, join, relative, resolve } from 'node:path';
import { replaceUnprintable } from '../../core/unprintable.js';
import type { VariantResult } from '../../metrics/index.js';
import { estimateMean, identicalNote, ONE_DRAW, replicationSeeds } from '../../plan/index.js';
import {
  type ComparedRun,
  noiseWarnings,
  REQUESTS_FILE,
  renderComparisonJson,
  renderComparisonText,
  type VariantSummary,
  writeComparisonOutputs,
} from '../../report/index.js';
import { runLoadedScenario, ScenarioError } from '../../run.js';
import { checkReplicatedRuns, loadScenarioFile } from '../../scenario/index.js';
import type { LoadedScenario } from '../../scenario/types.js';
import { drawStepTimeModel } from '../../serving/model-uncertainty.js';
import type { RequestRecord } from '../../workload/index.js';
import {
  type CatalogArgs,
  type ConfineArgs,
  catalogFiles,
  confineDataPaths,
  folderNameOf,
  outputFolder,
} from '../flags.js';
import { type CliIo, checkVerdicts, EXIT_USER_ERROR, missedObjective, UsageError } from '../io.js';
import { startProgress } from '../progress.js';
import { largeRunWarnings, partialRunLine } from '../run-limits.js';
import { openRequestsFile, scenarioYamlForReport } from './run.js';

export interface CompareArgs extends ConfineArgs, CatalogArgs {
  scenarios: string[];
  out?: string;
  seed?: number;
  set?: string[];
  replications?: number;
  json: boolean;
  quiet: boolean;
  check?: boolean;
  force?: boolean;
  /** Absent: as each file's `model_uncertainty` says. */
  modelUncertainty?: boolean;
  /** Absent: as the first file's `report.requests` says. */
  requests?: boolean;
  /** False (`--no-charts`): none; absent: the first file's `report.charts`. */
  charts?: boolean;
  png?: boolean;
}

/** `loaded` with `model_uncertainty` set on every variant, as `--model-uncertainty` asks. */
function withModelUncertainty(loaded: LoadedScenario, drawing: boolean | undefined): LoadedScenario {
  if (drawing === undefined) return loaded;
  return {
    ...loaded,
    variants: loaded.variants.map((v) => ({ ...v, scenario: { ...v.scenario, modelUncertainty: drawing } })),
  };
}

/**
 * One replication's scenario: each variant with `model_uncertainty` runs with its step-time
 * parameters drawn for `seed`, as a replication of `fleetsim run` draws them, so every
 * configuration on the same accelerator sees the same draw. `drew[v]` says whether variant v
 * has a roofline fleet that drew.
 */
export function drawnFor(
  loaded: LoadedScenario,
  seed: number,
): { scenario: LoadedScenario; drew: boolean[] } {
  const drew: boolean[] = [];
  const variants = loaded.variants.map((v) => {
    if (!v.scenario.modelUncertainty) {
      drew.push(false);
      return v;
    }
    const draw = drawStepTimeModel(v.scenario, seed);
    drew.push(Object.keys(draw.fleets).length > 0);
    return { ...v, scenario: draw.scenario };
  });
  return { scenario: { ...loaded, variants }, drew };
}

/**
 * Labels that tell configurations apart: the variant name for one file; for several, the
 * scenario name (the file name where two scenarios share a name), then `/variant` for files with
 * variants. A file given twice gets `#2`.
 */
export function comparisonLabels(files: readonly { path: string; scenario: LoadedScenario }[]): string[][] {
  if (files.length === 1) return [files[0].scenario.variants.map((v) => v.name)];
  const names = files.map((f) => f.scenario.name);
  const prefixes = files.map((f) =>
    names.indexOf(f.scenario.name) === names.lastIndexOf(f.scenario.name)
      ? f.scenario.name
      : replaceUnprintable(basename(f.path, extname(f.path))),
  );
  const seen = new Map<string, number>();
  return files.map((f, i) => {
    const count = (seen.get(prefixes[i]) ?? 0) + 1;
    seen.set(prefixes[i], count);
    const prefix = count === 1 ? prefixes[i] : `${prefixes[i]}#${count}`;
    return f.scenario.variants.length === 1
      ? [prefix]
      : f.scenario.variants.map((v) => `${prefix}/${v.name}`);
  });
}

/**
 * `fleetsim compare a.yaml [b.yaml ...]`: every configuration of every file (the baseline and
 * each variant) with one seed, so all of them see the same random streams; the first is the
 * baseline of the comparison and the first file's `slo:` and `report:` apply to all. With
 * `--replications N` every configuration runs with the same N seeds, the first being that seed.
 */
export async function compareCommand(args: CompareArgs, io: CliIo): Promise<number> {
  const replications = args.replications ?? 1;
  const confined = confineDataPaths(io.cwd, args);
  const catalogs = catalogFiles(io.cwd, args);
  const paths = args.scenarios.map((s) => resolve(io.cwd, s));
  const loaded = await Promise.all(
    paths.map((path) => loadScenarioFile(path, { set: args.set, confineDataPaths: confined, catalogs })),
  );
  const errors = loaded.flatMap((l) => (l.ok ? [] : l.errors));
  if (errors.length > 0) throw new ScenarioError(errors);
  const files = loaded.flatMap((l, i) =>
    l.ok ? [{ path: paths[i], scenario: withModelUncertainty(l.value, args.modelUncertainty) }] : [],
  );
  const drawing = files.some((f) => f.scenario.variants.some((v) => v.scenario.modelUncertainty));
  if (drawing && (args.replications === undefined ? args.modelUncertainty === true : replications < 2)) {
    throw new UsageError(ONE_DRAW);
  }
  checkReplicatedRuns(
    args.replications === undefined ? 'compare: ' : '--replications: ',
    files.reduce((sum, f) => sum + f.scenario.variants.length, 0),
    replications,
    args.replications === undefined ? 'compare fewer files' : 'lower --replications',
  );
  const outDir = outputFolder(
    io.cwd,
    args.out ??
      join('out', folderNameOf(`compare-${files.map((f) => folderNameOf(f.scenario.name)).join('-vs-')}`)),
    args.force,
  );
  const seed = args.seed ?? files[0].scenario.seed;
  const slo = files[0].scenario.slo;
  for (const f of files.slice(1)) {
    if (JSON.stringify(f.scenario.slo) !== JSON.stringify(files[0].scenario.slo)) {
      io.stderr(
        `fleetsim: warning: ${relative(io.cwd, f.path)} has another slo: than ${relative(io.cwd, paths[0])}; the comparison uses the first file's\n`,
      );
    }
  }
  const labels = comparisonLabels(files);
  if (!args.quiet) {
    const configurations = files.flatMap((f, i) =>
      f.scenario.variants.map((v, j) => ({ label: labels[i][j], scenario: v.scenario })),
    );
    for (const warning of largeRunWarnings(configurations)) io.stderr(`${warning}\n`);
  }
  const configurations = files.reduce((sum, f) => sum + f.scenario.variants.length, 0);
  if (drawing && replications < 2 && !args.quiet) {
    io.stderr(
      "fleetsim: warning: model_uncertainty draws the step-time parameters only across replications (--replications N, N of at least 2): each configuration ran once with the scenario's values, so there is no P(SLO)\n",
    );
  }
  const seeds = replicationSeeds(seed, replications);
  /** Per configuration, in comparison order: whether every replication drew its step-time parameters. */
  let drew: boolean[] = [];
  const started = performance.now();
  const progress = startProgress(io, configurations * replications, args.quiet);
  /** Every configuration's result of the first replication (for the charts), in comparison order. */
  let first: VariantResult[] = [];
  /** Per replication, every configuration's summary. */
  const summaries: VariantSummary[][] = [];
  // Of the first replication, the one the comparison's figures and charts come from.
  const requests = openRequestsFile(outDir, args.requests ?? files[0].scenario.report?.requests ?? false);
  /** A line for each configuration and replication a run limit cut short. */
  const cut: string[] = [];
  try {
    for (const [r, replicationSeed] of seeds.entries()) {
      const suffix = replications > 1 ? ` (replication ${r + 1}/${replications})` : '';
      const drawnThisTime: boolean[] = [];
      const results = files.flatMap((f, i) => {
        const names = f.scenario.variants.map((v) => v.name);
        const onProgress = progress.forRun(
          names,
          labels[i].map((label) => `${label}${suffix}`),
        );
        const labelOf = new Map(names.map((name, k) => [name, labels[i][k]]));
        const onRequest =
          requests === null || r > 0
            ? undefined
            : (record: RequestRecord) => {
                record.variant = labelOf.get(record.variant as string) ?? null;
                requests.write(record);
              };
        const drawn =
          replications > 1
            ? drawnFor(f.scenario, replicationSeed)
            : { scenario: f.scenario, drew: f.scenario.variants.map(() => false) };
        drawnThisTime.push(...drawn.drew);
        const run = runLoadedScenario(drawn.scenario, replicationSeed, onProgress, onRequest).results;
        for (const [v, result] of run.entries()) {
          const line = partialRunLine(f.scenario, `${labels[i][v]}${suffix}`, result, io.cwd);
          if (line !== null) cut.push(line);
        }
        return run;
      });
      if (r === 0) {
        first = results;
        drew = drawnThisTime;
      }
      summaries.push(
        results.map(({ timeseries: _t, distributions: _d, capacity_events: _c, ...summary }) => summary),
      );
    }
    requests?.commit();
  } catch (error) {
    requests?.abort();
    throw error;
  } finally {
    progress.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const flatLabels = labels.flat();
  const scenarioOf = files.flatMap((f) => f.scenario.variants.map(() => f.scenario.name));
  const compared: ComparedRun[] = first.map((result, j) => ({
    entry: {
      label: flatLabels[j],
      scenario: scenarioOf[j],
      variant: result.name,
      summary: summaries[0][j],
      ...(replications > 1 && {
        replicates: summaries.map((replication) => replication[j]),
        modelDraws: drew[j],
      }),
    },
    result,
  }));
  const variantScenarios = files.flatMap((f) => f.scenario.variants.map((v) => v.scenario));
  // Replications that all came out the same have no spread to estimate: their means go without an interval.
  const identical = first.map(
    (_, j) =>
      replications > 1 && summaries.every((s) => JSON.stringify(s[j]) === JSON.stringify(summaries[0][j])),
  );
  const note = identicalNote(
    replications,
    identical.map((same, j) => ({ label: flatLabels[j], scenario: variantScenarios[j], identical: same })),
  );
  const title = files.map((f) => f.scenario.name).join(' vs ');
  const { comparison, written } = await writeComparisonOutputs(
    outDir,
    compared,
    {
      title,
      seed,
      scenarios: files.map((f) => ({
        name: relative(io.cwd, f.path),
        yaml: scenarioYamlForReport(f.scenario.source, args.set),
      })),
      estimate: note === null ? estimateMean : (samples) => ({ ...estimateMean(samples), halfWidth: null }),
      notes: note === null ? [] : [`${note[0].toUpperCase()}${note.slice(1)}.`],
    },
    {
      slo,
      charts: args.charts === false ? [] : (files[0].scenario.report?.charts ?? undefined),
      png: args.png === true,
    },
  );
  if (args.json) io.stdout(renderComparisonJson(comparison));
  else if (!args.quiet) io.stdout(renderComparisonText(comparison));
  if (note !== null) io.stderr(`fleetsim: warning: ${note}\n`);
  if (!args.quiet) {
    for (const noisy of noiseWarnings(comparison)) {
      io.stderr(`fleetsim: warning: within noise against the baseline: ${noisy}\n`);
    }
    for (const [j, result] of first.entries()) {
      for (const warning of result.warnings) io.stderr(`fleetsim: warning: ${flatLabels[j]}: ${warning}\n`);
    }
    const charts = written.filter((p) => p.endsWith('.vl.json')).length;
    io.stderr(
      `${compared.length} configuration(s) from ${files.length} file(s), seed ${seed}${replications > 1 ? `, ${replications} replications` : ''}, in ${seconds.toFixed(2)} s; wrote ${[
        'comparison.md',
        'comparison.csv',
        'comparison.json',
        ...(requests === null ? [] : [REQUESTS_FILE]),
        'report.html',
      ]
        .map((name) => relative(io.cwd, join(outDir, name)))
        .join(', ')} and ${charts} chart(s) in ${relative(io.cwd, join(outDir, 'charts'))}/\n`,
    );
  }
  if (cut.length > 0) {
    for (const line of cut) io.stderr(`${line}\n`);
    return EXIT_USER_ERROR;
  }
  if (!args.check) return 0;
  return checkVerdicts(
    io,
    comparison.rows.filter((r) => !r.slo_met).map((r) => missedObjective(r.label, r.slo_failures)),
  );
}
