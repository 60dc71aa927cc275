import { UsageError } from './io.js';

/**
 * A flag that counts something (`--replications`, `--workers`, `--points`), read as text so a
 * mistake is quoted as typed: yargs would turn `--workers two` into NaN.
 */
export function parsePositiveInteger(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${flag}: expected a positive integer, got "${text}"`);
  }
  return value;
}
