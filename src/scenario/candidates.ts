import { isMap, type Node } from 'yaml';
import { sharedScenarioJsonSchema } from './json-schema.js';
import { formatPath, type Position, type SourceMap, type SourceTree } from './locate.js';
import {
  applyOverride,
  checkOverridePath,
  nullMeaning,
  type Override,
  parseOverridePath,
  variantOverrides,
} from './overrides.js';
import { asObject } from './raw-shape.js';
import type { Diagnostic } from './types.js';

type Raw = Record<string, unknown>;

/** A candidate scenario: the merged plain object and where each of its values was written. */
export interface Candidate {
  name: string;
  raw: unknown;
  sources: SourceMap;
}

/** An override of `--set` or of a sweep or plan point, with the label its diagnostics carry. */
export interface PointOverride {
  override: Override;
  label: string;
}

/**
 * Overrides written in turn into one copy of a candidate's value, made when the first of them is
 * written. A copy per override made n overrides of a scenario of n fleets cost n squared: 8,000
 * `--set`s, or a variant setting 8,000 keys, took 44 s to validate.
 */
export class CandidateEdit {
  private raw: Raw | null = null;
  private sources: SourceMap;

  constructor(private readonly candidate: Candidate) {
    this.sources = candidate.sources;
  }

  apply(override: Override, code: Diagnostic['code'], label: string, errors: Diagnostic[]): void {
    const fail = (at: Position, message: string) =>
      errors.push({ code, message: `${label}: ${message}`, ...at });
    const pathError = checkOverridePath(sharedScenarioJsonSchema(), override.path);
    if (pathError !== null) {
      fail(override.keyPosition, pathError);
      return;
    }
    const meaning =
      override.value === null ? nullMeaning(sharedScenarioJsonSchema(), override.path) : 'value';
    if (meaning === 'required') {
      fail(override.keyPosition, `${formatPath(override.path)} is required: null cannot remove it`);
      return;
    }
    const original = this.candidate.raw;
    // A scenario that is not a mapping has nowhere to write the value: the schema says so, once.
    if (original === null || typeof original !== 'object' || Array.isArray(original)) return;
    // The candidate's value is shared (variants start from the baseline's), so it is never written.
    this.raw ??= structuredClone(original) as Raw;
    // An override that fails leaves the copy as it was, as if it had been made for that one alone.
    const applyError = applyOverride(
      this.raw,
      override.path,
      structuredClone(override.value),
      meaning === 'remove',
    );
    if (applyError !== null) {
      fail(override.keyPosition, applyError);
      return;
    }
    this.sources = this.sources.with(override.path, override.tree, override.keyPosition);
  }

  /** The candidate with every override written; itself when none was. */
  result(): Candidate {
    if (this.raw === null || this.sources === this.candidate.sources) return this.candidate;
    return { ...this.candidate, raw: this.raw, sources: this.sources };
  }
}

/** The scenario as written (after `--set`); no variant may take this name. */
export const BASELINE = 'baseline';

/** Keys read from the baseline only: one SLO, one sweep and one report for all variants. */
export const WHOLE_FILE_KEYS = ['slo', 'sweep', 'report'];

/** A sweep key must be a path `--set` accepts; the values are checked when each point is loaded. */
export function checkSweepPaths(baseline: Candidate, errors: Diagnostic[]): void {
  const grid = asObject(asObject(asObject(baseline.raw)?.sweep)?.grid);
  for (const key of Object.keys(grid ?? {})) {
    const path = parseOverridePath(key);
    const problem =
      path === null
        ? 'expected a dotted path like fleets.0.replicas'
        : WHOLE_FILE_KEYS.includes(String(path[0]))
          ? `${path[0]} cannot be swept`
          : checkOverridePath(sharedScenarioJsonSchema(), path);
    if (problem !== null) {
      const at = baseline.sources.locate(['sweep', 'grid'], key);
      errors.push({ code: 'UNKNOWN_KEY', message: `sweep.grid["${key}"]: ${problem}`, ...at });
    }
  }
}

/** Each variant of the scenario as written in `raw` (`tree`): the baseline with its `set`, then `points`. */
export function variantCandidates(
  baseline: Candidate,
  raw: unknown,
  tree: SourceTree,
  points: readonly PointOverride[],
  errors: Diagnostic[],
): Candidate[] {
  const variants = asObject(raw)?.variants;
  if (!Array.isArray(variants)) return [];
  // The list of variants is checked once, with the baseline: carried into every variant, it would
  // be copied, parsed and checked again by each, and loading would grow with its square.
  const { variants: _variants, ...shared } = asObject(baseline.raw) ?? {};
  const base: Candidate = { ...baseline, raw: shared };
  const candidates: Candidate[] = [];
  variants.forEach((entry, i) => {
    const variant = asObject(entry);
    const set = asObject(variant?.set);
    // A malformed entry is reported by the schema on the baseline.
    if (typeof variant?.name !== 'string' || !set) return;
    const setNode = (tree.document?.getIn(['variants', i, 'set'], true) as Node | undefined) ?? null;
    const edit = new CandidateEdit({ ...base, name: variant.name });
    for (const { key, keyPosition, override } of variantOverrides(
      set,
      isMap(setNode) ? setNode : null,
      tree,
    )) {
      const label = `${formatPath(['variants', i, 'set'])}["${key}"]`;
      if (override === null) {
        errors.push({
          code: 'UNKNOWN_KEY',
          message: `${label}: expected a dotted path like fleets.0.replicas`,
          ...keyPosition,
        });
      } else if (WHOLE_FILE_KEYS.includes(String(override.path[0]))) {
        errors.push({
          code: 'BAD_OVERRIDE',
          message: `${label}: ${override.path[0]} applies to the whole scenario; a variant cannot set it`,
          ...keyPosition,
        });
      } else {
        edit.apply(override, 'UNKNOWN_KEY', label, errors);
      }
    }
    for (const point of points) edit.apply(point.override, 'BAD_OVERRIDE', point.label, errors);
    candidates.push(edit.result());
  });
  return candidates;
}
