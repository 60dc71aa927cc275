import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchema } from './json-schema.js';
import { renderScenarioReference } from './reference.js';

const repository = fileURLToPath(new URL('../../', import.meta.url));

const generated: Record<string, () => string> = {
  'docs/scenario-reference.md': renderScenarioReference,
  'schema/scenario.schema.json': () => `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`,
};

describe('generated scenario docs', () => {
  for (const [file, render] of Object.entries(generated)) {
    it(`${file} matches the schema (UPDATE_DOCS=1 rewrites it)`, () => {
      const path = join(repository, file);
      const expected = render();
      if (process.env.UPDATE_DOCS === '1') {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, expected);
      }
      const actual = existsSync(path) ? readFileSync(path, 'utf8') : '';
      expect(actual, `${file} is stale: run UPDATE_DOCS=1 npx vitest run src/scenario/docs.test.ts`).toBe(
        expected,
      );
    });
  }
});
