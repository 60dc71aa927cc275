import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type RunSummary, renderSummaryJson } from '../../src/report/index.js';
import { runScenario } from '../../src/run.js';

/**
 * The energy estimate only adds: with each variant's `energy` block taken out, summary.json is the
 * reviewed golden file byte for byte (taken out of both sides, so this holds before and after the
 * goldens are regenerated with the blocks in). edge-offload is left out: its owned edge device now
 * bills its electricity from the estimate instead of at full power inside its hourly price, which
 * changes its costs on purpose (test/energy/energy.test.ts checks them by hand).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GOLDEN = fileURLToPath(new URL('./outputs/', import.meta.url));

const SCENARIOS = [
  'scenarios/demo.yaml',
  'scenarios/spot-autoscaling.yaml',
  'test/fixtures/cli/batching.yaml',
  'test/fixtures/cli/tiny.yaml',
  'test/fixtures/scenarios/full.yaml',
  'test/fixtures/scenarios/trace.yaml',
];

function withoutEnergy(summary: RunSummary): string {
  return renderSummaryJson({
    ...summary,
    variants: summary.variants.map(({ energy: _energy, ...variant }) => variant),
  });
}

describe('golden summary.json without the energy blocks', () => {
  it.each(SCENARIOS)('%s is unchanged but for its energy blocks', async (file) => {
    const { summary } = await runScenario(join(ROOT, file));
    expect(summary.variants.every((v) => v.energy !== undefined)).toBe(true);
    const golden = JSON.parse(
      readFileSync(join(GOLDEN, file.replaceAll('/', '_').replace(/\.yaml$/, ''), 'summary.json'), 'utf8'),
    ) as RunSummary;
    expect(withoutEnergy(summary)).toBe(withoutEnergy(golden));
  });
});
