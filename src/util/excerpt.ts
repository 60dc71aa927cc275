/** Characters of a file's own text that an error message repeats. */
export const EXCERPT_CHARS = 40;

/**
 * A value read from a data file, quoted for an error message: at most `EXCERPT_CHARS` characters,
 * with control characters escaped. A scenario may point at any readable file, and its message
 * then shows a short, inert piece of it rather than a whole line of someone's secrets or terminal
 * escape sequences.
 */
export function excerpt(text: string): string {
  const cut = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
  return JSON.stringify(cut);
}

/**
 * A parsed JSON value quoted as `excerpt` quotes text. A list or object nested thousands deep
 * parses, but writing it back out overflows the stack: it is quoted by its opening bracket.
 */
export function excerptJson(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    text = Array.isArray(value) ? '[…' : '{…';
  }
  return excerpt(text ?? String(value));
}

/** Column names of a header, each quoted as an excerpt, at most `max` of them. */
export function headerExcerpt(names: readonly string[], max = 12): string {
  const shown = names.slice(0, max).map(excerpt).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
