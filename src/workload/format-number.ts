/** Six significant digits: enough to recognise a value in a message without float noise (0.30000000000000004). */
export function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
