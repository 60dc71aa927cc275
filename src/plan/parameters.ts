import { type Document, isSeq, LineCounter, type Node } from 'yaml';
import { loadScenarioVariants } from '../scenario/index.js';
import { SET_FILE } from '../scenario/overrides.js';
import { parseSweepValues } from '../scenario/schema.js';
import type { Diagnostic, Result, Scenario, Sweep, SweepParameter } from '../scenario/types.js';
import { documentValue, parseAccepted, parseKeyed } from '../util/yaml-keys.js';
import type { SweepPoint } from './points.js';

/** A swept key with where its values are written, so a bad value is reported there. */
export interface Parameter extends SweepParameter {
  /** The scenario's `sweep.grid`, or the n-th (1-based) `--grid` / `--vary` flag. */
  origin: { kind: 'scenario' } | { kind: 'flag'; flag: string; ordinal: number; valueCol: number };
}

/** `--grid path=values` arguments; values as in `sweep.grid` (a YAML list, a range, or one value). */
export function parseParameterArguments(args: readonly string[], flag: string): Result<Parameter[]> {
  const errors: Diagnostic[] = [];
  const parameters: Parameter[] = [];
  args.forEach((argument, i) => {
    const at = (col: number) => ({ file: flag, line: i + 1, col });
    const equals = argument.indexOf('=');
    const path = argument.slice(0, Math.max(equals, 0)).trim();
    if (equals < 0 || path === '' || /\s/.test(path)) {
      errors.push({
        code: 'BAD_OVERRIDE',
        message: `expected path=values (e.g. fleets.0.replicas=2..24 or fleets.0.instance=[aws/g6.xlarge, gcp/g2-standard-8]); got "${argument}"`,
        ...at(1),
      });
      return;
    }
    const valueCol = equals + 2;
    const lineCounter = new LineCounter();
    const { document, errors: syntax } = parseKeyed(argument.slice(equals + 1), lineCounter);
    if (syntax.length > 0) {
      const offset = syntax[0].linePos?.[0].col ?? 1;
      const reason = syntax[0].message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
      const message = `${reason.charAt(0).toLowerCase()}${reason.slice(1)}`;
      errors.push({
        code: 'YAML_SYNTAX',
        message: `cannot parse the values: ${message}`,
        ...at(valueCol + offset - 1),
      });
      return;
    }
    const value = documentValue(document);
    if (!value.ok) {
      errors.push({
        code: 'YAML_SYNTAX',
        message: `cannot parse the values: ${value.message}`,
        ...at(valueCol + value.offset),
      });
      return;
    }
    const parsed = parseSweepValues(value.value);
    if (!parsed.ok) {
      errors.push({ code: 'INVALID_VALUE', message: `${path}: ${parsed.message}`, ...at(valueCol) });
      return;
    }
    parameters.push({
      path,
      values: parsed.values,
      origin: { kind: 'flag', flag, ordinal: i + 1, valueCol },
    });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: parameters };
}

/** The scenario's `sweep.grid`, with flags replacing keys they repeat and adding the others at the end. */
export function mergeParameters(sweep: Sweep | null, flags: readonly Parameter[]): Parameter[] {
  const merged: Parameter[] = (sweep?.parameters ?? []).map((parameter) => ({
    ...parameter,
    origin: { kind: 'scenario' },
  }));
  for (const flag of flags) {
    const same = merged.findIndex((parameter) => parameter.path === flag.path);
    if (same >= 0) merged[same] = flag;
    else merged.push(flag);
  }
  return merged;
}

/** The scenario text and the `--set` arguments every point starts from: they load without errors. */
export interface ScenarioSource {
  file: string;
  text: string;
  set: readonly string[];
  /** `LoadedScenario.dataRoot` of the base: every point's data files are confined to it too. */
  dataRoot: string | null;
  /** `--catalog` files (absolute paths), loaded with every point as with the base. */
  catalogs?: readonly string[];
}

/** A point's overrides as `--set` arguments; JSON is YAML, so every value survives the round trip. */
function pointArguments(parameters: readonly Parameter[], values: readonly unknown[]): string[] {
  return parameters.map((parameter, d) => `${parameter.path}=${JSON.stringify(values[d])}`);
}

export function describePoint(parameters: readonly Parameter[], values: readonly unknown[]): string {
  return parameters.map((parameter, d) => `${parameter.path}=${JSON.stringify(values[d])}`).join(', ');
}

/** Why a configuration (a variant of a point) cannot run. */
export interface Infeasibility {
  /** The loader's or simulator's message(s), as `sweep.csv`'s `reason`. */
  reason: string;
  /** The first of them as a diagnostic, at the grid value that caused it when one did; null for a failure while running. */
  at: Diagnostic | null;
}

/** One variant of a loaded point: its scenario, or why that configuration cannot run. */
export interface PointVariant {
  name: string;
  scenario: Scenario | null;
  /** Found by the loader, so always located. */
  infeasible: (Infeasibility & { at: Diagnostic }) | null;
}

export interface LoadedPoint {
  variants: PointVariant[];
}

/**
 * Loads each point as the scenario with its values applied like `--set`, after the user's own
 * `--set`s, and again after each variant's own `set`: the varied values are what runs in every variant. A diagnostic inside a point's value is moved to where that value is
 * written (the `sweep.grid` entry or the flag); one that only some points have names the first of them.
 * A variant that is well formed but cannot run (`Diagnostic.infeasible`: the model does not fit,
 * the instance is not sold there) is returned with why instead of failing the load. With
 * `variant`, each point holds only that variant (an index into the scenario's, 0: the baseline).
 * With `withScenarios: false`, every `scenario` is null and only `infeasible` tells whether a
 * variant runs: a check of the grid that kept each point's scenario held 2 MB per point of a
 * scenario of 2,000 fleets.
 */
export async function loadPoints(
  source: ScenarioSource,
  parameters: readonly Parameter[],
  points: readonly SweepPoint[],
  options: { variant?: number; withScenarios?: boolean } = {},
): Promise<Result<LoadedPoint[]>> {
  /** The scenario's own positions, parsed only when a diagnostic needs them. */
  let parsed: { document: Document; lineCounter: LineCounter } | undefined;
  /** Where the value (or, for a bad path, the key) of parameter `d` is written. */
  const position = (d: number, value: unknown, aboutPath: boolean): Omit<Diagnostic, 'code' | 'message'> => {
    const parameter = parameters[d];
    if (parameter.origin.kind === 'flag') {
      const col = aboutPath ? 1 : parameter.origin.valueCol;
      return { file: parameter.origin.flag, line: parameter.origin.ordinal, col };
    }
    if (parsed === undefined) {
      const lineCounter = new LineCounter();
      parsed = { document: parseAccepted(source.text, lineCounter), lineCounter };
    }
    const { document, lineCounter } = parsed;
    const node = document.getIn(['sweep', 'grid', parameter.path], true) as Node | undefined;
    const item = isSeq(node) ? (node.items[parameter.values.indexOf(value)] as Node | undefined) : node;
    const offset = item?.range?.[0] ?? node?.range?.[0] ?? 0;
    return { file: source.file, ...lineCounter.linePos(offset) };
  };
  /** The diagnostic at the point's value it concerns; `d` < 0 when it is about no swept value. */
  const relocate = (error: Diagnostic, point: SweepPoint): { diagnostic: Diagnostic; d: number } => {
    const d = error.file === SET_FILE ? error.line - source.set.length - 1 : -1;
    if (d < 0) return { diagnostic: error, d };
    // The loader reports a path that names no key (or no list item) as BAD_OVERRIDE at the path.
    const aboutPath = error.code === 'BAD_OVERRIDE';
    return {
      d,
      diagnostic: {
        ...error,
        ...position(d, point.values[d], aboutPath),
        message: aboutPath ? error.message : `${error.message} (value ${JSON.stringify(point.values[d])})`,
      },
    };
  };

  const loaded: LoadedPoint[] = [];
  const found = new Map<string, { diagnostic: Diagnostic; points: number[] }>();
  for (const point of points) {
    const result = await loadScenarioVariants(source.text, source.file, {
      set: [...source.set],
      pointSet: pointArguments(parameters, point.values),
      confineDataPaths: source.dataRoot ?? false,
      catalogs: source.catalogs ?? [],
      variant: options.variant,
      baseLoaded: true,
    });
    if (result.ok) {
      loaded.push({
        variants: result.value.map((variant) => ({
          name: variant.name,
          scenario: options.withScenarios === false ? null : variant.scenario,
          infeasible:
            variant.infeasible.length === 0
              ? null
              : {
                  reason: variant.infeasible.map((d) => d.message).join('; '),
                  at: relocate(variant.infeasible[0], point).diagnostic,
                },
        })),
      });
      continue;
    }
    for (const error of result.errors) {
      const { diagnostic, d } = relocate(error, point);
      const text = `${diagnostic.file}:${diagnostic.line}:${diagnostic.col}: ${diagnostic.message}`;
      const entry = found.get(text) ?? { diagnostic, points: [] };
      if (d < 0) entry.points.push(point.index);
      found.set(text, entry);
    }
  }
  if (found.size === 0) return { ok: true, value: loaded };
  const errors = [...found.values()].map(({ diagnostic, points: where }) => {
    if (where.length === 0 || where.length === points.length) return diagnostic;
    const first = points.find((point) => point.index === where[0])!;
    const others = where.length > 1 ? ` and ${where.length - 1} more` : '';
    return {
      ...diagnostic,
      message: `${diagnostic.message} (sweep point ${describePoint(parameters, first.values)}${others})`,
    };
  });
  return { ok: false, errors };
}
