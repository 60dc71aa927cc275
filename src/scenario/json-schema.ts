import * as z from 'zod';
import { PREBUILT_SCENARIO_JSON_SCHEMA } from './json-schema-prebuilt.js';
import { scenarioSchema, scenarioSchemaVersion } from './schema.js';

/** A JSON Schema node, as far as this folder reads one. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  definitions?: Record<string, JsonSchema>;
  [keyword: string]: unknown;
}

let cached: { schema: ReturnType<typeof scenarioSchema>; json: JsonSchema } | undefined;

/**
 * The scenario YAML as a draft-7 JSON Schema, for editors (`# yaml-language-server: $schema=...`).
 * `io: 'input'` describes what users write: keys with defaults are optional and durations are
 * strings or numbers, not the seconds the transforms produce.
 */
export function scenarioJsonSchema(): JsonSchema {
  return structuredClone(sharedScenarioJsonSchema());
}

/**
 * The one copy behind `scenarioJsonSchema`, for readers in this folder that never change it: the
 * loader looks up every override's path in it, and copying it each time cost most of the time
 * loading thousands of variants took.
 */
export function sharedScenarioJsonSchema(): JsonSchema {
  const schema = scenarioSchema();
  if (cached?.schema !== schema) {
    cached = { schema, json: deepFreeze(prebuilt() ?? convert(schema)) };
  }
  return cached.json;
}

/** The schema the bundle was built with, unless a policy registered since changed it. */
function prebuilt(): JsonSchema | null {
  const found = PREBUILT_SCENARIO_JSON_SCHEMA;
  return found !== null && found.version === scenarioSchemaVersion()
    ? (JSON.parse(found.text) as JsonSchema)
    : null;
}

function convert(schema: ReturnType<typeof scenarioSchema>): JsonSchema {
  return z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchema;
}

/** Frozen, so that a reader that changes the shared copy fails at once instead of corrupting later loads. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const REF_PREFIX = '#/definitions/';

/**
 * The concrete alternatives of `schema`: `$ref`s followed and `allOf`/`anyOf`/`oneOf` flattened,
 * so a caller sees only nodes with their own `type`, `properties` or `items`.
 */
export function alternatives(root: JsonSchema, schema: JsonSchema): JsonSchema[] {
  const found: JsonSchema[] = [];
  if (schema.$ref?.startsWith(REF_PREFIX)) {
    const target = root.definitions?.[schema.$ref.slice(REF_PREFIX.length)];
    if (target) found.push(...alternatives(root, target));
  }
  for (const member of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    found.push(...alternatives(root, member));
  }
  if (schema.type !== undefined || schema.properties || schema.items || isOpen(schema)) found.push(schema);
  return found;
}

/** `{}` (e.g. a variant's `set` values) accepts anything, including any key below it. */
function isOpen(schema: JsonSchema): boolean {
  return Object.keys(schema).every((keyword) => keyword === 'description' || keyword === 'title');
}

/** The schemas that may hold the value under `segment` of a value matching one of `schemas`. */
export function childSchemas(
  root: JsonSchema,
  schemas: readonly JsonSchema[],
  segment: string | number,
): JsonSchema[] {
  const children: JsonSchema[] = [];
  for (const schema of schemas.flatMap((s) => alternatives(root, s))) {
    if (isOpen(schema)) children.push(schema);
    else if (typeof segment === 'number' && schema.items) children.push(schema.items);
    else if (schema.properties && Object.hasOwn(schema.properties, segment))
      children.push(schema.properties[segment]);
    else if (typeof schema.additionalProperties === 'object') children.push(schema.additionalProperties);
  }
  return children;
}

/** Keys the mapping at the end of `path` may have (all forms of a union together). */
export function allowedKeys(root: JsonSchema, path: readonly (string | number)[]): string[] {
  let schemas: JsonSchema[] = [root];
  for (const segment of path) schemas = childSchemas(root, schemas, segment);
  const keys = new Set<string>();
  for (const schema of schemas.flatMap((s) => alternatives(root, s))) {
    for (const key of Object.keys(schema.properties ?? {})) keys.add(key);
  }
  return [...keys];
}
