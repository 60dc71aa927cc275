/**
 * What a name shown in reports and on the terminal may not hold: control characters (a NUL, a
 * newline, the escape that starts a terminal sequence), line and paragraph separators,
 * bidirectional controls that make text read otherwise than it is stored, and code points that
 * are no characters (a lone surrogate, U+FFFF). SVG cannot hold most of them at all, and the others
 * garble a terminal, a Markdown table or a heading.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Noncharacter_Code_Point}]/gu;

/** The first unprintable character of `text` as `U+0000 at character 3` (counted from 1), or null. */
export function findUnprintable(text: string): string | null {
  UNPRINTABLE.lastIndex = 0;
  const found = UNPRINTABLE.exec(text);
  if (found === null) return null;
  const codePoint = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return `U+${codePoint} at character ${[...text.slice(0, found.index)].length + 1}`;
}

/** `text` with each unprintable character replaced by U+FFFD, the replacement character. */
export function replaceUnprintable(text: string): string {
  return text.replace(UNPRINTABLE, '\uFFFD');
}
