import { readFileSync } from 'node:fs';

/** package.json: `src/core/` and `dist/core/` both sit two levels below the package root. */
const PACKAGE_FILE = new URL('../../package.json', import.meta.url);

let version: string | undefined;

/** The fleetsim version, read once: another version may compute the same scenario differently. */
export function fleetsimVersion(): string {
  version ??= String((JSON.parse(readFileSync(PACKAGE_FILE, 'utf8')) as { version: unknown }).version);
  return version;
}
