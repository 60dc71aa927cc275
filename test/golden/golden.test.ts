import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCapacityEventsJson, renderSummaryJson, renderTimeseriesCsv } from '../../src/report/index.js';
import { runScenario } from '../../src/run.js';

/**
 * Golden outputs: the data files of the shipped and fixture scenarios, byte for byte, as a
 * reviewed commit left them. The determinism tests show that one build repeats itself; these
 * show that a change meant to keep behaviour (a faster hot path, a refactor) does, and make a
 * change that alters results show up in review as a diff of these files.
 *
 * After an intended change of results: UPDATE_GOLDEN=1 npx vitest run test/golden
 *
 * V8's Math functions are ports of fdlibm, the same on every platform; a Node upgrade that changed
 * one in the last bit would show here too, and is then regenerated like any intended change.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./outputs/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

// Between them: synthetic and trace arrivals, fixed and elastic fleets, spot reclaims, batching,
// continuous-batching LLM serving, edge offload with egress, warm-up, timeouts and variants.
const SCENARIOS = [
  'scenarios/demo.yaml',
  'scenarios/spot-autoscaling.yaml',
  'scenarios/edge-offload.yaml',
  'test/fixtures/cli/batching.yaml',
  'test/fixtures/cli/tiny.yaml',
  'test/fixtures/scenarios/full.yaml',
  'test/fixtures/scenarios/trace.yaml',
];

describe('golden outputs', () => {
  it.each(SCENARIOS)(
    '%s gives the reviewed summary.json, timeseries.csv and capacity events',
    async (file) => {
      const { summary, results } = await runScenario(join(ROOT, file));
      const outputs: Record<string, string> = {
        'summary.json': renderSummaryJson(summary),
        'timeseries.csv': renderTimeseriesCsv(results),
        'capacity-events.json': renderCapacityEventsJson(summary.scenario, summary.seed, results),
      };
      const dir = join(GOLDEN, file.replaceAll('/', '_').replace(/\.yaml$/, ''));
      for (const [name, text] of Object.entries(outputs)) {
        const path = join(dir, name);
        if (UPDATE) {
          mkdirSync(dir, { recursive: true });
          writeFileSync(path, text);
        }
        // Compared as text, not parsed: byte-identical output is the contract.
        expect(text, `${file}: ${name}`).toBe(readFileSync(path, 'utf8'));
      }
    },
  );
});
