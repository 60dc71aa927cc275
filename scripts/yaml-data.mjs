/**
 * Writes DIR/yaml-data.json (DIR: dist, or --dist DIR): the value of every shipped data file,
 * pricing/*.yaml, as JSON text keyed by the SHA-256 digest (hex) of the file's text, which
 * src/util/yaml-data.ts reads instead of parsing the YAML again. A value JSON would change (a
 * date, an infinity, a NaN) stops the build rather than being read back differently.
 *
 *   node scripts/yaml-data.mjs [--dist DIR]
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PRICING = join(ROOT, 'pricing');
const distFlag = process.argv.indexOf('--dist');
const DIST = resolve(distFlag < 0 ? join(ROOT, 'dist') : process.argv[distFlag + 1]);

const cache = {};
for (const name of readdirSync(PRICING)
  .filter((file) => file.endsWith('.yaml'))
  .sort()) {
  const text = readFileSync(join(PRICING, name), 'utf8');
  const value = parse(text);
  const json = JSON.stringify(value);
  if (!isDeepStrictEqual(JSON.parse(json), value)) {
    throw new Error(
      `pricing/${name}: its value does not survive JSON; keep it to strings, numbers, lists and maps`,
    );
  }
  cache[createHash('sha256').update(text).digest('hex')] = json;
}
const out = join(DIST, 'yaml-data.json');
writeFileSync(`${out}.tmp`, `${JSON.stringify(cache)}\n`);
renameSync(`${out}.tmp`, out);
