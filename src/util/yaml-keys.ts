import { type Document, isCollection, visit } from 'yaml';

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
