import {
  type Document,
  isCollection,
  isScalar,
  type LineCounter,
  parseDocument,
  visit,
  type YAMLError,
  YAMLParseError,
} from 'yaml';

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
 * Where each key that repeats an earlier key of its mapping starts, in the order of the text: the
 * keys the yaml package's `uniqueKeys` option refuses, found in one pass. That option compares
 * each key with every earlier one of its mapping, so a mapping of 40,000 keys took 55 s to read.
 * Keys are equal as the yaml package compares them: scalars by value (NaN is never equal to
 * itself), aliases and collections only to themselves.
 */
export function duplicateKeyOffsets(document: Document): number[] {
  const offsets: number[] = [];
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        if (!isScalar(key) || Number.isNaN(key.value)) continue;
        if (!seen.has(key.value)) seen.add(key.value);
        else offsets.push(key.range?.[0] ?? 0);
      }
    },
  });
  return offsets.sort((a, b) => a - b);
}

/** The first of `duplicateKeyOffsets`, or null. */
export function duplicateKeyOffset(document: Document): number | null {
  return duplicateKeyOffsets(document)[0] ?? null;
}

/**
 * `text` parsed with the yaml package's errors in their pretty form, a repeated key among them
 * as the package tells it, found by `duplicateKeyOffsets` instead of its quadratic check (it took
 * 50 s to parse a 1 MB scenario of 83,000 keys; 1.2 s without it).
 */
export function parseKeyed(
  text: string,
  lineCounter: LineCounter,
): { document: Document; errors: YAMLError[] } {
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: false });
  const repeated = duplicateKeyOffsets(document).map((offset) => {
    const at = lineCounter.linePos(offset);
    // As the package's pretty form reads, less the excerpt of the text below it.
    const message = `${DUPLICATE_KEY} at line ${at.line}, column ${at.col}:`;
    const error = new YAMLParseError([offset, offset + 1], 'DUPLICATE_KEY', message);
    error.linePos = [at, lineCounter.linePos(offset + 1)];
    return error;
  });
  // The package's errors stay in the order it found them (the first is the one to fix); a
  // repeated key earlier in the text than the first of them comes before it.
  const first = document.errors[0]?.pos[0] ?? Number.POSITIVE_INFINITY;
  const before = repeated.filter((error) => error.pos[0] < first);
  const after = repeated.filter((error) => error.pos[0] >= first);
  return { document, errors: [...before, ...document.errors, ...after] };
}

/**
 * A text read again after `parseKeyed` accepted it (a loaded scenario's source): its keys are
 * known to be unique, so the yaml package's quadratic check of them is left out.
 */
export function parseAccepted(text: string, lineCounter?: LineCounter): Document {
  return parseDocument(text, { uniqueKeys: false, ...(lineCounter !== undefined && { lineCounter }) });
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
