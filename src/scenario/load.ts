import { basename, dirname, extname, resolve } from 'node:path';
import { type Document, LineCounter, type YAMLError } from 'yaml';
import { replaceUnprintable } from '../core/unprintable.js';
import { type Catalog, withUserCatalogs } from '../hardware/index.js';
import { readBoundedText } from '../util/bounded-file.js';
import { documentValue, parseKeyed } from '../util/yaml-keys.js';
import {
  BASELINE,
  type Candidate,
  CandidateEdit,
  checkSweepPaths,
  type PointOverride,
  variantCandidates,
  WHOLE_FILE_KEYS,
} from './candidates.js';
import {
  catalogPaths,
  checkResolved,
  checkScenario,
  type Finding,
  fileProblem,
  findExpressions,
} from './checks.js';
import {
  type ConfineDataPaths,
  type Confinement,
  confinement,
  confinementFindings,
  dataPathResolver,
} from './confine.js';
import { diagnostic, issueDiagnostics, sortDiagnostics, syntaxDiagnostic } from './diagnostics.js';
import { loadMath } from './expression.js';
import { finishScenario } from './finish.js';
import { sharedScenarioJsonSchema } from './json-schema.js';
import { fileTree, type Position, SourceMap, type SourceTree } from './locate.js';
import { parseOverridePath, parseSetArgument } from './overrides.js';
import { asObject, findRawProblems } from './raw-shape.js';
import { type ScenarioSpec, scenarioSchema } from './schema.js';
import { detectTracePreset } from './trace-presets.js';
import {
  DEFAULT_SLO,
  type Diagnostic,
  type LoadedScenario,
  type Result,
  type Scenario,
  type Variant,
} from './types.js';

export interface LoadOptions {
  /** `path=value` overrides (`fleetsim run --set`), applied to the baseline before any variant's `set`. */
  set?: string[];
  /**
   * `path=value` overrides applied after `set`, and again after every variant's own `set`, so
   * they hold in every variant: a sweep or plan point, whose varied values must be what runs
   * (a variant fixing `fleets.0.replicas` would otherwise run its own value under the point's).
   */
  pointSet?: string[];
  /**
   * Refuse data files (traces, step-time profiles, empirical CSVs, capacity and price traces)
   * outside one folder, for scenarios someone else wrote: `true` for the scenario file's folder
   * (for `loadScenarioObject`, `baseDir`, which must then be given), or the path of another folder.
   * Each path, wherever it was written (the file, a variant's `set`, `--set`, a sweep value), is
   * resolved as usual and then through every symbolic link; one that ends outside the folder is
   * an error at that path, and nothing outside is opened. Default: false, any readable file.
   */
  confineDataPaths?: ConfineDataPaths;
  /**
   * User catalog files (absolute paths) applied before the scenario's own `catalog` files: prices
   * and instances on top of the shipped catalog (`--catalog`).
   */
  catalogs?: readonly string[];
}

export interface ObjectLoadOptions extends LoadOptions {
  /** Folder relative paths are resolved against. Default: the working directory. */
  baseDir?: string;
}

/** Diagnostics of a scenario given as an object point here; their messages carry the path. */
export const OBJECT_FILE = '<scenario>';

interface Input {
  raw: unknown;
  tree: SourceTree;
  file: string;
  baseDir: string;
  defaultName: string;
  set: readonly string[];
  /** Entries of `set` from here on are applied again after each variant's own `set` (`LoadOptions.pointSet`). */
  pointFrom: number;
  confined: Confinement | null;
  catalogs: readonly string[];
}

function withFeasibility(d: Diagnostic, finding: Finding): Diagnostic {
  return finding.infeasible ? { ...d, infeasible: true } : d;
}

function validate(
  candidate: Candidate,
  input: Input,
  errors: Diagnostic[],
): { scenario: Scenario; spec: ScenarioSpec } | null {
  const found: Diagnostic[] = [];
  const problems = findRawProblems(candidate.raw);
  if (problems.length > 0) {
    for (const finding of problems) {
      const at = candidate.sources.locate(finding.path, finding.key);
      const path = finding.key === undefined ? finding.path : [...finding.path, finding.key];
      found.push(diagnostic(finding.code, at, path, finding.message));
    }
    errors.push(...found);
    return null;
  }
  if (input.confined !== null) {
    // Before anything opens a data file: the trace's header is read to detect its format.
    for (const finding of confinementFindings(candidate.raw, input.baseDir, input.confined)) {
      const at = candidate.sources.locate(finding.path);
      found.push(diagnostic(finding.code, at, finding.path, finding.message));
    }
    if (found.length > 0) {
      errors.push(...found);
      return null;
    }
  }
  const catalog = candidateCatalog(candidate.raw, input);
  if (!catalog.ok) {
    errors.push(...catalog.errors);
    return null;
  }
  const parsed = scenarioSchema().safeParse(withDetectedTraceFormat(candidate.raw, input.baseDir));
  if (!parsed.success) {
    found.push(
      ...issueDiagnostics(parsed.error.issues, {
        raw: candidate.raw,
        sources: candidate.sources,
        jsonSchema: sharedScenarioJsonSchema(),
      }),
    );
  }
  for (const finding of checkScenario(candidate.raw, input.baseDir, catalog.catalog)) {
    const at = candidate.sources.locate(finding.path, finding.key);
    const path = finding.key === undefined ? finding.path : [...finding.path, finding.key];
    found.push(withFeasibility(diagnostic(finding.code, at, path, finding.message), finding));
  }
  if (!parsed.success || found.length > 0) {
    errors.push(...found);
    return null;
  }
  const scenario = finishScenario(parsed.data, {
    defaultName: input.defaultName,
    dataPath: dataPathResolver(input.baseDir, input.confined),
    catalog: catalog.catalog,
  });
  for (const finding of checkResolved(scenario)) {
    const at = candidate.sources.locate(finding.path);
    found.push(withFeasibility(diagnostic(finding.code, at, finding.path, finding.message), finding));
  }
  errors.push(...found);
  return found.length === 0 ? { scenario, spec: parsed.data } : null;
}

/**
 * The catalog a candidate prices its instances from: the shipped one, the `--catalog` files, then
 * the scenario's `catalog` files. A file of the key that cannot be read is left to checkScenario,
 * which reports it at the key; a mistake inside a catalog file is reported where it is.
 */
function candidateCatalog(
  raw: unknown,
  input: Input,
): { ok: true; catalog: Catalog } | { ok: false; errors: Diagnostic[] } {
  const dataPath = dataPathResolver(input.baseDir, input.confined);
  const own = catalogPaths(raw)
    .map(({ value }) => dataPath(value))
    .filter((path) => fileProblem(path) === null);
  const loaded = withUserCatalogs([...input.catalogs, ...own]);
  if (loaded.ok) return loaded;
  return {
    ok: false,
    errors: loaded.errors.map(({ code, file, line, col, message }) => ({ code, file, line, col, message })),
  };
}

/**
 * A trace given by its path alone (no `format`, no `time_column`) is read with the preset its
 * header names, so the public traces need nothing more; the schema then fills in the preset.
 */
function withDetectedTraceFormat(raw: unknown, baseDir: string): unknown {
  const root = asObject(raw);
  const workload = asObject(root?.workload);
  if (root === undefined || workload === undefined) return raw;
  const classes = workload.classes;
  return {
    ...root,
    workload: {
      ...withDetectedFormat(workload, baseDir),
      ...(Array.isArray(classes) && {
        classes: classes.map((c) =>
          asObject(c) === undefined ? c : withDetectedFormat(asObject(c), baseDir),
        ),
      }),
    },
  };
}

/** A workload (or a class) whose trace has its detected format. */
function withDetectedFormat<T extends Record<string, unknown> | undefined>(body: T, baseDir: string): T {
  const arrivals = asObject(body?.arrivals);
  const trace = asObject(arrivals?.trace);
  if (trace === undefined || typeof trace.path !== 'string' || trace.path === '') return body;
  if (trace.format !== undefined || trace.time_column !== undefined) return body;
  // A FIFO or a device would block the read of its header forever; checkScenario reports it.
  const path = resolve(baseDir, trace.path);
  if (fileProblem(path) !== null) return body;
  const format = detectTracePreset(path);
  if (format === null) return body;
  return { ...body, arrivals: { ...arrivals, trace: { ...trace, format } } };
}

/** What loading found for the baseline or one variant: its own diagnostics, before labelling. */
interface CandidateLoad {
  name: string;
  validated: { scenario: Scenario; spec: ScenarioSpec } | null;
  found: Diagnostic[];
}

/**
 * Every candidate validated on its own, or only the one at index `only` (0: the baseline; the
 * others are left out); `errors` holds what concerns the file as a whole (`--set`, keys of variants).
 */
async function loadCandidates(
  input: Input,
  only: number | null = null,
): Promise<{ errors: Diagnostic[]; candidates: CandidateLoad[] }> {
  const errors: Diagnostic[] = [];
  const edit = new CandidateEdit({ name: BASELINE, raw: input.raw, sources: SourceMap.of(input.tree) });
  const points: PointOverride[] = [];
  input.set.forEach((argument, i) => {
    const parsed = parseSetArgument(argument, i + 1);
    if (!parsed.ok) {
      errors.push({ code: 'BAD_OVERRIDE', message: parsed.message, ...parsed.at });
      return;
    }
    const label = argument.slice(0, argument.indexOf('=')).trim();
    edit.apply(parsed.value, 'BAD_OVERRIDE', label, errors);
    if (i >= input.pointFrom) points.push({ override: parsed.value, label });
  });
  const baseline = edit.result();
  checkSweepPaths(baseline, errors);
  const all = [baseline, ...variantCandidates(baseline, input.raw, input.tree, points, errors)];
  const candidates = only === null ? all : all.slice(only, only + 1);
  if (candidates.some((candidate) => findExpressions(candidate.raw).length > 0)) await loadMath();
  return {
    errors,
    candidates: candidates.map((candidate) => {
      const found: Diagnostic[] = [];
      const validated = validate(candidate, input, found);
      return { name: candidate.name, validated, found };
    }),
  };
}

/** All diagnostics of a load, a variant's own labelled with its name, sorted and deduplicated. */
function collectErrors(
  input: Input,
  errors: Diagnostic[],
  candidates: readonly CandidateLoad[],
): Diagnostic[] {
  const all = [...errors];
  const baselineErrors = new Set<string>();
  for (const candidate of candidates) {
    for (const found of candidate.found) {
      const d = { ...found };
      const text = `${d.file}:${d.line}:${d.col}: ${d.message}`;
      if (candidate.name === BASELINE) baselineErrors.add(text);
      // A variant repeats the baseline's errors (deduplicated later); its own are labelled with its name.
      else if (!baselineErrors.has(text)) d.message += ` (variant "${candidate.name}")`;
      all.push(d);
    }
  }
  return sortDiagnostics(all, input.file);
}

async function load(input: Input): Promise<Result<LoadedScenario>> {
  const { errors, candidates } = await loadCandidates(input);
  const baselineSpec = candidates[0].validated?.spec;
  if (errors.length > 0 || candidates.some((candidate) => candidate.found.length > 0) || !baselineSpec) {
    return { ok: false, errors: collectErrors(input, errors, candidates) };
  }
  const variants: Variant[] = candidates.map((candidate) => ({
    name: candidate.name,
    scenario: candidate.validated!.scenario,
  }));
  const { name, seed } = variants[0].scenario;
  const { slo = DEFAULT_SLO, sweep = null, report = null } = baselineSpec;
  const dataRoot = input.confined?.root ?? null;
  return {
    ok: true,
    value: { file: null, name, seed, source: null, variants, slo, sweep, report, dataRoot },
  };
}

/** The default name: the file's, whose characters no schema checked. */
function nameOf(file: string): string {
  return replaceUnprintable(basename(file, extname(file)));
}

/** The confinement `option` asks for, or an error at the start of `file` when its folder is not there. */
function confinementAt(
  option: ConfineDataPaths | undefined,
  baseDir: string,
  file: string,
): Result<Confinement | null> {
  const confined = confinement(option, baseDir);
  if (confined.ok) return confined;
  return { ok: false, errors: [{ code: 'MISSING_FILE', message: confined.message, file, line: 1, col: 1 }] };
}

/**
 * The last text parsed, kept: a sweep or plan loads the same scenario text once per point, and
 * parsing it again each time was most of what the main thread did while workers simulated.
 * Nothing changes a parsed document: overrides work on copies of its value.
 */
interface ParsedText {
  text: string;
  document: Document;
  lineCounter: LineCounter;
  errors: YAMLError[];
  /** The document's plain value, built once: each load takes a copy, which is several times faster. */
  value?: ReturnType<typeof documentValue>;
}

let lastParsed: ParsedText | undefined;

function parsedText(text: string): ParsedText {
  if (lastParsed?.text !== text) {
    const lineCounter = new LineCounter();
    const { document, errors } = parseKeyed(text, lineCounter);
    lastParsed = { text, document, lineCounter, errors };
  }
  return lastParsed;
}

/**
 * The value a point of a sweep or plan starts from. Its `slo`, `sweep` and `report` were checked
 * by the load of the base, and only the base's are read; a point that carried them was checked
 * with them again, and a list of n grid values made n points cost n squared (16,000: 91 s).
 * Kept when a point's own value is written into one of them, so that it is checked as before.
 */
function pointValue(value: unknown, pointSet: readonly string[]): unknown {
  const root = asObject(value);
  const writesWholeFile = pointSet.some((argument) => {
    const path = parseOverridePath(argument.slice(0, Math.max(argument.indexOf('='), 0)));
    return path === null || WHOLE_FILE_KEYS.includes(String(path[0]));
  });
  if (root === undefined || Array.isArray(value) || writesWholeFile) return value;
  const { slo: _slo, sweep: _sweep, report: _report, ...rest } = root;
  return rest;
}

/**
 * The largest scenario text read: shipped scenarios are a few KB and long tables belong in the
 * data files a scenario names. Parsing is slow and memory-hungry on hostile text (each deeply
 * nested value costs the YAML parser a full call stack), so a bigger file is refused before it is
 * read, in a second, not after minutes or an out-of-memory crash.
 */
export const MAX_SCENARIO_BYTES = 1_000_000;

function tooLarge(bytes: number, file: string): Result<never> {
  return {
    ok: false,
    errors: [
      {
        code: 'INVALID_VALUE',
        message: `the scenario is ${(bytes / 1e6).toFixed(1)} MB of text; at most ${MAX_SCENARIO_BYTES / 1e6} MB: keep long tables in the data files it names (traces, profiles, empirical distributions)`,
        file,
        line: 1,
        col: 1,
      },
    ],
  };
}

function textInput(text: string, file: string, options: LoadOptions, point = false): Result<Input> {
  // The text parsed last passed this check: counting its bytes per point grew with its length.
  const bytes = lastParsed?.text === text ? 0 : Buffer.byteLength(text);
  if (bytes > MAX_SCENARIO_BYTES) return tooLarge(bytes, file);
  const parsed = parsedText(text);
  const { document, lineCounter, errors } = parsed;
  if (errors.length > 0) return { ok: false, errors: [syntaxDiagnostic(errors, file)] };
  parsed.value ??= documentValue(document);
  const { value } = parsed;
  if (!value.ok) {
    const at = lineCounter.linePos(value.offset);
    return { ok: false, errors: [{ code: 'YAML_SYNTAX', message: value.message, file, ...at }] };
  }
  const baseDir = dirname(resolve(file));
  const confined = confinementAt(options.confineDataPaths, baseDir, file);
  if (!confined.ok) return confined;
  return {
    ok: true,
    value: {
      // A copy: the cached value is shared by every load of the text, and must stay as written.
      raw: structuredClone(point ? pointValue(value.value, options.pointSet ?? []) : value.value),
      tree: fileTree(document, lineCounter, file),
      file,
      baseDir,
      defaultName: nameOf(file),
      set: [...(options.set ?? []), ...(options.pointSet ?? [])],
      pointFrom: options.set?.length ?? 0,
      confined: confined.value,
      catalogs: options.catalogs ?? [],
    },
  };
}

/** Parses and validates scenario YAML; `file` names it in diagnostics and anchors relative paths. */
export async function loadScenarioText(
  text: string,
  file: string,
  options: LoadOptions = {},
): Promise<Result<LoadedScenario>> {
  const input = textInput(text, file, options);
  if (!input.ok) return input;
  const result = await load(input.value);
  return result.ok ? { ok: true, value: { ...result.value, file: resolve(file), source: text } } : result;
}

/** The baseline or one variant of a sweep point: its scenario, or why that configuration cannot run. */
export interface VariantLoad {
  name: string;
  /** null when `infeasible` is not empty. */
  scenario: Scenario | null;
  /** Diagnostics that all have `infeasible` set. */
  infeasible: Diagnostic[];
}

/**
 * Like `loadScenarioText`, for one point of a sweep: a variant whose only problems are
 * infeasible configurations (`Diagnostic.infeasible`) comes back with them instead of failing the
 * load, so the sweep can record it and go on. Any other error fails the load as usual. With
 * `variant`, only the variant at that index (0: the baseline) is checked and returned: a plan
 * evaluates one variant of a point at a time, and checking the others would be thrown away.
 * `baseLoaded` says the same text with the same `set` (without `pointSet`) loaded without errors:
 * the point leaves out the keys that load checked and the others read from it (`pointValue`).
 */
export async function loadScenarioVariants(
  text: string,
  file: string,
  options: LoadOptions & { variant?: number; baseLoaded?: boolean } = {},
): Promise<Result<VariantLoad[]>> {
  const input = textInput(text, file, options, options.baseLoaded === true);
  if (!input.ok) return input;
  const { errors, candidates } = await loadCandidates(input.value, options.variant ?? null);
  if (errors.length > 0 || candidates.some((candidate) => candidate.found.some((d) => !d.infeasible))) {
    return { ok: false, errors: collectErrors(input.value, errors, candidates) };
  }
  return {
    ok: true,
    value: candidates.map((candidate) => ({
      name: candidate.name,
      scenario: candidate.validated?.scenario ?? null,
      infeasible: candidate.found,
    })),
  };
}

export async function loadScenarioFile(
  path: string,
  options: LoadOptions = {},
): Promise<Result<LoadedScenario>> {
  const unread = (reason: string): Result<never> => ({
    ok: false,
    errors: [{ code: 'MISSING_FILE', message: `${reason}: ${resolve(path)}`, file: path, line: 1, col: 1 }],
  });
  const read = readBoundedText(path, MAX_SCENARIO_BYTES);
  if (read.ok) return loadScenarioText(read.text, path, options);
  if (read.problem === 'too large') return tooLarge(read.bytes, path);
  return unread(
    read.problem === 'missing'
      ? 'file not found'
      : read.problem === 'not a file'
        ? 'not a file'
        : 'cannot read file',
  );
}

/** For library users who build the scenario in code: the same validation, positions `<scenario>:1:1`. */
export async function loadScenarioObject(
  object: unknown,
  options: ObjectLoadOptions = {},
): Promise<Result<LoadedScenario>> {
  if (options.confineDataPaths === true && options.baseDir === undefined) {
    throw new TypeError('confineDataPaths: true confines data paths to baseDir; give baseDir (or a folder)');
  }
  const origin: Position = { file: OBJECT_FILE, line: 1, col: 1 };
  const baseDir = resolve(options.baseDir ?? '.');
  const confined = confinementAt(options.confineDataPaths, baseDir, OBJECT_FILE);
  if (!confined.ok) return confined;
  return load({
    raw: structuredClone(object),
    tree: { document: null, node: null, position: () => origin, origin },
    file: OBJECT_FILE,
    baseDir,
    defaultName: 'scenario',
    set: [...(options.set ?? []), ...(options.pointSet ?? [])],
    pointFrom: options.set?.length ?? 0,
    confined: confined.value,
    catalogs: options.catalogs ?? [],
  });
}
