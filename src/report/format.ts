/** Number formats shared by the terminal, Markdown and HTML tables: three significant digits, units spelled out. */

export const formatSeconds = (x: number | null): string => {
  if (x === null) return '-';
  if (x === 0) return '0 s';
  if (x < 1) return `${(x * 1000).toPrecision(3)} ms`;
  // toPrecision(3) would write 3562 as 3.56e+3.
  return x < 1000 ? `${x.toPrecision(3)} s` : `${x.toFixed(0)} s`;
};

export const formatUsd = (x: number | null): string =>
  x === null ? '-' : x >= 100 ? `$${x.toFixed(0)}` : `$${x.toPrecision(3)}`;

export const formatPercent = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);

export const formatCount = (x: number | null): string => (x === null ? '-' : String(x));

/**
 * Text from a scenario (its name, a label, a fleet) for Markdown: each character that could start
 * emphasis, code, a link, an HTML tag, an entity, a heading's end or a table cell is
 * backslash-escaped, so a name reads as written and cannot inject markup.
 */
export const escapeMarkdown = (text: string): string => text.replace(/[\\`*_[\]<>|~&#]/g, '\\$&');

export const formatNumber = (x: number | null): string => (x === null ? '-' : x.toPrecision(4));
