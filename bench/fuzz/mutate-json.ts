/**
 * Mutations of a JSON document that keep it JSON (mostly), so that they reach the code reading
 * its fields instead of stopping at the parser: a field set to null, a string, a boundary number
 * or another type, a key dropped or added, an array emptied or made long, values nested deep,
 * siblings swapped, the document replaced by a scalar. Run folders, sweep points, price lists and
 * benchmark results are JSON files whose every field some command trusts.
 */
import type { Rng } from './random.js';

type Path = (string | number)[];
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values a field is set to; numbers past what JSON.stringify writes are pasted raw (`RAW`). */
const VALUES: readonly Json[] = [
  null,
  '',
  'abc',
  'NaN',
  '1e400',
  '__proto__',
  '2023-13-45',
  true,
  0,
  -1,
  -0.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 53 + 2,
  1e21,
  4294967297,
  [],
  {},
  [1, 2],
  { a: 1 },
  [null],
];

/** Source text pasted in place of a value: what a tool writing JSON by hand could produce. */
const RAW = ['1e400', '-1e400', '-0', '1E2', '0.0000000000000000000001', '123456789012345678901234567890'];

const KEYS = ['__proto__', 'constructor', 'toString', '', 'x', ' ', '\u0000', 'rows', 'version'];

interface Node {
  path: Path;
  value: Json;
}

/** Every node below the root, with its path (at most `cap`, spread over the document). */
function nodes(root: Json, cap = 20_000): Node[] {
  const found: Node[] = [];
  const walk = (value: Json, path: Path) => {
    if (found.length >= cap) return;
    if (path.length > 0) found.push({ path, value });
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) walk(value[i], [...path, i]);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(root, []);
  return found;
}

function show(path: Path): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('') || '(root)';
}

function parentOf(root: Json, path: Path): Json {
  let node = root;
  for (const p of path.slice(0, -1)) node = (node as Record<string | number, Json>)[p];
  return node;
}

function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  (parentOf(root, path) as Record<string | number, Json>)[path[path.length - 1]] = value;
  return root;
}

/** The document's own indentation, so that line-based readers and byte offsets stay alike. */
function indentOf(text: string): number {
  const match = /\n( +)["{[\]}]/.exec(text);
  return match === null ? 0 : match[1].length;
}

export interface JsonMutation {
  text: string;
  description: string;
}

/**
 * One mutation of `text`, or null when it is not JSON or is nested too deep to walk (an earlier
 * mutation nested it 100,000 deep): a byte mutation then does.
 */
export function mutateJson(rng: Rng, text: string): JsonMutation | null {
  try {
    return mutateParsed(rng, text, JSON.parse(text) as Json);
  } catch {
    return null;
  }
}

function mutateParsed(rng: Rng, text: string, root: Json): JsonMutation | null {
  const all = nodes(root);
  // Placeholders survive JSON.stringify as strings; their quotes go with them when pasted.
  const raws = new Map<string, string>();
  const raw = (source: string): string => {
    const key = `fuzzraw${raws.size}x`;
    raws.set(key, source);
    return key;
  };
  const write = (doc: Json, description: string): JsonMutation => {
    let out = JSON.stringify(doc, null, indentOf(text)) ?? 'null';
    for (const [key, source] of raws) out = out.split(`"${key}"`).join(source);
    return { text: text.endsWith('\n') ? `${out}\n` : out, description };
  };
  const leaves = all.filter((n) => n.value === null || typeof n.value !== 'object');
  const containers = all.filter((n) => n.value !== null && typeof n.value === 'object');
  const pick = (from: Node[]) => (from.length > 0 ? rng.pick(from) : null);
  const what = rng.weighted<string>([
    ['set', 8],
    ['raw-number', 2],
    ['drop-key', 3],
    ['add-key', 2],
    ['deep', 1],
    ['long-array', 1],
    ['empty', 2],
    ['swap', 1],
    ['scale', 2],
    ['root', 1],
  ]);
  switch (what) {
    case 'set': {
      const node = pick(rng.chance(0.7) ? leaves : all);
      if (node === null) return null;
      const value = rng.pick(VALUES);
      return write(
        setAt(root, node.path, structuredClone(value)),
        `${show(node.path)} = ${JSON.stringify(value)}`,
      );
    }
    case 'raw-number': {
      const node = pick(leaves.filter((n) => typeof n.value === 'number')) ?? pick(leaves);
      if (node === null) return null;
      const source = rng.pick(RAW);
      return write(setAt(root, node.path, raw(source)), `${show(node.path)} = ${source} (as written)`);
    }
    case 'drop-key': {
      const node = pick(all.filter((n) => typeof n.path[n.path.length - 1] === 'string'));
      if (node === null) return null;
      delete (parentOf(root, node.path) as Record<string, Json>)[node.path[node.path.length - 1]];
      return write(root, `drop ${show(node.path)}`);
    }
    case 'add-key': {
      const node = pick(containers.filter((n) => !Array.isArray(n.value)));
      const target = (node?.value ?? root) as Record<string, Json>;
      if (target === null || typeof target !== 'object' || Array.isArray(target)) return null;
      const key = rng.pick(KEYS);
      const value = rng.pick(VALUES);
      // A `__proto__` key set by assignment would change the prototype instead of adding a field.
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
      return write(root, `add ${show([...(node?.path ?? []), key])} = ${JSON.stringify(value)}`);
    }
    case 'deep': {
      const node = pick(all);
      if (node === null) return null;
      const depth = rng.pick([100, 10_000, 100_000]);
      const open = rng.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      return write(
        setAt(root, node.path, raw(`${open.repeat(depth)}1${close.repeat(depth)}`)),
        `${show(node.path)} nested ${depth} deep`,
      );
    }
    case 'long-array': {
      const node = pick(containers.filter((n) => Array.isArray(n.value)));
      if (node === null) return null;
      const items = node.value as Json[];
      const item = items.length > 0 ? items[0] : 1;
      // A few MB at most: a file past the commands' size bounds tests only those.
      const size = JSON.stringify(item)?.length ?? 1;
      const length = Math.max(2, Math.min(rng.pick([1000, 100_000]), Math.floor(4e6 / size)));
      return write(
        setAt(
          root,
          node.path,
          Array.from({ length }, () => structuredClone(item)),
        ),
        `${show(node.path)} made ${length} long`,
      );
    }
    case 'empty': {
      const node = pick(containers);
      if (node === null) return null;
      return write(setAt(root, node.path, Array.isArray(node.value) ? [] : {}), `${show(node.path)} emptied`);
    }
    case 'swap': {
      const node = pick(containers.filter((n) => Object.keys(n.value as object).length > 1));
      if (node === null) return null;
      const keys = Object.keys(node.value as object);
      const a = rng.pick(keys);
      const b = rng.pick(keys);
      const obj = node.value as Record<string, Json>;
      [obj[a], obj[b]] = [obj[b], obj[a]];
      return write(root, `${show(node.path)}: ${a} and ${b} swapped`);
    }
    case 'scale': {
      const node = pick(leaves.filter((n) => typeof n.value === 'number'));
      if (node === null) return null;
      const factor = rng.pick([-1, 0, 1e-9, 1e9, 1.5, 1e300]);
      return write(
        setAt(root, node.path, (node.value as number) * factor),
        `${show(node.path)} times ${factor}`,
      );
    }
    default: {
      const value = rng.pick<Json>([null, [], {}, 'x', 0, [root]]);
      return write(value, `document replaced by ${JSON.stringify(value).slice(0, 20)}`);
    }
  }
}
