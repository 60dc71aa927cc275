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

describe('a profile that cannot give step times', () => {
  const header = 'model,hardware,prompt_size,batch_size,prompt_time,token_time,tensor_parallel';
  const read = (text: string) => () => readSplitwiseProfile(text, 'm', 'h', 'p.csv');

  it('is refused at the line and column of what is wrong, not turned into NaN step times', () => {
    expect(read(`${header}\nm,h,512,1,196.2,54.9,2\nm,h,512,0,196.2,54.9,2\n`)).toThrow(
      expect.objectContaining({
        diagnostic: expect.objectContaining({ file: 'p.csv', line: 3, col: 4 }),
        message: expect.stringContaining('column "batch_size": expected a positive whole number, got "0"'),
      }),
    );
    expect(read(`${header}\nm,h,512,1,196.2,,2\n`)).toThrow(
      /column "token_time": expected a positive number, got ""/,
    );
    expect(read('model,hardware,batch_size,prompt_time,token_time,tensor_parallel\nm,h,1,1,1,1\n')).toThrow(
      /no column "prompt_size"/,
    );
  });

  it("leaves other models' rows unread", () => {
    const rows = readSplitwiseProfile(`${header}\nm,h,512,1,196.2,54.9,2\nx,h,oops,1,1,1,1\n`, 'm', 'h');
    expect(rows).toEqual([
      { tensorParallel: 2, batchSize: 1, promptTokens: 512, prefillS: 196.2 / 1e3, decodeStepS: 54.9 / 1e3 },
    ]);
  });
});
