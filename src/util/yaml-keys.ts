import { type Document, isCollection, isScalar, visit } from 'yaml';

/**
 * Where the first mapping or list used as a mapping key starts, or null. The yaml package turns
 * such a key into its text, with a warning Node prints on stderr; no key fleetsim reads is one.
 */
export function collectionKeyOffset(document: Document): number | null {
  let offset: number | null = null;
  visit(document, {
    Pair(_, pair) {
      if (!isCollection(pair.key)) return undefined;
      offset = pair.key.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return offset;
}

export const COLLECTION_KEY = 'a key must be a name or a number, not a mapping or a list';

/** What the yaml package says of a repeated key. */
export const DUPLICATE_KEY = 'Map keys must be unique';

/**
 * Where the earliest key that repeats an earlier key of its mapping starts, or null: the keys the
 * yaml package's `uniqueKeys` option refuses, found in one pass. That option compares each key
 * with every earlier one of its mapping, so a mapping of 40,000 keys took 55 s to read. Keys are
 * equal as the yaml package compares them: scalars by value (NaN is never equal to itself),
 * aliases and collections only to themselves.
 */
export function duplicateKeyOffset(document: Document): number | null {
  let earliest: number | null = null;
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (!seen.has(key.value)) seen.add(key.value);
        else earliest = Math.min(earliest ?? Number.POSITIVE_INFINITY, key.range?.[0] ?? 0);
      }
    },
  });
  return earliest;
}

/**
 * How many copies aliases may make, counted as the yaml package counts them (an alias of a node
 * that itself holds n aliases counts n). Nested aliases grow exponentially ("billion laughs"); a
 * scenario never needs more than a few.
 */
export const MAX_ALIAS_COUNT = 100;

/** The plain value of a parsed document, or why it cannot be built and the offset of the first alias. */
export function documentValue(
  document: Document,
): { ok: true; value: unknown } | { ok: false; message: string; offset: number } {
  const collectionKey = collectionKeyOffset(document);
  if (collectionKey !== null) return { ok: false, message: COLLECTION_KEY, offset: collectionKey };
  try {
    const value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    if (!endless(value, new Set())) return { ok: true, value };
    throw new ReferenceError('an alias inside the value it names makes it endless; write the value out');
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    let offset = 0;
    visit(document, {
      Alias(_, node) {
        offset = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    const message = error.message.startsWith('Excessive alias count')
      ? `aliases expand to more than ${MAX_ALIAS_COUNT} copies; write the values out instead of nesting aliases`
      : `${error.message.charAt(0).toLowerCase()}${error.message.slice(1)}`;
    return { ok: false, message, offset };
  }
}

/** Whether `value` holds itself: an alias inside the node it names (`&a [*a]`) builds such a value. */
function endless(value: unknown, ancestors: Set<object>): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = value instanceof Map ? value.values() : Object.values(value);
  for (const child of children) if (endless(child, ancestors)) return true;
  ancestors.delete(value);
  return false;
}
