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

/** Layers newest first, each map sharing the layers of the one it was made from. */
interface Layers {
  layer: Layer;
  order: number;
  older: Layers | null;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' || typeof key === 'number' ? String(key) : undefined;
}

/** Paths whose segments read the same, as overrides compare them, have the same key. */
function pathKey(path: readonly PathSegment[]): string {
  return JSON.stringify(path.map(String));
}

/**
 * Maps a path in the merged scenario (after `--set` and a variant's `set`) back to the text that
 * supplied the value there: the latest override whose path is a prefix wins, because it replaced
 * whatever earlier ones wrote below it.
 */
export class SourceMap {
  /**
   * The latest layer of each path, made at the first `locate`: a variant setting every one of
   * 8,000 fleets had each error compare its path with all 8,000 overrides.
   */
  private latest: Map<string, { layer: Layer; order: number }> | undefined;

  private constructor(
    private readonly base: SourceTree,
    private readonly layers: Layers | null,
  ) {}

  static of(base: SourceTree): SourceMap {
    return new SourceMap(base, null);
  }

  /**
   * A new map with `tree` mounted at `path`; this one is unchanged (variants share the base).
   * The layers are shared, not copied: copying them made n overrides cost n squared.
   */
  with(path: readonly PathSegment[], tree: SourceTree, keyPosition: Position): SourceMap {
    const order = (this.layers?.order ?? 0) + 1;
    return new SourceMap(this.base, { layer: { path, tree, keyPosition }, order, older: this.layers });
  }

  /** Where the value at `path` came from; with `key`, where that key of the mapping at `path` is written. */
  locate(path: readonly PathSegment[], key?: string): Position {
    const target = key === undefined ? path : [...path, key];
    let found: { layer: Layer; order: number } | undefined;
    for (let length = 0; length <= target.length; length++) {
      const candidate = this.latestLayers().get(pathKey(target.slice(0, length)));
      if (candidate && (found === undefined || candidate.order > found.order)) found = candidate;
    }
    const layer = found?.layer;
    if (layer && key !== undefined && layer.path.length === target.length) return layer.keyPosition;
    const tree = layer?.tree ?? this.base;
    const rest = target.slice(layer?.path.length ?? 0);
    return walk(tree, rest, key !== undefined);
  }

  private latestLayers(): Map<string, { layer: Layer; order: number }> {
    if (this.latest === undefined) {
      this.latest = new Map();
      for (let at = this.layers; at !== null; at = at.older) {
        const key = pathKey(at.layer.path);
        if (!this.latest.has(key)) this.latest.set(key, { layer: at.layer, order: at.order });
      }
    }
    return this.latest;
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
