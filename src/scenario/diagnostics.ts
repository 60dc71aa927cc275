import type { YAMLError } from 'yaml';
import type * as z from 'zod';
import { closestNames, typoTolerance } from '../util/closest-names.js';
import { allowedKeys, type JsonSchema } from './json-schema.js';
import { formatPath, type PathSegment, type Position, type SourceMap } from './locate.js';
import type { Diagnostic } from './types.js';

export function diagnostic(
  code: Diagnostic['code'],
  at: Position,
  path: readonly PathSegment[],
  message: string,
): Diagnostic {
  const where = formatPath(path);
  return { code, message: where === '' ? message : `${where}: ${message}`, ...at };
}

/** `; did you mean "replicas"?` for a near miss, else the full list so the user need not guess. */
export function suggest(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return '';
  const [best] = closestNames(word, candidates, { count: 1, maxDistance: typoTolerance(word) });
  if (best !== undefined) return `; did you mean "${best}"?`;
  return `; expected one of: ${candidates.join(', ')}`;
}

/** One line per YAML error: the yaml package's pretty form appends a multi-line excerpt. */
export function yamlDiagnostic(error: YAMLError, file: string): Diagnostic {
  const message = error.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  const at = error.linePos?.[0] ?? { line: 1, col: 1 };
  return {
    code: 'YAML_SYNTAX',
    message: `${message.charAt(0).toLowerCase()}${message.slice(1)}`,
    file,
    line: at.line,
    col: at.col,
  };
}

/**
 * A syntax error often derails the parser for the rest of the text: the first error is the one
 * to fix, the others are counted.
 */
export function syntaxDiagnostic(errors: readonly YAMLError[], file: string): Diagnostic {
  const first = yamlDiagnostic(errors[0], file);
  const more = errors.length - 1;
  if (more === 0) return first;
  return { ...first, message: `${first.message} (and ${more} more syntax error${more === 1 ? '' : 's'})` };
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

/**
 * Rewrites zod's generic wording ("Invalid input: expected object, received string"); messages
 * written in schema.ts already start with "expected" and pass through.
 */
function humanMessage(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type') {
    const wanted = TYPE_NAMES[issue.expected] ?? issue.expected;
    return issue.message.startsWith('expected')
      ? issue.message
      : `expected ${wanted}, got ${describeValue(value)}`;
  }
  return issue.message;
}

export interface IssueContext {
  raw: unknown;
  sources: SourceMap;
  jsonSchema: JsonSchema;
}

/**
 * zod issues -> diagnostics at the YAML text that produced each value. A failed union reports the
 * errors of the alternative whose shape matched the value (the object form for a mapping), since
 * "expected number" from the scalar form only hides the real mistake inside the mapping.
 */
export function issueDiagnostics(issues: readonly z.core.$ZodIssue[], context: IssueContext): Diagnostic[] {
  const found: Diagnostic[] = [];
  const visit = (issue: z.core.$ZodIssue, prefix: readonly PathSegment[]): void => {
    const path = [...prefix, ...(issue.path as PathSegment[])];
    const value = valueAt(context.raw, path);
    if (
      value === undefined &&
      path.length > 0 &&
      (issue.code === 'invalid_type' || issue.code === 'invalid_union')
    ) {
      found.push(diagnostic('INVALID_VALUE', context.sources.locate(path), path, 'missing required key'));
      return;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const matching = issue.errors.find(
        (branch) => !branch.some((inner) => inner.code === 'invalid_type' && inner.path.length === 0),
      );
      if (matching) {
        for (const inner of matching) visit(inner, path);
        return;
      }
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) found.push(unknownKey(path, key, context));
      return;
    }
    const params = (issue as { params?: { code?: Diagnostic['code'] } }).params;
    const code = params?.code ?? 'INVALID_VALUE';
    const message =
      path.length === 0 ? `the scenario must be a YAML mapping of keys` : humanMessage(issue, value);
    found.push(diagnostic(code, context.sources.locate(path), path, message));
  };
  for (const issue of issues) visit(issue, []);
  return found;
}

function unknownKey(path: readonly PathSegment[], key: string, context: IssueContext): Diagnostic {
  const allowed = allowedKeys(context.jsonSchema, path);
  const at = context.sources.locate(path, key);
  const policy = (valueAt(context.raw, path) as { policy?: unknown } | undefined)?.policy;
  // Another form of the same object (routing `weights` under round-robin) accepts the key: the
  // hint is then about the form, not the spelling.
  const message = allowed.includes(key)
    ? typeof policy === 'string'
      ? `not allowed with policy "${policy}"`
      : 'not allowed together with the other keys here'
    : `unknown key${suggest(key, allowed)}`;
  return diagnostic('UNKNOWN_KEY', at, [...path, key], message);
}

const FILE_ORDER = (file: string, main: string) => (file === main ? 1 : 0);

/** Command-line (`--set`) errors first, then by position in the file; duplicates (a baseline error repeated by every variant) once. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[], mainFile: string): Diagnostic[] {
  const unique = new Map<string, Diagnostic>();
  for (const d of diagnostics) unique.set(`${d.file}:${d.line}:${d.col}: ${d.message}`, d);
  return [...unique.values()].sort(
    (a, b) =>
      FILE_ORDER(a.file, mainFile) - FILE_ORDER(b.file, mainFile) ||
      a.file.localeCompare(b.file) ||
      a.line - b.line ||
      a.col - b.col,
  );
}
