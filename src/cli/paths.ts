import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: `src/cli/` and `dist/cli/` both sit two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));

let version: string | undefined;

/** fleetsim's version, from its package.json (read here, not from plan/, so `--version` loads nothing else). */
export function packageVersion(): string {
  version ??= String(
    (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version: unknown }).version,
  );
  return version;
}
