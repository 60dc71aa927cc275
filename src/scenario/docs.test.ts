import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_CELLS, MAX_FIXED_BINS } from '../metrics/time-series.js';
import { MAX_BOOTSTRAP_BLOCKS } from '../workload/trace-bootstrap.js';
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

  // The bounds are written out in the descriptions; these keep the words and the code's limits together.
  const description = (path: readonly string[]) => {
    type Node = { properties?: Record<string, Node>; anyOf?: Node[]; description?: string };
    let node = scenarioJsonSchema() as Node;
    for (const key of path) {
      // A nullable section is `anyOf: [{ ...object }, { type: null }]`.
      const object = node.properties === undefined ? node.anyOf?.find((n) => n.properties) : node;
      node = object?.properties?.[key] ?? {};
    }
    return node.description ?? '';
  };

  it('metrics.interval states the most rows and values a series keeps and the warning past them', () => {
    const text = description(['metrics', 'interval']);
    expect(text).toContain(`at most ${MAX_FIXED_BINS.toLocaleString('en-US')} rows`);
    expect(text).toContain(`at most ${MAX_CELLS.toLocaleString('en-US')} values`);
    expect(text).toContain('SERIES_WIDENED');
  });

  it('bootstrap.block states the most blocks a window holds', () => {
    const text = description(['workload', 'arrivals', 'trace', 'bootstrap', 'block']);
    expect(text).toContain(`at most ${MAX_BOOTSTRAP_BLOCKS.toLocaleString('en-US')} blocks`);
  });
});
