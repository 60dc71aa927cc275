import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildProfileTable, readSplitwiseProfile } from '../../src/serving/llm/index.js';

const csv = readFileSync(
  fileURLToPath(new URL('../../data/validation/splitwise_perf_model_llama2-70b.csv', import.meta.url)),
  'utf8',
);

describe.each(['a100-80gb', 'h100-80gb'])('splitwise profile table on %s', (hardware) => {
  const table = buildProfileTable(readSplitwiseProfile(csv, 'llama2-70b', hardware));

  it('reproduces every measured configuration within 2 %', () => {
    for (const row of table.rows) {
      const prefill = table.prefillS(row.tensorParallel, row.batchSize, row.promptTokens);
      const decode = table.decodeStepS(row.tensorParallel, row.batchSize, row.promptTokens);
      expect(Math.abs(prefill / row.prefillS - 1)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(decode / row.decodeStepS - 1)).toBeLessThanOrEqual(0.02);
    }
  });

  it('interpolates between measured prompt sizes monotonically', () => {
    const at1024 = table.prefillS(4, 1, 1024);
    const at1536 = table.prefillS(4, 1, 1536);
    const at2048 = table.prefillS(4, 1, 2048);
    expect(at1536).toBeGreaterThan(at1024);
    expect(at1536).toBeLessThan(at2048);
  });

  it('rejects a tensor-parallel degree it has no rows for', () => {
    expect(() => table.prefillS(3, 1, 512)).toThrow(/tensor parallelism 3/);
  });
});
