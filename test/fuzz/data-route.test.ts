import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FuzzCase, generateCase } from '../../bench/fuzz/cases.js';
import { loadFixture, saveCase } from '../../bench/fuzz/fixtures.js';
import { callCli, type Verdict } from '../../bench/fuzz/oracle.js';
import { preparePristine } from '../../bench/fuzz/pristine.js';
import { runCase } from '../../bench/fuzz/run-case.js';
import { CI_SEED } from './campaign.js';

const tmpRoot = join(tmpdir(), `fleetsim-fuzz-data-${process.pid}`);

/** What identifies a case: its route, command line, mutations and every file's bytes. */
function fingerprint(c: FuzzCase): string {
  return JSON.stringify({ ...c, files: c.files.map((f) => [f.name, f.bytes.toString('base64')]) });
}

/** A verdict with the case's own temporary folder left out of its message. */
function withoutCaseFolder(verdict: Verdict): Verdict {
  return { ...verdict, message: verdict.message.replace(/\/[^\s:'"]*\/case-\w+\//g, '') };
}

/** The first data-route case of each command line (`catalog import` apart from `catalog list|show`). */
function onePerCommand(): FuzzCase[] {
  const found = new Map<string, FuzzCase>();
  for (let index = 0; index < 200 && found.size < 9; index++) {
    const c = generateCase(CI_SEED, index, { dataShare: 1 });
    const key =
      c.command === 'catalog' ? `catalog ${c.flags[1] === 'import' ? 'import' : 'list'}` : c.command;
    if (!found.has(key)) found.set(key, c);
  }
  return [...found.values()];
}

describe('the data route of the fuzzer', () => {
  beforeAll(async () => {
    await preparePristine(mkdtempSync(join(tmpdir(), 'fleetsim-fuzz-pristine-')), callCli);
  }, 120_000);

  it('makes the same case of a seed and index every time', () => {
    for (let index = 0; index < 40; index++) {
      const once = generateCase(CI_SEED, index, { dataShare: 1 });
      expect(once.route).toBe('data');
      expect(fingerprint(generateCase(CI_SEED, index, { dataShare: 1 }))).toBe(fingerprint(once));
    }
  });

  it('leaves every case it does not take as it was without it', () => {
    let taken = 0;
    for (let index = 0; index < 200; index++) {
      const withData = generateCase(CI_SEED, index, { dataShare: 0.2 });
      if (withData.route === 'data') taken++;
      else expect(fingerprint(withData)).toBe(fingerprint(generateCase(CI_SEED, index)));
    }
    expect(taken).toBeGreaterThan(10);
  });

  it('reaches every command, and a case saved as a fixture replays to the same verdict', async () => {
    const cases = onePerCommand();
    expect(cases.map((c) => c.command).sort()).toEqual(
      ['calibrate', 'catalog', 'catalog', 'diff', 'merge', 'report', 'sweep', 'trace'].sort(),
    );
    for (const c of cases) {
      const verdict = await runCase(c, { tmpRoot, cli: { mode: 'in-process' } });
      // A crash or hang would say the case itself is broken, whatever fleetsim does with it.
      expect(verdict.outcome === 'failure' ? verdict.kind : verdict.outcome, c.id).not.toMatch(
        /^(crash|timeout)$/,
      );
      const dir = join(tmpRoot, 'saved', c.id.replace(':', '-'));
      saveCase(c, dir);
      const again = await runCase(loadFixture(dir, c.id).fuzzCase, { tmpRoot, cli: { mode: 'in-process' } });
      expect(withoutCaseFolder(again), c.id).toEqual(withoutCaseFolder(verdict));
    }
  }, 240_000);
});
