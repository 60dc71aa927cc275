/**
 * Text from a scenario (its name, a label, a fleet) for Markdown: each character that could start
 * emphasis, code, a link, an HTML tag, an entity, a heading's end or a table cell is
 * backslash-escaped, so a name reads as written and cannot inject markup.
 */
export const escapeMarkdown = (text: string): string => text.replace(/[\\`*_[\]<>|~&#]/g, '\\$&');
