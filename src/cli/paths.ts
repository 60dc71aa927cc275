import { fileURLToPath } from 'node:url';

/** The package root: `src/cli/` and `dist/cli/` both sit two levels below it. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const DEMO_SCENARIO = fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url));
