import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixtures, meetsExpectation } from '../../bench/fuzz/fixtures.js';
import { runCase } from '../../bench/fuzz/run-case.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/fuzz');
const tmpRoot = join(tmpdir(), `fleetsim-fuzz-regressions-${process.pid}`);

/**
 * Every case the fuzzer ever failed on, kept in test/fixtures/fuzz with the outcome expected now.
 * A known failure (fixed elsewhere) is expected to fail until it is; one that never ends, or whose
 * memory grows without bound, is replayed by `npm run fuzz -- --replay` only, which has a time
 * limit and a memory cap.
 */
describe('cases the fuzzer failed on', () => {
  for (const fixture of loadFixtures(FIXTURES)) {
    const { name, meta, fuzzCase } = fixture;
    const replay = async () => {
      const verdict = await runCase(fuzzCase, { tmpRoot, cli: { mode: 'in-process' } });
      expect(meetsExpectation(meta.expect, verdict), JSON.stringify(verdict)).toBe(true);
    };
    if (meta.known?.hangs) it.skip(`${name} (never ends: ${meta.known.reason})`, replay);
    else if (meta.known) it.fails(`${name} (known, ${meta.known.area}: ${meta.known.reason})`, replay);
    else it(`${name}: ${meta.expect?.outcome}`, replay);
  }

  it('each says what was found and what to expect', () => {
    for (const { name, meta } of loadFixtures(FIXTURES)) {
      expect(meta.finding, name).toMatch(/\S/);
      expect(meta.expect, name).toBeDefined();
    }
  });
});
