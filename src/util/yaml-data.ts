import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/**
 * The shipped data files (pricing/*.yaml) are YAML, for people to read and edit, but parsing them
 * is slow: eemeli/yaml takes 0.1 to 0.3 s for the instance catalog alone in a fresh process,
 * which every run naming an instance, and every worker thread of a plan, would pay. So the build
 * (scripts/yaml-data.mjs) also writes each file's value as JSON, keyed by a SHA-256 digest of the
 * file's text. A file whose text has a digest there is read from its JSON; any other (an edited
 * file, a user's, a checkout without a build) is parsed as YAML. The YAML stays the source, and
 * the build refuses a file whose value JSON does not carry exactly.
 */
export function yamlDataReader(cacheFile: string | URL): (path: string) => unknown {
  let cache: Record<string, string> | null | undefined;
  return (path) => {
    const text = readFileSync(path, 'utf8');
    cache ??= readCache(cacheFile);
    const json = cache?.[createHash('sha256').update(text).digest('hex')];
    return json === undefined ? parse(text) : JSON.parse(json);
  };
}

function readCache(cacheFile: string | URL): Record<string, string> | null {
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, string>;
  } catch {
    return null;
  }
}

// src/util/ and dist/util/ both sit one level below the folder the build writes yaml-data.json to.
export const readYamlData = yamlDataReader(new URL('../yaml-data.json', import.meta.url));
