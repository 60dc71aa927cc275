import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';

/** A key or list index on the way from the scenario root to a value. */
export type PathSegment = string | number;

export interface Position {
  file: string;
  line: number;
  col: number;
}

/** `['fleets', 0, 'replicas']` -> `fleets[0].replicas`: the spelling every diagnostic uses. */
export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}

/** One parsed YAML text: the scenario file, a variant's `set` value or a `--set` value. */
export interface SourceTree {
  document: Document | null;
  node: Node | null;
  /** Position of a character offset into the text `node` was parsed from. */
  position(offset: number): Position;
  /** Where to point when `node` is absent or has no range. */
  origin: Position;
}

export function fileTree(document: Document, lineCounter: LineCounter, file: string): SourceTree {
  return {
    document,
    node: (document.contents as Node | null) ?? null,
    position: (offset) => ({ file, ...lineCounter.linePos(offset) }),
    origin: { file, line: 1, col: 1 },
  };
}

/** A value placed at `path` by an override, with the position of the override's key. */
interface Layer {
  path: readonly PathSegment[];
  tree: SourceTree;
  keyPosition: Position;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

/**
 * Maps a path in the merged scenario (after `--set` and a variant's `set`) back to the text that
 * supplied the value there: the latest override whose path is a prefix wins, because it replaced
 * whatever earlier ones wrote below it.
 */
export class SourceMap {
  private constructor(
    private readonly base: SourceTree,
    private readonly layers: readonly Layer[],
  ) {}

  static of(base: SourceTree): SourceMap {
    return new SourceMap(base, []);
  }

  /** A new map with `tree` mounted at `path`; this one is unchanged (variants share the base). */
  with(path: readonly PathSegment[], tree: SourceTree, keyPosition: Position): SourceMap {
    return new SourceMap(this.base, [...this.layers, { path, tree, keyPosition }]);
  }

  /** Where the value at `path` came from; with `key`, where that key of the mapping at `path` is written. */
  locate(path: readonly PathSegment[], key?: string): Position {
    const target = key === undefined ? path : [...path, key];
    let layer: Layer | undefined;
    for (const candidate of this.layers) {
      if (isPrefix(candidate.path, target)) layer = candidate;
    }
    if (layer && key !== undefined && layer.path.length === target.length) return layer.keyPosition;
    const tree = layer?.tree ?? this.base;
    const rest = target.slice(layer?.path.length ?? 0);
    return walk(tree, rest, key !== undefined);
  }
}

function nodePosition(tree: SourceTree, node: Node | null | undefined): Position {
  return node?.range ? tree.position(node.range[0]) : tree.origin;
}

/**
 * Each mapping's pairs by key text, the first of a key kept, made when a path first goes through
 * it. Looking a key up in the pairs one by one made locating an error per key of a mapping
 * quadratic: a scenario of 15,000 unknown keys took 4.7 s to report. A parsed document is never
 * changed (overrides work on copies of its value), so an index stays right.
 */
const pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairsByKey.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      const text = keyText(pair.key);
      if (text !== undefined && !index.has(text)) index.set(text, pair);
    }
    pairsByKey.set(map, index);
  }
  return index.get(key);
}

/** Follows `path` as far as the tree goes and returns the deepest node found (its key when `atKey`). */
function walk(tree: SourceTree, path: readonly PathSegment[], atKey: boolean): Position {
  let node: Node | null = tree.node;
  for (let i = 0; i < path.length && node; i++) {
    if (isAlias(node) && tree.document) node = (node.resolve(tree.document) as Node | undefined) ?? null;
    const segment = String(path[i]);
    let next: Node | null = null;
    if (isMap(node)) {
      const pair = pairOf(node, segment);
      if (pair && atKey && i === path.length - 1) return nodePosition(tree, pair.key as Node);
      next = (pair?.value as Node | null | undefined) ?? null;
      // `key:` with no value has a null node; the key is then the best place to point at.
      if (pair && !next) return nodePosition(tree, pair.key as Node);
    } else if (isSeq(node)) {
      next = (node.items[Number(segment)] as Node | undefined) ?? null;
    }
    if (!next) break;
    node = next;
  }
  return nodePosition(tree, node);
}
