import { distance } from 'fastest-levenshtein';

/**
 * Candidates within `maxDistance` edits of `word` (case-insensitive), nearest first, ties in
 * alphabetical order so messages are stable. Without `maxDistance` every candidate is ranked.
 */
export function closestNames(
  word: string,
  candidates: Iterable<string>,
  options: { count?: number; maxDistance?: number } = {},
): string[] {
  const lower = word.toLowerCase();
  return [...candidates]
    .map((candidate) => ({ candidate, edits: distance(lower, candidate.toLowerCase()) }))
    .filter(({ edits }) => options.maxDistance === undefined || edits <= options.maxDistance)
    .sort((a, b) => a.edits - b.edits || (a.candidate < b.candidate ? -1 : a.candidate > b.candidate ? 1 : 0))
    .slice(0, options.count ?? Number.POSITIVE_INFINITY)
    .map(({ candidate }) => candidate);
}

/** A third of the word's length: one typo in a short name, two or three in a long one. */
export function typoTolerance(word: string): number {
  return Math.max(1, Math.floor(word.length / 3));
}
