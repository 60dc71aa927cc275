import { basename, extname, join, relative, resolve } from 'node:path';
import {
  type ComparedRun,
  renderComparisonJson,
  renderComparisonText,
  writeComparisonOutputs,
} from '../../report/index.js';
import { runLoadedScenario, ScenarioError } from '../../run.js';
import { loadScenarioFile } from '../../scenario/index.js';
import type { LoadedScenario } from '../../scenario/types.js';
import type { CliIo } from '../io.js';
import { parseSeed } from './run.js';

export interface CompareArgs {
  scenarios: string[];
  out?: string;
  seed?: string;
  json: boolean;
  quiet: boolean;
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
      : basename(f.path, extname(f.path)),
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
 * baseline of the comparison and the first file's `slo:` judges all.
 */
export async function compareCommand(args: CompareArgs, io: CliIo): Promise<number> {
  const seedOverride = parseSeed(args.seed);
  const paths = args.scenarios.map((s) => resolve(io.cwd, s));
  const loaded = await Promise.all(paths.map((path) => loadScenarioFile(path)));
  const errors = loaded.flatMap((l) => (l.ok ? [] : l.errors));
  if (errors.length > 0) throw new ScenarioError(errors);
  const files = loaded.flatMap((l, i) => (l.ok ? [{ path: paths[i], scenario: l.value }] : []));
  const seed = seedOverride ?? files[0].scenario.seed;
  const slo = files[0].scenario.slo ?? undefined;
  for (const f of files.slice(1)) {
    if (JSON.stringify(f.scenario.slo) !== JSON.stringify(files[0].scenario.slo)) {
      io.stderr(
        `fleetsim: warning: ${relative(io.cwd, f.path)} has another slo: than ${relative(io.cwd, paths[0])}; the comparison uses the first file's\n`,
      );
    }
  }
  const labels = comparisonLabels(files);
  const started = performance.now();
  const compared: ComparedRun[] = files.flatMap((f, i) =>
    runLoadedScenario(f.scenario, seed).results.map((result, j) => ({
      entry: { label: labels[i][j], scenario: f.scenario.name, variant: result.name, summary: result },
      result,
    })),
  );
  const seconds = (performance.now() - started) / 1000;
  const title = files.map((f) => f.scenario.name).join(' vs ');
  const outDir =
    args.out === undefined
      ? join(io.cwd, 'out', `compare-${files.map((f) => f.scenario.name).join('-vs-')}`)
      : resolve(io.cwd, args.out);
  const { comparison, written } = await writeComparisonOutputs(
    outDir,
    compared,
    {
      title,
      seed,
      scenarios: files.map((f) => ({
        name: relative(io.cwd, f.path),
        yaml: f.scenario.source,
      })),
    },
    { slo },
  );
  if (args.json) io.stdout(renderComparisonJson(comparison));
  else if (!args.quiet) io.stdout(renderComparisonText(comparison));
  if (!args.quiet) {
    const charts = written.filter((p) => p.endsWith('.vl.json')).length;
    io.stderr(
      `${compared.length} configuration(s) from ${files.length} file(s), seed ${seed}, in ${seconds.toFixed(2)} s; wrote ${[
        'comparison.md',
        'comparison.csv',
        'comparison.json',
        'report.html',
      ]
        .map((name) => relative(io.cwd, join(outDir, name)))
        .join(', ')} and ${charts} chart(s) in ${relative(io.cwd, join(outDir, 'charts'))}/\n`,
    );
  }
  return 0;
}
