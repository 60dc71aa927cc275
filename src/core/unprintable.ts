/**
 * What a name shown in reports and on the terminal may not hold: control characters (a NUL, a
 * newline, the escape that starts a terminal sequence), line and paragraph separators,
 * bidirectional controls that make text read otherwise than it is stored, and code points that
 * are no characters (a lone surrogate, U+FFFF). SVG cannot hold most of them at all, and the others
 * garble a terminal, a Markdown table or a heading. Other invisible format characters (a zero-width
 * joiner inside an emoji, a soft hyphen) are allowed in names; messages escape them (`oneLine`).
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

/**
 * Line breaks and terminal controls (C0, DEL, C1), the Unicode line and paragraph separators, and
 * the invisible format characters (a byte order mark, zero-width spaces, bidirectional overrides)
 * that make a key look like another.
 */
const ESCAPED_IN_MESSAGES = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * An error message may repeat what the user wrote (a key, a variant name, a value, a flag), which
 * may hold line breaks, terminal escape sequences or invisible characters: they are written as
 * escapes (`\n`, `\u001b`, `\ufeff`), so that every error stays one inert, legible line.
 */
export function oneLine(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0)!;
    out += ESCAPED_IN_MESSAGES.test(c)
      ? (SHORT_ESCAPES[c] ??
        (code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`))
      : c;
  }
  return out;
}
