import { excerpt } from '../../util/excerpt.js';

/** A price list that cannot be read: its message names the field or row, `catalog import` the file. */
export class PriceListError extends Error {
  override name = 'PriceListError';
}

type JsonObject = Record<string, unknown>;

/** A JSON value as a message shows it: short, and never a whole object. */
function shown(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string' ? excerpt(value) : String(value);
}

function malformed(path: string, expected: string, value: unknown): PriceListError {
  return new PriceListError(`${path}: expected ${expected}, got ${shown(value)}`);
}

/** `path.key`, or `path["key"]` for a key that is no plain name (AWS term codes hold dots). */
export function member(path: string, key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) ? `${path}.${key}` : `${path}[${excerpt(key)}]`;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function objectAt(value: unknown, path: string): JsonObject {
  if (!isObject(value)) throw malformed(path, 'an object', value);
  return value;
}

export function optionalObjectAt(value: unknown, path: string): JsonObject | undefined {
  return value === undefined ? undefined : objectAt(value, path);
}

export function optionalNumberAt(value: unknown, path: string): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  throw malformed(path, 'a number', value);
}

/** The fields `keys` of `object`, each absent or a string. */
export function stringsAt<K extends string>(
  object: JsonObject | undefined,
  path: string,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const strings: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const value = object?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw malformed(`${path}.${key}`, 'a string', value);
    strings[key] = value;
  }
  return strings;
}
