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

export const formatNumber = (x: number | null): string => (x === null ? '-' : x.toPrecision(4));
