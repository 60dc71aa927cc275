/**
 * The scenario's JSON Schema converted ahead of time, as the `schema` command prints it, and the
 * policy registries' version it was converted at. Converting the zod schema takes 0.1 to 0.2 s of
 * CPU in a fresh process (zod walks every section and builds the ones kept lazy), which every run
 * with a `--set`, every sweep and plan, and each of their workers paid at start to check the
 * override paths. Modules compiled by tsc (the library, the tests) keep `null` and convert on first
 * use; scripts/bundle-cli.mjs replaces this module in the command line's bundles with the text of
 * the schema those same sources convert to.
 */
export const PREBUILT_SCENARIO_JSON_SCHEMA: { version: number; text: string } | null = null;
