import { type Document, isMap, isScalar, LineCounter, type Node } from 'yaml';
import { documentValue, parseKeyed } from '../util/yaml-keys.js';
import { suggest, yamlDiagnostic } from './diagnostics.js';
import { alternatives, childSchemas, type JsonSchema } from './json-schema.js';
import { formatPath, type PathSegment, type Position, type SourceTree } from './locate.js';

/** One `path = value` change: from `--set` or from a variant's `set`. */
export interface Override {
  path: PathSegment[];
  value: unknown;
  /** The text of the value, so errors inside it point there. */
  tree: SourceTree;
  /** Where the path is written. */
  keyPosition: Position;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string; at: Position };

/** `fleets.0.replicas` -> `['fleets', 0, 'replicas']`; digits are list indices. */
export function parseOverridePath(text: string): PathSegment[] | null {
  const segments = text.trim().split('.');
  if (segments.some((segment) => segment === '')) return null;
  return segments.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
}

export const SET_FILE = '--set';

/**
 * A `--set path=value` argument. Its diagnostics name the file `--set`, the line is the argument's
 * ordinal (1 = first `--set`) and the column counts characters in the argument, so several
 * `--set`s stay distinguishable on one line of output.
 */
export function parseSetArgument(argument: string, ordinal: number): Parsed<Override> {
  const at = (col: number): Position => ({ file: SET_FILE, line: ordinal, col });
  const equals = argument.indexOf('=');
  const path = equals < 0 ? null : parseOverridePath(argument.slice(0, equals));
  if (path === null) {
    return {
      ok: false,
      message: `expected path=value (e.g. fleets.0.replicas=6); got "${argument}"`,
      at: at(1),
    };
  }
  const valueStart = equals + 1;
  const lineCounter = new LineCounter();
  const { document, errors } = parseKeyed(argument.slice(valueStart), lineCounter);
  if (errors.length > 0) {
    const error = errors[0];
    const { message, col } = yamlDiagnostic(error, SET_FILE);
    return { ok: false, message: `cannot parse the value: ${message}`, at: at(valueStart + col) };
  }
  const value = documentValue(document);
  if (!value.ok) {
    return {
      ok: false,
      message: `cannot parse the value: ${value.message}`,
      at: at(valueStart + value.offset + 1),
    };
  }
  return {
    ok: true,
    value: {
      path,
      value: value.value,
      tree: {
        document,
        node: (document.contents as Node | null) ?? null,
        position: (offset) => at(valueStart + offset + 1),
        origin: at(valueStart + 1),
      },
      keyPosition: at(1),
    },
  };
}

/**
 * The entries of `variants[i].set` with their positions. `setNode` is null for scenario objects
 * (no YAML), and then every position is `origin`.
 */
export function variantOverrides(
  set: Record<string, unknown>,
  setNode: Node | null,
  tree: SourceTree,
): { key: string; keyPosition: Position; override: Override | null }[] {
  const pairs = isMap(setNode) ? setNode.items : [];
  return Object.entries(set).map(([key, value]) => {
    const pair = pairs.find((item) => isScalar(item.key) && String(item.key.value) === key);
    const keyNode = (pair?.key as Node | undefined) ?? null;
    const valueNode = (pair?.value as Node | null | undefined) ?? null;
    const keyPosition = keyNode?.range ? tree.position(keyNode.range[0]) : tree.origin;
    const path = parseOverridePath(key);
    const override: Override | null =
      path === null
        ? null
        : {
            path,
            value,
            tree: {
              document: tree.document as Document | null,
              node: valueNode,
              position: tree.position,
              origin: keyPosition,
            },
            keyPosition,
          };
    return { key, keyPosition, override };
  });
}

/**
 * Path segments that would reach a JavaScript prototype rather than a key of the scenario:
 * writing through them changes every object of the process.
 */
const RESERVED_SEGMENTS: ReadonlySet<PathSegment> = new Set(['__proto__', 'constructor', 'prototype']);

function reservedSegment(path: readonly PathSegment[]): string | null {
  const segment = path.find((s) => RESERVED_SEGMENTS.has(s));
  return segment === undefined
    ? null
    : `"${String(segment)}" is reserved by JavaScript and cannot be part of a path`;
}

/** Why `path` names no key of the scenario schema, or null when it does. */
export function checkOverridePath(root: JsonSchema, path: readonly PathSegment[]): string | null {
  const reserved = reservedSegment(path);
  if (reserved !== null) return reserved;
  if (path[0] === 'variants') return 'variants cannot be set by an override';
  let schemas: JsonSchema[] = [root];
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const next = childSchemas(root, schemas, segment);
    if (next.length === 0) {
      const here = alternatives(root, { anyOf: schemas });
      const where = i === 0 ? 'the scenario' : formatPath(path.slice(0, i));
      const keys = [...new Set(here.flatMap((schema) => Object.keys(schema.properties ?? {})))];
      if (keys.length > 0) return `unknown key "${segment}" in ${where}${suggest(String(segment), keys)}`;
      if (here.some((schema) => schema.items))
        return `${where} is a list: expected an index, e.g. ${where}.0`;
      return `${where} is a single value and has no key "${segment}"`;
    }
    schemas = next;
  }
  return null;
}

/**
 * What `null` at `path` means: `value` where the schema takes null there (`max_drain: null`, no
 * limit), `remove` where it does not and the key is optional (`fleets.0.autoscaling: null`: a fixed
 * fleet), `required` where it does not and the key must be present. `path` has passed
 * `checkOverridePath`.
 */
export function nullMeaning(root: JsonSchema, path: readonly PathSegment[]): 'value' | 'remove' | 'required' {
  let parents: JsonSchema[] = [root];
  for (const segment of path.slice(0, -1)) parents = childSchemas(root, parents, segment);
  const key = path[path.length - 1];
  const children = alternatives(root, { anyOf: childSchemas(root, parents, key) });
  if (children.length === 0 || children.some(acceptsNull)) return 'value';
  if (typeof key === 'number') return 'value';
  const holders = alternatives(root, { anyOf: parents }).filter((parent) =>
    Object.hasOwn(parent.properties ?? {}, key),
  );
  return holders.some((parent) => !(parent.required ?? []).includes(key)) ? 'remove' : 'required';
}

function acceptsNull(schema: JsonSchema): boolean {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return (
    types.includes('null') ||
    schema.const === null ||
    (schema.enum ?? []).includes(null) ||
    Object.keys(schema).every((keyword) => keyword === 'description' || keyword === 'title')
  );
}

/**
 * Writes `value` at `path` in `target` (a plain object tree), creating missing mappings on the way;
 * `remove` deletes the key instead. An override that cannot be written leaves `target` as it was:
 * the overrides of a variant, or all `--set`s, are written into one copy, and one that fails must
 * not leave the mappings it created for those after it.
 */
export function applyOverride(
  target: Record<string, unknown>,
  path: readonly PathSegment[],
  value: unknown,
  remove = false,
): string | null {
  const reserved = reservedSegment(path);
  if (reserved !== null) return reserved;
  // Everything created lies under the first mapping created: putting its key back undoes it all.
  let created:
    | { holder: Record<string | number, unknown>; segment: PathSegment; had: boolean; was: unknown }
    | undefined;
  const fail = (message: string): string => {
    if (created === undefined) return message;
    if (created.had) created.holder[created.segment] = created.was;
    else delete created.holder[created.segment];
    return message;
  };
  let container: unknown = target;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const where = formatPath(path.slice(0, i));
    const last = i === path.length - 1;
    if (Array.isArray(container)) {
      // An index one past the end appends: a variant may add a fleet.
      if (typeof segment !== 'number' || segment > container.length) {
        return fail(`${where} has ${container.length} item(s); index ${String(segment)} is out of range`);
      }
    } else if (container === null || typeof container !== 'object') {
      return fail(`${where} is not a mapping`);
    }
    const holder = container as Record<string | number, unknown>;
    if (last) {
      if (remove) delete holder[segment];
      else holder[segment] = value;
      return null;
    }
    if (!Object.hasOwn(holder, segment) || holder[segment] === undefined || holder[segment] === null) {
      if (typeof path[i + 1] === 'number')
        return fail(`${formatPath(path.slice(0, i + 1))} is not set, so it has no index ${path[i + 1]}`);
      created ??= { holder, segment, had: Object.hasOwn(holder, segment), was: holder[segment] };
      holder[segment] = {};
    }
    container = holder[segment];
  }
  return null;
}
